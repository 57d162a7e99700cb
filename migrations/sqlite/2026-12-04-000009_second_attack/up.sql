-- Wrong passwords typed into this session's re-prompt (before an approval, or creating staff
-- accounts and API keys) since the password was last confirmed: at staff.reauth_failures_allowed
-- the session ends.
ALTER TABLE staff_sessions ADD COLUMN reauth_failures INTEGER NOT NULL DEFAULT 0;

-- A new reason for review: Wise refused to list the account's profiles. SQLite cannot change a
-- column's CHECK in place; the column is replaced by one with the wider CHECK (it moves to the
-- end of the table: columns are always read by name).
ALTER TABLE links ADD COLUMN review_reason_next TEXT CHECK (review_reason_next IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user', 'profile_unreadable'));
UPDATE links SET review_reason_next = review_reason;
ALTER TABLE links DROP COLUMN review_reason;
ALTER TABLE links RENAME COLUMN review_reason_next TO review_reason;
