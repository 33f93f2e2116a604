-- Mail the desk has decided to send, kept until an SMTP server accepts it, so a report is
-- accepted while mail is down and nothing is lost across restarts.
--
-- A row is due while it is neither sent nor given up and next_attempt_at has passed.
-- Claiming a row moves next_attempt_at one lease ahead: the instance that claimed it sends
-- it meanwhile, and if that instance dies the row becomes due again when the lease ends.
-- Times are whole seconds in UTC, as on SQLite.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL,
    -- What the mail is for, e.g. 'finder_acknowledgement'.
    kind            TEXT        NOT NULL,
    report_id       BIGINT      REFERENCES reports (id) ON DELETE CASCADE,
    recipient       TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    -- 'plain': body is the text; 'pgp_mime': body is an armored OpenPGP message sent as
    -- RFC 3156 multipart/encrypted. Sender, date and message id are added when it is sent.
    format          TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    attempts        BIGINT      NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    given_up_at     TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND given_up_at IS NULL;
CREATE INDEX outbox_report ON outbox (report_id);
