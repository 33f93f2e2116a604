-- Reports as the finder sent them, their supporting files, and the per-year counter that
-- gives reference numbers without gaps. Attachment bytes live in `blobs` so that any
-- number of stateless instances can serve them.

CREATE TABLE reference_counters (
    prefix        TEXT   NOT NULL,
    year          BIGINT NOT NULL,
    last_sequence BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE reports (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference_prefix    TEXT        NOT NULL,
    reference_year      BIGINT      NOT NULL,
    reference_sequence  BIGINT      NOT NULL,
    tracking_token_hash TEXT        NOT NULL UNIQUE,
    state               TEXT        NOT NULL DEFAULT 'new' CHECK (state IN
                            ('new', 'triaged', 'assigned', 'duplicate', 'remediated', 'informative', 'not_applicable')),
    needs_info          BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL,
    asset               TEXT,
    weakness            TEXT,
    cvss_vector         TEXT,
    cvss_version        TEXT,
    cvss_score          DOUBLE PRECISION,
    cvss_rating         TEXT,
    title               TEXT        NOT NULL,
    summary             TEXT        NOT NULL,
    steps_to_reproduce  TEXT        NOT NULL,
    impact              TEXT        NOT NULL,
    mitigation          TEXT,
    contact_name        TEXT,
    contact_email       TEXT,
    contact_pgp_key     TEXT,
    credit              BOOLEAN     NOT NULL,
    UNIQUE (reference_prefix, reference_year, reference_sequence)
);

CREATE TABLE blobs (
    sha256  TEXT  PRIMARY KEY,
    content BYTEA NOT NULL
);

CREATE TABLE attachments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    file_name  TEXT   NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256     TEXT   NOT NULL REFERENCES blobs (sha256)
);

CREATE INDEX attachments_report ON attachments (report_id);
