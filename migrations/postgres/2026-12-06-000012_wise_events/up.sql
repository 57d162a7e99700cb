-- What Wise tells wiselink about its users and profiles (`users#state-change`,
-- `profiles#verification-state-change`). `wise_deliveries` keeps each verified delivery once
-- (Wise's `X-Delivery-Id` is the key, so a repeated delivery changes nothing) until the worker has
-- applied it; `wise_resource_states` holds the newest state seen per user and profile, by the
-- event's `occurred_at`, so an older event arriving after a newer one changes nothing.

CREATE TABLE wise_deliveries (
    delivery_id     TEXT      PRIMARY KEY NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 100),
    event_type      TEXT      NOT NULL CHECK (event_type IN ('users#state-change', 'profiles#verification-state-change')),
    resource_type   TEXT      NOT NULL CHECK (resource_type IN ('user', 'profile')),
    resource_id     BIGINT    NOT NULL,
    current_state   TEXT      NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    received_at     TIMESTAMP NOT NULL,
    processed_at    TIMESTAMP,
    -- What applying it did: `applied` (it was the newest), `stale` (a newer event came first).
    outcome         TEXT      CHECK (outcome IN ('applied', 'stale'))
);
CREATE INDEX wise_deliveries_unprocessed ON wise_deliveries (occurred_at) WHERE processed_at IS NULL;

CREATE TABLE wise_resource_states (
    resource_type   TEXT      NOT NULL CHECK (resource_type IN ('user', 'profile')),
    resource_id     BIGINT    NOT NULL,
    state           TEXT      NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (resource_type, resource_id)
);

-- The link's copy of what Wise said last, for the partner's reads: the user's state (NULL until
-- Wise says anything), the day a withdraw-only user will be deactivated, the profile's
-- verification.
ALTER TABLE links ADD COLUMN wise_user_state TEXT CHECK (wise_user_state IN ('active', 'withdraw_only', 'deactivated'));
ALTER TABLE links ADD COLUMN wise_user_deactivates_on DATE;
ALTER TABLE links ADD COLUMN profile_verification TEXT CHECK (profile_verification IN ('verified', 'not_verified'));
-- Why the link is in its state, from a closed list: `started`, or the event of the transition that
-- last changed the state (crates/domain/src/link_reason.rs). Existing links take theirs from their
-- audit trail.
ALTER TABLE links ADD COLUMN state_reason TEXT;
UPDATE links SET state_reason = COALESCE(
    (SELECT e.event FROM link_events e
      WHERE e.link_id = links.id AND e.event IS NOT NULL
        AND (e.from_state IS NULL OR e.from_state <> e.to_state)
      ORDER BY e.id DESC LIMIT 1),
    'started');
CREATE INDEX links_wise_user ON links (wise_user_id) WHERE wise_user_id IS NOT NULL;
CREATE INDEX links_wise_profile ON links (wise_profile_id) WHERE wise_profile_id IS NOT NULL;
