#!/usr/bin/env bash
# Runs the whole test suite on SQLite (the default backend), then the black-box suite again on
# PostgreSQL. Installs and starts what it needs first, so it works on a fresh machine.
#
#   scripts/test.sh                 # both backends
#   WISELINK_TEST_BACKENDS=sqlite scripts/test.sh
#   WISELINK_TEST_BROWSER=0 scripts/test.sh      # without the browser tests
#   WISELINK_TEST_CONTRACT=0 scripts/test.sh     # without the OpenAPI contract check
#   WISELINK_TEST_FLEET=0 scripts/test.sh        # without the fleet run (flows through HAProxy
#                                                 # to three serve processes, PostgreSQL only)
#
# Each backend also runs the browser tests (tests/browser: Playwright driving Debian's Chromium
# against a running wiselink and simulator); Chromium and the npm package are installed when
# missing. Then scripts/contract.sh checks the service against its OpenAPI document
# (schemathesis, installed from PyPI when missing). Webhook signatures are checked by the
# Standard Webhooks reference library (`standardwebhooks`, PyPI, installed when missing); DNS
# answers that change during a test come from Debian's dnsmasq, the audit stream is received by
# Debian's rsyslog (with rsyslog-gnutls), Debian's SoftHSM2 holds the HSM's keys, and the alerting
# rules in deploy/prometheus/ are checked by promtool (Debian's prometheus) — all installed when
# missing.
#
# PostgreSQL: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
# must name a role allowed to CREATE DATABASE; each test creates and drops its own database.
# No TLS on loopback: the suite's process ends with test servers still holding connections, and
# OpenSSL's clean-up at exit then crashed it now and again (SIGSEGV in libcrypto, after every test
# had passed).
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${WISELINK_TEST_BACKENDS:-sqlite postgres}"
pg_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
threads="${WISELINK_TEST_THREADS:-4}"
browser="${WISELINK_TEST_BROWSER:-1}"
contract="${WISELINK_TEST_CONTRACT:-1}"

# Installs Debian packages when this runs as root on Debian (else says what is missing); refreshes
# the package lists only when the first try fails.
can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
install_debian() {
    echo "== installing $* =="
    apt-get install -y -qq "$@" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }
}

# Build dependency of the PostgreSQL driver.
if ! dpkg -s libpq-dev >/dev/null 2>&1 && can_install; then
    install_debian libpq-dev
fi

# A real DNS server for the webhook test whose name moves to a private address after registration.
if ! command -v dnsmasq >/dev/null && can_install; then
    install_debian dnsmasq-base
fi

# A real syslog collector (rsyslog with its GnuTLS driver) receives the audit stream over mutual TLS.
if ! dpkg -s rsyslog-gnutls >/dev/null 2>&1 && can_install; then
    install_debian rsyslog rsyslog-gnutls
fi

# The recipes of docs/testing-your-integration.md, which a test runs as written, use curl and jq.
if ! { command -v jq >/dev/null && command -v curl >/dev/null; } && can_install; then
    install_debian jq curl
fi

# SoftHSM2 stands in for the HSM whose key-encryption key wraps crypto.keys (PKCS#11).
if ! command -v softhsm2-util >/dev/null && can_install; then
    install_debian softhsm2
fi

# The OpenID provider the staff sign-in tests start (npm's oidc-provider, run by Node.js).
echo "== installing the test OpenID provider (tests/oidc) =="
(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)

# The Standard Webhooks reference verifier (PyPI) checks wiselink's webhook signatures.
if ! python3 -c "import standardwebhooks" 2>/dev/null; then
    echo "== installing standardwebhooks =="
    python3 -m pip install --quiet --disable-pip-version-check standardwebhooks
fi

ensure_browser() {
    if ! command -v chromium >/dev/null; then
        if can_install; then
            install_debian chromium
        else
            echo "Chromium is missing: install Debian's chromium package, or set WISELINK_TEST_BROWSER=0" >&2
            return 1
        fi
    fi
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
    cargo build --quiet
}

ensure_postgres() {
    if pg_isready -q -d "$pg_url" 2>/dev/null; then return 0; fi
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        echo "== starting PostgreSQL =="
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    fi
    for _ in $(seq 1 30); do
        pg_isready -q -d "$pg_url" 2>/dev/null && return 0
        sleep 1
    done
    echo "PostgreSQL is not reachable at $pg_url" >&2
    return 1
}

# The proxy in front of the fleet test's three instances.
ensure_haproxy() {
    command -v haproxy >/dev/null && return 0
    if can_install; then
        install_debian haproxy
    else
        echo "HAProxy is missing: install Debian's haproxy package, or set WISELINK_TEST_FLEET=0" >&2
        return 1
    fi
}

# The alerting rules operators deploy, checked and unit-tested by Prometheus's own promtool.
if ! command -v promtool >/dev/null && can_install; then
    install_debian prometheus
fi
echo "== alerting rules (promtool) =="
scripts/check-alerts.sh
echo "== deployment files (haproxy -c, systemd-analyze verify) =="
ensure_haproxy
scripts/check-deploy.sh

for backend in $backends; do
    case "$backend" in
    sqlite)
        echo "== tests on SQLite (unit + black-box) =="
        env -u TEST_DATABASE_URL cargo test --workspace --lib --bins --tests -- --test-threads "$threads"
        if [ "$browser" = 1 ]; then
            ensure_browser
            echo "== browser tests on SQLite =="
            tests/browser/run.sh
        fi
        if [ "$contract" = 1 ]; then
            echo "== OpenAPI contract on SQLite =="
            scripts/contract.sh
        fi
        ;;
    postgres)
        ensure_postgres
        echo "== black-box tests on PostgreSQL =="
        TEST_DATABASE_URL="$pg_url" cargo test --test api -- --test-threads "$threads"
        if [ "$browser" = 1 ]; then
            ensure_browser
            echo "== browser tests on PostgreSQL =="
            tests/browser/run.sh "$pg_url"
        fi
        if [ "$contract" = 1 ]; then
            echo "== OpenAPI contract on PostgreSQL =="
            scripts/contract.sh "$pg_url"
        fi
        if [ "${WISELINK_TEST_FLEET:-1}" = 1 ]; then
            ensure_haproxy
            echo "== a fleet on PostgreSQL: three serve processes behind HAProxy, restarted in turn =="
            FLEET_PROFILE=debug FLEET_FLOWS=100 FLEET_CONCURRENCY=8 FLEET_RESTART=1 \
                FLEET_POSTGRES_URL="${pg_url%%\?*}" scripts/fleet.sh
        fi
        ;;
    *)
        echo "unknown backend $backend (use sqlite and/or postgres)" >&2
        exit 2
        ;;
    esac
done
