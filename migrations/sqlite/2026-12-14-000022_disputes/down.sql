UPDATE link_reviews SET review_reason = NULL WHERE review_reason = 'customer_disputed';

CREATE TABLE link_reviews_copy AS SELECT * FROM link_reviews;
DROP TABLE link_reviews;
CREATE TABLE link_reviews (
    link_id               TEXT      PRIMARY KEY NOT NULL REFERENCES links (id),
    review_reason         TEXT      CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable', 'wise_user_linked_elsewhere')),
    checked_at            TEXT,
    checked_partner_dob   TEXT,
    checked_partner_email TEXT,
    checked_wise          BLOB,
    approvals             INTEGER   NOT NULL DEFAULT 0 CHECK (approvals BETWEEN 0 AND 2),
    first_approved_by     TEXT
);
INSERT INTO link_reviews
SELECT link_id, review_reason, checked_at, checked_partner_dob, checked_partner_email, checked_wise,
       approvals, first_approved_by
FROM link_reviews_copy;
DROP TABLE link_reviews_copy;
DROP INDEX links_dispute_token;
ALTER TABLE links DROP COLUMN dispute_expires_at;
ALTER TABLE links DROP COLUMN dispute_token_hash;
