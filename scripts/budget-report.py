#!/usr/bin/env python3
"""What the Wise call budget did in a fleet run (scripts/fleet.sh with FLEET_WISE_LIMITS=1):
what Wise (the simulator, enforcing its limits) saw, and how long each class of caller waited for
room, summed over the instances' /metrics.

    scripts/budget-report.py SIM_URL INSTANCE_URL...
"""
import json
import re
import sys
import urllib.request

LINE = re.compile(r'^(\w+)\{([^}]*)\} (\S+)$')


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def labels(raw):
    return dict(re.findall(r'(\w+)="([^"]*)"', raw))


def main():
    sim, instances = sys.argv[1], sys.argv[2:]
    seen = json.loads(get(f"{sim}/__sim/rate-limits"))
    if seen is None:
        sys.exit("the simulator is not enforcing Wise's limits")
    print(f"  Wise saw: {seen['admitted']} calls, {seen['refused']} refused (429); busiest second "
          f"{seen['busiest_second']} of {seen['per_second']}, busiest minute "
          f"{seen['busiest_minute']} of {seen['per_minute']}")
    buckets, counts, refused, calls = {}, {}, {}, {}
    for base in instances:
        for line in get(f"{base}/metrics").splitlines():
            m = LINE.match(line)
            if not m:
                continue
            name, tags, value = m.group(1), labels(m.group(2)), float(m.group(3))
            if name == "wiselink_wise_budget_wait_seconds_bucket":
                key = (tags["class"], float(tags["le"]))
                buckets[key] = buckets.get(key, 0) + value
            elif name == "wiselink_wise_budget_wait_seconds_count":
                counts[tags["class"]] = counts.get(tags["class"], 0) + value
            elif name == "wiselink_wise_budget_refused_total":
                refused[tags["class"]] = refused.get(tags["class"], 0) + value
            elif name == "wiselink_wise_calls_total":
                calls[tags["outcome"]] = calls.get(tags["outcome"], 0) + value
    print("  calls sent by outcome: " + ", ".join(f"{k} {int(v)}" for k, v in sorted(calls.items())))
    for cls in sorted(counts):
        total = counts[cls]
        bounds = sorted(le for (c, le) in buckets if c == cls)

        def quantile(q):
            finite = [le for le in bounds if le != float("inf")]
            for le in finite:
                if buckets[(cls, le)] >= q * total:
                    return "≤ " + (f"{le * 1000:.0f} ms" if le < 1 else f"{le:g} s")
            return f"> {finite[-1]:g} s"

        within_2s = buckets.get((cls, 2.0), 0) / total if total else 1.0
        print(f"  {cls} calls waiting for room: {int(total)} (admitted or refused), p50 {quantile(0.5)}, "
              f"p99 {quantile(0.99)}, {within_2s:.2%} within 2 s; refused {int(refused.get(cls, 0))}")


main()
