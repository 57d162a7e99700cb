#!/usr/bin/env python3
"""The crash matrix: kill -9 of `wiselink serve` while links sit at each recovery point, restart,
and check what recovery made of them. Run through scripts/crash-matrix.sh, which builds and starts
the simulator; this driver owns the service process.

Per round, three links are held at their recovery points by simulator latency, then the service is
killed with SIGKILL:
  pending     - the signup is on its way to Wise (the link row is committed, no answer yet)
  exchanging  - the code exchange is on its way (recovery point committed, the code spent)
  verifying   - Wise answered the exchange, the tokens are stored, /v1/me is being read
and one email is held mid-delivery by this driver's SMTP server (it stalls before accepting the
message of that round's "email" customer), so the relay has it leased when the process dies.
After the restart every link must leave its in-flight state through recovery: pending and
exchanging to awaiting_code, verifying to active; its audit trail must be one unbroken chain; the
leased email must be delivered once, after its lease ends; and over the whole run Wise must have
processed no code twice.
"""

import json
import os
import socketserver
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BIN, API, SIM, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SMTP_PORT = int(sys.argv[5])
IN_FLIGHT = {"pending", "exchanging", "verifying"}
EXPECTED = {"pending": "awaiting_code", "exchanging": "awaiting_code", "verifying": "active"}
LATENCY_MS = 4000


def call(method, url, body=None, bearer=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if bearer:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None


class Smtp(socketserver.ThreadingTCPServer):
    """Just enough SMTP for lettre. Counts each message it accepted (250 after DATA) by
    recipient; a message to `stall_for` is read in full and then never answered."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), SmtpSession)
        self.lock = threading.Lock()
        self.delivered = {}
        self.stalled = set()
        self.stall_for = None


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        server, rcpts = self.server, []
        self.wfile.write(b"220 crash-matrix ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 crash-matrix\r\n")
            elif verb == b"MAIL":
                rcpts = []
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                rcpts.append(line.split(b"<", 1)[-1].split(b">", 1)[0].decode().lower())
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                with server.lock:
                    if server.stall_for in rcpts:
                        server.stalled.add(server.stall_for)
                        stall = True
                    else:
                        for r in rcpts:
                            server.delivered[r] = server.delivered.get(r, 0) + 1
                        stall = False
                if stall:
                    time.sleep(60)
                    return
                self.wfile.write(b"250 accepted\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def in_background(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


class Service:
    def __init__(self, log):
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, "serve"], stdout=self.log, stderr=self.log)
        for _ in range(200):
            if call("GET", f"{API}/healthz")[0] == 200:
                return
            time.sleep(0.05)
        raise SystemExit("serve did not become healthy")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def main():
    log = open(os.environ.get("CRASH_LOG", "/dev/null"), "ab")
    key = subprocess.run([BIN, "api-key", "create", "--name", "crash"], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    smtp = Smtp(SMTP_PORT)
    in_background(smtp.serve_forever)
    service = Service(log)
    service.start()
    points = list(EXPECTED) + ["email_leased"]
    outcomes = {p: {} for p in points}
    recovery_secs = {p: [] for p in points}
    failures = []

    def link_of(ref):
        status, body = call("GET", f"{API}/v1/links?customer_ref={ref}", bearer=key)
        items = (body or {}).get("items") or []
        return items[0] if items else None

    def customer(ref, email):
        call("PUT", f"{API}/v1/customers/{ref}", {
            "email": email, "date_of_birth": "1990-04-17", "first_name": "Ada",
            "last_name": "Lovelace", "language": "EN"}, bearer=key)
        call("POST", f"{SIM}/__sim/users", {"email": email, "date_of_birth": "1990-04-17",
                                             "first_name": "Ada", "last_name": "Lovelace"})

    def code_for(email):
        _, mail = call("GET", f"{SIM}/__sim/mailbox?to={email}")
        return mail[-1]["authorization_code"]

    def fault(endpoint):
        call("POST", f"{SIM}/__sim/faults", {"endpoint": endpoint, "latency_ms": LATENCY_MS})

    for round_ in range(ROUNDS):
        refs, emails, sessions = {}, {}, {}
        for point in points:
            refs[point] = f"crash-{round_}-{point}"
            emails[point] = f"crash.{round_}.{point}@example.com"
            customer(refs[point], emails[point])
        # The "finish linking" email of this customer is held mid-delivery.
        smtp.stall_for = emails["email_leased"]
        call("POST", f"{API}/v1/links", {"customer_ref": refs["email_leased"]}, bearer=key)
        wait_for(lambda: emails["email_leased"] in smtp.stalled)
        # Two links wait for their code; the third is started under a slow signup.
        for point in ("exchanging", "verifying"):
            _, started = call("POST", f"{API}/v1/links", {"customer_ref": refs[point]}, bearer=key)
            sessions[point] = started["link_session_token"]
        threads = []
        fault("/v1/me")
        threads.append(in_background(call, "POST", f"{API}/v1/links/{link_of(refs['verifying'])['id']}/code",
                                     {"code": code_for(emails["verifying"])}, sessions["verifying"], 30))
        wait_for(lambda: (link_of(refs["verifying"]) or {}).get("state") == "verifying")
        fault("/oauth/token")
        threads.append(in_background(call, "POST", f"{API}/v1/links/{link_of(refs['exchanging'])['id']}/code",
                                     {"code": code_for(emails["exchanging"])}, sessions["exchanging"], 30))
        fault("/v1/user/signup/registration_code")
        threads.append(in_background(call, "POST", f"{API}/v1/links", {"customer_ref": refs["pending"]}, key, 30))
        wait_for(lambda: all((link_of(refs[p]) or {}).get("state") == p for p in EXPECTED))
        if emails["email_leased"] not in smtp.stalled:
            failures.append(f"round {round_}: the email never reached the SMTP server")
        service.kill()
        killed_at = time.monotonic()
        smtp.stall_for = None
        service.start()
        for point in EXPECTED:
            link = wait_for(lambda: settled(link_of(refs[point])), limit=60)
            state = link["state"] if link else "stuck"
            outcomes[point][state] = outcomes[point].get(state, 0) + 1
            recovery_secs[point].append(time.monotonic() - killed_at)
            if state != EXPECTED[point]:
                failures.append(f"round {round_} {point}: ended {state}")
                continue
            _, events = call("GET", f"{API}/v1/links/{link['id']}/events", bearer=key)
            for before, after in zip(events, events[1:]):
                if after["from_state"] != before["to_state"]:
                    failures.append(f"round {round_} {point}: broken audit trail {events}")
            if events[-1]["to_state"] != state:
                failures.append(f"round {round_} {point}: last event is not {state}")
        delivered = wait_for(lambda: smtp.delivered.get(emails["email_leased"]), limit=60)
        outcomes["email_leased"][f"delivered {delivered or 0}x"] = outcomes["email_leased"].get(f"delivered {delivered or 0}x", 0) + 1
        recovery_secs["email_leased"].append(time.monotonic() - killed_at)
        if delivered != 1:
            failures.append(f"round {round_} email: delivered {delivered or 0} times after the crash")
        for t in threads:
            t.join(timeout=1)
        print(f"round {round_ + 1}/{ROUNDS}: " + ", ".join(
            f"{p} -> {(link_of(refs[p]) or {}).get('state')}" for p in EXPECTED), flush=True)

    _, calls = call("GET", f"{SIM}/__sim/calls")
    processed = {}
    for c in calls:
        body = c.get("body") or {}
        if body.get("grant_type") == "authorization_code" and c["status"] not in (429, 500, 503):
            processed[body.get("code")] = processed.get(body.get("code"), 0) + 1
    twice = [code for code, n in processed.items() if n > 1]
    if twice:
        failures.append(f"codes processed twice by Wise: {len(twice)}")
    service.kill()

    print()
    print(f"{'recovery point':<14} {'kills':>5}  outcome                 recovery after restart (s)")
    for point in points:
        secs = sorted(recovery_secs[point])
        kills = sum(outcomes[point].values())
        shown = ", ".join(f"{s} {n}" for s, n in sorted(outcomes[point].items()))
        print(f"{point:<14} {kills:>5}  {shown:<23} median {secs[len(secs) // 2]:.1f}, max {secs[-1]:.1f}")
    print(f"codes processed twice by Wise: {len(twice)}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("every link left its recovery point as expected, and every leased email was delivered once")


def settled(link):
    return link if link and link["state"] not in IN_FLIGHT else None


def wait_for(check, limit=15):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return None


if __name__ == "__main__":
    main()
