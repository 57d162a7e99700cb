-- Staff single sign-on (OpenID Connect). A staff account made by a sign-in at the identity provider
-- is known by the provider's subject; it has no password (its password_hash is a value no password
-- matches) and its role follows the provider's groups.
ALTER TABLE staff_users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX staff_users_sso_subject ON staff_users (sso_subject);

-- A session started at the provider keeps the provider's refresh token (sealed), with which its
-- groups are read again, and when they last were.
ALTER TABLE staff_sessions ADD COLUMN sso_refresh_token BLOB;
ALTER TABLE staff_sessions ADD COLUMN sso_checked_at TEXT;

-- Sign-ins sent to the provider and not back yet: the SHA-256 of their state, bound to the browser
-- that started them (the SHA-256 of a secret only its cookie holds). Each is taken once.
CREATE TABLE staff_sso_logins (
    state_hash   BLOB      PRIMARY KEY NOT NULL,
    browser_hash BLOB      NOT NULL,
    return_to    TEXT      NOT NULL,
    step_up      BOOLEAN   NOT NULL,
    created_at   TEXT      NOT NULL
);
