# Sourced by the page and read benchmarks: `wiselink serve` and `wiselink sim` (release builds,
# processes of their own) on a fresh database, torn down on exit.
#
#   bench_serve NAME    needs $bin, $backend (sqlite|postgres), $pg_admin, $port, $sim_port; sets
#                       $work (a scratch folder), $key (an API key), $pids (add your own), and
#                       exports WISELINK__DATABASE__URL; returns once both answer.
bench_serve() {
    work=$(mktemp -d)
    pids=()
    bench_db=""
    trap bench_cleanup EXIT
    case "$backend" in
        sqlite) export WISELINK__DATABASE__URL="sqlite://$work/bench.sqlite3" ;;
        postgres)
            bench_db="wiselink_bench_$1_$$"
            psql -q "$pg_admin" -c "CREATE DATABASE $bench_db"
            local base="${pg_admin%%\?*}"
            # wiselink and PostgreSQL share the machine: no TLS on loopback (docs/benchmarks.md).
            export WISELINK__DATABASE__URL="${base%/*}/$bench_db?sslmode=disable"
            ;;
        *) echo "BENCH_DATABASE is sqlite or postgres" >&2; exit 2 ;;
    esac
    export WISELINK__SERVER__PORT=$port
    export WISELINK__SERVER__PUBLIC_URL="http://127.0.0.1:$port"
    export WISELINK__WISE__API_URL="http://127.0.0.1:$sim_port"
    export WISELINK__MAIL__TRANSPORT=dev
    export WISELINK__LOG__FILTER=warn
    "$bin" migrate >/dev/null
    key=$("$bin" api-key create --name bench | tail -n 1)
    "$bin" sim --port "$sim_port" >"$work/sim.log" 2>&1 &
    pids+=($!)
    "$bin" serve >"$work/serve.log" 2>&1 &
    pids+=($!)
    bench_wait "http://127.0.0.1:$port/healthz" "http://127.0.0.1:$sim_port/__sim/mailbox"
}

# bench_wait URL...: waits up to 10 s until every URL answers.
bench_wait() {
    local url ready
    for _ in $(seq 1 100); do
        ready=1
        for url in "$@"; do curl -fs -o /dev/null "$url" || { ready=0; break; }; done
        [ "$ready" = 1 ] && return 0
        sleep 0.1
    done
    echo "not answering: $*" >&2
    exit 1
}

bench_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$bench_db" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $bench_db WITH (FORCE)" || true
    rm -rf "$work"
}
