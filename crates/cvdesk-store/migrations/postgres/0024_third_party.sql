-- What a finder knows about a third party (ETSI clause 5.6.2), and the service agreements
-- of the suppliers in the vendor directory.
--
-- A report may name the third-party component it is about (name, version, supplier) and
-- the CVE IDs already assigned, kept as one line of IDs separated by spaces ('' for none).
ALTER TABLE reports ADD COLUMN third_party_component TEXT;
ALTER TABLE reports ADD COLUMN third_party_version TEXT;
ALTER TABLE reports ADD COLUMN third_party_supplier TEXT;
ALTER TABLE reports ADD COLUMN known_cves TEXT NOT NULL DEFAULT '';

-- For a system a supplier manages: who covers the cost of mitigation and within how many
-- calendar days it is applied; the supplier's deadlines in a coordination default from it.
CREATE TABLE supplier_agreements (
    vendor_id                 BIGINT PRIMARY KEY REFERENCES vendors (id),
    cost_bearer               TEXT    NOT NULL CHECK (cost_bearer IN ('supplier', 'organization', 'shared')),
    mitigation_days           BIGINT  NOT NULL CHECK (mitigation_days > 0),
    acknowledge_business_days BIGINT  CHECK (acknowledge_business_days >= 0),
    reference                 TEXT,
    updated_at                TIMESTAMPTZ NOT NULL
);
