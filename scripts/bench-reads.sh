#!/usr/bin/env bash
# wiselink's hot reads against the floor (crates/floor: actix-web and one customer read, nothing
# else) on the same database, in the same run, alternating, with wrk at 64 connections:
#
#   floor   GET /local/{ref}      diesel-async, a deadpool pool per worker (PostgreSQL)
#   floor   GET /async/{ref}      diesel-async, one deadpool pool shared by the workers (PostgreSQL)
#                                 (both recycle a connection without a round trip)
#   floor   GET /blocking/{ref}   diesel + r2d2 in web::block
#   floor   GET /inline/{ref}     diesel + r2d2 on the worker thread (SQLite)
#   wiselink GET /v1/customers/{ref}              API key from the cache + one read
#   wiselink POST /v1/links/{id}/access-token     API key + one read, no refresh due
#   wiselink GET /healthz
#
#   scripts/bench-reads.sh                                # PostgreSQL, 3 rounds of 10 s
#   BENCH_DATABASE=sqlite BENCH_ROUNDS=5 scripts/bench-reads.sh
#   BENCH_BIN=/path/to/other/wiselink scripts/bench-reads.sh   # another build of wiselink
#
# Targets (PostgreSQL): each wiselink read >= 80 % of the floor's best read route (the median of
# the rounds), p99 < 10 ms. Prints a line per route and round, then the medians and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${BENCH_DATABASE:-postgres}"
connections="${BENCH_CONNECTIONS:-64}"
duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
target_dir="$(scripts/target-dir.sh)"
if [ -z "${BENCH_BIN:-}" ] || [ -z "${BENCH_FLOOR_BIN:-}" ]; then
    cargo build --release --quiet -p wiselink --bin wiselink
    cargo build --release --quiet -p wiselink-floor
fi
bin="${BENCH_BIN:-$target_dir/release/wiselink}"
floor_bin="${BENCH_FLOOR_BIN:-$target_dir/release/wiselink-floor}"

port=18491
sim_port=18492
floor_port=18493
# shellcheck source=scripts/bench-serve.sh
. scripts/bench-serve.sh
bench_serve reads
"$floor_bin" "$WISELINK__DATABASE__URL" "$floor_port" >"$work/floor.log" 2>&1 &
pids+=($!)
bench_wait "http://127.0.0.1:$floor_port/healthz"

# One customer with an active link, brought in by the import: a Wise user already linked at the
# simulator, its refresh token proven, the access token fresh for hours.
user=$(curl -fs -X POST -H 'Content-Type: application/json' \
    -d '{"count":1,"email_prefix":"bench-","date_of_birth":"1990-04-17"}' \
    "http://127.0.0.1:$sim_port/__sim/linked-users")
row=$(echo "$user" | python3 -c 'import json,sys; u=json.load(sys.stdin)[0]; print(json.dumps({
    "customer_ref": "bench-1", "email": u["email"], "date_of_birth": "1990-04-17",
    "first_name": "Ada", "last_name": "Lovelace", "language": "en",
    "wise_user_id": u["user_id"], "wise_profile_id": u["profile_id"],
    "refresh_token": u["refresh_token"]}))')
link=$(curl -fs -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/x-ndjson' \
    --data-binary "$row" "http://127.0.0.1:$port/v1/links/import" \
    | python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("link_id"): print(r["link_id"])')
[ -n "$link" ] || { echo "the import made no link" >&2; exit 1; }
wise="http://127.0.0.1:$port"
floor="http://127.0.0.1:$floor_port"
customer=$(curl -fs -H "Authorization: Bearer $key" "$wise/v1/customers/bench-1")
copy=$(curl -fs "$floor/blocking/bench-1")
[ "$customer" = "$copy" ] || { echo "the floor's JSON differs: $customer / $copy" >&2; exit 1; }
curl -fs -o /dev/null -X POST -H "Authorization: Bearer $key" "$wise/v1/links/$link/access-token"
printf 'wrk.method = "POST"\n' >"$work/post.lua"

# rate NAME URL [wrk options...]: one wrk run; every answer must be 2xx.
rate() {
    local name=$1 url=$2
    shift 2
    wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$url" >"$work/wrk.txt"
    if grep -q 'Non-2xx' "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    printf '%-28s %9.0f req/s  p99 %s\n' "$name" "$rps" "$p99"
    echo "$name $rps $p99" >>"$work/results.txt"
}

case "$backend" in
    postgres) floor_routes="local async blocking" ;;
    sqlite) floor_routes="inline blocking" ;;
esac
echo "== $backend: wrk -t2 -c$connections -d$duration, $rounds rounds, alternating =="
# Warm-up, not counted: every pool opens its connections under the same load first.
for r in $floor_routes; do wrk -t2 -c"$connections" -d2s "$floor/$r/bench-1" >/dev/null; done
wrk -t2 -c"$connections" -d2s -H "Authorization: Bearer $key" "$wise/v1/customers/bench-1" >/dev/null
for round in $(seq 1 "$rounds"); do
    echo "round $round"
    for r in $floor_routes; do rate "floor $r" "$floor/$r/bench-1"; done
    rate "wiselink customer" "$wise/v1/customers/bench-1" -H "Authorization: Bearer $key"
    rate "wiselink access-token" "$wise/v1/links/$link/access-token" \
        -H "Authorization: Bearer $key" -s "$work/post.lua"
    rate "wiselink healthz" "$wise/healthz"
done
python3 - "$work/results.txt" "$backend" <<'EOF'
import statistics, sys
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit): return float(v[: -len(unit)]) * f
runs = {}
for line in open(sys.argv[1]):
    *name, rps, p99 = line.split()
    runs.setdefault(" ".join(name), []).append((float(rps), ms(p99)))
med = {n: (statistics.median(r for r, _ in v), max(p for _, p in v)) for n, v in runs.items()}
best = max((v[0], n) for n, v in med.items() if n.startswith("floor"))
print(f"medians; the floor's best read route: {best[1]} {best[0]:.0f} req/s")
for n, (r, p) in med.items():
    share = f"{100 * r / best[0]:5.1f} % of the floor's best" if n.startswith("wiselink") else ""
    print(f"  {n:28s} {r:9.0f} req/s  worst p99 {p:6.2f} ms  {share}")
EOF
