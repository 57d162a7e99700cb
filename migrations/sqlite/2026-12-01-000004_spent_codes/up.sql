-- Every code sent to Wise for a link, so none is ever sent twice (a link kept only the last one).
-- A code Wise provably did not process (429, 503 with Retry-After, a refused connection) is
-- removed again: it is still good.
CREATE TABLE spent_codes (
    link_id   TEXT NOT NULL REFERENCES links (id),
    -- SHA-256 of the code; the code itself is never stored.
    code_hash BLOB NOT NULL,
    spent_at  TEXT NOT NULL,
    PRIMARY KEY (link_id, code_hash)
);

INSERT INTO spent_codes (link_id, code_hash, spent_at)
    SELECT id, spent_code_hash, updated_at FROM links WHERE spent_code_hash IS NOT NULL;

-- links.spent_code_hash is no longer read or written. It stays (always NULL from here on) because
-- SQLite cannot drop a column in a way its down migration could exactly reverse.
UPDATE links SET spent_code_hash = NULL;
