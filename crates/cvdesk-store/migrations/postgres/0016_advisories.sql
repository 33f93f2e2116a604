-- Advisories (ETSI clauses 5.5.3-5.5.5) and the publisher role.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'triager', 'member', 'viewer', 'publisher'));

-- The last sequence number given per prefix and year; taken in the creating transaction,
-- so advisory ids have no gaps, as report references do.
CREATE TABLE advisory_counters (
    prefix        TEXT   NOT NULL,
    year          BIGINT NOT NULL,
    last_sequence BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- One row per advisory: the working copy of its content (JSON of the domain's
-- AdvisoryContent) and where it stands. What the public sees is in advisory_revisions.
CREATE TABLE advisories (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix              TEXT        NOT NULL,
    year                BIGINT      NOT NULL,
    sequence            BIGINT      NOT NULL,
    state               TEXT        NOT NULL CHECK (state IN ('draft', 'scheduled', 'published', 'revised', 'withdrawn')),
    content             TEXT        NOT NULL,
    -- The working copy's title, for the staff list.
    title               TEXT        NOT NULL,
    created_by          TEXT        NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    -- Set while scheduled: the instant, and the time zone it was typed in.
    scheduled_at        TIMESTAMPTZ,
    schedule_zone       TEXT,
    -- 0 until published, then the number of the revision the public sees.
    latest_revision     BIGINT      NOT NULL DEFAULT 0,
    first_published_at  TIMESTAMPTZ,
    latest_published_at TIMESTAMPTZ,
    withdrawn_at        TIMESTAMPTZ,
    withdrawal_reason   TEXT,
    UNIQUE (prefix, year, sequence)
);
CREATE INDEX advisories_updated ON advisories (updated_at, id);
CREATE INDEX advisories_published ON advisories (first_published_at, id) WHERE latest_revision > 0;

-- The inventory products an advisory names (which teams' members may read it) and the
-- reports it answers; both follow the working copy.
CREATE TABLE advisory_products (
    advisory_id BIGINT NOT NULL REFERENCES advisories (id),
    product_id  BIGINT NOT NULL,
    PRIMARY KEY (advisory_id, product_id)
);
CREATE INDEX advisory_products_product ON advisory_products (product_id);
CREATE TABLE advisory_reports (
    advisory_id BIGINT NOT NULL REFERENCES advisories (id),
    report_id   BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    PRIMARY KEY (advisory_id, report_id)
);
CREATE INDEX advisory_reports_report ON advisory_reports (report_id);

-- Each publication, as it was: never changed, never removed.
CREATE TABLE advisory_revisions (
    advisory_id    BIGINT      NOT NULL REFERENCES advisories (id),
    number         BIGINT      NOT NULL,
    published_at   TIMESTAMPTZ NOT NULL,
    -- What changed in this revision, in the publisher's words.
    change_summary TEXT        NOT NULL,
    title          TEXT        NOT NULL,
    summary        TEXT        NOT NULL,
    tlp            TEXT        NOT NULL,
    content        TEXT        NOT NULL,
    -- The credits the finders had agreed to when it was published (JSON).
    credits        TEXT        NOT NULL,
    PRIMARY KEY (advisory_id, number)
);
CREATE FUNCTION advisory_revisions_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published revisions are never changed or removed';
END
$$;
CREATE TRIGGER advisory_revisions_unchanged BEFORE UPDATE OR DELETE ON advisory_revisions
    FOR EACH ROW EXECUTE FUNCTION advisory_revisions_unchanged();

-- Credits proposed to the finder of a report, and the finder's answer.
CREATE TABLE advisory_credits (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    advisory_id  BIGINT      NOT NULL REFERENCES advisories (id),
    report_id    BIGINT      NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    role         TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    organization TEXT,
    url          TEXT,
    consent      TEXT        NOT NULL CHECK (consent IN ('proposed', 'accepted', 'changed', 'declined', 'withdrawn')),
    proposed_by  TEXT        NOT NULL,
    proposed_at  TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ
);
CREATE INDEX advisory_credits_advisory ON advisory_credits (advisory_id, id);
CREATE INDEX advisory_credits_report ON advisory_credits (report_id, id);
