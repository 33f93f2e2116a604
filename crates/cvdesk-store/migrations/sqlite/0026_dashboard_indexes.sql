-- The dashboards read every column they count from these two indexes and never the
-- report rows: the milestone columns were added after the report's long texts, so
-- reading them from a row follows its overflow pages. The first serves the reports
-- received in a period, the second those open at some point of it (still open, or
-- closed after it began). They replace the one-column indexes they begin with.
DROP INDEX reports_created;
DROP INDEX reports_closed;
CREATE INDEX reports_received_milestones ON reports (created_at, product_id, cvss_rating,
    source, state, closed_as_spam, weakness, root_cause, first_response_at, triaged_at,
    assigned_at, remediated_at, closed_at);
CREATE INDEX reports_closed_milestones ON reports (closed_at, created_at, product_id,
    cvss_rating, triaged_at, assigned_at);
