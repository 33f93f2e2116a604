-- The queue orders by id (newest or oldest first) or by severity, always under a state
-- filter; each index below lets a page stop after its rows instead of sorting every match.
DROP INDEX reports_state_created;
DROP INDEX reports_product_created;
CREATE INDEX reports_state_id ON reports (state, id);
CREATE INDEX reports_product_state_id ON reports (product_id, state, id);
CREATE INDEX reports_needs_info_state_id ON reports (needs_info, state, id);
CREATE INDEX reports_state_severity ON reports (state, COALESCE(cvss_score, -1) DESC, id DESC);
