-- The bytes of files a report has received over its life, kept as a running total so a
-- tracking link cannot add files without end; and an index to tell whether any
-- attachment still names a stored blob before it is removed.
ALTER TABLE reports ADD COLUMN attachment_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE reports SET attachment_bytes =
    COALESCE((SELECT SUM(size_bytes) FROM attachments a WHERE a.report_id = reports.id), 0);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- Attachment bytes arrive in chunks written as they come, so that neither an instance nor
-- a connection holds a whole file. An upload becomes a blob when the transaction that
-- names it stores its hash in `blobs`; uploads no blob names are swept by age. Blobs
-- stored before keep their bytes in `blobs.content`.
CREATE TABLE blob_uploads (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    upload_id BIGINT NOT NULL REFERENCES blob_uploads (id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    data      BYTEA  NOT NULL,
    PRIMARY KEY (upload_id, seq)
);

-- Attachments are mostly compressed already; trying again costs time and saves nothing.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE blobs ALTER COLUMN content DROP NOT NULL;
ALTER TABLE blobs ADD COLUMN upload_id BIGINT REFERENCES blob_uploads (id);
ALTER TABLE blobs ADD CONSTRAINT blobs_one_source CHECK ((content IS NULL) <> (upload_id IS NULL));
CREATE INDEX blobs_upload ON blobs (upload_id) WHERE upload_id IS NOT NULL;
