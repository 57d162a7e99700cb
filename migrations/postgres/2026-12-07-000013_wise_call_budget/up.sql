-- The Wise call budget every instance shares (Wise limits requests per API client, not per
-- process): the calls admitted in each 100 ms bucket (Unix milliseconds / 100; rows older than a
-- minute are deleted as new ones come), and the fleet-wide pause a 429 from Wise sets. The one
-- `wise_call_pause` row is also the lock admissions take, one instance at a time.

CREATE TABLE wise_call_buckets (
    bucket  BIGINT  PRIMARY KEY,
    calls   INTEGER NOT NULL CHECK (calls > 0)
);

CREATE TABLE wise_call_pause (
    id               SMALLINT PRIMARY KEY CHECK (id = 1),
    paused_until_ms  BIGINT   NOT NULL
);
INSERT INTO wise_call_pause (id, paused_until_ms) VALUES (1, 0);
