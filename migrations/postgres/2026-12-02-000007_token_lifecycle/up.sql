-- Keeping links alive: who may refresh a link's tokens now (a lease with a generation number, so
-- a stale worker can never store over newer tokens), when a failed refresh may be tried again,
-- how long refreshes have been failing, and whether the answer to the last one was lost.
ALTER TABLE links
    ADD COLUMN refresh_generation    BIGINT    NOT NULL DEFAULT 0,
    ADD COLUMN refresh_leased_until  TIMESTAMP,
    ADD COLUMN refresh_due_at      TIMESTAMP,
    ADD COLUMN refresh_failures      INTEGER   NOT NULL DEFAULT 0,
    -- Set once refreshes have failed for tokens.failing_after_secs: the link is `refresh_failing`.
    ADD COLUMN refresh_failing_since TIMESTAMP,
    ADD COLUMN refresh_flagged_at    TIMESTAMP,
    -- A refresh whose answer never arrived: Wise may or may not have replaced the tokens.
    ADD COLUMN refresh_in_doubt_at   TIMESTAMP,
    ADD COLUMN refreshed_at          TIMESTAMP;

-- When the refresher next takes the link: some time before the access token expires (spread so
-- refreshes do not bunch), or when a failed refresh may be tried again. Existing links start from
-- the default margin, six hours before expiry.
UPDATE links SET refresh_due_at = access_expires_at - INTERVAL '6 hours' WHERE access_expires_at IS NOT NULL;
CREATE INDEX links_refresh_due ON links (refresh_due_at) WHERE state = 'active';

-- Every refresh updates a link twice (claim, then settle). Room on each page lets the claim,
-- which changes no indexed column, be a heap-only update (no index entries written), and
-- links_queue (state, updated_at, id) already serves every look-up links_state served.
ALTER TABLE links SET (fillfactor = 80);
DROP INDEX links_state;

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('finish_linking', 'linked', 'not_linked', 'reconnect'));
