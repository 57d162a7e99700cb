#!/usr/bin/env bash
# The linking funnel on a big history: PostgreSQL with 1,000,000 links and about 3.3 million link
# events over the past year, counted into link_stats the way the migration counts an existing
# history. Measures `GET /v1/stats` and the staff Insights page (release build, a signed-in viewer)
# over 30 days by day, 90 days by day, 365 days by day and 365 days by week, with wrk at a
# concurrency well below saturation, and prints the plan of the count read.
#
#   scripts/bench-stats.sh
#   BENCH_LINKS=100000 BENCH_DURATION=5s scripts/bench-stats.sh
#   BENCH_BIN=/path/to/wiselink BENCH_POSTGRES_URL=postgres://…/postgres scripts/bench-stats.sh
#
# Target: p99 < 200 ms for the page.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
links="${BENCH_LINKS:-1000000}"
connections="${BENCH_CONNECTIONS:-4}"
duration="${BENCH_DURATION:-10s}"
port=18393
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }

if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet --bin wiselink
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi
db="wiselink_bench_stats_$$"
work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT
psql -q "$pg_admin" -c "CREATE DATABASE $db"
url="${pg_admin%/*}/$db"
export WISELINK__DATABASE__URL="$url"
export WISELINK__SERVER__PORT=$port
export WISELINK__SERVER__PUBLIC_URL="http://127.0.0.1:$port"
export WISELINK__LOG__FILTER=warn
export WISELINK__STAFF__LOGINS_PER_IP_PER_MINUTE=1000
"$bin" migrate >/dev/null

# The links' current states are active (one in 500 in review) with no tokens, so no worker touches
# them during the run; their events tell the year's story: 30 % linked (5 events), 40 % still
# waiting (2), 20 % expired (3), 10 % locked after wrong codes (4). One in five took Wise's page.
echo "== seeding $links links and their events over 365 days =="
started=$(date +%s)
psql -q -v ON_ERROR_STOP=1 -v n="$links" "$url" <<'SQL'
ALTER TABLE links DISABLE TRIGGER USER;
ALTER TABLE link_events DISABLE TRIGGER USER;
INSERT INTO customers (id, customer_ref, email, date_of_birth, first_name, last_name, language, created_at, updated_at)
SELECT g, 'bench-' || g, 'bench-' || g || '@example.com', DATE '1960-01-01' + g % 15000, 'Ada', 'Lovelace',
       (ARRAY['EN', 'DE', 'ES'])[1 + g % 3], t, t
FROM (SELECT g, TIMESTAMP '2026-12-07 23:00' - make_interval(days => g % 365, secs => g % 80000) AS t
      FROM generate_series(1, :n) g) s;
INSERT INTO links (id, customer_id, flow, state, signup_email, attempts_remaining, created_at, updated_at)
SELECT 'lnk_' || lpad(to_hex(id), 32, '0'), id, CASE WHEN id % 5 = 0 THEN 'redirect' ELSE 'email_code' END,
       CASE WHEN id % 500 = 7 THEN 'needs_review' ELSE 'active' END,
       'bench-' || id || '@example.com', 5, created_at, created_at + interval '10 minutes'
FROM customers;
INSERT INTO link_events (link_id, actor, from_state, to_state, event, created_at)
SELECT l.id, 'bench', CASE WHEN u.i > 1 THEN p.states[u.i - 1] END, u.state, u.event,
       l.created_at + make_interval(secs => (u.i - 1) * (20 + (c.id * 7919) % 900))
FROM links l
JOIN customers c ON c.id = l.customer_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN l.flow = 'redirect' THEN 'awaiting_authorization' ELSE 'awaiting_code' END AS waiting,
           CASE WHEN l.flow = 'redirect' THEN 'redirect_issued' ELSE 'wise_user_exists' END AS asked
) w
CROSS JOIN LATERAL (
    SELECT CASE c.id % 10
        WHEN 0 THEN ARRAY['pending', w.waiting, 'exchanging', 'verifying', 'active']
        WHEN 1 THEN ARRAY['pending', w.waiting, 'exchanging', 'verifying', 'active']
        WHEN 2 THEN ARRAY['pending', w.waiting, 'exchanging', 'verifying', 'active']
        WHEN 7 THEN ARRAY['pending', w.waiting, 'expired']
        WHEN 8 THEN ARRAY['pending', w.waiting, 'expired']
        WHEN 9 THEN ARRAY['pending', w.waiting, 'exchanging', 'locked']
        ELSE ARRAY['pending', w.waiting] END AS states,
    CASE c.id % 10
        WHEN 0 THEN ARRAY[NULL, w.asked, 'code_submitted', 'tokens_stored', 'identity_matched']
        WHEN 1 THEN ARRAY[NULL, w.asked, 'code_submitted', 'tokens_stored', 'identity_matched']
        WHEN 2 THEN ARRAY[NULL, w.asked, 'code_submitted', 'tokens_stored', 'identity_matched']
        WHEN 7 THEN ARRAY[NULL, w.asked, 'code_window_closed']
        WHEN 8 THEN ARRAY[NULL, w.asked, 'code_window_closed']
        WHEN 9 THEN ARRAY[NULL, w.asked, 'code_submitted', 'too_many_wrong_codes']
        ELSE ARRAY[NULL, w.asked] END AS events
) p
CROSS JOIN LATERAL unnest(p.states, p.events) WITH ORDINALITY AS u(state, event, i)
ORDER BY l.created_at, l.id, u.i;
-- What the migration does for a history that exists before it: past days in shard 0, as the
-- hourly fold leaves them; today and yesterday in the 8 shards the trigger spreads them over.
INSERT INTO link_stats (day, kind, name, flow, language, shard, n)
SELECT day, kind, name, flow, language, CASE WHEN day >= DATE '2026-12-06' THEN event_id % 8 ELSE 0 END, count(*)
FROM link_stats_counts
GROUP BY day, kind, name, flow, language, CASE WHEN day >= DATE '2026-12-06' THEN event_id % 8 ELSE 0 END;
ALTER TABLE links ENABLE TRIGGER USER;
ALTER TABLE link_events ENABLE TRIGGER USER;
VACUUM ANALYZE;
SQL
echo "seeded and counted in $(( $(date +%s) - started )) s:"
psql -At "$url" -c "SELECT (SELECT count(*) FROM links) || ' links, ' || (SELECT count(*) FROM link_events) || ' events, ' || (SELECT count(*) FROM link_stats) || ' count rows'"

echo "violet-otter-27-lantern" | "$bin" staff add bench --role viewer --password-stdin >/dev/null
"$bin" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
key=$("$bin" api-key create --name bench | tail -n 1)
cookie=$(curl -s -i -X POST -H 'Sec-Fetch-Site: same-origin' \
    -d 'username=bench&password=violet-otter-27-lantern' "http://127.0.0.1:$port/staff/login" \
    | tr -d '\r' | sed -n 's/^set-cookie: \(__Host-wiselink-staff=[^;]*\).*/\1/Ip')
[ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }

today=2026-12-07
declare -A spans=(
    [30d-by-day]="from=2026-11-08&to=$today&granularity=day"
    [90d-by-day]="from=2026-09-09&to=$today&granularity=day"
    [365d-by-day]="from=2025-12-08&to=$today&granularity=day"
    [365d-by-week]="from=2025-12-08&to=$today&granularity=week"
)
for span in 30d-by-day 90d-by-day 365d-by-day 365d-by-week; do
    query="${spans[$span]}"
    started_count=$(curl -fs -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/stats?$query" \
        | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["totals"]["started"], "started,", s["totals"]["active"], "active,", len(s["periods"]), "periods")')
    echo
    echo "== $span: $started_count =="
    echo "-- GET /v1/stats?$query"
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $key" \
        "http://127.0.0.1:$port/v1/stats?$query" | grep -E 'Latency|50%|99%|Requests/sec|Non-2xx'
    size=$(curl -s -o "$work/page.html" -w '%{http_code} %{size_download}' -H "Cookie: $cookie" \
        "http://127.0.0.1:$port/staff/insights?$query")
    echo "-- GET /staff/insights?$query ($size bytes)"
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: $cookie" \
        "http://127.0.0.1:$port/staff/insights?$query" | grep -E 'Latency|50%|99%|Requests/sec|Non-2xx'
done

echo
echo "== EXPLAIN ANALYZE: the 365-day count read, split by flow =="
psql -At "$url" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT day, kind, name, flow, CAST(SUM(n) AS BIGINT) FROM link_stats WHERE day BETWEEN '2025-12-08' AND '$today' GROUP BY day, kind, name, flow"
