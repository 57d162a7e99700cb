-- Customers as the partner knows them, API keys for the partner's backend, and stored responses
-- for Idempotency-Key replays. Dates and timestamps are ISO-8601 TEXT, as diesel writes them.

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY NOT NULL,
    customer_ref  TEXT    NOT NULL UNIQUE CHECK (length(customer_ref) BETWEEN 1 AND 64),
    email         TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    date_of_birth TEXT    NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    language      TEXT    NOT NULL CHECK (length(language) = 2),
    -- The Wise user the customer's first successful link belonged to; later links must match it.
    wise_user_id  BIGINT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

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
