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
-- SQLite walks this one once per state of an IN list and merges the walks in order, which
-- beats checking the state of every row in severity order when few reports are open.
CREATE INDEX reports_state_severity ON reports (state, COALESCE(cvss_score, -1) DESC, id DESC);
