#!/usr/bin/env bash
# Checks the files an operator deploys (deploy/): HAProxy's configurations with `haproxy -c`, the
# systemd units with `systemd-analyze verify` (each with this machine's paths put in for the
# certificate, the admin socket and the binary), and the compose file with `podman-compose config`
# when it is installed. (The image itself is built and run by scripts/check-image.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if command -v haproxy >/dev/null && command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=wiselink.test -days 1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    cat "$work/cert.pem" "$work/key.pem" >"$work/wiselink.pem"
    sed -e "s#/etc/haproxy/certs/wiselink.pem#$work/wiselink.pem#" \
        -e "s#/run/haproxy/admin.sock#$work/admin.sock#" \
        deploy/haproxy/wiselink.cfg >"$work/haproxy.cfg"
    haproxy -c -q -f "$work/haproxy.cfg"
    echo "deploy/haproxy/wiselink.cfg: valid"
    # The compose fleet's instances are named through its network's DNS, unknown here: the
    # warnings that they do not resolve are expected, an error is not.
    haproxy -c -q -f deploy/compose/haproxy.cfg >/dev/null 2>&1 || haproxy -c -f deploy/compose/haproxy.cfg
    echo "deploy/compose/haproxy.cfg: valid"
fi

if command -v podman-compose >/dev/null; then
    cp deploy/compose/wiselink.env.example "$work/wiselink.env"
    cp deploy/compose/compose.yaml deploy/compose/haproxy.cfg "$work/"
    (cd "$work" && podman-compose -f compose.yaml config >/dev/null)
    echo "deploy/compose/compose.yaml: valid"
fi

if command -v systemd-analyze >/dev/null; then
    bin="$(scripts/target-dir.sh)/debug/wiselink"
    [ -x "$bin" ] || cargo build --quiet --bin wiselink
    for unit in deploy/systemd/*.service; do
        sed "s#/usr/local/bin/wiselink#$bin#" "$unit" >"$work/$(basename "$unit")"
    done
    (cd "$work" && systemd-analyze verify --man=no ./*.service)
    echo "deploy/systemd: valid"
fi
