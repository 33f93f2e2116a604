-- Staff accounts and what they need to sign in, the product inventory with the teams that
-- own it, triage data on reports, and the hash-chained audit log.

CREATE TABLE teams (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email            TEXT        NOT NULL UNIQUE,
    role             TEXT        NOT NULL CHECK (role IN ('admin', 'triager', 'member', 'viewer')),
    password_hash    TEXT,
    totp_secret      BYTEA,
    totp_last_step   BIGINT,
    failed_logins    BIGINT      NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    disabled         BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE products (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             TEXT        NOT NULL UNIQUE,
    team_id          BIGINT REFERENCES teams (id),
    business_context TEXT        NOT NULL DEFAULT '',
    criticality      TEXT        NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    hostnames        TEXT        NOT NULL DEFAULT '',
    url_prefixes     TEXT        NOT NULL DEFAULT '',
    aliases          TEXT        NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);

-- One-time links that let a new account choose its password.
CREATE TABLE password_links (
    token_hash TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- One-time links, printed at start while no account exists, that create the first admin.
CREATE TABLE setup_links (
    token_hash TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT   NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    token_hash     TEXT        PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token     TEXT        NOT NULL,
    pending_totp   BYTEA,
    second_factor  BOOLEAN     NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   TEXT        NOT NULL UNIQUE,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);

ALTER TABLE reports ADD COLUMN product_id BIGINT REFERENCES products (id);
ALTER TABLE reports ADD COLUMN duplicate_of TEXT;
ALTER TABLE reports ADD COLUMN exploitability TEXT;
ALTER TABLE reports ADD COLUMN priority_override TEXT;
ALTER TABLE reports ADD COLUMN priority_override_reason TEXT;
ALTER TABLE reports ADD COLUMN updated_at TIMESTAMPTZ;

CREATE INDEX reports_state_created ON reports (state, created_at);
CREATE INDEX reports_product_created ON reports (product_id, created_at);

-- Who moved a report, when and why.
CREATE TABLE report_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id    BIGINT      NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     BIGINT REFERENCES users (id),
    actor_label  TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    from_state   TEXT,
    to_state     TEXT,
    detail       TEXT        NOT NULL DEFAULT ''
);

CREATE INDEX report_events_report ON report_events (report_id, id);

-- Staff notes are never shown to the finder.
CREATE TABLE notes (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id    BIGINT      NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    author_id    BIGINT REFERENCES users (id),
    author_label TEXT        NOT NULL,
    body         TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX notes_report ON notes (report_id, id);

-- Organisation-wide settings an admin changes in the staff workspace, by key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Append-only and hash-chained; `audit_head` keeps the count and the last hash so that a
-- deleted tail is detected too.
CREATE TABLE audit_log (
    sequence      BIGINT      PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      BIGINT,
    actor_label   TEXT        NOT NULL,
    action        TEXT        NOT NULL,
    subject       TEXT,
    detail        TEXT        NOT NULL,
    previous_hash TEXT        NOT NULL,
    hash          TEXT        NOT NULL
);

CREATE TABLE audit_head (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    sequence BIGINT NOT NULL,
    hash     TEXT   NOT NULL
);

-- Full-text search over what the finder wrote.
ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') ||
    setweight(to_tsvector('simple', summary), 'B') ||
    to_tsvector('simple', steps_to_reproduce) ||
    to_tsvector('simple', impact)
) STORED;

CREATE INDEX reports_search ON reports USING GIN (search_vector);

INSERT INTO audit_head (id, sequence, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
