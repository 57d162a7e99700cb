#!/usr/bin/env bash
# The Wise call budget under load, with Wise's limits (the simulator enforcing 100/s and 1,000/min):
# 100,000 active links all due for a refresh, and 2 complete flows a second through HAProxy to
# three instances on one PostgreSQL for five minutes (release builds). Prints what Wise saw (calls,
# 429s, the busiest second and minute), how long customer and background calls waited for room,
# how many links were refreshed (and whether any twice) and the flows' own figures.
#
#   scripts/bench-budget.sh
#   BUDGET_LINKS=20000 BUDGET_MINUTES=2 scripts/bench-budget.sh
#
# Targets: no 429; <= 100 calls in any second and <= 1,000 in any minute; customer waits p99 < 2 s;
# no link refreshed twice; the backlog drains at the budget's pace.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${BUDGET_MINUTES:-5}"
FLEET_WISE_LIMITS=1 FLEET_DUE_LINKS="${BUDGET_LINKS:-100000}" FLEET_RATE=2 \
    FLEET_FLOWS=$((minutes * 120)) FLEET_CONCURRENCY=32 FLEET_RESTART=0 scripts/fleet.sh
