#!/usr/bin/env bash
# The token refresher under a full backlog: 100,000 active links on PostgreSQL whose access
# tokens all fall due at once, drained by `wiselink serve` (release build) against `wiselink sim`
# (release build, its own process). Prints refreshes per second, serve's memory before, while and
# after draining, how many links were refreshed exactly once, and how many of a sample hold a
# token the simulator takes.
#
#   scripts/bench-refresh.sh
#   BENCH_LINKS=20000 WISELINK__TOKENS__CONCURRENCY=64 scripts/bench-refresh.sh
#
# Target: >= 2,000 refreshes/s, memory flat, 0 double refreshes.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
sim_port=18393
cargo build --release --quiet --bin wiselink --bench refresher
bin="$(scripts/target-dir.sh)/release/wiselink"
bench=$(ls -t "$(scripts/target-dir.sh)"/release/deps/refresher-* | grep -v '\.d$' | head -n 1)
db="wiselink_bench_refresh_$$"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT
psql -q "$pg_admin" -c "CREATE DATABASE $db"
url="${pg_admin%/*}/$db"
WISELINK__DATABASE__URL="$url" "$bin" migrate >/dev/null

# wiselink's own capacity, not Wise's: the Wise call budget (docs/wise-budget.md) is raised far
# past Wise's limits of 100 calls/s and 1,000/min, which would otherwise hold the run to about 22
# flows (or 12 refreshes) a second. Every call still passes through it.
export WISELINK__WISE__BUDGET__PER_SECOND="${WISELINK__WISE__BUDGET__PER_SECOND:-1000000}"
export WISELINK__WISE__BUDGET__PER_MINUTE="${WISELINK__WISE__BUDGET__PER_MINUTE:-60000000}"

WISELINK__LOG__FILTER=warn "$bin" sim --port "$sim_port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$sim_port/__sim/mailbox" && break
    sleep 0.1
done

echo "== refresher: $(nproc) cores, tokens.concurrency=${WISELINK__TOKENS__CONCURRENCY:-32}, tokens.batch_size=${WISELINK__TOKENS__BATCH_SIZE:-200}, database.pool_size=${WISELINK__DATABASE__POOL_SIZE:-8} =="
BENCH_SIM="http://127.0.0.1:$sim_port" BENCH_DATABASE_URL="$url" BENCH_SERVE_BIN="$bin" "$bench"
