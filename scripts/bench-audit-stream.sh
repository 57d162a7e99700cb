#!/usr/bin/env bash
# The audit stream catching up after a collector outage: a backlog of 50,000 chained audit rows
# streamed by `wiselink serve` (release build) to a collector that counts the frames, on SQLite
# and on PostgreSQL, ROUNDS times each (default 3). Prints entries per second, bytes per entry and
# serve's CPU time per entry for each round.
#
#   scripts/bench-audit-stream.sh
#   BENCH_ENTRIES=200000 ROUNDS=1 scripts/bench-audit-stream.sh
#   BENCH_BIN=/tmp/old/wiselink scripts/bench-audit-stream.sh     (another build's binary)
set -euo pipefail
cd "$(dirname "$0")/.."

pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
rounds="${ROUNDS:-3}"
cargo build --release --quiet --bin wiselink --bench audit_stream
bin="${BENCH_BIN:-$(scripts/target-dir.sh)/release/wiselink}"
bench=$(ls -t "$(scripts/target-dir.sh)"/release/deps/audit_stream-* | grep -v '\.d$' | head -n 1)
dir=$(mktemp -d)
db=""
cleanup() {
    [ -n "$db" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$dir"
}
trap cleanup EXIT

for round in $(seq 1 "$rounds"); do
    for backend in sqlite postgres; do
        if [ "$backend" = sqlite ]; then
            url="sqlite://$dir/stream-$round.sqlite3"
        else
            db="wiselink_bench_stream_$$_$round"
            psql -q "$pg_admin" -c "CREATE DATABASE $db"
            url="${pg_admin%/*}/$db"
        fi
        WISELINK__DATABASE__URL="$url" "$bin" migrate >/dev/null
        echo "== round $round, $backend =="
        BENCH_DATABASE_URL="$url" BENCH_SERVE_BIN="$bin" "$bench"
        if [ "$backend" = postgres ]; then
            psql -q "$pg_admin" -c "DROP DATABASE $db WITH (FORCE)"
            db=""
        fi
    done
done
