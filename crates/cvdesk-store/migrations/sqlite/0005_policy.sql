-- Every published version of the disclosure policy; the newest is in force, the older
-- ones stay readable.
CREATE TABLE policy_versions (
    version      INTEGER PRIMARY KEY,
    published_at TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    settings     TEXT    NOT NULL
);
