-- One Wise user, one partner customer. Two customers linked to one Wise user fight over its
-- tokens (each grant ends the other's refresh token) and it is a fraud signal, so:
-- * at most one active link per Wise user;
-- * in the email-code flow, where the signup email names the Wise user, at most one link per
--   email (in any case) is exchanging a code, verifying or active, so a second customer's code is
--   never exchanged while the first holds the user;
-- * a link stopped by either goes to review with its own reason.
-- Creating the indexes fails, naming the Wise user or the email, where existing links already
-- break the rule: decide those links (docs/linking.md) and migrate again.

ALTER TABLE link_reviews DROP CONSTRAINT link_reviews_review_reason_check;
ALTER TABLE link_reviews ADD CONSTRAINT link_reviews_review_reason_check
    CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable', 'wise_user_linked_elsewhere'));

CREATE UNIQUE INDEX links_one_active_per_wise_user ON links (wise_user_id) WHERE state = 'active';
CREATE UNIQUE INDEX links_one_exchange_per_signup_email ON links (lower(signup_email))
    WHERE flow = 'email_code' AND state IN ('exchanging', 'verifying', 'active');
