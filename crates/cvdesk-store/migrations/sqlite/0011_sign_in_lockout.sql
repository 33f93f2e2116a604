-- Sign-in lockout as cvdesk-domain's sign_in module counts it: wrong passwords per account
-- and client address (so nobody can lock an account for everyone), wrong one-time codes
-- per account (kept apart, so a correct password does not reset them). API tokens gain an
-- expiry and a revocation time; tokens made before have no expiry.
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users ADD COLUMN second_factor_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN second_factor_locked_until TEXT;
ALTER TABLE users ADD COLUMN second_factor_last_failure_at TEXT;

CREATE TABLE password_failures (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client          TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    locked_until    TEXT,
    last_failure_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, client)
);

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
