-- Each report's counted words for duplicate suggestions, written with the report, so the
-- staff report page compares counts instead of splitting the full text of every earlier
-- report. A report without a row here (stored before this table) or with an older
-- version is counted from its text the first time it is compared.
CREATE TABLE report_terms (
    report_id BIGINT  PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    terms     TEXT    NOT NULL
);

-- Every earlier report on the same asset is compared too.
CREATE INDEX reports_asset_id ON reports (asset, id);
