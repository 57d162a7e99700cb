-- The per-address request limits (`limits.code_submissions_per_ip_per_minute`,
-- `staff.logins_per_ip_per_minute`) counted for the whole fleet: one row per limit and client
-- (an IPv4 address or an IPv6 /64) with the start of its current one-minute window and the
-- requests counted in it. Rows whose window has ended are deleted from time to time as requests
-- come.
--
-- UNLOGGED: counting writes no WAL, so a count commits without waiting for the disk. Many clients
-- can share one address (a carrier's NAT), which makes its row hot, and a row lock held until the
-- disk confirms would queue them. After a crash the table starts empty (and a standby does not
-- have it): every client gets a fresh window, which a rate limit can afford.

CREATE UNLOGGED TABLE ip_limit_windows (
    scope         TEXT      NOT NULL,
    client        TEXT      NOT NULL,
    window_start  TIMESTAMP NOT NULL,
    requests      INTEGER   NOT NULL CHECK (requests > 0),
    PRIMARY KEY (scope, client)
);
