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
-- shards on PostgreSQL, so concurrent transactions rarely wait on one counter row; SQLite has one
-- writer at a time and keeps every count in shard 0.

CREATE TABLE link_stats (
    day      DATE   NOT NULL,
    kind     TEXT   NOT NULL CHECK (kind IN ('event', 'reached', 'active_within')),
    name     TEXT   NOT NULL,
    flow     TEXT   NOT NULL,
    language TEXT   NOT NULL,
    shard    INTEGER  NOT NULL CHECK (shard BETWEEN 0 AND 7),
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
JOIN link_events st ON st.id = (
    SELECT max(s.id) FROM link_events s
    WHERE s.link_id = e.link_id AND s.id <= e.id
      AND (s.from_state IS NULL OR s.event = 'relink_started')
);

-- Every count one event makes.
CREATE VIEW link_stats_counts AS
SELECT event_id, day, flow, language, 'event' AS kind, name FROM (
    SELECT event_id, date(created_at) AS day, flow, language,
           COALESCE(event, CASE WHEN to_state = 'verifying' THEN 'imported' ELSE 'started' END) AS name
    FROM link_stats_attempts)
WHERE name IN ('started', 'relink_started', 'imported', 'refresh_failing', 'refresh_recovered', 'access_revoked', 'tokens_lost')
UNION ALL
SELECT event_id, date(created_at), flow, language, 'reached', to_state
FROM link_stats_attempts
WHERE first_reach AND to_state IN ('awaiting_code', 'awaiting_authorization', 'exchanging', 'active', 'needs_review', 'rejected', 'locked', 'expired')
UNION ALL
SELECT event_id, date(created_at), flow, language, 'reached', 'abandoned'
FROM link_stats_attempts
WHERE to_state = 'unlinked'
  AND from_state IN ('pending', 'awaiting_code', 'awaiting_authorization', 'expired', 'locked')
UNION ALL
SELECT event_id, date(created_at), flow, language, 'active_within',
       CASE WHEN secs <= 60 THEN '60' WHEN secs <= 300 THEN '300' WHEN secs <= 900 THEN '900'
            WHEN secs <= 3600 THEN '3600' WHEN secs <= 21600 THEN '21600'
            WHEN secs <= 86400 THEN '86400' WHEN secs <= 604800 THEN '604800' ELSE 'inf' END
FROM (SELECT *, (julianday(created_at) - julianday(started_at)) * 86400 AS secs
      FROM link_stats_attempts WHERE to_state = 'active' AND first_reach) a;

CREATE TRIGGER link_stats_count AFTER INSERT ON link_events
    -- Only events that can count anything call it (a superset of the view's conditions).
WHEN (NEW.from_state IS NULL
      OR NEW.event IN ('relink_started', 'refresh_failing', 'refresh_recovered', 'access_revoked', 'tokens_lost')
      OR NEW.to_state IN ('awaiting_code', 'awaiting_authorization', 'exchanging', 'active', 'needs_review',
                          'rejected', 'locked', 'expired', 'unlinked'))
BEGIN
    INSERT INTO link_stats (day, kind, name, flow, language, shard, n)
    SELECT day, kind, name, flow, language, 0, 1
    FROM link_stats_counts WHERE event_id = NEW.id
    ON CONFLICT (day, kind, name, flow, language, shard) DO UPDATE SET n = n + excluded.n;
END;

-- The history so far, counted by the same view.
INSERT INTO link_stats (day, kind, name, flow, language, shard, n)
SELECT day, kind, name, flow, language, 0, count(*)
FROM link_stats_counts
GROUP BY day, kind, name, flow, language;
