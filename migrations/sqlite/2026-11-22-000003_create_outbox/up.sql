-- The transactional outbox: every email is written in the same transaction as the state change
-- that causes it, then delivered by the relay worker with retries. The message itself (subject,
-- text, HTML) is sealed with the key ring (it can carry the code-entry URL and its session token)
-- and cleared once delivered, except by the dev transport, which keeps it for /dev/mailbox.

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

-- The relay reads pending rows in id order: an ordered index scan, which on PostgreSQL also marks
-- the index entries of rows already sent as dead as it passes them, so they cost nothing later.
CREATE INDEX outbox_status ON outbox (status, id);

-- The domain event behind each transition, so limits can count e.g. wrong codes per customer.
ALTER TABLE link_events ADD COLUMN event TEXT;
CREATE INDEX links_customer ON links (customer_id);
