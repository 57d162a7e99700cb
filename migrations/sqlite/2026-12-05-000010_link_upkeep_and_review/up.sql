-- A link's record split by concern. `links` keeps what the flows change (state, customer, Wise
-- ids, the code's and the session's columns); token upkeep (the sealed tokens, the refresh lease,
-- due time and failures) moves to `link_tokens`, and the last identity check with its approvals to
-- `link_reviews`. Each link has exactly one row in each, written with the link. Sealed values keep
-- their associated data (table `links`, column, link id): they belong to the link record wherever
-- they are stored, and move without being re-sealed.

CREATE TABLE link_tokens (
    link_id               TEXT      PRIMARY KEY NOT NULL REFERENCES links (id),
    access_token          BLOB,
    refresh_token         BLOB,
    access_expires_at     TEXT,
    -- The refresh lease: its generation (bumped by every claim and every settle), and until when
    -- its holder has it.
    refresh_generation    BIGINT    NOT NULL DEFAULT 0,
    refresh_leased_until  TEXT,
    -- When the refresher next takes the link (NULL once upkeep has ended).
    refresh_due_at        TEXT,
    refresh_failures      INTEGER   NOT NULL DEFAULT 0,
    refresh_failing_since TEXT,
    refresh_flagged_at    TEXT,
    refresh_in_doubt_at   TEXT,
    refreshed_at          TEXT
);

CREATE TABLE link_reviews (
    link_id               TEXT      PRIMARY KEY NOT NULL REFERENCES links (id),
    review_reason         TEXT      CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable')),
    checked_at            TEXT,
    checked_partner_dob   TEXT,
    checked_partner_email TEXT,
    checked_wise          BLOB,
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

-- No change to either table can leave an active link without tokens. (A commit that makes a link
-- active writes its tokens first; one that takes them away moves the state first.)
DROP TRIGGER links_active_has_tokens;
CREATE TRIGGER links_active_has_tokens BEFORE UPDATE OF state ON links
    WHEN NEW.state = 'active' AND NOT EXISTS (
        SELECT 1 FROM link_tokens t
        WHERE t.link_id = NEW.id AND t.access_token IS NOT NULL AND t.refresh_token IS NOT NULL
    )
BEGIN
    SELECT RAISE(ABORT, 'an active link needs tokens');
END;
CREATE TRIGGER link_tokens_kept_while_active BEFORE UPDATE OF access_token, refresh_token ON link_tokens
    WHEN (NEW.access_token IS NULL OR NEW.refresh_token IS NULL)
        AND EXISTS (SELECT 1 FROM links l WHERE l.id = NEW.link_id AND l.state = 'active')
BEGIN
    SELECT RAISE(ABORT, 'an active link needs tokens');
END;

DROP INDEX links_refresh_due;
ALTER TABLE links DROP COLUMN access_token;
ALTER TABLE links DROP COLUMN refresh_token;
ALTER TABLE links DROP COLUMN access_expires_at;
ALTER TABLE links DROP COLUMN refresh_generation;
ALTER TABLE links DROP COLUMN refresh_leased_until;
ALTER TABLE links DROP COLUMN refresh_due_at;
ALTER TABLE links DROP COLUMN refresh_failures;
ALTER TABLE links DROP COLUMN refresh_failing_since;
ALTER TABLE links DROP COLUMN refresh_flagged_at;
ALTER TABLE links DROP COLUMN refresh_in_doubt_at;
ALTER TABLE links DROP COLUMN refreshed_at;
ALTER TABLE links DROP COLUMN review_reason;
ALTER TABLE links DROP COLUMN checked_at;
ALTER TABLE links DROP COLUMN checked_partner_dob;
ALTER TABLE links DROP COLUMN checked_partner_email;
ALTER TABLE links DROP COLUMN checked_wise;
ALTER TABLE links DROP COLUMN approvals;
ALTER TABLE links DROP COLUMN first_approved_by;
