-- Outbound disclosure: the vendor directory, cases against vendors, their log and files.
--
-- A vendor's lists (domains, contacts in order of preference, languages) are JSON arrays.
-- A case's form (items e-k of the initial inquiry) is the JSON of what was typed, read
-- again through the domain's rules on every load. Case ids are {prefix}-OUT-{year}-{seq},
-- the sequence allocated from case_counters inside the creating transaction, so numbers
-- have no gaps. Times are timestamptz; dates agreed are YYYY-MM-DD text on both.
CREATE TABLE vendors (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    domains     TEXT    NOT NULL DEFAULT '[]',
    contacts    TEXT    NOT NULL DEFAULT '[]',
    pgp_key     TEXT,
    policy_url  TEXT,
    languages   TEXT    NOT NULL DEFAULT '[]',
    notes       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE case_counters (
    prefix        TEXT    NOT NULL,
    year          BIGINT  NOT NULL,
    last_sequence BIGINT  NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE outbound_cases (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix             TEXT    NOT NULL,
    year               BIGINT  NOT NULL,
    sequence           BIGINT  NOT NULL,
    vendor_id          BIGINT  NOT NULL REFERENCES vendors (id),
    state              TEXT    NOT NULL,
    form               TEXT    NOT NULL,
    preset             TEXT    NOT NULL,
    -- The case's own inquiry template; NULL takes the desk's default.
    inquiry_subject    TEXT,
    inquiry_body       TEXT,
    -- The date of reporting, from which the deadlines run; NULL while a draft.
    reported_at        TIMESTAMPTZ,
    -- An announcement date agreed in writing, and the log entry that agreed it.
    agreed_announce_by TEXT,
    agreed_evidence    BIGINT,
    fixed_at           TIMESTAMPTZ,
    published_at       TIMESTAMPTZ,
    -- The published write-up as JSON; NULL until published.
    publication        TEXT,
    created_at         TIMESTAMPTZ NOT NULL,
    created_by         TEXT    NOT NULL,
    UNIQUE (prefix, year, sequence)
);
CREATE INDEX outbound_cases_state ON outbound_cases (state, id);

CREATE TABLE case_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES outbound_cases (id),
    kind        TEXT    NOT NULL,
    -- When it happened; recorded_at is when the desk wrote it down.
    at          TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    actor       TEXT    NOT NULL,
    channel     TEXT,
    body        TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    announce_by TEXT,
    evidence    BIGINT  REFERENCES case_log (id),
    version     TEXT,
    encrypted   BOOLEAN,
    signature   TEXT,
    message_id  TEXT
);
CREATE INDEX case_log_case ON case_log (case_id, id);
CREATE INDEX case_log_message ON case_log (message_id);

-- Evidence of a report by web form or phone, and files that came with mail; bounded in
-- size by the desk and kept in the database with the entry they belong to.
CREATE TABLE case_files (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    log_id     BIGINT  NOT NULL REFERENCES case_log (id),
    file_name  TEXT    NOT NULL,
    size_bytes BIGINT  NOT NULL,
    sha256     TEXT    NOT NULL,
    content    BYTEA   NOT NULL
);
CREATE INDEX case_files_log ON case_files (log_id);

-- Deadline reminders already sent, once per case and deadline.
CREATE TABLE case_reminders (
    case_id BIGINT  NOT NULL REFERENCES outbound_cases (id),
    key     TEXT    NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, key)
);
