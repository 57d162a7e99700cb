-- Links in review because Wise refused their profiles keep a reason the older schema knows: no
-- date of birth could be read.
UPDATE links SET review_reason = 'dob_missing' WHERE review_reason = 'profile_unreadable';
ALTER TABLE links DROP CONSTRAINT links_review_reason_check;
ALTER TABLE links ADD CONSTRAINT links_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user'));
ALTER TABLE staff_sessions DROP COLUMN reauth_failures;
