ALTER TABLE staff_sessions DROP COLUMN reauth_failures;
