-- The link record in one row again.
ALTER TABLE links
    ADD COLUMN access_token BYTEA,
    ADD COLUMN refresh_token BYTEA,
    ADD COLUMN access_expires_at TIMESTAMP,
    ADD COLUMN review_reason TEXT CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable')),
    ADD COLUMN checked_at TIMESTAMP,
    ADD COLUMN checked_partner_dob DATE,
    ADD COLUMN checked_partner_email TEXT,
    ADD COLUMN checked_wise BYTEA,
    ADD COLUMN approvals INTEGER NOT NULL DEFAULT 0 CHECK (approvals BETWEEN 0 AND 2),
    ADD COLUMN first_approved_by TEXT,
    ADD COLUMN refresh_generation BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN refresh_leased_until TIMESTAMP,
    ADD COLUMN refresh_due_at TIMESTAMP,
    ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN refresh_failing_since TIMESTAMP,
    ADD COLUMN refresh_flagged_at TIMESTAMP,
    ADD COLUMN refresh_in_doubt_at TIMESTAMP,
    ADD COLUMN refreshed_at TIMESTAMP;

UPDATE links l SET
    access_token = t.access_token, refresh_token = t.refresh_token,
    access_expires_at = t.access_expires_at, refresh_generation = t.refresh_generation,
    refresh_leased_until = t.refresh_leased_until, refresh_due_at = t.refresh_due_at,
    refresh_failures = t.refresh_failures, refresh_failing_since = t.refresh_failing_since,
    refresh_flagged_at = t.refresh_flagged_at, refresh_in_doubt_at = t.refresh_in_doubt_at,
    refreshed_at = t.refreshed_at
FROM link_tokens t WHERE t.link_id = l.id;

UPDATE links l SET
    review_reason = r.review_reason, checked_at = r.checked_at,
    checked_partner_dob = r.checked_partner_dob, checked_partner_email = r.checked_partner_email,
    checked_wise = r.checked_wise, approvals = r.approvals, first_approved_by = r.first_approved_by
FROM link_reviews r WHERE r.link_id = l.id;

DROP TRIGGER link_tokens_kept_while_active ON link_tokens;
DROP FUNCTION link_tokens_kept_while_active();
DROP TRIGGER links_active_has_tokens ON links;
DROP FUNCTION links_active_has_tokens();
DROP TABLE link_tokens;
DROP TABLE link_reviews;

CREATE INDEX links_refresh_due ON links (refresh_due_at) WHERE state = 'active';
CREATE FUNCTION links_active_has_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'active' AND (NEW.access_token IS NULL OR NEW.refresh_token IS NULL) THEN
        RAISE EXCEPTION 'an active link needs tokens' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER links_active_has_tokens BEFORE UPDATE ON links
    FOR EACH ROW EXECUTE FUNCTION links_active_has_tokens();
