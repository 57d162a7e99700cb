#!/usr/bin/env bash
# The crash matrix: kill -9 of `wiselink serve` while links sit at each recovery point (pending,
# exchanging, verifying) and an email is leased mid-delivery, restart, and check what recovery made
# of them. See docs/reliability.md.
#
#   scripts/crash-matrix.sh                        # 20 kills per point, SQLite
#   CRASH_ROUNDS=5 CRASH_BACKEND=postgres scripts/crash-matrix.sh
#   CRASH_BIN=/path/to/wiselink scripts/crash-matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${CRASH_ROUNDS:-20}"
pg_admin="${CRASH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
api_port=18391
sim_port=18392
smtp_port=18393
if [ -n "${CRASH_BIN:-}" ]; then
    bin="$CRASH_BIN"
else
    cargo build --quiet
    bin="$(scripts/target-dir.sh)/debug/wiselink"
fi
work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    pkill -9 -f "$bin serve" 2>/dev/null || true
    [ "${CRASH_BACKEND:-sqlite}" = postgres ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS wiselink_crash_$$ WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

. scripts/pair-env.sh
pair_with_sim "$api_port" "$sim_port"
# The shortest lease the start-up check allows with a 5 s Wise budget, so recovery comes soon.
export WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS=15
export WISELINK__WORKERS__RECOVERY_INTERVAL_MS=200
export WISELINK__LINKS__WISE_BUDGET_SECS=5
export WISELINK__WISE__REQUEST_TIMEOUT_MS=4500
# Emails go to the driver's SMTP server; the shortest lease the start-up check allows.
export WISELINK__MAIL__TRANSPORT=smtp
export WISELINK__MAIL__SMTP_URL="smtp://127.0.0.1:$smtp_port"
export WISELINK__MAIL__SMTP_TIMEOUT_SECS=2
export WISELINK__MAIL__LEASE_SECS=7
export WISELINK__MAIL__RELAY_INTERVAL_MS=200
case "${CRASH_BACKEND:-sqlite}" in
sqlite) export WISELINK__DATABASE__URL="sqlite://$work/crash.sqlite3" ;;
postgres)
    psql -q "$pg_admin" -c "CREATE DATABASE wiselink_crash_$$"
    export WISELINK__DATABASE__URL="${pg_admin%/*}/wiselink_crash_$$?sslmode=disable"
    ;;
*) echo "unknown backend ${CRASH_BACKEND}" >&2; exit 2 ;;
esac

"$bin" sim --port "$sim_port" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$sim_port/__sim/calls" && break; sleep 0.1; done
echo "== crash matrix: $rounds kills per recovery point, ${CRASH_BACKEND:-sqlite} =="
CRASH_LOG="$work/serve.log" python3 scripts/crash_matrix.py "$bin" "http://127.0.0.1:$api_port" \
    "http://127.0.0.1:$sim_port" "$rounds" "$smtp_port"
