-- Sign-in lockout as cvdesk-domain's sign_in module counts it: wrong passwords per account
-- and client address (so nobody can lock an account for everyone), wrong one-time codes
-- per account (kept apart, so a correct password does not reset them). API tokens gain an
-- expiry and a revocation time; tokens made before have no expiry.
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users ADD COLUMN second_factor_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN second_factor_locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN second_factor_last_failure_at TIMESTAMPTZ;

CREATE TABLE password_failures (
    user_id         BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client          TEXT        NOT NULL,
    failures        BIGINT      NOT NULL,
    locked_until    TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, client)
);

ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
