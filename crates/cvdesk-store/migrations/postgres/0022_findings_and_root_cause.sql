-- Findings (reports without a finder: internal, penetration tests, scanners, suppliers,
-- bug bounty platforms) and what was learned from each report.
--
-- finding_fingerprint: SHA-256, in hex, of an imported finding's identity (a SARIF
-- result's scanner, rule and place; a CSV row's source and external id). Unique, so a
-- file imported twice, even by two people at once, stores each finding once.
ALTER TABLE reports ADD COLUMN finding_fingerprint TEXT;
CREATE UNIQUE INDEX reports_finding_fingerprint ON reports (finding_fingerprint);

-- The root cause's category is reports.root_cause (0020); these are its analysis in
-- words and the lessons the organization draws from it.
ALTER TABLE reports ADD COLUMN root_cause_detail TEXT;
ALTER TABLE reports ADD COLUMN lessons_learned TEXT;
