-- What the dashboards count, kept on the report row so that they read one row per report
-- instead of its history: where the report came from, its root cause, and when each
-- milestone of its life was reached. A trigger on report_events keeps the milestones, so
-- every way a report moves (the pages, the API, bulk close, imports) records them in the
-- move's own transaction.
--
-- source: 'form', 'api' or 'staff' (filed with a staff API token) for reports received
-- by the desk; the rest for findings from elsewhere. Reports stored before count as 'form'.
ALTER TABLE reports ADD COLUMN source TEXT NOT NULL DEFAULT 'form' CHECK (source IN
    ('form', 'api', 'staff', 'internal', 'pentest', 'scanner', 'supplier', 'bug_bounty', 'other'));
-- Why the vulnerability existed, once known.
ALTER TABLE reports ADD COLUMN root_cause TEXT CHECK (root_cause IN
    ('design', 'implementation', 'configuration', 'dependency', 'process', 'other'));
-- The first message to the finder or change of state (the first-response clock stops).
ALTER TABLE reports ADD COLUMN first_response_at TEXT;
-- When the report first left 'new' (the triage clock stops, the fix clock starts).
ALTER TABLE reports ADD COLUMN triaged_at TEXT;
-- When it last became 'assigned'.
ALTER TABLE reports ADD COLUMN assigned_at TEXT;
-- When it first became 'remediated' (the fix clock stops).
ALTER TABLE reports ADD COLUMN remediated_at TEXT;
-- When it was closed, while it is; reopening clears it.
ALTER TABLE reports ADD COLUMN closed_at TEXT;
-- Closed as not applicable for the reason 'spam' (cvdesk-domain's spam rule).
ALTER TABLE reports ADD COLUMN closed_as_spam BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE reports SET
    first_response_at = (SELECT MIN(e.at) FROM report_events e
        WHERE e.report_id = reports.id AND e.kind IN ('message.sent', 'transition')),
    triaged_at = (SELECT MIN(e.at) FROM report_events e
        WHERE e.report_id = reports.id AND e.kind = 'transition' AND e.from_state = 'new'),
    assigned_at = (SELECT MAX(e.at) FROM report_events e
        WHERE e.report_id = reports.id AND e.kind = 'transition' AND e.to_state = 'assigned'),
    remediated_at = (SELECT MIN(e.at) FROM report_events e
        WHERE e.report_id = reports.id AND e.kind = 'transition' AND e.to_state = 'remediated'),
    closed_at = CASE WHEN state IN ('duplicate', 'remediated', 'informative', 'not_applicable')
        THEN (SELECT MAX(e.at) FROM report_events e
              WHERE e.report_id = reports.id AND e.kind = 'transition' AND e.to_state = reports.state)
        END,
    closed_as_spam = state = 'not_applicable' AND COALESCE((SELECT lower(trim(e.detail)) = 'spam'
        FROM report_events e WHERE e.report_id = reports.id AND e.kind = 'transition'
        ORDER BY e.id DESC LIMIT 1), FALSE);

CREATE TRIGGER report_milestones AFTER INSERT ON report_events
WHEN new.kind IN ('message.sent', 'transition')
BEGIN
    UPDATE reports SET
        first_response_at = COALESCE(first_response_at, new.at),
        triaged_at = CASE WHEN new.kind = 'transition' AND new.from_state = 'new'
            THEN COALESCE(triaged_at, new.at) ELSE triaged_at END,
        assigned_at = CASE WHEN new.kind = 'transition' AND new.to_state = 'assigned'
            THEN new.at ELSE assigned_at END,
        remediated_at = CASE WHEN new.kind = 'transition' AND new.to_state = 'remediated'
            THEN COALESCE(remediated_at, new.at) ELSE remediated_at END,
        closed_at = CASE WHEN new.kind <> 'transition' THEN closed_at
            WHEN new.to_state IN ('duplicate', 'remediated', 'informative', 'not_applicable')
            THEN new.at ELSE NULL END,
        closed_as_spam = CASE WHEN new.kind <> 'transition' THEN closed_as_spam
            ELSE new.to_state = 'not_applicable' AND lower(trim(new.detail)) = 'spam' END
    WHERE id = new.report_id AND (new.kind = 'transition' OR first_response_at IS NULL);
END;

-- The dashboards select the reports received in a period (of one product), and those
-- closed after a period began; statistics of the open reports read the state index.
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_product_created ON reports (product_id, created_at);
CREATE INDEX reports_closed ON reports (closed_at);
