-- Stored responses are sealed with the key ring (a link's session token was kept in plaintext
-- here for 24 hours), and a key belongs to a scope: an API key ("key:ID") or, for the app and the
-- code-entry page holding a link session token, the link ("link:ID"). The rows of the old table
-- go with it: they are what held secrets in plaintext, and they only replay answers for a day.
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    scope                 TEXT      NOT NULL CHECK (length(scope) BETWEEN 5 AND 80),
    idempotency_key       TEXT      NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_fingerprint   BLOB      NOT NULL,
    state                 TEXT      NOT NULL CHECK (state IN ('in_flight', 'completed')),
    response_status       INTEGER,
    response_content_type TEXT,
    -- AES-256-GCM under crypto.keys, bound to (scope, key).
    response_body         BLOB,
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    PRIMARY KEY (scope, idempotency_key),
    CHECK (state = 'in_flight' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
