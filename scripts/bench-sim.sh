#!/usr/bin/env bash
# Throughput of the Wise simulator alone (it sits in the loop of every other benchmark, so it must
# not be the bottleneck): GET /v2/profiles with a user token, and POST /oauth/token with the
# refresh_token grant, each with wrk at 64 connections.
#
#   scripts/bench-sim.sh                 # 10 s per run
#   BENCH_DURATION=30s scripts/bench-sim.sh
#
# Targets on a 2-core machine: >= 20,000 req/s for the profile read, >= 10,000 req/s for refresh.
# Exits non-zero if a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
port="${BENCH_PORT:-18281}"
client_id=wiselink-dev
client_secret=wiselink-dev-secret

if ! command -v wrk >/dev/null; then
    echo "== installing wrk =="
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet
bin="$(scripts/target-dir.sh)/release/wiselink"
work=$(mktemp -d)
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
WISELINK__LOG__FILTER=warn WISELINK__WISE__CLIENT_ID=$client_id WISELINK__WISE__CLIENT_SECRET=$client_secret \
    "$bin" sim --port "$port" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "$base/__sim/faults" && break; sleep 0.1; done

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
curl -fs -X POST "$base/__sim/users" -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","date_of_birth":"1990-04-17","first_name":"Bench","last_name":"Mark"}' >/dev/null
cc=$(curl -fs -u "$client_id:$client_secret" -d grant_type=client_credentials "$base/oauth/token" | json '["access_token"]')
curl -s -o /dev/null -X POST "$base/v1/user/signup/registration_code" -H "Authorization: Bearer $cc" \
    -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","registrationCode":"0123456789abcdef0123456789abcdef","sendAuthorizationCodeAsEmail":true}'
code=$(curl -fs "$base/__sim/mailbox?to=bench@example.com" | json '[0]["authorization_code"]')
tokens=$(curl -fs -u "$client_id:$client_secret" -d grant_type=authorization_code -d client_id=$client_id \
    -d code="$code" --data-urlencode redirect_uri=http://127.0.0.1:8080/oauth/callback "$base/oauth/token")
access=$(echo "$tokens" | json '["access_token"]')
refresh=$(echo "$tokens" | json '["refresh_token"]')

run() {
    local out
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@")
    if echo "$out" | grep -q "Non-2xx"; then echo "non-2xx answers:" >&2; echo "$out" >&2; exit 1; fi
    echo "$(echo "$out" | awk '/^Requests\/sec:/ {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}')"
}

read -r profiles_rps profiles_p99 < <(run -H "Authorization: Bearer $access" "$base/v2/profiles")

basic=$(printf '%s' "$client_id:$client_secret" | base64)
cat >"$work/refresh.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=refresh_token&refresh_token=$refresh"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
LUA
read -r refresh_rps refresh_p99 < <(run -s "$work/refresh.lua" "$base/oauth/token")

status=0
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r >= t) ? "PASS" : "FAIL"}'; }
v1=$(verdict "$profiles_rps" 20000); v2=$(verdict "$refresh_rps" 10000)
[ "$v1" = PASS ] && [ "$v2" = PASS ] || status=1
printf 'simulator GET /v2/profiles        %9.0f req/s (p99 %s) target >= 20000 %s\n' "$profiles_rps" "$profiles_p99" "$v1"
printf 'simulator POST /oauth/token refresh %7.0f req/s (p99 %s) target >= 10000 %s\n' "$refresh_rps" "$refresh_p99" "$v2"
exit $status
