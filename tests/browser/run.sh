#!/usr/bin/env bash
# The customer pages and the staff back office in a real browser: starts the Wise simulator and `wiselink serve` (debug build)
# on free loopback ports, then runs the Playwright tests in this folder against them with Debian's
# Chromium.
#
#   tests/browser/run.sh                         # on a fresh SQLite file
#   tests/browser/run.sh postgres://…/postgres   # on a fresh PostgreSQL database (created, dropped)
#
# Needs `chromium` (Debian package) and `npm ci` run here; scripts/test.sh sees to both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The binary cargo built, wherever CARGO_TARGET_DIR (or a config file) put it.
bin="$("$root/scripts/target-dir.sh")/debug/wiselink"
pg_admin="${1:-}"

work=$(mktemp -d)
pids=()
db_name=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$db_name" ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
sim_port=$(free_port)

if [ -n "$pg_admin" ]; then
    db_name="wiselink_browser_$$"
    psql -q "$pg_admin" -c "CREATE DATABASE $db_name"
    base="${pg_admin%%\?*}"
    query=""
    case "$pg_admin" in *\?*) query="?${pg_admin#*\?}" ;; esac
    export WISELINK__DATABASE__URL="${base%/*}/$db_name$query"
else
    export WISELINK__DATABASE__URL="sqlite://$work/browser.sqlite3"
fi
export WISELINK__LOG__FILTER=warn
export WISELINK__SERVER__PORT=$api_port
export WISELINK__SERVER__PUBLIC_URL="http://127.0.0.1:$api_port"
export WISELINK__WISE__API_URL="http://127.0.0.1:$sim_port"
export WISELINK__WISE__AUTHORIZE_URL="http://127.0.0.1:$sim_port/oauth/authorize/"
# Wise's page sends the browser back to this wiselink (the simulator registers the same URL).
export WISELINK__WISE__REDIRECT_URI="http://127.0.0.1:$api_port/oauth/callback"
export WISELINK__MAIL__TRANSPORT=dev
# The tests submit codes (many wrong ones, to lock links) from one address faster than a customer
# would; the per-IP limit has its own black-box tests.
export WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE=1000

"$bin" sim --port "$sim_port" >"$work/sim.log" 2>&1 &
pids+=($!)
key=$("$bin" api-key create --name browser-tests | tail -n 1)
# Staff for the back-office tests, one per role (and a second reviewer).
export STAFF_PASSWORD="violet-otter-27-lantern"
for account in rita:reviewer sam:reviewer vic:viewer root:admin; do
    echo "$STAFF_PASSWORD" | "$bin" staff add "${account%%:*}" --role "${account#*:}" --password-stdin >/dev/null
done
"$bin" serve >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$api_port/healthz" \
        && curl -fs -o /dev/null "http://127.0.0.1:$sim_port/__sim/mailbox" && break
    sleep 0.1
done

export WISELINK_URL="http://127.0.0.1:$api_port"
export SIM_URL="http://127.0.0.1:$sim_port"
export WISELINK_API_KEY="$key"
export WISELINK_BIN="$bin"
# Screenshots of every audited screen, kept after the run for a person to look at. BROWSER_TESTS
# names test files to run only those (e.g. staff-pages.test.mjs).
export SCREENSHOTS_DIR="${SCREENSHOTS_DIR:-$("$root/scripts/target-dir.sh")/screenshots}"
cd "$here"
if ! node --test --test-concurrency=1 ${BROWSER_TESTS:-}; then
    echo "--- wiselink serve log ---" >&2
    tail -n 50 "$work/serve.log" >&2
    exit 1
fi

# `wiselink demo` runs on SQLite alone (it refuses a PostgreSQL URL), so it is walked through once.
if [ -z "$pg_admin" ]; then
    demo_port=$(free_port)
    demo_sim_port=$(free_port)
    (cd "$work" && exec env -u WISELINK__DATABASE__URL -u WISELINK__SERVER__PORT -u WISELINK__SERVER__PUBLIC_URL \
        -u WISELINK__WISE__API_URL -u WISELINK__WISE__AUTHORIZE_URL -u WISELINK__WISE__REDIRECT_URI \
        "$bin" demo --port "$demo_port" --sim-port "$demo_sim_port" --dir "$work/demo" >"$work/demo.out" 2>"$work/demo.log") &
    pids+=($!)
    for _ in $(seq 1 300); do grep -q 'Ctrl-C stops the demo' "$work/demo.out" && break; sleep 0.1; done
    export DEMO_URL="http://127.0.0.1:$demo_port"
    DEMO_REVIEWER_PASSWORD=$(sed -n 's/.*staff login: reviewer \/ \([^,]*\),.*/\1/p' "$work/demo.out")
    export DEMO_REVIEWER_PASSWORD
    if ! node --test --test-concurrency=1 demo-walkthrough.mjs; then
        echo "--- wiselink demo output and log ---" >&2
        cat "$work/demo.out" >&2
        tail -n 50 "$work/demo.log" >&2
        exit 1
    fi
fi
