-- Wrong passwords typed into this session's re-prompt (before an approval, or creating staff
-- accounts and API keys) since the password was last confirmed: at staff.reauth_failures_allowed
-- the session ends.
ALTER TABLE staff_sessions ADD COLUMN reauth_failures INTEGER NOT NULL DEFAULT 0;
