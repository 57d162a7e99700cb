-- "This wasn't me": the "linked" email carries a one-time link. The link keeps only the SHA-256 of
-- its token, until it is used or expires; following it unlinks and opens a review case with the
-- reason customer_disputed.
ALTER TABLE links ADD COLUMN dispute_token_hash BYTEA;
ALTER TABLE links ADD COLUMN dispute_expires_at TIMESTAMP;
CREATE UNIQUE INDEX links_dispute_token ON links (dispute_token_hash) WHERE dispute_token_hash IS NOT NULL;

ALTER TABLE link_reviews DROP CONSTRAINT link_reviews_review_reason_check;
ALTER TABLE link_reviews ADD CONSTRAINT link_reviews_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable', 'wise_user_linked_elsewhere', 'customer_disputed'));
