DROP TABLE staff_sso_logins;
ALTER TABLE staff_sessions DROP COLUMN sso_checked_at;
ALTER TABLE staff_sessions DROP COLUMN sso_refresh_token;
DROP INDEX staff_users_sso_subject;
ALTER TABLE staff_users DROP COLUMN sso_subject;
