-- Advisories (ETSI clauses 5.5.3-5.5.5) and the publisher role.
--
-- The users table's role check must accept 'publisher'. SQLite cannot change a CHECK
-- constraint in place, and rebuilding the table would cascade into sessions, tokens and
-- team memberships (migrations run in a transaction, where foreign keys cannot be turned
-- off). The check is widened by rewriting its text in the schema, which SQLite documents
-- for changes that leave the stored rows as they are; the store reopens its connections
-- after migrating, so every connection reads the widened check.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (role IN (''admin'', ''triager'', ''member'', ''viewer''))',
    'CHECK (role IN (''admin'', ''triager'', ''member'', ''viewer'', ''publisher''))')
WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = OFF;

-- The last sequence number given per prefix and year; taken in the creating transaction,
-- so advisory ids have no gaps, as report references do.
CREATE TABLE advisory_counters (
    prefix        TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    last_sequence INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- One row per advisory: the working copy of its content (JSON of the domain's
-- AdvisoryContent) and where it stands. What the public sees is in advisory_revisions.
CREATE TABLE advisories (
    id                  INTEGER PRIMARY KEY,
    prefix              TEXT    NOT NULL,
    year                INTEGER NOT NULL,
    sequence            INTEGER NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('draft', 'scheduled', 'published', 'revised', 'withdrawn')),
    content             TEXT    NOT NULL,
    -- The working copy's title, for the staff list.
    title               TEXT    NOT NULL,
    created_by          TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    -- Set while scheduled: the instant, and the time zone it was typed in.
    scheduled_at        TEXT,
    schedule_zone       TEXT,
    -- 0 until published, then the number of the revision the public sees.
    latest_revision     INTEGER NOT NULL DEFAULT 0,
    first_published_at  TEXT,
    latest_published_at TEXT,
    withdrawn_at        TEXT,
    withdrawal_reason   TEXT,
    UNIQUE (prefix, year, sequence)
);
CREATE INDEX advisories_updated ON advisories (updated_at, id);
CREATE INDEX advisories_published ON advisories (first_published_at, id) WHERE latest_revision > 0;

-- The inventory products an advisory names (which teams' members may read it) and the
-- reports it answers; both follow the working copy.
CREATE TABLE advisory_products (
    advisory_id INTEGER NOT NULL REFERENCES advisories (id),
    product_id  INTEGER NOT NULL,
    PRIMARY KEY (advisory_id, product_id)
);
CREATE INDEX advisory_products_product ON advisory_products (product_id);
CREATE TABLE advisory_reports (
    advisory_id INTEGER NOT NULL REFERENCES advisories (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    PRIMARY KEY (advisory_id, report_id)
);
CREATE INDEX advisory_reports_report ON advisory_reports (report_id);

-- Each publication, as it was: never changed, never removed.
CREATE TABLE advisory_revisions (
    advisory_id      INTEGER NOT NULL REFERENCES advisories (id),
    number           INTEGER NOT NULL,
    published_at     TEXT    NOT NULL,
    -- What changed in this revision, in the publisher's words.
    change_summary   TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    tlp              TEXT    NOT NULL,
    content          TEXT    NOT NULL,
    -- The credits the finders had agreed to when it was published (JSON).
    credits          TEXT    NOT NULL,
    PRIMARY KEY (advisory_id, number)
);
CREATE TRIGGER advisory_revisions_no_update BEFORE UPDATE ON advisory_revisions
BEGIN
    SELECT RAISE(ABORT, 'published revisions are never changed');
END;
CREATE TRIGGER advisory_revisions_no_delete BEFORE DELETE ON advisory_revisions
BEGIN
    SELECT RAISE(ABORT, 'published revisions are never removed');
END;

-- Credits proposed to the finder of a report, and the finder's answer.
CREATE TABLE advisory_credits (
    id           INTEGER PRIMARY KEY,
    advisory_id  INTEGER NOT NULL REFERENCES advisories (id),
    report_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    organization TEXT,
    url          TEXT,
    consent      TEXT    NOT NULL CHECK (consent IN ('proposed', 'accepted', 'changed', 'declined', 'withdrawn')),
    proposed_by  TEXT    NOT NULL,
    proposed_at  TEXT    NOT NULL,
    answered_at  TEXT
);
CREATE INDEX advisory_credits_advisory ON advisory_credits (advisory_id, id);
CREATE INDEX advisory_credits_report ON advisory_credits (report_id, id);

