-- A link's record split by concern. `links` keeps what the flows change (state, customer, Wise
-- ids, the code's and the session's columns); token upkeep (the sealed tokens, the refresh lease,
-- due time and failures) moves to `link_tokens`, and the last identity check with its approvals to
-- `link_reviews`. Each link has exactly one row in each, written with the link. The refresher's
-- two updates per refresh (claim, settle) then rewrite a 12-column row instead of a 37-column one.
-- Sealed values keep their associated data (table `links`, column, link id): they belong to the
-- link record wherever they are stored, and move without being re-sealed.

CREATE TABLE link_tokens (
    link_id               TEXT      PRIMARY KEY REFERENCES links (id),
    access_token          BYTEA,
    refresh_token         BYTEA,
    access_expires_at     TIMESTAMP,
    -- The refresh lease: its generation (bumped by every claim and every settle), and until when
    -- its holder has it.
    refresh_generation    BIGINT    NOT NULL DEFAULT 0,
    refresh_leased_until  TIMESTAMP,
    -- When the refresher next takes the link (NULL once upkeep has ended).
    refresh_due_at        TIMESTAMP,
    refresh_failures      INTEGER   NOT NULL DEFAULT 0,
    refresh_failing_since TIMESTAMP,
    refresh_flagged_at    TIMESTAMP,
    refresh_in_doubt_at   TIMESTAMP,
    refreshed_at          TIMESTAMP
) WITH (fillfactor = 80);

CREATE TABLE link_reviews (
    link_id               TEXT      PRIMARY KEY REFERENCES links (id),
    review_reason         TEXT      CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable')),
    checked_at            TIMESTAMP,
    checked_partner_dob   DATE,
    checked_partner_email TEXT,
    checked_wise          BYTEA,
    approvals             INTEGER   NOT NULL DEFAULT 0 CHECK (approvals BETWEEN 0 AND 2),
    first_approved_by     TEXT
);

INSERT INTO link_tokens
SELECT id, access_token, refresh_token, access_expires_at, refresh_generation,
       refresh_leased_until, refresh_due_at, refresh_failures, refresh_failing_since,
       refresh_flagged_at, refresh_in_doubt_at, refreshed_at
FROM links;

INSERT INTO link_reviews
SELECT id, review_reason, checked_at, checked_partner_dob, checked_partner_email, checked_wise,
       approvals, first_approved_by
FROM links;

-- Only links with upkeep to do are in the refresher's index (the upkeep's end clears the due time).
CREATE INDEX link_tokens_refresh_due ON link_tokens (refresh_due_at) WHERE refresh_due_at IS NOT NULL;

-- No change to either table can leave an active link without tokens. The check runs when the
-- statement (or transaction) ends, so one statement may change the state and the tokens together.
DROP TRIGGER links_active_has_tokens ON links;
DROP FUNCTION links_active_has_tokens();

-- (The query is written into each trigger function: one helper function both called with PERFORM
-- measured 0.062 ms per activation in the flows benchmark, the query inline 0.009 ms.)
CREATE FUNCTION links_active_has_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM links l JOIN link_tokens t ON t.link_id = l.id
        WHERE l.id = NEW.id AND l.state = 'active'
          AND (t.access_token IS NULL OR t.refresh_token IS NULL)
    ) THEN
        RAISE EXCEPTION 'an active link needs tokens' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER links_active_has_tokens AFTER UPDATE OF state ON links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.state = 'active')
    EXECUTE FUNCTION links_active_has_tokens();

CREATE FUNCTION link_tokens_kept_while_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM links l JOIN link_tokens t ON t.link_id = l.id
        WHERE l.id = NEW.link_id AND l.state = 'active'
          AND (t.access_token IS NULL OR t.refresh_token IS NULL)
    ) THEN
        RAISE EXCEPTION 'an active link needs tokens' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER link_tokens_kept_while_active AFTER UPDATE OF access_token, refresh_token ON link_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.access_token IS NULL OR NEW.refresh_token IS NULL)
    EXECUTE FUNCTION link_tokens_kept_while_active();

DROP INDEX links_refresh_due;
ALTER TABLE links
    DROP COLUMN access_token,
    DROP COLUMN refresh_token,
    DROP COLUMN access_expires_at,
    DROP COLUMN refresh_generation,
    DROP COLUMN refresh_leased_until,
    DROP COLUMN refresh_due_at,
    DROP COLUMN refresh_failures,
    DROP COLUMN refresh_failing_since,
    DROP COLUMN refresh_flagged_at,
    DROP COLUMN refresh_in_doubt_at,
    DROP COLUMN refreshed_at,
    DROP COLUMN review_reason,
    DROP COLUMN checked_at,
    DROP COLUMN checked_partner_dob,
    DROP COLUMN checked_partner_email,
    DROP COLUMN checked_wise,
    DROP COLUMN approvals,
    DROP COLUMN first_approved_by;
