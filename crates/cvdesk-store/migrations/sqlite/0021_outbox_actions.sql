-- Admins see the mail the desk gave up on, and queue it again or discard it.
--
-- requeued_at: when an admin last queued the mail again; the three days after which the
-- desk gives up on a mail count from here instead of from created_at (which also names
-- the mail's Message-ID, so it stays). discarded_at: when an admin decided the mail is not
-- to be sent; a discarded mail is also given up (given_up_at), so nothing claims it.
ALTER TABLE outbox ADD COLUMN requeued_at TEXT;
ALTER TABLE outbox ADD COLUMN discarded_at TEXT;
-- The outbox page and the report page look for mail that was given up.
CREATE INDEX outbox_given_up ON outbox (given_up_at, id) WHERE given_up_at IS NOT NULL;
