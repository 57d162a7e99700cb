#!/usr/bin/env bash
# How fast `wiselink serve` (release build) renders the customer's link page, `GET /link/{token}`
# (session lookup joined with the customer's language, the Fluent texts, the askama template),
# against a static asset of the same service (`GET /assets/wiselink.css`), with wrk in the same
# run, alternating, at the same concurrency.
#
#   scripts/bench-link-page.sh                       # SQLite (the default)
#   BENCH_DATABASE=postgres scripts/bench-link-page.sh
#   BENCH_CONNECTIONS=16 BENCH_DURATION=10s BENCH_ROUNDS=3 scripts/bench-link-page.sh
#
# Target: the page's throughput is at least 50 % of the static asset's.
set -euo pipefail
cd "$(dirname "$0")/.."

connections="${BENCH_CONNECTIONS:-16}"
duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
backend="${BENCH_DATABASE:-sqlite}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
if [ -n "${BENCH_BIN:-}" ]; then
    bin="$BENCH_BIN"
else
    cargo build --release --quiet
    bin="$(scripts/target-dir.sh)/release/wiselink"
fi

port=18393
sim_port=18394
# shellcheck source=scripts/bench-serve.sh
. scripts/bench-serve.sh
bench_serve page

# One customer, German-speaking, with a link awaiting Wise's code: the page most customers see.
curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","date_of_birth":"1990-04-17","first_name":"Ada","last_name":"Lovelace"}' \
    "http://127.0.0.1:$sim_port/__sim/users"
curl -fs -o /dev/null -X PUT -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","date_of_birth":"1990-04-17","first_name":"Ada","last_name":"Lovelace","language":"de"}' \
    "http://127.0.0.1:$port/v1/customers/bench-1"
token=$(curl -fs -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"customer_ref":"bench-1"}' "http://127.0.0.1:$port/v1/links" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["link_session_token"])')
page="/link/$token"
status=$(curl -s -o "$work/page.html" -w '%{http_code}' "http://127.0.0.1:$port$page")
grep -q '<html lang="de">' "$work/page.html" || { echo "the page is not the German code page" >&2; exit 1; }
echo "== $backend: link page $status, $(wc -c <"$work/page.html") bytes; wiselink.css $(curl -s "http://127.0.0.1:$port/assets/wiselink.css" | wc -c) bytes =="
echo "wrk -t2 -c$connections -d$duration, $rounds rounds, alternating"

# Requests per second for $1, whose every answer must be 200 (or $2).
rate() { wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port$1" >"$work/wrk.txt"
    if [ -z "${2:-}" ] && grep -q 'Non-2xx' "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
    awk '/Requests\/sec/ {print $2}' "$work/wrk.txt"
    awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} END {print p50, p99}' "$work/wrk.txt" >"$work/lat.txt"; }
# Two more figures split the page's cost: the same base template and texts for a token that is
# not one (no database call), and for one that could be but opens nothing (the lookup, then that
# page), so the rest is the code page's own screen.
bare="/link/not-a-session"
unknown="/link/wls_$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
total_page=0
total_static=0
total_bare=0
for round in $(seq 1 "$rounds"); do
    s=$(rate /assets/wiselink.css); sl=$(cat "$work/lat.txt")
    b=$(rate "$bare" 404); bl=$(cat "$work/lat.txt")
    u=$(rate "$unknown" 404); ul=$(cat "$work/lat.txt")
    p=$(rate "$page"); pl=$(cat "$work/lat.txt")
    printf 'round %d: static %6.0f req/s (p50 %s, p99 %s) | page without lookup %6.0f req/s (p50 %s, p99 %s) | lookup finding nothing %6.0f req/s (p50 %s, p99 %s) | link page %6.0f req/s (p50 %s, p99 %s) = %4.1f %%\n' \
        "$round" "$s" ${sl% *} ${sl#* } "$b" ${bl% *} ${bl#* } "$u" ${ul% *} ${ul#* } "$p" ${pl% *} ${pl#* } "$(echo "100 * $p / $s" | bc -l)"
    total_page=$(echo "$total_page + $p" | bc -l)
    total_static=$(echo "$total_static + $s" | bc -l)
    total_bare=$(echo "$total_bare + $b" | bc -l)
done
printf 'mean: static %.0f req/s; page without lookup %.0f req/s (%.1f %%); link page %.0f req/s = %.1f %% of the static asset; target >= 50 %%\n' \
    "$(echo "$total_static / $rounds" | bc -l)" "$(echo "$total_bare / $rounds" | bc -l)" \
    "$(echo "100 * $total_bare / $total_static" | bc -l)" "$(echo "$total_page / $rounds" | bc -l)" \
    "$(echo "100 * $total_page / $total_static" | bc -l)"
