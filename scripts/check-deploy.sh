#!/usr/bin/env bash
# Checks the files an operator deploys (deploy/): HAProxy's configuration with `haproxy -c` and
# the systemd units with `systemd-analyze verify`, each with this machine's paths put in for the
# certificate, the admin socket and the binary.
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
