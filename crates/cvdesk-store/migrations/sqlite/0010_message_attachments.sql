-- Files the finder sends with a reply. They are the report's attachments like those sent
-- at intake, in the same blob store; `message_id` says which message carried them (none
-- for the files of the report form).
ALTER TABLE attachments ADD COLUMN message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE;
CREATE INDEX attachments_message ON attachments (message_id) WHERE message_id IS NOT NULL;
