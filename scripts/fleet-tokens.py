#!/usr/bin/env python3
"""Access tokens across a fleet (scripts/fleet.sh): every token the instances hand out works at
Wise, and each link is refreshed once, however the calls spread over the instances.

Takes up to LINKS active links, makes each due now with its access token two minutes from expiry
(so an access-token call must refresh it first, and the refreshers want it too), then sends
CALLS_PER_LINK concurrent access-token calls per link through the proxy. Each token handed out is
tried at Wise (the simulator's /v1/me) at once. Exits non-zero on a dead token, a failed call, or
a link refreshed more than once or not at all.

    scripts/fleet-tokens.py PROXY_URL SIM_URL API_KEY DATABASE_URL [LINKS] [CALLS_PER_LINK]
"""
import concurrent.futures
import json
import subprocess
import sys
import urllib.error
import urllib.request


def psql(db, sql):
    out = subprocess.run(["psql", "-At", "-F", " ", db, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split(" ") for line in out.splitlines() if line]


def generations(db, ids):
    listed = ",".join(f"'{i}'" for i in ids)
    rows = psql(db, f"SELECT link_id, refresh_generation FROM link_tokens WHERE link_id IN ({listed})")
    return {link: int(g) for link, g in rows}


def call(url, method="GET", token=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    proxy, sim, key, db = sys.argv[1:5]
    links = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    per_link = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    ids = [r[0] for r in psql(db, f"SELECT id FROM links WHERE state = 'active' ORDER BY id LIMIT {links}")]
    if not ids:
        sys.exit("no active links")
    listed = ",".join(f"'{i}'" for i in ids)
    psql(db, "UPDATE link_tokens SET refresh_due_at = now() AT TIME ZONE 'UTC', "
             "access_expires_at = now() AT TIME ZONE 'UTC' + interval '2 minutes' "
             f"WHERE link_id IN ({listed})")
    before = generations(db, ids)

    def hand_out(link):
        status, body = call(f"{proxy}/v1/links/{link}/access-token", "POST", key)
        if status != 200:
            return f"access-token {status}"
        token = json.loads(body)["access_token"]
        me, _ = call(f"{sim}/v1/me", token=token)
        return None if me == 200 else f"dead token (Wise answered {me})"

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(hand_out, [link for link in ids for _ in range(per_link)]))
    after = generations(db, ids)
    # A refresh bumps the generation twice: when its lease is claimed and when it is settled.
    refreshes = {link: (after[link] - before[link]) // 2 for link in ids}
    failed = [r for r in results if r]
    once = sum(1 for n in refreshes.values() if n == 1)
    print(f"  access tokens: {len(results)} calls over {len(ids)} links, {len(failed)} failed"
          f"{' (' + '; '.join(sorted(set(failed))) + ')' if failed else ''}; "
          f"links refreshed once {once}, more than once "
          f"{sum(1 for n in refreshes.values() if n > 1)}, not at all "
          f"{sum(1 for n in refreshes.values() if n < 1)}")
    if failed or once != len(ids):
        sys.exit(1)


main()
