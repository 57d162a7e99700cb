#!/usr/bin/env bash
# The container image, run for real with podman: builds it (deploy/container/build.sh), migrates
# a fresh PostgreSQL database with it as a one-shot job, starts it beside the Wise simulator (this
# checkout's binary, on the host), and checks that it runs as an unprivileged user, reports
# healthy, links customers (complete flows through it) and stops cleanly on SIGTERM.
#
#   scripts/check-image.sh
#   IMAGE=localhost/wiselink:test SKIP_BUILD=1 scripts/check-image.sh   # an image already built
set -euo pipefail
cd "$(dirname "$0")/.."
image="${IMAGE:-localhost/wiselink:latest}"
pg_admin="${CHECK_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18590
sim_port=18591
[ "${SKIP_BUILD:-0}" = 1 ] || deploy/container/build.sh
cargo build --release --quiet --bin wiselink
cargo bench --bench flows --no-run --quiet 2>/dev/null || cargo bench --bench flows --no-run
target="$(scripts/target-dir.sh)"
driver=$(ls -t "$target"/release/deps/flows-* | grep -v '\.d$' | head -n 1)

db="wiselink_image_$$"
container="wiselink-check-$$"
sim_pid=""
cleanup() {
    podman rm --force --time 0 "$container" >/dev/null 2>&1 || true
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
}
trap cleanup EXIT
psql -q "$pg_admin" -c "CREATE DATABASE $db"

# The image is production-minded; this run is not (the simulator, plain HTTP, the dev mailbox).
run_env=(--env WISELINK_ENV=local
    --env "WISELINK__DATABASE__URL=${pg_admin%/*}/$db?sslmode=disable"
    --env "WISELINK__SERVER__PORT=$port"
    --env "WISELINK__SERVER__PUBLIC_URL=http://127.0.0.1:$port"
    --env "WISELINK__WISE__API_URL=http://127.0.0.1:$sim_port"
    --env "WISELINK__WISE__AUTHORIZE_URL=http://127.0.0.1:$sim_port/oauth/authorize/"
    --env "WISELINK__WISE__REDIRECT_URI=http://127.0.0.1:$port/oauth/callback"
    --env WISELINK__MAIL__TRANSPORT=dev
    --env WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE=100000)
# This machine's containers cannot have cgroups (a hybrid hierarchy, which crun refuses) nor the
# limits podman gives root containers by default (raising them is not permitted): runc, and limits
# under this host's own. A normal host needs neither flag. Without systemd, podman cannot schedule
# the periodic health checks (it says so on stderr); the check is run here by hand.
podman_run=(podman --runtime "${PODMAN_RUNTIME:-runc}" run --ulimit nofile=16384:16384 --ulimit nproc=4096:4096)
quiet() { "$@" 2> >(grep -v "unable to get systemd connection" >&2); }
oneshot() { quiet "${podman_run[@]}" --rm --network host "${run_env[@]}" "$image" "$@"; }

echo "== $image: $(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }') =="
echo "  migrate (one-shot): $(oneshot migrate | tail -n 1)"
key=$(oneshot api-key create --name image-check | tail -n 1)

# The simulator knows the client's registered redirect URI from the same settings.
WISELINK__LOG__FILTER=warn WISELINK__WISE__REDIRECT_URI="http://127.0.0.1:$port/oauth/callback" \
    "$target/release/wiselink" sim --port "$sim_port" >/dev/null 2>&1 &
sim_pid=$!
quiet "${podman_run[@]}" --detach --name "$container" --network host "${run_env[@]}" "$image" >/dev/null
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.1
done
echo "  runs as uid:gid $(podman exec "$container" id -u):$(podman exec "$container" id -g) ($(podman exec "$container" id -un))"
podman --runtime "${PODMAN_RUNTIME:-runc}" healthcheck run "$container" && echo "  health check: healthy"
"$driver" --api "http://127.0.0.1:$port" --sim "http://127.0.0.1:$sim_port" --key "$key" \
    --flows 50 --concurrency 8 | sed 's/^/  /' | head -n 2
stopping=$(date +%s%N)
quiet podman stop --time 30 "$container" >/dev/null
status=$(podman inspect --format '{{.State.ExitCode}}' "$container")
echo "  SIGTERM: exited $status after $(( ($(date +%s%N) - stopping) / 1000000 )) ms"
[ "$status" = 0 ]
