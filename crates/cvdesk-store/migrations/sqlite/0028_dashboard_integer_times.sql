-- The dashboards count durations, deadlines and weeks in integer microseconds. Working
-- them out from the stored text for every report of a period cost more than reading the
-- rows, so each milestone's microseconds are a virtual column, computed once when a row
-- is written and kept in the dashboards' covering indexes, which now hold integers where
-- they held the times' text (the period's bound and the close still lead, as text, so a
-- period is one range of each index).
ALTER TABLE reports ADD COLUMN created_us INTEGER GENERATED ALWAYS AS
    (unixepoch(created_at) * 1000000 + CAST(substr(created_at, 21, 6) AS INTEGER)) VIRTUAL;
ALTER TABLE reports ADD COLUMN first_response_us INTEGER GENERATED ALWAYS AS
    (unixepoch(first_response_at) * 1000000 + CAST(substr(first_response_at, 21, 6) AS INTEGER)) VIRTUAL;
ALTER TABLE reports ADD COLUMN triaged_us INTEGER GENERATED ALWAYS AS
    (unixepoch(triaged_at) * 1000000 + CAST(substr(triaged_at, 21, 6) AS INTEGER)) VIRTUAL;
ALTER TABLE reports ADD COLUMN assigned_us INTEGER GENERATED ALWAYS AS
    (unixepoch(assigned_at) * 1000000 + CAST(substr(assigned_at, 21, 6) AS INTEGER)) VIRTUAL;
ALTER TABLE reports ADD COLUMN remediated_us INTEGER GENERATED ALWAYS AS
    (unixepoch(remediated_at) * 1000000 + CAST(substr(remediated_at, 21, 6) AS INTEGER)) VIRTUAL;
ALTER TABLE reports ADD COLUMN closed_us INTEGER GENERATED ALWAYS AS
    (unixepoch(closed_at) * 1000000 + CAST(substr(closed_at, 21, 6) AS INTEGER)) VIRTUAL;
DROP INDEX reports_received_milestones;
DROP INDEX reports_closed_milestones;
CREATE INDEX reports_received_milestones ON reports (created_at, product_id, cvss_rating,
    source, state, closed_as_spam, weakness, root_cause, created_us, first_response_us,
    triaged_us, assigned_us, remediated_us, closed_us);
CREATE INDEX reports_closed_milestones ON reports (closed_at, created_at, product_id,
    cvss_rating, created_us, triaged_us, assigned_us, closed_us);
