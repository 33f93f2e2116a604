-- Where a team wants staff notices about its products' reports: addresses one a line;
-- empty sends them to the desk's global staff recipients.
ALTER TABLE teams ADD COLUMN recipients TEXT NOT NULL DEFAULT '';

-- Each deadline and update reminder queued, once per report, reminder and due instant,
-- whichever instance queued it and however often it restarted. Times are whole seconds in
-- UTC, so the same instant is always the same text.
CREATE TABLE reminders_sent (
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    -- What the reminder is about, e.g. 'first_response' or 'finder_update'.
    reminder  TEXT    NOT NULL,
    due_at    TEXT    NOT NULL,
    queued_at TEXT    NOT NULL,
    PRIMARY KEY (report_id, reminder, due_at)
);
