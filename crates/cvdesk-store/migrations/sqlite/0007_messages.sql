-- The conversation between the desk and the finder on a report: what both sides see.
-- Internal notes stay in `notes`.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    from_finder  BOOLEAN NOT NULL,
    author_id    INTEGER REFERENCES users (id),
    author_label TEXT    NOT NULL,
    body         TEXT    NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, id);
