-- What the partner hears. `partner_events` holds one row per thing a partner acts on, written by
-- the same statement or transaction as the link change that causes it. The dispatcher gives each
-- row its place in the feed (`feed_seq`, assigned under one lock, so the feed's order is the order
-- in which events became visible and a cursor never skips one committed late) and fans it out to
-- one delivery per subscribed webhook endpoint.

CREATE TABLE partner_events (
    id          INTEGER   PRIMARY KEY NOT NULL,
    -- The public id, `evt_…`: the feed's item id and every delivery's `webhook-id`.
    event_id    TEXT      NOT NULL UNIQUE,
    event_type  TEXT      NOT NULL,
    link_id     TEXT      NOT NULL REFERENCES links (id),
    -- The link's state and the machine-readable reason when the event happened.
    state       TEXT      NOT NULL,
    reason      TEXT      NOT NULL,
    created_at  TEXT      NOT NULL,
    feed_seq    BIGINT    UNIQUE
);
CREATE INDEX partner_events_undispatched ON partner_events (id) WHERE feed_seq IS NULL;

CREATE TABLE webhook_endpoints (
    id                    TEXT      PRIMARY KEY NOT NULL,
    url                   TEXT      NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description           TEXT      CHECK (length(description) <= 200),
    -- Space-separated event types, or `*` for all of them.
    event_types           TEXT      NOT NULL,
    -- The signing secret, sealed with the key ring (AAD: webhook_endpoints, secret, id); during a
    -- rotation the previous one keeps signing beside it until `previous_secret_until`.
    secret                BLOB      NOT NULL,
    previous_secret       BLOB,
    previous_secret_until TEXT     ,
    enabled               BOOLEAN   NOT NULL,
    disabled_reason       TEXT      CHECK (disabled_reason IN ('partner', 'failing')),
    -- The first failed attempt since the last delivered one.
    failing_since         TEXT     ,
    created_at            TEXT      NOT NULL,
    updated_at            TEXT      NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER   PRIMARY KEY NOT NULL,
    endpoint_id     TEXT      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        BIGINT    NOT NULL REFERENCES partner_events (id),
    -- The event's feed position and link: a link's deliveries to one endpoint go in this order.
    event_seq       BIGINT    NOT NULL,
    link_id         TEXT      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TEXT      NOT NULL,
    leased_until    TEXT     ,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TEXT      NOT NULL,
    delivered_at    TEXT     ,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, link_id, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- The delivery log: one row per attempt. Response bodies are kept only as a capped excerpt.
CREATE TABLE webhook_attempts (
    id               INTEGER   PRIMARY KEY NOT NULL,
    delivery_id      BIGINT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     TEXT      NOT NULL,
    latency_ms       INTEGER   NOT NULL,
    status_code      INTEGER,
    error            TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
