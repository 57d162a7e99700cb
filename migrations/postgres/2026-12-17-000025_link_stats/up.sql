-- The linking funnel's counts (GET /v1/stats, the staff Insights page), kept by the transaction
-- that writes each link event, so a read sums a few thousand rows instead of scanning the history.
--
-- What the funnel reads is counted, per day (UTC), flow and customer language:
--   kind 'event'         name: `started` and `imported` (a link's first event), `relink_started`,
--                              `refresh_failing`, `refresh_recovered`, `access_revoked`,
--                              `tokens_lost`;
--   kind 'reached'       name: a state of the funnel entered, once per attempt — an attempt runs
--                              from a link's first event, or from `relink_started`, to the next one;
--   kind 'active_within' name: for the attempt's first `active`, the least of 60, 300, 900,
--                              3600, 21600, 86400, 604800 seconds (or `inf`) its start-to-active
--                              time is within.
-- Also kind 'reached', name 'abandoned': an attempt unlinked before Wise answered for it (from
-- `pending`, `awaiting_code`, `awaiting_authorization`, `expired` or `locked`).
-- The flow is `imported` for an attempt that began with an import. Counts are spread over 8
-- shards (event id mod 8), so concurrent transactions rarely wait on one counter row; once a day
-- can no longer change, `serve` folds its shards into shard 0 (workers/stats_folding.rs), so a
-- long span reads an eighth of the rows.

CREATE TABLE link_stats (
    day      DATE   NOT NULL,
    kind     TEXT   NOT NULL CHECK (kind IN ('event', 'reached', 'active_within')),
    name     TEXT   NOT NULL,
    flow     TEXT   NOT NULL,
    language TEXT   NOT NULL,
    shard    SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 7),
    n        BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (day, kind, name, flow, language, shard)
);

-- Each event with its link's flow and language, and where its attempt started.
CREATE VIEW link_stats_attempts AS
SELECT e.id AS event_id, e.link_id, e.created_at, e.from_state, e.to_state, e.event,
       CASE WHEN st.to_state = 'verifying' THEN 'imported' ELSE l.flow END AS flow,
       c.language, st.id AS start_id, st.created_at AS started_at,
       NOT EXISTS (SELECT 1 FROM link_events p
                   WHERE p.link_id = e.link_id AND p.id > st.id AND p.id < e.id
                     AND p.to_state = e.to_state) AS first_reach
FROM link_events e
JOIN links l ON l.id = e.link_id
JOIN customers c ON c.id = l.customer_id
CROSS JOIN LATERAL (
    SELECT s.id, s.created_at, s.to_state FROM link_events s
    WHERE s.link_id = e.link_id AND s.id <= e.id
      AND (s.from_state IS NULL OR s.event = 'relink_started')
    ORDER BY s.id DESC LIMIT 1
) st;

-- Every count one event makes: the event, the state it entered (first time in its attempt), an
-- abandoned attempt, the start-to-active bucket. The attempt is read once per event (LATERAL).
CREATE VIEW link_stats_counts AS
SELECT a.event_id, CAST(a.created_at AS DATE) AS day, a.flow, a.language, k.kind, k.name
FROM (SELECT *, COALESCE(event, CASE WHEN to_state = 'verifying' THEN 'imported' ELSE 'started' END) AS name
      FROM link_stats_attempts) a
CROSS JOIN LATERAL (SELECT EXTRACT(EPOCH FROM a.created_at - a.started_at) AS secs) t
CROSS JOIN LATERAL (VALUES
    ('event', CASE WHEN a.name IN ('started', 'relink_started', 'imported', 'refresh_failing', 'refresh_recovered', 'access_revoked', 'tokens_lost') THEN a.name END),
    ('reached', CASE WHEN a.first_reach AND a.to_state IN ('awaiting_code', 'awaiting_authorization', 'exchanging', 'active', 'needs_review', 'rejected', 'locked', 'expired') THEN a.to_state END),
    ('reached', CASE WHEN a.to_state = 'unlinked' AND a.from_state IN
        ('pending', 'awaiting_code', 'awaiting_authorization', 'expired', 'locked') THEN 'abandoned' END),
    ('active_within', CASE WHEN a.to_state = 'active' AND a.first_reach THEN
        CASE WHEN t.secs <= 60 THEN '60' WHEN t.secs <= 300 THEN '300' WHEN t.secs <= 900 THEN '900'
             WHEN t.secs <= 3600 THEN '3600' WHEN t.secs <= 21600 THEN '21600'
             WHEN t.secs <= 86400 THEN '86400' WHEN t.secs <= 604800 THEN '604800' ELSE 'inf' END END)
) k(kind, name)
WHERE k.name IS NOT NULL;

CREATE FUNCTION link_stats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO link_stats (day, kind, name, flow, language, shard, n)
    SELECT day, kind, name, flow, language, NEW.id % 8, 1
    FROM link_stats_counts WHERE event_id = NEW.id
    ON CONFLICT (day, kind, name, flow, language, shard)
    DO UPDATE SET n = link_stats.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE TRIGGER link_stats_count AFTER INSERT ON link_events
    FOR EACH ROW
    -- Only events that can count anything call it (a superset of the view's conditions).
    WHEN (NEW.from_state IS NULL
          OR NEW.event IN ('relink_started', 'refresh_failing', 'refresh_recovered', 'access_revoked', 'tokens_lost')
          OR NEW.to_state IN ('awaiting_code', 'awaiting_authorization', 'exchanging', 'active', 'needs_review',
                              'rejected', 'locked', 'expired', 'unlinked'))
    EXECUTE FUNCTION link_stats_count();

-- The history so far, counted by the same view, in shard 0 (as the hourly fold leaves past days).
INSERT INTO link_stats (day, kind, name, flow, language, shard, n)
SELECT day, kind, name, flow, language, 0, count(*)
FROM link_stats_counts
GROUP BY day, kind, name, flow, language;
