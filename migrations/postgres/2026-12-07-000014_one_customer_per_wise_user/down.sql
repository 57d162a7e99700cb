DROP INDEX links_one_exchange_per_signup_email;
DROP INDEX links_one_active_per_wise_user;
UPDATE link_reviews SET review_reason = NULL WHERE review_reason = 'wise_user_linked_elsewhere';
ALTER TABLE link_reviews DROP CONSTRAINT link_reviews_review_reason_check;
ALTER TABLE link_reviews ADD CONSTRAINT link_reviews_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable'));
