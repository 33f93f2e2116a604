-- Every published version of the disclosure policy; the newest is in force, the older
-- ones stay readable.
CREATE TABLE policy_versions (
    version      BIGINT      PRIMARY KEY,
    published_at TIMESTAMPTZ NOT NULL,
    published_by TEXT        NOT NULL,
    settings     TEXT        NOT NULL
);
