DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    api_key_id            TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key       TEXT    NOT NULL,
    request_fingerprint   BLOB    NOT NULL,
    state                 TEXT    NOT NULL CHECK (state IN ('in_flight', 'completed')),
    response_status       INTEGER,
    response_content_type TEXT,
    response_body         BLOB,
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key),
    CHECK (state = 'in_flight' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
