-- One Wise user, one partner customer (see the PostgreSQL migration of the same name): at most
-- one active link per Wise user, at most one email-code link per email (in any case) exchanging,
-- verifying or active, and the review reason for a link stopped by either. SQLite changes a CHECK
-- only by rebuilding the table (through a copy, so the table keeps its own CREATE statement).

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

CREATE UNIQUE INDEX links_one_active_per_wise_user ON links (wise_user_id) WHERE state = 'active';
CREATE UNIQUE INDEX links_one_exchange_per_signup_email ON links (lower(signup_email))
    WHERE flow = 'email_code' AND state IN ('exchanging', 'verifying', 'active');
