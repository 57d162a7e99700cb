-- Links in review because Wise refused their profiles keep a reason the older schema knows: no
-- date of birth could be read.
ALTER TABLE links ADD COLUMN review_reason_before TEXT CHECK (review_reason_before IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user'));
UPDATE links SET review_reason_before = CASE review_reason
    WHEN 'profile_unreadable' THEN 'dob_missing' ELSE review_reason END;
ALTER TABLE links DROP COLUMN review_reason;
ALTER TABLE links RENAME COLUMN review_reason_before TO review_reason;
ALTER TABLE staff_sessions DROP COLUMN reauth_failures;
