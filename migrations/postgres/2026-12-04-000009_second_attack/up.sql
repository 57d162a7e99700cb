-- Wrong passwords typed into this session's re-prompt (before an approval, or creating staff
-- accounts and API keys) since the password was last confirmed: at staff.reauth_failures_allowed
-- the session ends.
ALTER TABLE staff_sessions ADD COLUMN reauth_failures INTEGER NOT NULL DEFAULT 0;

-- A new reason for review: Wise refused to list the account's profiles.
ALTER TABLE links DROP CONSTRAINT links_review_reason_check;
ALTER TABLE links ADD CONSTRAINT links_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable'));
