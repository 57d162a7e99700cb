#!/usr/bin/env bash
# A fleet on loopback: the Wise simulator, one PostgreSQL database, FLEET_INSTANCES `wiselink
# serve` processes (3) and HAProxy (Debian's package) in front of them, health-checking /readyz.
# Runs complete email-code flows through the proxy, then access-token calls for those links spread
# over the instances while each link needs a refresh (scripts/fleet-tokens.py), then a rolling
# restart under load: each instance in turn gets SIGTERM while flows run, finishes what it was
# serving, and comes back; the driver is a client that retries a call with no answer (or
# 502/503/504) with the same Idempotency-Key. Exits non-zero if any flow or token check failed.
#
#   scripts/fleet.sh                          # 3 instances: 600 flows, then 600 during the restart
#   FLEET_INSTANCES=1 FLEET_RESTART=0 scripts/fleet.sh    # one instance behind the proxy
#   FLEET_FLOWS=2000 FLEET_CONCURRENCY=64 FLEET_RESTART=0 scripts/fleet.sh   # capacity
#   FLEET_BIN=/path/to/wiselink scripts/fleet.sh   # another build
#   FLEET_PREVIOUS=<git revision> FLEET_RESTART=0 scripts/fleet.sh
#   FLEET_PREVIOUS_BIN=/path/to/previous/wiselink FLEET_RESTART=0 scripts/fleet.sh
#       # an upgrade half done: this build migrates the schema, instance 0 runs the previous
#       # release against it beside the new ones (docs/deployment.md, "Upgrades")
#   FLEET_IMAGE=localhost/wiselink:latest scripts/fleet.sh  # the instances are the container image
#                                  # (deploy/container/build.sh), run with podman on the host network
#   FLEET_PROFILE=debug FLEET_FLOWS=150 scripts/fleet.sh   # the test builds (scripts/test.sh runs
#                                                          # this on PostgreSQL)
#   FLEET_WISE_LIMITS=1 FLEET_DUE_LINKS=100000 FLEET_RATE=2 FLEET_FLOWS=600 FLEET_RESTART=0 \
#       scripts/fleet.sh   # the budget: a backlog of due links and customers (scripts/bench-budget.sh)
#
# Every instance shares one Wise call budget through the database (docs/wise-budget.md). The
# flows here measure wiselink, so the budget is raised past Wise's limits unless FLEET_WISE_LIMITS=1
# keeps Wise's (and makes the simulator enforce them).
set -euo pipefail
cd "$(dirname "$0")/.."

instances="${FLEET_INSTANCES:-3}"
flows="${FLEET_FLOWS:-600}"
concurrency="${FLEET_CONCURRENCY:-16}"
restart="${FLEET_RESTART:-1}"
pg_admin="${FLEET_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
proxy_port=18480
sim_port=18481
first_port=18490

command -v haproxy >/dev/null || { echo "haproxy is missing: install Debian's haproxy package" >&2; exit 1; }
target="$(scripts/target-dir.sh)"
due_links="${FLEET_DUE_LINKS:-0}"
benches=(--bench flows)
[ "$due_links" -gt 0 ] && benches+=(--bench refresher)
if [ "${FLEET_PROFILE:-release}" = debug ]; then
    cargo build --quiet --bin wiselink
    cargo test "${benches[@]}" --no-run --quiet 2>/dev/null || cargo test "${benches[@]}" --no-run
    profile_dir="$target/debug"
else
    cargo build --release --quiet --bin wiselink
    cargo bench "${benches[@]}" --no-run --quiet 2>/dev/null || cargo bench "${benches[@]}" --no-run
    profile_dir="$target/release"
fi
bin="${FLEET_BIN:-$profile_dir/wiselink}"
if [ -n "${FLEET_PREVIOUS:-}" ] && [ -z "${FLEET_PREVIOUS_BIN:-}" ]; then
    # The previous release, built from its revision in a worktree of its own.
    previous_tree="${TMPDIR:-/tmp}/wiselink-previous-$(git rev-parse --short "$FLEET_PREVIOUS")"
    [ -d "$previous_tree" ] || git worktree add --detach "$previous_tree" "$FLEET_PREVIOUS" >/dev/null
    (cd "$previous_tree" && CARGO_TARGET_DIR="$previous_tree/target" cargo build --release --quiet --bin wiselink)
    FLEET_PREVIOUS_BIN="$previous_tree/target/release/wiselink"
fi
driver=$(ls -t "$profile_dir"/deps/flows-* | grep -v '\.d$' | head -n 1)

work=$(mktemp -d)
db="wiselink_fleet_$$"
declare -a serve_pids
other_pids=()
cleanup() {
    local status=$?
    for p in "${serve_pids[@]}" "${other_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${FLEET_IMAGE:-}" ]; then
        podman ps -aq --filter "name=wiselink-fleet-$$-" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
    fi
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
    if [ "$status" != 0 ]; then
        # What a failed run leaves for reading: each instance's log, the proxy's, the driver's.
        rm -rf "$target/fleet-failed" && mkdir -p "$target/fleet-failed"
        cp "$work"/*.log "$work"/*.out "$target/fleet-failed/" 2>/dev/null || true
        echo "the logs of this run are in $target/fleet-failed" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT

export WISELINK__DATABASE__URL="${pg_admin%/*}/$db?sslmode=disable"
export WISELINK__DATABASE__MIGRATE_ON_START=false
export WISELINK__WISE__API_URL="http://127.0.0.1:$sim_port"
export WISELINK__WISE__AUTHORIZE_URL="http://127.0.0.1:$sim_port/oauth/authorize/"
export WISELINK__SERVER__PUBLIC_URL="http://127.0.0.1:$proxy_port"
export WISELINK__WISE__REDIRECT_URI="http://127.0.0.1:$proxy_port/oauth/callback"
export WISELINK__SIMULATOR__PORT="$sim_port"
export WISELINK__MAIL__TRANSPORT=dev
export WISELINK__LOG__FILTER=warn
# One client address (the driver's) for every flow: the per-IP limits are not what is measured.
export WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE=100000
# The previous release does not know [wise.budget] (its settings refuse unknown keys), so a
# mixed fleet keeps the defaults: new keys are set only once every instance runs the new release.
# FLEET_BUDGET=off turns the budget off instead, to see what sharing it costs.
if [ "${FLEET_WISE_LIMITS:-0}" != 1 ] && [ -z "${FLEET_PREVIOUS_BIN:-}" ]; then
    if [ "${FLEET_BUDGET:-raised}" = off ]; then
        export WISELINK__WISE__BUDGET__PER_SECOND=0
    else
        export WISELINK__WISE__BUDGET__PER_SECOND=1000000
        export WISELINK__WISE__BUDGET__PER_MINUTE=60000000
    fi
fi

psql -q "$pg_admin" -c "CREATE DATABASE $db"
# Migrations are their own step, before any instance serves (docs/deployment.md).
"$bin" migrate >/dev/null
key=$("$bin" api-key create --name fleet | tail -n 1)

sim_args=(sim --port "$sim_port")
[ "${FLEET_WISE_LIMITS:-0}" = 1 ] && sim_args+=(--wise-rate-limits)
"$bin" "${sim_args[@]}" >"$work/sim.log" 2>&1 &
other_pids+=($!)
if [ "$due_links" -gt 0 ]; then
    # A backlog: this many active links whose tokens are all due, for the instances' refreshers.
    for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$sim_port/__sim/mailbox" && break; sleep 0.1; done
    seeder=$(ls -t "$profile_dir"/deps/refresher-* | grep -v '\.d$' | head -n 1)
    BENCH_SEED_ONLY=1 BENCH_LINKS="$due_links" BENCH_SIM="http://127.0.0.1:$sim_port" \
        BENCH_DATABASE_URL="$WISELINK__DATABASE__URL" "$seeder" | sed 's/^/  /'
    export WISELINK__TOKENS__REFRESH_INTERVAL_SECS=1
fi

start_instance() {
    local i=$1 serve_bin="$bin"
    if [ "$i" = 0 ] && [ -n "${FLEET_PREVIOUS_BIN:-}" ]; then serve_bin="$FLEET_PREVIOUS_BIN"; fi
    if [ -n "${FLEET_IMAGE:-}" ]; then
        # The image, in the foreground of its podman process: SIGTERM to that process reaches
        # the instance (podman passes signals on). Limits and runtime as in scripts/check-image.sh.
        local envs=() name
        for name in $(compgen -e | grep '^WISELINK__'); do envs+=(--env "$name"); done
        WISELINK__SERVER__PORT=$((first_port + i)) podman --runtime "${PODMAN_RUNTIME:-runc}" run --rm \
            --name "wiselink-fleet-$$-$i" --network host --ulimit nofile=16384:16384 \
            --ulimit nproc=4096:4096 --env WISELINK_ENV=local "${envs[@]}" \
            --env WISELINK__SERVER__PORT "$FLEET_IMAGE" serve >>"$work/serve-$i.log" 2>&1 &
    else
        WISELINK__SERVER__PORT=$((first_port + i)) "$serve_bin" serve >>"$work/serve-$i.log" 2>&1 &
    fi
    serve_pids[i]=$!
}

ready() { curl -fs -o /dev/null "http://127.0.0.1:$1/readyz"; }

wait_ready() {
    for _ in $(seq 1 200); do ready "$1" && return 0; sleep 0.05; done
    echo "port $1 did not become ready" >&2
    return 1
}

for i in $(seq 0 $((instances - 1))); do start_instance "$i"; done
for i in $(seq 0 $((instances - 1))); do wait_ready $((first_port + i)); done

{
    cat <<EOF
global
    maxconn 4096
    stats socket $work/haproxy.sock
    log stdout format raw local0
defaults
    mode http
    log global
    # Only what went wrong: errors, and requests the proxy had to send again.
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    option redispatch
    retries 3
    # Every POST the driver sends carries an Idempotency-Key, so a request sent again after a
    # connection failure or an empty answer is replayed, never done twice.
    retry-on conn-failure empty-response
frontend api
    bind 127.0.0.1:$proxy_port
    default_backend wiselink
backend wiselink
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 500ms fall 2 rise 2
EOF
    for i in $(seq 0 $((instances - 1))); do
        echo "    server w$i 127.0.0.1:$((first_port + i))"
    done
} >"$work/haproxy.cfg"
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
other_pids+=($!)
wait_ready "$proxy_port"

drive() {
    "$driver" --api "http://127.0.0.1:$proxy_port" --sim "http://127.0.0.1:$sim_port" --key "$key" \
        --flows "$1" --concurrency "$concurrency" --retries 20 ${FLEET_RATE:+--rate "$FLEET_RATE"}
}

rss_mb() {
    if [ -n "${FLEET_IMAGE:-}" ]; then echo "-"; return; fi   # the pid is podman's, not the instance's
    awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}
rss_all() {
    local out="" i
    for i in $(seq 0 $((instances - 1))); do out+="$(rss_mb "${serve_pids[i]}") "; done
    echo "$out"
}

echo "== $instances instance(s) behind HAProxy, $(nproc) cores: $flows flows at concurrency $concurrency =="
if [ -n "${FLEET_PREVIOUS_BIN:-}" ]; then echo "  instance 0 runs the previous release: $FLEET_PREVIOUS_BIN"; fi
echo "  RSS per instance idle (MB): $(rss_all)"
drive "$flows" | sed 's/^/  /' &
driving=$!
sleep 2
echo "  RSS per instance under load (MB): $(rss_all)"
wait "$driving"

# Requests each instance answered, as the proxy counted them.
spread() {
    python3 - "$work/haproxy.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
rows = [l.split(",") for l in data.decode().splitlines() if l and not l.startswith("#")]
print(" ".join(f"{r[1]}={r[7]}" for r in rows if r[0] == "wiselink" and r[1].startswith("w")))
PY
}
echo "  requests per instance (HAProxy): $(spread)"
if [ "${FLEET_WISE_LIMITS:-0}" != 1 ]; then
    # Access tokens for the links the flows made, asked for through the proxy while every one of
    # them needs a refresh first. (Not under Wise's limits: checking each token at Wise costs a call.)
    scripts/fleet-tokens.py "http://127.0.0.1:$proxy_port" "http://127.0.0.1:$sim_port" "$key" \
        "${pg_admin%/*}/$db"
else
    instance_urls=()
    for i in $(seq 0 $((instances - 1))); do instance_urls+=("http://127.0.0.1:$((first_port + i))"); done
    scripts/budget-report.py "http://127.0.0.1:$sim_port" "${instance_urls[@]}"
fi
if [ "$due_links" -gt 0 ]; then
    # Each refreshed link needs one refresh grant: more grants than links means a link was
    # refreshed twice. (A refresh put back for want of room in the budget sent nothing.)
    grants=$(curl -fs "http://127.0.0.1:$sim_port/__sim/calls" | python3 -c '
import json, sys
calls = json.load(sys.stdin)
ok = [c for c in calls if c["path"] == "/oauth/token" and c["status"] == 200
      and (c.get("body") or {}).get("grant_type") == "refresh_token"]
print(len(ok) if len(calls) < 10000 else "unknown (the call log is full)")')
    psql -At -F ' ' "${pg_admin%/*}/$db" -c "SELECT count(*) FILTER (WHERE refreshed_at IS NOT NULL), count(*) FILTER (WHERE refresh_due_at <= now() AT TIME ZONE 'UTC') FROM link_tokens" |
        while read -r refreshed due; do
            echo "  refreshed: $refreshed links, with $grants refresh grants Wise answered; still due: $due"
        done
fi

if [ "$restart" = 1 ]; then
    echo "== rolling restart: SIGTERM one instance at a time while flows run =="
    # Rounds of flows until every instance has been restarted; each round must complete.
    (
        round=0
        while [ ! -e "$work/restarted" ]; do
            round=$((round + 1))
            drive "$flows" >"$work/restart-$round.out" 2>&1 || { cat "$work/restart-$round.out"; exit 1; }
            grep -h "flows completed\|sent again" "$work/restart-$round.out"
        done
    ) >"$work/restart.out" 2>&1 &
    driving=$!
    for i in $(seq 0 $((instances - 1))); do
        sleep 1
        pid=${serve_pids[i]}
        kill -TERM "$pid"
        stopped=$(date +%s%N)
        wait "$pid" 2>/dev/null || true
        echo "  instance $i stopped $(( ($(date +%s%N) - stopped) / 1000000 )) ms after SIGTERM"
        start_instance "$i"
        wait_ready $((first_port + i))
        # Back in rotation once the proxy's checks see it up (rise 2 × 500 ms).
        sleep 1.2
    done
    touch "$work/restarted"
    status=0
    wait "$driving" || status=$?
    sed 's/^/  /' "$work/restart.out"
    if [ "$status" != 0 ]; then
        echo "flows failed during the rolling restart" >&2
        exit 1
    fi
    echo "  requests per instance (HAProxy, both phases): $(spread)"
    leased=$(psql -At "${pg_admin%/*}/$db" -c "SELECT count(*) FROM link_tokens WHERE refresh_leased_until IS NOT NULL")
    echo "  refresh leases left held: $leased"
fi
