-- The bytes of files a report has received over its life, kept as a running total so a
-- tracking link cannot add files without end; and an index to tell whether any
-- attachment still names a stored blob before it is removed.
ALTER TABLE reports ADD COLUMN attachment_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE reports SET attachment_bytes =
    COALESCE((SELECT SUM(size_bytes) FROM attachments a WHERE a.report_id = reports.id), 0);
CREATE INDEX attachments_sha256 ON attachments (sha256);
