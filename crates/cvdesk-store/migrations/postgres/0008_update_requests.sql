-- When the finder last asked for a status update; they may ask once every 14 days.
ALTER TABLE reports ADD COLUMN update_requested_at TIMESTAMPTZ;
