#!/usr/bin/env bash
# `wiselink import` of BENCH_ROWS rows (100,000) against the Wise simulator (both release builds,
# standalone processes), on SQLite and on PostgreSQL: rows per second as the import goes, and the
# import process's memory (RSS) beside it, which must stay flat however long the file is.
#
#   scripts/bench-import.sh                                  # 100,000 rows, both backends
#   BENCH_ROWS=20000 BENCH_BACKENDS=postgres scripts/bench-import.sh
#   BENCH_CONCURRENCY=16 scripts/bench-import.sh             # rows proven at once (the CLI's 4)
#   BENCH_BIN=/path/to/other/wiselink scripts/bench-import.sh
#
# The Wise call budget is RAISED for the run (as in scripts/bench-flows.sh): a row costs up to
# three Wise calls (the refresh, the user, the profiles), and Wise's own limits leave background
# work 675 calls a minute, so 100,000 rows take at least 7 h 24 min there — the import says so
# before it starts. The figures here are wiselink's own speed.
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${BENCH_BACKENDS:-sqlite postgres}"
rows="${BENCH_ROWS:-100000}"
concurrency="${BENCH_CONCURRENCY:-4}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
sim_port=18482

if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet --bin wiselink
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

. scripts/proc-usage.sh

export WISELINK__WISE__BUDGET__PER_SECOND=1000000
export WISELINK__WISE__BUDGET__PER_MINUTE=60000000
export WISELINK__WISE__API_URL="http://127.0.0.1:$sim_port"
export WISELINK__LOG__FILTER=warn
"$bin" sim --port "$sim_port" >"$work/sim.log" 2>&1 &
sim_pid=$!
pids+=($sim_pid)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$sim_port/__sim/mailbox" && break; sleep 0.1; done

for backend in $backends; do
    case "$backend" in
    sqlite) export WISELINK__DATABASE__URL="sqlite://$work/import.sqlite3" ;;
    postgres)
        name="wiselink_import_$$"
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        export WISELINK__DATABASE__URL="${pg_admin%/*}/$name?sslmode=disable"
        ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    "$bin" migrate >/dev/null
    # The Wise users the partner already linked, and the file it exports of them.
    curl -fs -X POST "http://127.0.0.1:$sim_port/__sim/linked-users" -H 'Content-Type: application/json' \
        -d "{\"count\": $rows, \"email_prefix\": \"bench-$backend-\", \"date_of_birth\": \"1990-04-17\"}" >"$work/users.json"
    python3 - "$work/users.json" "$work/links.jsonl" "$backend" <<'PY'
import json, sys
users = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for i, u in enumerate(users):
        out.write(json.dumps({
            "customer_ref": f"{sys.argv[3]}-{i}", "email": u["email"], "date_of_birth": "1990-04-17",
            "first_name": "Ada", "last_name": "Lovelace", "wise_user_id": u["user_id"],
            "wise_profile_id": u["profile_id"], "refresh_token": u["refresh_token"],
        }) + "\n")
PY
    echo "== $backend: $rows rows, $concurrency at once, $(du -h "$work/links.jsonl" | cut -f1) of JSON Lines =="
    sim0=$(cpu_ms "$sim_pid"); pg0=0
    [ "$backend" = postgres ] && pg0=$(pg_cpu_ms "$name")
    started=$(date +%s%N)
    "$bin" import "$work/links.jsonl" --concurrency "$concurrency" >"$work/out-$backend.txt" 2>"$work/err-$backend.txt" &
    import_pid=$!
    : >"$work/samples"
    # Every second: seconds since the start, rows done (the import's last progress line), RSS.
    while kill -0 "$import_pid" 2>/dev/null; do
        done_rows=$(grep -o 'import: [0-9]*' "$work/err-$backend.txt" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
        cpu=$(cpu_ms "$import_pid")
        pg=0
        [ "$backend" = postgres ] && pg=$(($(pg_cpu_ms "$name") - pg0))
        echo "$(( ($(date +%s%N) - started) / 1000000 )) ${done_rows:-0} $(rss_mb "$import_pid") $cpu $pg" >>"$work/samples"
        sleep 1
    done
    status=0
    wait "$import_pid" || status=$?
    took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    sim1=$(cpu_ms "$sim_pid")
    tail -n 3 "$work/out-$backend.txt" | sed 's/^/  /'
    [ "$status" = 0 ] || { echo "  the import exited $status" >&2; tail -n 5 "$work/err-$backend.txt" >&2; exit 1; }
    # Rate and memory at each tenth of the run (progress lines come every 5 s).
    echo "  elapsed s, rows done, rows/s since the sample before, import RSS MB:"
    awk -v n="$rows" 'BEGIN { step = n / 10; next_at = step }
        $2 >= next_at { rate = ($2 - r) / (($1 - t) / 1000); printf "   %6.0f %8d %8.0f %6d\n", $1 / 1000, $2, rate, $3; t = $1; r = $2; while (next_at <= $2) next_at += step }
        { if ($3 > peak) peak = $3 } END { printf "  peak RSS %d MB\n", peak }' "$work/samples"
    # The import's and its PostgreSQL backends' CPU as last sampled (both are gone at the end).
    read -r last_cpu last_pg < <(tail -n 1 "$work/samples" | awk '{ print $4, $5 }')
    awk -v n="$rows" -v ms="$took_ms" -v i="$last_cpu" -v m=$((sim1 - sim0)) -v p="$last_pg" 'BEGIN {
        printf "  %.0f rows/s over %.0f s; CPU per row: import %.2f ms, simulator %.2f ms, postgres %.2f ms\n", n / (ms / 1000), ms / 1000, i / n, m / n, p / n
    }'
    [ "$backend" = postgres ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
done
