-- Coordination with other vendors about a report: participants, each reached through a
-- secret link kept only as its SHA-256 hash, with what it sees (a line of shared item
-- names) under which TLP 2.0 label; its two axes kept apart: contact here, and per
-- vulnerability and product its statuses; the embargo, proposals to move it and
-- nominations; the message threads; the log; and the deadline reminders sent.
CREATE TABLE coordination_embargoes (
    report_id  BIGINT  PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    ends_at    TIMESTAMPTZ    NOT NULL,
    -- The zone it was set in: an IANA name, UTC or an offset.
    time_zone  TEXT    NOT NULL,
    set_at     TIMESTAMPTZ    NOT NULL
);

CREATE TABLE participants (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id         BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    vendor_id         BIGINT NOT NULL REFERENCES vendors (id),
    token_hash        TEXT    NOT NULL UNIQUE,
    shared            TEXT    NOT NULL,
    tlp               TEXT    NOT NULL CHECK (tlp IN
                          ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED')),
    contact           TEXT    NOT NULL CHECK (contact IN
                          ('not_contacted', 'contacted', 'acknowledged', 'unresponsive', 'declined')),
    sees_participants BOOLEAN NOT NULL,
    talks_to_all      BOOLEAN NOT NULL,
    time_zone         TEXT,
    acknowledge_by    TIMESTAMPTZ    NOT NULL,
    status_by         TIMESTAMPTZ    NOT NULL,
    fix_by            TIMESTAMPTZ    NOT NULL,
    answered_at       TIMESTAMPTZ,
    first_status_at   TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    nominated_by      BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ    NOT NULL,
    created_by        TEXT    NOT NULL,
    UNIQUE (report_id, vendor_id)
);
CREATE INDEX participants_report ON participants (report_id, id);
CREATE INDEX participants_contact ON participants (contact);

CREATE TABLE participant_statuses (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- A CVE ID, or '' for the report's vulnerability as a whole.
    vulnerability  TEXT    NOT NULL,
    product        TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN
                       ('not_checked', 'under_investigation', 'affected', 'not_affected', 'fixed')),
    fixed_version  TEXT,
    statement      TEXT,
    -- A JSON array of https references.
    refs           TEXT    NOT NULL,
    stated_at      TIMESTAMPTZ    NOT NULL,
    approved_by    TEXT,
    approved_at    TIMESTAMPTZ,
    UNIQUE (participant_id, vulnerability, product)
);

CREATE TABLE embargo_proposals (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id      BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    ends_at        TIMESTAMPTZ    NOT NULL,
    time_zone      TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    decision       TEXT    NOT NULL CHECK (decision IN ('open', 'accepted', 'declined')),
    proposed_at    TIMESTAMPTZ    NOT NULL
);
CREATE INDEX embargo_proposals_report ON embargo_proposals (report_id, id);

CREATE TABLE nominations (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id      BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    vendor_name    TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    decision       TEXT    NOT NULL CHECK (decision IN ('open', 'accepted', 'declined')),
    proposed_at    TIMESTAMPTZ    NOT NULL
);
CREATE INDEX nominations_report ON nominations (report_id, id);

CREATE TABLE coordination_messages (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id      BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    -- The participant whose thread with the coordinator it is in; NULL: all participants.
    thread         BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    -- The participant who wrote it; NULL: the coordinator.
    author         BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    author_label   TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    tlp            TEXT    NOT NULL,
    created_at     TIMESTAMPTZ    NOT NULL
);
CREATE INDEX coordination_messages_report ON coordination_messages (report_id, id);

CREATE TABLE coordination_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id      BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    at             TIMESTAMPTZ    NOT NULL,
    actor          TEXT    NOT NULL,
    text           TEXT    NOT NULL
);
CREATE INDEX coordination_log_report ON coordination_log (report_id, id);

-- Each deadline reminder of a participant, recorded once.
CREATE TABLE participant_reminders (
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    key            TEXT    NOT NULL,
    sent_at        TIMESTAMPTZ    NOT NULL,
    PRIMARY KEY (participant_id, key)
);
