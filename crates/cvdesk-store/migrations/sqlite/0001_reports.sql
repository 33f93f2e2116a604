-- Reports as the finder sent them, their supporting files, and the per-year counter that
-- gives reference numbers without gaps.

CREATE TABLE reference_counters (
    prefix        TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    last_sequence INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE reports (
    id                  INTEGER PRIMARY KEY,
    reference_prefix    TEXT    NOT NULL,
    reference_year      INTEGER NOT NULL,
    reference_sequence  INTEGER NOT NULL,
    tracking_token_hash TEXT    NOT NULL UNIQUE,
    state               TEXT    NOT NULL DEFAULT 'new' CHECK (state IN
                            ('new', 'triaged', 'assigned', 'duplicate', 'remediated', 'informative', 'not_applicable')),
    needs_info          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TEXT    NOT NULL,
    asset               TEXT,
    weakness            TEXT,
    cvss_vector         TEXT,
    cvss_version        TEXT,
    cvss_score          REAL,
    cvss_rating         TEXT,
    title               TEXT    NOT NULL,
    summary             TEXT    NOT NULL,
    steps_to_reproduce  TEXT    NOT NULL,
    impact              TEXT    NOT NULL,
    mitigation          TEXT,
    contact_name        TEXT,
    contact_email       TEXT,
    contact_pgp_key     TEXT,
    credit              BOOLEAN NOT NULL,
    UNIQUE (reference_prefix, reference_year, reference_sequence)
);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    file_name  TEXT    NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256     TEXT    NOT NULL
);

CREATE INDEX attachments_report ON attachments (report_id);
