DELETE FROM outbox WHERE kind = 'reminder';
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_with_reminders;
CREATE TABLE outbox (
    id              INTEGER   PRIMARY KEY NOT NULL,
    message_id      TEXT      NOT NULL UNIQUE,
    link_id         TEXT      REFERENCES links (id),
    kind            TEXT      NOT NULL CHECK (kind IN ('finish_linking', 'linked', 'not_linked', 'reconnect')),
    recipient       TEXT      NOT NULL,
    payload         BLOB,
    status          TEXT      NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TEXT      NOT NULL,
    leased_until    TEXT,
    last_error      TEXT,
    transport       TEXT      CHECK (transport IN ('smtp', 'file', 'dev')),
    created_at      TEXT      NOT NULL,
    sent_at         TEXT,
    traceparent     TEXT
);
INSERT INTO outbox SELECT * FROM outbox_with_reminders;
DROP TABLE outbox_with_reminders;
CREATE INDEX outbox_status ON outbox (status, id);
