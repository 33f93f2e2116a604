-- Personal data kept no longer than needed, and appeals of closing decisions.
--
-- contact_removal_requested_at: when the finder asked, from the tracking page of the
-- closed report, to have their contact details removed; staff confirm, which clears the
-- contact, the client address and this request.
ALTER TABLE reports ADD COLUMN contact_removal_requested_at TEXT;

-- A finder contests a report closed as informative, duplicate or not applicable, once.
-- closed_by: the staff member whose move closed it (NULL when no one's), who may not
-- decide the appeal. outcome: NULL while open; 'reopened' (back to triaged) or
-- 'confirmed' with a reason the finder sees.
CREATE TABLE appeals (
    report_id       INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    filed_at        TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    contested_state TEXT    NOT NULL CHECK (contested_state IN
                        ('informative', 'duplicate', 'not_applicable')),
    closed_by       INTEGER REFERENCES users (id),
    decided_at      TEXT,
    decided_by      INTEGER REFERENCES users (id),
    outcome         TEXT CHECK (outcome IN ('reopened', 'confirmed')),
    decision_reason TEXT
);
-- The staff's list of appeals waiting for a decision.
CREATE INDEX appeals_open ON appeals (filed_at) WHERE outcome IS NULL;
