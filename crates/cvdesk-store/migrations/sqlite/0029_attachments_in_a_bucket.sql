-- Attachment bytes may be objects in an S3-compatible bucket (attachments.storage = "s3").
-- SQLite keeps no table of blobs (the data folder's files are named by their hash), so
-- nothing changes here; the number keeps both folders in step.
SELECT 1;
