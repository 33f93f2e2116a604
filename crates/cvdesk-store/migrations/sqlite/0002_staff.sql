-- Staff accounts and what they need to sign in, the product inventory with the teams that
-- own it, triage data on reports, and the hash-chained audit log.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    email            TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('admin', 'triager', 'member', 'viewer')),
    password_hash    TEXT,
    totp_secret      BLOB,
    totp_last_step   INTEGER,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TEXT    NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE products (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    team_id          INTEGER REFERENCES teams (id),
    business_context TEXT    NOT NULL DEFAULT '',
    criticality      TEXT    NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    hostnames        TEXT    NOT NULL DEFAULT '',
    url_prefixes     TEXT    NOT NULL DEFAULT '',
    aliases          TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL
);

-- One-time links that let a new account choose its password.
CREATE TABLE password_links (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
);

-- One-time links, printed at start while no account exists, that create the first admin.
CREATE TABLE setup_links (
    token_hash TEXT PRIMARY KEY,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
);

CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    token_hash     TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token     TEXT    NOT NULL,
    pending_totp   BLOB,
    second_factor  BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL,
    last_seen_at   TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT
);

ALTER TABLE reports ADD COLUMN product_id INTEGER REFERENCES products (id);
ALTER TABLE reports ADD COLUMN duplicate_of TEXT;
ALTER TABLE reports ADD COLUMN exploitability TEXT;
ALTER TABLE reports ADD COLUMN priority_override TEXT;
ALTER TABLE reports ADD COLUMN priority_override_reason TEXT;
ALTER TABLE reports ADD COLUMN updated_at TEXT;

CREATE INDEX reports_state_created ON reports (state, created_at);
CREATE INDEX reports_product_created ON reports (product_id, created_at);

-- Who moved a report, when and why.
CREATE TABLE report_events (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at           TEXT    NOT NULL,
    actor_id     INTEGER REFERENCES users (id),
    actor_label  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    from_state   TEXT,
    to_state     TEXT,
    detail       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX report_events_report ON report_events (report_id, id);

-- Staff notes are never shown to the finder.
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    author_id   INTEGER REFERENCES users (id),
    author_label TEXT   NOT NULL,
    body        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);

CREATE INDEX notes_report ON notes (report_id, id);

-- Organisation-wide settings an admin changes in the staff workspace, by key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Append-only and hash-chained; `audit_head` keeps the count and the last hash so that a
-- deleted tail is detected too.
CREATE TABLE audit_log (
    sequence      INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    actor_id      INTEGER,
    actor_label   TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    subject       TEXT,
    detail        TEXT    NOT NULL,
    previous_hash TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);

CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);

-- Full-text search over what the finder wrote.
CREATE VIRTUAL TABLE reports_fts USING fts5 (
    title, summary, steps_to_reproduce, impact,
    content = 'reports', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO reports_fts (rowid, title, summary, steps_to_reproduce, impact)
    SELECT id, title, summary, steps_to_reproduce, impact FROM reports;

CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts (rowid, title, summary, steps_to_reproduce, impact)
        VALUES (new.id, new.title, new.summary, new.steps_to_reproduce, new.impact);
END;

CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, summary, steps_to_reproduce, impact)
        VALUES ('delete', old.id, old.title, old.summary, old.steps_to_reproduce, old.impact);
END;

INSERT INTO audit_head (id, sequence, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
