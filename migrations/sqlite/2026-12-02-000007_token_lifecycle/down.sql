DELETE FROM outbox WHERE kind = 'reconnect';
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_with_relink;
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
INSERT INTO outbox SELECT * FROM outbox_with_relink;
DROP TABLE outbox_with_relink;
CREATE INDEX outbox_status ON outbox (status, id);

CREATE INDEX links_state ON links (state, updated_at);
DROP INDEX links_refresh_due;
ALTER TABLE links DROP COLUMN refreshed_at;
ALTER TABLE links DROP COLUMN refresh_in_doubt_at;
ALTER TABLE links DROP COLUMN refresh_flagged_at;
ALTER TABLE links DROP COLUMN refresh_failing_since;
ALTER TABLE links DROP COLUMN refresh_failures;
ALTER TABLE links DROP COLUMN refresh_due_at;
ALTER TABLE links DROP COLUMN refresh_leased_until;
ALTER TABLE links DROP COLUMN refresh_generation;
