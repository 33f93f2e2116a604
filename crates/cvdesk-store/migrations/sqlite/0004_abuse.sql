-- Where a report came from (an IPv4 address or an IPv6 /64), for the staff's view of
-- recent submissions from one address.
ALTER TABLE reports ADD COLUMN received_from TEXT;
CREATE INDEX reports_received_from ON reports (received_from, id);

-- Rate limits shared by every instance: one theoretical arrival time (GCRA) per key, in
-- milliseconds since the Unix epoch.
CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    arrival_ms INTEGER NOT NULL
);

-- Intake challenges already used, kept until they expire so none is accepted twice.
CREATE TABLE spent_challenges (
    nonce      TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE INDEX spent_challenges_expires ON spent_challenges (expires_at);
