-- Inbound mail: every message `cvdesk mail receive` or `cvdesk mail import` is given is kept
-- as it arrived, with where it went: a case's log, a report's conversation, or the
-- quarantine (unmatched or unreadable, with the reason) that staff read. Nothing is
-- dropped and nothing is attached to a guess.
--
-- Mail the desk sends about a case names the case in the outbox, so a reply that quotes
-- its Message-ID finds the case.
CREATE TABLE inbound_mail (
    id          INTEGER PRIMARY KEY,
    received_at TEXT    NOT NULL,
    -- 'case', 'report' or 'quarantined'.
    status      TEXT    NOT NULL,
    case_id     INTEGER REFERENCES outbound_cases (id),
    report_id   INTEGER REFERENCES reports (id),
    -- Why it is quarantined.
    reason      TEXT,
    sender      TEXT,
    subject     TEXT    NOT NULL,
    message_id  TEXT,
    size_bytes  INTEGER NOT NULL,
    -- The message as received (the first bytes only, when it was over the size limit).
    raw         BLOB    NOT NULL
);
CREATE INDEX inbound_mail_status ON inbound_mail (status, id);

ALTER TABLE outbox ADD COLUMN case_id INTEGER REFERENCES outbound_cases (id);
CREATE INDEX outbox_case ON outbox (case_id);
