-- Links between a customer and a Wise account, and their append-only audit trail.
-- Timestamps are ISO-8601 TEXT, as diesel writes them. Secrets (registration code, tokens) are AES-256-GCM ciphertexts bound to row and column.

CREATE TABLE links (
    id                 TEXT      PRIMARY KEY NOT NULL,
    customer_id        BIGINT    NOT NULL REFERENCES customers (id),
    flow               TEXT      NOT NULL CHECK (flow IN ('email_code', 'redirect')),
    origin             TEXT      CHECK (origin IN ('linked', 'created')),
    state              TEXT      NOT NULL CHECK (state IN ('pending','awaiting_code','awaiting_authorization','exchanging','verifying','active','needs_review','locked','relink_required','rejected','unlinked','expired')),
    signup_email       TEXT      NOT NULL,
    registration_code  BLOB,
    access_token       BLOB,
    refresh_token      BLOB,
    access_expires_at  TEXT,
    wise_user_id       BIGINT,
    wise_profile_id    BIGINT,
    attempts_remaining INTEGER   NOT NULL CHECK (attempts_remaining BETWEEN 0 AND 5),
    code_expires_at    TEXT,
    session_token_hash BLOB,
    -- SHA-256 of the last code sent to Wise, so it is never sent again.
    spent_code_hash    BLOB,
    -- Resends: the last one, and how many since resend_window_start (at most 5 a day).
    last_resend_at     TEXT,
    resend_window_start TEXT,
    resends_in_window  INTEGER   NOT NULL DEFAULT 0,
    created_at         TEXT      NOT NULL,
    updated_at         TEXT      NOT NULL
);

-- At most one link per customer that is not final.
CREATE UNIQUE INDEX links_one_live_per_customer ON links (customer_id)
    WHERE state NOT IN ('rejected', 'unlinked', 'expired');
CREATE UNIQUE INDEX links_session_token_hash ON links (session_token_hash);
CREATE INDEX links_state ON links (state, updated_at);

CREATE TABLE link_events (
    id            INTEGER   PRIMARY KEY NOT NULL,
    link_id       TEXT      NOT NULL REFERENCES links (id),
    actor         TEXT      NOT NULL,
    from_state    TEXT      CHECK (from_state IN ('pending','awaiting_code','awaiting_authorization','exchanging','verifying','active','needs_review','locked','relink_required','rejected','unlinked','expired')),
    to_state      TEXT      NOT NULL CHECK (to_state IN ('pending','awaiting_code','awaiting_authorization','exchanging','verifying','active','needs_review','locked','relink_required','rejected','unlinked','expired')),
    reason        TEXT,
    wise_trace_id TEXT,
    created_at    TEXT      NOT NULL
);

CREATE INDEX link_events_link ON link_events (link_id, id);
