#!/usr/bin/env bash
# Checks the Prometheus alerting rules shipped in deploy/prometheus/: promtool's syntax check, the
# rules' unit tests (wiselink.rules.test.yml), and that every wiselink metric a rule reads is one
# the code exports (so a renamed metric cannot leave an alert silently matching nothing).
# Needs promtool (Debian's `prometheus` package; scripts/test.sh installs it when missing).
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"

promtool check rules wiselink.rules.yml
promtool test rules wiselink.rules.test.yml

missing=0
for name in $(grep -oE '\bwiselink_[a-z_]+' wiselink.rules.yml | sort -u); do
    # A histogram is exported under its own name; Prometheus adds _bucket, _sum and _count.
    exported="${name%_bucket}"
    if ! grep -rqF "\"$exported\"" ../../src ../../crates; then
        echo "wiselink.rules.yml reads $name, which no code exports" >&2
        missing=1
    fi
done
[ "$missing" = 0 ] && echo "every metric the rules read is exported"
