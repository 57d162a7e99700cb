-- The redirect flow: each trip to Wise's authorization page carries a one-time `state` (256
-- random bits; only its SHA-256 is stored), bound to one link, living 10 minutes, and — when the
-- trip started on wiselink's own page — to a cookie in that browser (its SHA-256 too). A trip
-- either authorizes a link waiting for it, or claims the account of a partner-created user.
CREATE TABLE authorization_states (
    state_hash   BYTEA     PRIMARY KEY,
    link_id      TEXT      NOT NULL REFERENCES links (id),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP,
    browser_hash BYTEA,
    purpose      TEXT NOT NULL DEFAULT 'authorize' CHECK (purpose IN ('authorize', 'claim'))
);
CREATE INDEX authorization_states_link ON authorization_states (link_id);

-- Where the customer's browser goes after Wise's page: one of links.return_urls, or wiselink's
-- own result page when empty.
ALTER TABLE links ADD COLUMN return_url TEXT;

-- When the customer claimed the Wise account the partner created (its registration code is gone
-- from then on).
ALTER TABLE links ADD COLUMN claimed_at TIMESTAMP;
