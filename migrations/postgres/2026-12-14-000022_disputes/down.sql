UPDATE link_reviews SET review_reason = NULL WHERE review_reason = 'customer_disputed';
ALTER TABLE link_reviews DROP CONSTRAINT link_reviews_review_reason_check;
ALTER TABLE link_reviews ADD CONSTRAINT link_reviews_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable', 'wise_user_linked_elsewhere'));
DROP INDEX links_dispute_token;
ALTER TABLE links DROP COLUMN dispute_expires_at;
ALTER TABLE links DROP COLUMN dispute_token_hash;
