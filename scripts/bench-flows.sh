#!/usr/bin/env bash
# Complete email-code flows per second through wiselink and the Wise simulator (both release
# builds, standalone processes), on SQLite and on PostgreSQL.
#
#   scripts/bench-flows.sh                               # 2000 flows at 64 concurrent, both backends
#   BENCH_FLOWS=5000 BENCH_BACKENDS=postgres scripts/bench-flows.sh
#   BENCH_BIN=/path/to/other/wiselink scripts/bench-flows.sh   # another build of serve + sim,
#                                                               # e.g. to compare two commits
#   BENCH_WEBHOOKS=1 scripts/bench-flows.sh              # with one webhook endpoint subscribed to
#                                                        # everything (a receiver in the driver)
#   BENCH_TRACES=1 scripts/bench-flows.sh                # with OpenTelemetry traces exported to a
#                                                        # collector stand-in that counts what arrives
#
# With BENCH_PG_STATEMENTS=1 (and PostgreSQL started with shared_preload_libraries =
# 'pg_stat_statements'), the PostgreSQL run also prints each statement's calls and execution time
# per flow: where the database's share of a flow goes.
#
# Target on a 2-core machine: >= 500 complete flows/s on PostgreSQL at 64 concurrent flows, p99 <
# 50 ms per call. The driver prints the figures; compare them with the target. The script then
# prints the CPU time each process spent per flow (from /proc), which shows where the time goes,
# and the rate those CPU costs allow on this machine's cores. Both the rate and the CPU per flow
# move by ±15 % within minutes on a shared virtual machine: compare builds in alternating runs.
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${BENCH_BACKENDS:-sqlite postgres}"
flows="${BENCH_FLOWS:-2000}"
concurrency="${BENCH_CONCURRENCY:-64}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
api_port=18381
sim_port=18382

if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi
cargo bench --bench flows --no-run --quiet 2>/dev/null || cargo bench --bench flows --no-run
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

. scripts/proc-usage.sh

# wiselink's own capacity, not Wise's: the Wise call budget (docs/wise-budget.md) is raised far
# past Wise's limits of 100 calls/s and 1,000/min, which would otherwise hold the run to about 22
# flows (or 12 refreshes) a second. Every call still passes through it.
export WISELINK__WISE__BUDGET__PER_SECOND="${WISELINK__WISE__BUDGET__PER_SECOND:-1000000}"
export WISELINK__WISE__BUDGET__PER_MINUTE="${WISELINK__WISE__BUDGET__PER_MINUTE:-60000000}"

. scripts/pair-env.sh
pair_with_sim "$api_port" "$sim_port"

if [ -n "${BENCH_TRACES:-}" ]; then
    # A stand-in for a collector's OTLP/HTTP endpoint: answers every export 200 and counts them.
    trace_port=18383
    python3 - "$trace_port" "$work/otlp.count" <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
seen = [0, 0]
class Export(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        seen[0] += 1
        seen[1] += len(body)
        with open(out, "w") as f:
            f.write(f"{seen[0]} {seen[1]}\n")
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Export).serve_forever()
PY
    pids+=($!)
    export WISELINK__TRACES__OTLP_ENDPOINT="http://127.0.0.1:$trace_port/v1/traces"
fi

"$bin" sim --port "$sim_port" >"$work/sim.log" 2>&1 &
sim_pid=$!
pids+=($sim_pid)
for backend in $backends; do
    case "$backend" in
    sqlite) export WISELINK__DATABASE__URL="sqlite://$work/flows.sqlite3" ;;
    postgres)
        name="wiselink_flows_$$"
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        # wiselink and PostgreSQL share the machine: no TLS on loopback (see docs/benchmarks.md).
        export WISELINK__DATABASE__URL="${pg_admin%/*}/$name?${BENCH_POSTGRES_PARAMS-sslmode=disable}"
        ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    key=$("$bin" api-key create --name flows | tail -n 1)
    "$bin" serve >"$work/serve-$backend.log" 2>&1 &
    serve_pid=$!
    pids+=($serve_pid)
    for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$api_port/healthz" && break; sleep 0.1; done
    echo "== $backend: $flows flows at concurrency $concurrency =="
    serve0=$(cpu_ms "$serve_pid"); sim0=$(cpu_ms "$sim_pid"); pg0=0
    [ "$backend" = postgres ] && pg0=$(pg_cpu_ms "$name")
    statements=""
    if [ "$backend" = postgres ] && [ -n "${BENCH_PG_STATEMENTS:-}" ]; then
        statements="$pg_admin"
        psql -q "$statements" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
    fi
    TIMEFORMAT='%U %S'
    { time cargo bench --bench flows --quiet -- --api "http://127.0.0.1:$api_port" --sim "http://127.0.0.1:$sim_port" \
        --key "$key" --flows "$flows" --concurrency "$concurrency" --webhooks "${BENCH_WEBHOOKS:-0}" 2>&1; } 2>"$work/driver.time"
    serve1=$(cpu_ms "$serve_pid"); sim1=$(cpu_ms "$sim_pid"); pg1=0
    [ "$backend" = postgres ] && pg1=$(pg_cpu_ms "$name")
    driver=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/driver.time")
    awk -v f="$flows" -v s=$((serve1 - serve0)) -v m=$((sim1 - sim0)) -v p=$((pg1 - pg0)) -v d="$driver" \
        -v cores="$(nproc)" 'BEGIN {
            t = (s + m + p + d) / f
            printf "  CPU per flow: serve %.2f ms, simulator %.2f ms, postgres %.2f ms, driver %.2f ms (incl. cargo)\n", s / f, m / f, p / f, d / f
            printf "  total %.2f ms per flow: %d cores allow at most %.0f flows/s\n", t, cores, cores * 1000 / t
        }'
    if [ -n "$statements" ]; then
        echo "  statements per flow (calls, execution ms per flow, statement):"
        psql -At -F ' ' "$statements" -c "SELECT to_char(s.calls::numeric / $flows, '90.00'), to_char(s.total_exec_time::numeric / $flows, '0.000'), left(regexp_replace(s.query, '\s+', ' ', 'g'), 90)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$name' AND s.calls >= $flows / 2
            ORDER BY s.total_exec_time DESC" | sed 's/^/   /'
    fi
    kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
    if [ -n "${BENCH_TRACES:-}" ]; then
        # The stand-in counts from its start: this backend's share is the difference.
        read -r exports bytes < "$work/otlp.count" || true
        exports=${exports:-0} bytes=${bytes:-0}
        echo "  traces: $((exports - ${exports_before:-0})) exports, $(((bytes - ${bytes_before:-0}) / flows)) bytes per flow (until serve stopped)"
        exports_before=$exports bytes_before=$bytes
    fi
    if [ "$backend" = postgres ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
done
