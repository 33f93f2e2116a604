-- The dashboards' reports, kept per fortnight of receipt (a part: `created_us` divided by
-- fourteen days of microseconds) and per product (0 for none) in a compact form the desk
-- writes, so a long period reads a few rows instead of every report. A part's rows hold
-- while `built` equals `version`; any change to a report that the dashboards count
-- raises its part's version (the row lock orders it against a build that checks the
-- version), and a background job builds them again. Derived data: never copied or
-- backed up as the desk's own.
CREATE TABLE dashboard_parts (
    part    BIGINT PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0,
    built   BIGINT
);
CREATE TABLE dashboard_part_reports (
    part    BIGINT NOT NULL REFERENCES dashboard_parts (part) ON DELETE CASCADE,
    product BIGINT NOT NULL,
    reports BYTEA  NOT NULL,
    PRIMARY KEY (part, product)
);
-- Kept out of line but not compressed: a dashboard reads them all, and decompressing
-- costs more than the bytes saved.
ALTER TABLE dashboard_part_reports ALTER COLUMN reports SET STORAGE EXTERNAL;
CREATE FUNCTION reports_dashboard_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE dashboard_parts SET version = version + 1
            WHERE part = NEW.created_us / 1209600000000;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE dashboard_parts SET version = version + 1
            WHERE part = OLD.created_us / 1209600000000;
    ELSE
        UPDATE dashboard_parts SET version = version + 1
            WHERE part IN (OLD.created_us / 1209600000000, NEW.created_us / 1209600000000);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_dashboard_insert AFTER INSERT ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_dashboard_changed();
CREATE TRIGGER reports_dashboard_update AFTER UPDATE ON reports
    FOR EACH ROW WHEN (
        (OLD.created_at, OLD.product_id, OLD.cvss_rating, OLD.source, OLD.state,
         OLD.closed_as_spam, OLD.weakness, OLD.root_cause, OLD.first_response_at,
         OLD.triaged_at, OLD.assigned_at, OLD.remediated_at, OLD.closed_at)
        IS DISTINCT FROM
        (NEW.created_at, NEW.product_id, NEW.cvss_rating, NEW.source, NEW.state,
         NEW.closed_as_spam, NEW.weakness, NEW.root_cause, NEW.first_response_at,
         NEW.triaged_at, NEW.assigned_at, NEW.remediated_at, NEW.closed_at))
    EXECUTE FUNCTION reports_dashboard_changed();
CREATE TRIGGER reports_dashboard_delete AFTER DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_dashboard_changed();
