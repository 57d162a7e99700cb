-- "This wasn't me": the "linked" email carries a one-time link. The link keeps only the SHA-256 of
-- its token, until it is used or expires; following it unlinks and opens a review case with the
-- reason customer_disputed. SQLite changes a CHECK only by rebuilding the table.
ALTER TABLE links ADD COLUMN dispute_token_hash BLOB;
ALTER TABLE links ADD COLUMN dispute_expires_at TEXT;
CREATE UNIQUE INDEX links_dispute_token ON links (dispute_token_hash) WHERE dispute_token_hash IS NOT NULL;

CREATE TABLE link_reviews_copy AS SELECT * FROM link_reviews;
DROP TABLE link_reviews;
CREATE TABLE link_reviews (
    link_id               TEXT      PRIMARY KEY NOT NULL REFERENCES links (id),
    review_reason         TEXT      CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable', 'wise_user_linked_elsewhere', 'customer_disputed')),
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
