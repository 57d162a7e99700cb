#!/usr/bin/env bash
# The staff review queue under a realistic backlog: PostgreSQL with 100,000 links, 20,000 of them
# in needs_review. Measures the queue's first page, a deep page (10,000 links in) and a search,
# each rendered by `wiselink serve` (release build) for a signed-in reviewer, with wrk at a
# concurrency well below saturation, and prints EXPLAIN ANALYZE for each query.
#
#   scripts/bench-queue.sh
#   BENCH_POSTGRES_URL=postgres://…/postgres BENCH_CONNECTIONS=4 scripts/bench-queue.sh
#
# Target: p99 < 100 ms for each page; each plan uses an index.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
connections="${BENCH_CONNECTIONS:-4}"
duration="${BENCH_DURATION:-10s}"
port=18391
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }

if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi
db="wiselink_bench_queue_$$"
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

echo "== seeding 100,000 customers and links (20,000 needs_review) =="
psql -q "$url" <<'SQL'
INSERT INTO customers (customer_ref, email, date_of_birth, first_name, last_name, language, created_at, updated_at)
SELECT 'bench-' || g, 'bench' || g || '@example.com', DATE '1960-01-01' + (g % 15000), 'Ada', 'Lovelace', 'EN',
       now() - make_interval(secs => g), now() - make_interval(secs => g)
FROM generate_series(1, 100000) AS g;
INSERT INTO links (id, customer_id, flow, state, signup_email, attempts_remaining, created_at, updated_at, review_reason)
SELECT 'lnk_' || lpad(to_hex(c.id), 32, '0'), c.id, 'email_code',
       CASE WHEN c.id % 5 = 0 THEN 'needs_review' WHEN c.id % 50 = 1 THEN 'locked'
            WHEN c.id % 50 = 3 THEN 'rejected' ELSE 'active' END,
       c.email, 5, c.created_at, now() - make_interval(secs => (c.id * 7919) % 2000000),
       CASE WHEN c.id % 5 = 0 THEN 'dob_mismatch' END
FROM customers c;
-- As autovacuum leaves a live table: statistics and the visibility map (index-only counts).
VACUUM ANALYZE;
SELECT state, count(*) FROM links GROUP BY state ORDER BY state;
SQL

echo "violet-otter-27-lantern" | "$bin" staff add bench --role reviewer --password-stdin >/dev/null
"$bin" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
cookie=$(curl -s -i -X POST -H 'Sec-Fetch-Site: same-origin' \
    -d 'username=bench&password=violet-otter-27-lantern' "http://127.0.0.1:$port/staff/login" \
    | tr -d '\r' | sed -n 's/^set-cookie: \(__Host-wiselink-staff=[^;]*\).*/\1/Ip')
[ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }

deep=$(psql -At "$url" -c "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint || '.' || id FROM links WHERE state = 'needs_review' ORDER BY updated_at, id OFFSET 10000 LIMIT 1")
deep_at=$(psql -At "$url" -c "SELECT updated_at FROM links WHERE state = 'needs_review' ORDER BY updated_at, id OFFSET 10000 LIMIT 1")
deep_id="${deep#*.}"
declare -A pages=(
    [first]="/staff"
    [deep]="/staff?state=needs_review&after=$deep"
    [search]="/staff?state=needs_review&q=bench12345%40example.com"
)
for name in first deep search; do
    path="${pages[$name]}"
    status=$(curl -s -o "$work/$name.html" -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port$path")
    rows=$(grep -c '/staff/links/lnk_' "$work/$name.html" || true)
    echo
    echo "== $name page: GET $path -> $status, $rows links =="
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port$path" \
        | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx'
done

# The queries the pages run (as diesel writes them), with their plans.
select="SELECT links.id, customers.customer_ref, customers.email FROM links INNER JOIN customers ON customers.id = links.customer_id"
explain() {
    echo
    echo "== EXPLAIN ANALYZE: $1 =="
    psql -At "$url" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $2"
}
explain "first page" "$select WHERE links.state = 'needs_review' ORDER BY links.updated_at, links.id LIMIT 26"
explain "deep page" "$select WHERE links.state = 'needs_review' AND links.updated_at >= '$deep_at' AND (links.updated_at > '$deep_at' OR links.id > '$deep_id') ORDER BY links.updated_at, links.id LIMIT 26"
explain "search by email" "$select WHERE links.state = 'needs_review' AND customers.email = 'bench12345@example.com' ORDER BY links.updated_at, links.id LIMIT 26"
explain "search by customer reference" "$select WHERE links.state = 'needs_review' AND customers.customer_ref = 'bench-12345' ORDER BY links.updated_at, links.id LIMIT 26"
explain "counts per state" "SELECT count(*) FROM links WHERE state = 'needs_review'"
