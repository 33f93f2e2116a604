-- Search ignores accents on both backends, as SQLite's FTS5 index does with
-- remove_diacritics 2: "cafe" finds "Café" and "RÉSUMÉ" finds "resume". PostgreSQL folds
-- them with the unaccent extension from its contrib modules. unaccent is a trusted
-- extension: the database's owner (or anyone with CREATE on the database) may create it;
-- otherwise an administrator runs CREATE EXTENSION unaccent in the database once before.
-- (SQLite's 0014 rewrites stored times into a fixed width, which PostgreSQL does not need.)
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE, as it finds its dictionary through search_path, and a
-- generated column may only call IMMUTABLE functions. This one names the function and
-- the dictionary with the schema the extension lives in, so its answer cannot change.
DO $migration$
DECLARE
    extension_schema TEXT;
BEGIN
    SELECT n.nspname INTO extension_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'unaccent';
    EXECUTE format(
        'CREATE FUNCTION unaccented(TEXT) RETURNS TEXT '
        'LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS %L',
        format('SELECT %I.unaccent(%L::regdictionary, $1)',
               extension_schema, quote_ident(extension_schema) || '.unaccent'));
END
$migration$;

DROP INDEX reports_search;
ALTER TABLE reports DROP COLUMN search_vector;
ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', unaccented(title)), 'A') ||
    setweight(to_tsvector('simple', unaccented(summary)), 'B') ||
    to_tsvector('simple', unaccented(steps_to_reproduce)) ||
    to_tsvector('simple', unaccented(impact))
) STORED;
CREATE INDEX reports_search ON reports USING GIN (search_vector);
