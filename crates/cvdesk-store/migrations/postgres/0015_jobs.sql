-- Background work as rows: each job is claimed with a lease by one instance at a time, so
-- reminders, scheduled publication, retention and deadlines run once however many
-- instances share the store, and a job whose instance died is due again when its lease
-- ends.
--
-- state: 'queued' (due at run_at), 'running' (claimed until lease_until), 'done' (a
-- one-off job that finished) or 'failed' (given up; last_error says why, and an admin can
-- queue it again). A periodic job goes back to 'queued' with its next run_at.
-- attempts counts claims; a finishing instance names the claim it holds, so one whose
-- lease was taken over cannot overwrite the newer claim's outcome.
CREATE TABLE jobs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT        NOT NULL,
    -- What the job is about within its kind (an advisory id, a case id); '' for a
    -- periodic job, of which there is one per kind.
    subject     TEXT        NOT NULL,
    payload     TEXT        NOT NULL DEFAULT '',
    state       TEXT        NOT NULL,
    run_at      TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    claimed_by  TEXT,
    attempts    BIGINT      NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (kind, subject)
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_until, id) WHERE state = 'running';
