-- Attachment bytes may be objects in an S3-compatible bucket (attachments.storage = "s3").
-- `blobs` then names the hash alone, for the attachments' foreign key, with neither bytes
-- nor an upload: the row is written in the transaction that names it and removed with the
-- object when no attachment names it any more.
ALTER TABLE blobs DROP CONSTRAINT blobs_one_source;
ALTER TABLE blobs ADD CONSTRAINT blobs_one_source CHECK (content IS NULL OR upload_id IS NULL);
