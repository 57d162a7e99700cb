-- The per-address request limits (`limits.code_submissions_per_ip_per_minute`,
-- `staff.logins_per_ip_per_minute`) counted for the whole fleet: one row per limit and client
-- (an IPv4 address or an IPv6 /64) with the start of its current one-minute window and the
-- requests counted in it. Rows whose window has ended are deleted from time to time as requests
-- come.

CREATE TABLE ip_limit_windows (
    scope         TEXT      NOT NULL,
    client        TEXT      NOT NULL,
    window_start  TIMESTAMP NOT NULL,
    requests      INTEGER   NOT NULL CHECK (requests > 0),
    PRIMARY KEY (scope, client)
);
