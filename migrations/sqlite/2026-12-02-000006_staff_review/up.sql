-- The staff review screen: what each identity check compared, support-staff accounts with their
-- sessions and sign-in record, the emails a decision sends, and an audit trail nobody can edit.

-- What the last identity check compared. The partner's values as they were at the check; Wise's
-- (DOB, email, profile type, user and profile id) as one AES-256-GCM sealed JSON document bound
-- to (links, checked_wise, link id) — they are someone's personal data.
ALTER TABLE links ADD COLUMN review_reason TEXT CHECK (review_reason IN ('dob_mismatch', 'dob_missing', 'business_only', 'email_mismatch', 'different_wise_user'));
ALTER TABLE links ADD COLUMN checked_at TEXT;
ALTER TABLE links ADD COLUMN checked_partner_dob TEXT;
ALTER TABLE links ADD COLUMN checked_partner_email TEXT;
ALTER TABLE links ADD COLUMN checked_wise BLOB;
-- Four-eyes: approvals given so far in this review, and by whom the first.
ALTER TABLE links ADD COLUMN approvals INTEGER NOT NULL DEFAULT 0 CHECK (approvals BETWEEN 0 AND 2);
ALTER TABLE links ADD COLUMN first_approved_by TEXT;

-- The review queue: needs_review oldest first, then locked, then recent failures.
CREATE INDEX links_queue ON links (state, updated_at, id);
-- Staff search a customer by exact email.
CREATE INDEX customers_email ON customers (email);

-- No decision (nor anything else) can make a link active without tokens.
CREATE TRIGGER links_active_has_tokens BEFORE UPDATE ON links
    WHEN NEW.state = 'active' AND (NEW.access_token IS NULL OR NEW.refresh_token IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'an active link needs tokens');
END;

-- The audit trail is append-only.
CREATE TRIGGER link_events_no_update BEFORE UPDATE ON link_events
BEGIN
    SELECT RAISE(ABORT, 'link_events are append-only');
END;
CREATE TRIGGER link_events_no_delete BEFORE DELETE ON link_events
BEGIN
    SELECT RAISE(ABORT, 'link_events are append-only');
END;

-- SQLite cannot change a CHECK in place: the outbox is rebuilt with the decision emails' kind.
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_before_staff;
CREATE TABLE outbox (
    id              INTEGER   PRIMARY KEY NOT NULL,
    message_id      TEXT      NOT NULL UNIQUE,
    link_id         TEXT      REFERENCES links (id),
    kind            TEXT      NOT NULL CHECK (kind IN ('finish_linking', 'linked', 'not_linked')),
    recipient       TEXT      NOT NULL,
    payload         BLOB,
    status          TEXT      NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TEXT      NOT NULL,
    leased_until    TEXT,
    last_error      TEXT,
    transport       TEXT      CHECK (transport IN ('smtp', 'file', 'dev')),
    created_at      TEXT      NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox SELECT * FROM outbox_before_staff;
DROP TABLE outbox_before_staff;
CREATE INDEX outbox_status ON outbox (status, id);

CREATE TABLE staff_users (
    id             INTEGER PRIMARY KEY NOT NULL,
    username       TEXT    NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 64),
    role           TEXT    NOT NULL CHECK (role IN ('viewer', 'reviewer', 'admin')),
    -- argon2id, PHC string.
    password_hash  TEXT    NOT NULL,
    -- RFC 6238 secret, sealed (staff_users, totp_secret, username).
    totp_secret    BLOB,
    -- The time step of the last TOTP code taken: a code is accepted once (RFC 6238, 5.2).
    totp_last_step INTEGER,
    disabled_at    TEXT,
    -- Wrong passwords since the last sign-in; past 5 each one makes the next wait longer.
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    last_failed_at TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

CREATE TABLE staff_sessions (
    -- SHA-256 of the session id; the id itself is only ever in the staff member's cookie.
    id_hash          BLOB    PRIMARY KEY NOT NULL,
    staff_id         INTEGER NOT NULL REFERENCES staff_users (id),
    created_at       TEXT    NOT NULL,
    last_seen_at     TEXT    NOT NULL,
    -- The last time the password was typed (signing in, or again before an approval).
    authenticated_at TEXT    NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Every sign-in, failure, sign-out and account change, including failures for unknown users.
CREATE TABLE staff_audit (
    id         INTEGER PRIMARY KEY NOT NULL,
    username   TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    actor      TEXT,
    client_ip  TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX staff_audit_username ON staff_audit (username, id);
