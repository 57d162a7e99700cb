-- Keeping links alive: who may refresh a link's tokens now (a lease with a generation number, so
-- a stale worker can never store over newer tokens), when a failed refresh may be tried again,
-- how long refreshes have been failing, and whether the answer to the last one was lost.
ALTER TABLE links ADD COLUMN refresh_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN refresh_leased_until TEXT;
ALTER TABLE links ADD COLUMN refresh_due_at TEXT;
ALTER TABLE links ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN refresh_failing_since TEXT;
-- Set once refreshes have failed for tokens.failing_after_secs: the link is `refresh_failing`.
ALTER TABLE links ADD COLUMN refresh_flagged_at TEXT;
-- A refresh whose answer never arrived: Wise may or may not have replaced the tokens.
ALTER TABLE links ADD COLUMN refresh_in_doubt_at TEXT;
ALTER TABLE links ADD COLUMN refreshed_at TEXT;

-- When the refresher next takes the link: some time before the access token expires (spread so
-- refreshes do not bunch), or when a failed refresh may be tried again. Existing links start from
-- the default margin, six hours before expiry.
UPDATE links SET refresh_due_at = strftime('%Y-%m-%d %H:%M:%f', access_expires_at, '-21600 seconds') WHERE access_expires_at IS NOT NULL;
CREATE INDEX links_refresh_due ON links (refresh_due_at) WHERE state = 'active';
-- links_queue (state, updated_at, id) already serves every look-up links_state served.
DROP INDEX links_state;

-- SQLite cannot change a CHECK in place: the outbox is rebuilt with the re-link email's kind.
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_before_relink;
CREATE TABLE outbox (
    id              INTEGER   PRIMARY KEY NOT NULL,
    message_id      TEXT      NOT NULL UNIQUE,
    link_id         TEXT      REFERENCES links (id),
    kind            TEXT      NOT NULL CHECK (kind IN ('finish_linking', 'linked', 'not_linked', 'reconnect')),
    recipient       TEXT      NOT NULL,
    payload         BLOB,
    status          TEXT      NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TEXT      NOT NULL,
    leased_until    TEXT,
    last_error      TEXT,
    transport       TEXT      CHECK (transport IN ('smtp', 'file', 'dev')),
    created_at      TEXT      NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox SELECT * FROM outbox_before_relink;
DROP TABLE outbox_before_relink;
CREATE INDEX outbox_status ON outbox (status, id);
