-- The link record in one row again.
DROP TRIGGER link_tokens_kept_while_active;
DROP TRIGGER links_active_has_tokens;
ALTER TABLE links ADD COLUMN access_token BLOB;
ALTER TABLE links ADD COLUMN refresh_token BLOB;
ALTER TABLE links ADD COLUMN access_expires_at TEXT;
ALTER TABLE links ADD COLUMN review_reason TEXT CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable'));
ALTER TABLE links ADD COLUMN checked_at TEXT;
ALTER TABLE links ADD COLUMN checked_partner_dob TEXT;
ALTER TABLE links ADD COLUMN checked_partner_email TEXT;
ALTER TABLE links ADD COLUMN checked_wise BLOB;
ALTER TABLE links ADD COLUMN approvals INTEGER NOT NULL DEFAULT 0 CHECK (approvals BETWEEN 0 AND 2);
ALTER TABLE links ADD COLUMN first_approved_by TEXT;
ALTER TABLE links ADD COLUMN refresh_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN refresh_leased_until TEXT;
ALTER TABLE links ADD COLUMN refresh_due_at TEXT;
ALTER TABLE links ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN refresh_failing_since TEXT;
ALTER TABLE links ADD COLUMN refresh_flagged_at TEXT;
ALTER TABLE links ADD COLUMN refresh_in_doubt_at TEXT;
ALTER TABLE links ADD COLUMN refreshed_at TEXT;

UPDATE links SET (access_token, refresh_token, access_expires_at, refresh_generation,
                  refresh_leased_until, refresh_due_at, refresh_failures, refresh_failing_since,
                  refresh_flagged_at, refresh_in_doubt_at, refreshed_at) =
    (SELECT access_token, refresh_token, access_expires_at, refresh_generation,
            refresh_leased_until, refresh_due_at, refresh_failures, refresh_failing_since,
            refresh_flagged_at, refresh_in_doubt_at, refreshed_at
     FROM link_tokens t WHERE t.link_id = links.id)
WHERE EXISTS (SELECT 1 FROM link_tokens t WHERE t.link_id = links.id);
UPDATE links SET (review_reason, checked_at, checked_partner_dob, checked_partner_email,
                  checked_wise, approvals, first_approved_by) =
    (SELECT review_reason, checked_at, checked_partner_dob, checked_partner_email,
            checked_wise, approvals, first_approved_by
     FROM link_reviews r WHERE r.link_id = links.id)
WHERE EXISTS (SELECT 1 FROM link_reviews r WHERE r.link_id = links.id);

DROP TABLE link_tokens;
DROP TABLE link_reviews;
CREATE INDEX links_refresh_due ON links (refresh_due_at) WHERE state = 'active';
CREATE TRIGGER links_active_has_tokens BEFORE UPDATE ON links
    WHEN NEW.state = 'active' AND (NEW.access_token IS NULL OR NEW.refresh_token IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'an active link needs tokens');
END;
