-- SQLite keeps times as text and compares and sorts them as text. They used to be written
-- as RFC 3339 with only the fraction digits a time needed ("09:30:00Z", "09:30:00.5Z"),
-- and as text "09:30:00Z" comes after "09:30:00.5Z". The store now writes every time in
-- one fixed-width form, UTC with six fraction digits ("2026-03-01T09:30:00.500000Z");
-- this rewrites the times already stored into that form (a finer fraction is cut to the
-- microsecond, as PostgreSQL keeps it). A value that is no time is left as it was.
-- The jobs table (0015) comes later and is only ever written in the fixed form.
-- PostgreSQL keeps timestamptz and has nothing to rewrite; its 0014 makes search ignore
-- accents, as SQLite's FTS5 index already does.

CREATE TEMP TABLE fixed_width_times (
    stored TEXT PRIMARY KEY,
    fixed  TEXT NOT NULL
);

WITH times (v) AS (
              SELECT created_at FROM reports
    UNION     SELECT updated_at FROM reports
    UNION     SELECT update_requested_at FROM reports
    UNION     SELECT created_at FROM teams
    UNION     SELECT created_at FROM users
    UNION     SELECT second_factor_locked_until FROM users
    UNION     SELECT second_factor_last_failure_at FROM users
    UNION     SELECT locked_until FROM password_failures
    UNION     SELECT last_failure_at FROM password_failures
    UNION     SELECT created_at FROM products
    UNION     SELECT expires_at FROM password_links
    UNION     SELECT used_at FROM password_links
    UNION     SELECT expires_at FROM setup_links
    UNION     SELECT used_at FROM setup_links
    UNION     SELECT used_at FROM recovery_codes
    UNION     SELECT created_at FROM sessions
    UNION     SELECT last_seen_at FROM sessions
    UNION     SELECT expires_at FROM sessions
    UNION     SELECT created_at FROM api_tokens
    UNION     SELECT last_used_at FROM api_tokens
    UNION     SELECT expires_at FROM api_tokens
    UNION     SELECT revoked_at FROM api_tokens
    UNION     SELECT at FROM report_events
    UNION     SELECT created_at FROM notes
    UNION     SELECT updated_at FROM settings
    UNION     SELECT at FROM audit_log
    UNION     SELECT expires_at FROM spent_challenges
    UNION     SELECT published_at FROM policy_versions
    UNION     SELECT created_at FROM outbox
    UNION     SELECT next_attempt_at FROM outbox
    UNION     SELECT sent_at FROM outbox
    UNION     SELECT given_up_at FROM outbox
    UNION     SELECT created_at FROM messages
    UNION     SELECT due_at FROM reminders_sent
    UNION     SELECT queued_at FROM reminders_sent
),
-- "2026-03-01T10:30:00.25+01:00": the seconds end at character 19; a fraction, if any,
-- runs from character 21 up to the offset ("Z" or "+hh:mm" / "-hh:mm").
parts (v, zone, digits) AS (
    SELECT v,
           CASE WHEN substr(v, 20, 1) = '.'
                THEN ltrim(substr(v, 21), '0123456789') ELSE substr(v, 20) END,
           CASE WHEN substr(v, 20, 1) = '.'
                THEN substr(v, 21, length(substr(v, 21)) - length(ltrim(substr(v, 21), '0123456789')))
                ELSE '' END
    FROM times WHERE v IS NOT NULL AND substr(v, 11, 1) = 'T'
),
-- The whole seconds go through strftime, which applies the offset; the fraction is kept
-- apart so that rounding can never carry into the seconds.
utc (v, seconds, digits) AS (
    SELECT v, strftime('%Y-%m-%dT%H:%M:%S', substr(v, 1, 19) || zone), digits FROM parts
)
INSERT INTO fixed_width_times (stored, fixed)
SELECT v, seconds || '.' || substr(digits || '000000', 1, 6) || 'Z'
FROM utc WHERE seconds IS NOT NULL;

UPDATE reports SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at),
    updated_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = updated_at), updated_at),
    update_requested_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = update_requested_at), update_requested_at);
UPDATE teams SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at);
UPDATE users SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at),
    second_factor_locked_until = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = second_factor_locked_until), second_factor_locked_until),
    second_factor_last_failure_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = second_factor_last_failure_at), second_factor_last_failure_at);
UPDATE password_failures SET
    locked_until = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = locked_until), locked_until),
    last_failure_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = last_failure_at), last_failure_at);
UPDATE products SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at);
UPDATE password_links SET
    expires_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = expires_at), expires_at),
    used_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = used_at), used_at);
UPDATE setup_links SET
    expires_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = expires_at), expires_at),
    used_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = used_at), used_at);
UPDATE recovery_codes SET
    used_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = used_at), used_at);
UPDATE sessions SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at),
    last_seen_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = last_seen_at), last_seen_at),
    expires_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = expires_at), expires_at);
UPDATE api_tokens SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at),
    last_used_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = last_used_at), last_used_at),
    expires_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = expires_at), expires_at),
    revoked_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = revoked_at), revoked_at);
UPDATE report_events SET
    at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = at), at);
UPDATE notes SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at);
UPDATE settings SET
    updated_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = updated_at), updated_at);
UPDATE audit_log SET
    at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = at), at);
UPDATE spent_challenges SET
    expires_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = expires_at), expires_at);
UPDATE policy_versions SET
    published_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = published_at), published_at);
UPDATE outbox SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at),
    next_attempt_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = next_attempt_at), next_attempt_at),
    sent_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = sent_at), sent_at),
    given_up_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = given_up_at), given_up_at);
UPDATE messages SET
    created_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = created_at), created_at);
UPDATE reminders_sent SET
    due_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = due_at), due_at),
    queued_at = COALESCE((SELECT fixed FROM fixed_width_times WHERE stored = queued_at), queued_at);

DROP TABLE fixed_width_times;
