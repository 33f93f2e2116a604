-- The conversation between the desk and the finder on a report: what both sides see.
-- Internal notes stay in `notes`.
CREATE TABLE messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id    BIGINT      NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    from_finder  BOOLEAN     NOT NULL,
    author_id    BIGINT      REFERENCES users (id),
    author_label TEXT        NOT NULL,
    body         TEXT        NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, id);
