#!/usr/bin/env bash
# Throughput and latency of GET /v1/customers/{ref} (API key + one customer read) against the
# /healthz floor, on SQLite and on PostgreSQL, with wrk at 64 connections.
#
#   scripts/bench.sh                       # both backends, 10 s per run
#   BENCH_BACKENDS=sqlite BENCH_DURATION=30s scripts/bench.sh
#   BENCH_BIN=/path/to/other/wiselink scripts/bench.sh   # another build, e.g. to compare commits
#
# Targets: the customer read sustains >= 35 % of /healthz throughput on SQLite and >= 25 % on
# PostgreSQL, with p99 < 10 ms. Prints one summary line per backend and exits non-zero if a
# target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${BENCH_BACKENDS:-sqlite postgres}"
duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if ! command -v wrk >/dev/null; then
    echo "== installing wrk =="
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# wrk_run URL [HEADER] -> "requests_per_sec p99_ms"
wrk_run() {
    local url=$1 header=${2:-}
    local out
    if [ -n "$header" ]; then
        out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "$header" "$url")
    else
        out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url")
    fi
    if echo "$out" | grep -q "Non-2xx"; then
        echo "non-2xx responses from $url:" >&2
        echo "$out" >&2
        exit 1
    fi
    local rps p99
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    echo "$rps $(to_ms "$p99")"
}

to_ms() {
    local v=$1
    case "$v" in
    *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x / 1000}' ;;
    *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
    *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x * 1000}' ;;
    esac
}

status=0
for backend in $backends; do
    case "$backend" in
    sqlite)
        db_url="sqlite://$work/bench.sqlite3"
        target=35
        ;;
    postgres)
        name="wiselink_bench_$$"
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        # wiselink and PostgreSQL share the machine: no TLS on loopback (see docs/benchmarks.md).
        db_url="${pg_admin%/*}/$name?${BENCH_POSTGRES_PARAMS-sslmode=disable}"
        target=25
        ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    export WISELINK__DATABASE__URL="$db_url"
    export WISELINK__LOG__FILTER=warn
    export WISELINK__SERVER__PORT="${BENCH_PORT:-18181}"
    key=$("$bin" api-key create --name bench | tail -n 1)
    "$bin" serve >"$work/serve-$backend.log" 2>&1 &
    server_pid=$!
    base="http://127.0.0.1:$WISELINK__SERVER__PORT"
    for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
    curl -fs -X PUT "$base/v1/customers/bench-1" -H "Authorization: Bearer $key" \
        -H 'content-type: application/json' \
        -d '{"email":"bench@example.com","date_of_birth":"1990-04-17","first_name":"Bench","last_name":"Mark"}' >/dev/null

    read -r floor_rps floor_p99 < <(wrk_run "$base/healthz")
    read -r read_rps read_p99 < <(wrk_run "$base/v1/customers/bench-1" "Authorization: Bearer $key")
    ratio=$(awk -v a="$read_rps" -v b="$floor_rps" 'BEGIN {printf "%.1f", 100 * a / b}')
    verdict=$(awk -v r="$ratio" -v t="$target" -v p="$read_p99" 'BEGIN {print (r >= t && p < 10) ? "PASS" : "FAIL"}')
    [ "$verdict" = PASS ] || status=1
    printf '%-8s healthz %9.0f req/s (p99 %6.2f ms) | customer read %9.0f req/s (p99 %6.2f ms) | %5.1f %% of floor (target >= %d %%, p99 < 10 ms) %s\n' \
        "$backend" "$floor_rps" "$floor_p99" "$read_rps" "$read_p99" "$ratio" "$target" "$verdict"

    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    if [ "$backend" = postgres ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
done
exit $status
