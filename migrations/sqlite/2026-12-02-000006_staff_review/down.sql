DROP TABLE staff_audit;
DROP TABLE staff_sessions;
DROP TABLE staff_users;

DELETE FROM outbox WHERE kind = 'not_linked';
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_before_staff;
CREATE TABLE outbox (
    id              INTEGER   PRIMARY KEY NOT NULL,
    message_id      TEXT      NOT NULL UNIQUE,
    link_id         TEXT      REFERENCES links (id),
    kind            TEXT      NOT NULL CHECK (kind IN ('finish_linking', 'linked')),
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

DROP TRIGGER link_events_no_delete;
DROP TRIGGER link_events_no_update;
DROP TRIGGER links_active_has_tokens;

DROP INDEX customers_email;
DROP INDEX links_queue;
ALTER TABLE links DROP COLUMN first_approved_by;
ALTER TABLE links DROP COLUMN approvals;
ALTER TABLE links DROP COLUMN checked_wise;
ALTER TABLE links DROP COLUMN checked_partner_email;
ALTER TABLE links DROP COLUMN checked_partner_dob;
ALTER TABLE links DROP COLUMN checked_at;
ALTER TABLE links DROP COLUMN review_reason;
