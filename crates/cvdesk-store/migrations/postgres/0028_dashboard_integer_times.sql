-- The dashboards count durations, deadlines and weeks in integer microseconds. Working
-- them out with EXTRACT (numeric arithmetic) for every report of a period cost more than
-- reading the rows, so each milestone's microseconds are a stored generated column, kept
-- in the dashboards' covering indexes in place of the times. (EXTRACT of an interval is
-- immutable where EXTRACT of a timestamptz is not, hence the subtraction.)
ALTER TABLE reports
    ADD COLUMN created_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (created_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED,
    ADD COLUMN first_response_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (first_response_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED,
    ADD COLUMN triaged_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (triaged_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED,
    ADD COLUMN assigned_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (assigned_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED,
    ADD COLUMN remediated_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (remediated_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED,
    ADD COLUMN closed_us BIGINT GENERATED ALWAYS AS
        ((EXTRACT(EPOCH FROM (closed_at - TIMESTAMPTZ '1970-01-01 00:00:00+00')) * 1000000)::BIGINT) STORED;
DROP INDEX reports_received_milestones;
DROP INDEX reports_closed_milestones;
CREATE INDEX reports_received_milestones ON reports (created_at) INCLUDE (product_id,
    cvss_rating, source, state, closed_as_spam, weakness, root_cause, created_us,
    first_response_us, triaged_us, assigned_us, remediated_us, closed_us);
CREATE INDEX reports_closed_milestones ON reports (closed_at, created_at) INCLUDE (product_id,
    cvss_rating, created_us, triaged_us, assigned_us, closed_us);
