-- The dashboards' reports, kept per fortnight of receipt (a part: `created_us` divided by
-- fourteen days of microseconds) and per product (0 for none) in a compact form the desk
-- writes, so a long period reads a few rows instead of every report. A part's rows hold
-- while `built` equals `version`; any change to a report that the dashboards count
-- raises its part's version, and a background job builds them again. Derived data:
-- never copied or backed up as the desk's own.
CREATE TABLE dashboard_parts (
    part    INTEGER PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0,
    built   INTEGER
);
CREATE TABLE dashboard_part_reports (
    part    INTEGER NOT NULL REFERENCES dashboard_parts (part) ON DELETE CASCADE,
    product INTEGER NOT NULL,
    reports BLOB    NOT NULL,
    PRIMARY KEY (part, product)
);
CREATE TRIGGER reports_dashboard_insert AFTER INSERT ON reports BEGIN
    UPDATE dashboard_parts SET version = version + 1
        WHERE part = NEW.created_us / 1209600000000;
END;
CREATE TRIGGER reports_dashboard_update AFTER UPDATE ON reports
    WHEN OLD.created_at IS NOT NEW.created_at OR OLD.product_id IS NOT NEW.product_id
      OR OLD.cvss_rating IS NOT NEW.cvss_rating OR OLD.source IS NOT NEW.source
      OR OLD.state IS NOT NEW.state OR OLD.closed_as_spam IS NOT NEW.closed_as_spam
      OR OLD.weakness IS NOT NEW.weakness OR OLD.root_cause IS NOT NEW.root_cause
      OR OLD.first_response_at IS NOT NEW.first_response_at
      OR OLD.triaged_at IS NOT NEW.triaged_at OR OLD.assigned_at IS NOT NEW.assigned_at
      OR OLD.remediated_at IS NOT NEW.remediated_at OR OLD.closed_at IS NOT NEW.closed_at
BEGIN
    UPDATE dashboard_parts SET version = version + 1
        WHERE part IN (OLD.created_us / 1209600000000, NEW.created_us / 1209600000000);
END;
CREATE TRIGGER reports_dashboard_delete AFTER DELETE ON reports BEGIN
    UPDATE dashboard_parts SET version = version + 1
        WHERE part = OLD.created_us / 1209600000000;
END;
