"""Decisions over HTTP: requests/s and p50/p99 latency at 1, 8 and 64 concurrent clients.

Starts ``policyengine serve`` (uvicorn, one process) on a free loopback port, with and without
the SQLite decision log, and sends ``POST /v1/policies/halton_conduct/decisions/sanction`` from
client threads over keep-alive connections (bounded: REQUESTS per level, at most SECONDS each).
Beside it, the in-process ``PolicySet.decide`` cost for the same facts, and the ratio. Not run
in CI: ``.venv/bin/python benchmarks/bench_server.py``.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import policyengine

REQUESTS = 3000
SECONDS = 20.0
LEVELS = (1, 8, 64)
PATH = "/v1/policies/halton_conduct/decisions/sanction"
FACTS = {"severity": "high", "prior_warning_given": True, "corrected_immediately": False,
         "channel": "telephone", "posted_on_social_media": False, "in_involved_groups": True,
         "vexatious_or_persistent": False, "notified_on": "2026-12-18"}
BODY = json.dumps({"facts": FACTS, "as_of": "2026-12-18"}).encode()


def in_process() -> float:
    policies = policyengine.load_policies()
    for _ in range(200):
        policies.decide("halton_conduct", "sanction", FACTS, "2026-12-18").to_dict()
    n = 5000
    start = time.perf_counter()
    for _ in range(n):
        policies.decide("halton_conduct", "sanction", FACTS, "2026-12-18").to_dict()
    return (time.perf_counter() - start) / n


def start_server(log: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "policyengine", "serve", "--port", "0", "--no-access-log",
         "--log-level", "warning", "--decision-log", log],
        stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r":(\d+)/", line)
    if not found:
        proc.kill()
        raise SystemExit(f"serve did not start: {line}")
    return proc, int(found.group(1))


def run_level(port: int, clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = max(1, REQUESTS // clients)
    deadline = time.monotonic() + SECONDS

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        try:
            for _ in range(per_client):
                if time.monotonic() > deadline:
                    break
                t0 = time.perf_counter()
                conn.request("POST", PATH, body=BODY, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                assert response.status == 200
                mine.append(time.perf_counter() - t0)
        finally:
            conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 30)
    return time.perf_counter() - start, latencies


def main() -> None:
    cost = in_process()
    print(f"in-process decide + to_dict: {cost * 1e6:.0f} us ({1 / cost:.0f}/s on one core)")
    print("(client and server share this machine's 2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, log in (("no log", "none"), ("SQLite log", str(Path(tmp) / "d.sqlite"))):
            proc, port = start_server(log)
            try:
                run_level(port, 1)  # warm up
                for clients in LEVELS:
                    elapsed, lat = run_level(port, clients)
                    lat.sort()
                    p50 = statistics.median(lat)
                    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
                    rate = len(lat) / elapsed
                    print(f"{label:10} {clients:3} clients: {rate:7.0f} req/s  p50 "
                          f"{p50 * 1e3:6.2f} ms  p99 {p99 * 1e3:6.2f} ms  ({len(lat)} requests; "
                          f"HTTP/in-process per request at 1 client: "
                          f"{p50 / cost:.1f}x)" if clients == 1 else
                          f"{label:10} {clients:3} clients: {rate:7.0f} req/s  p50 "
                          f"{p50 * 1e3:6.2f} ms  p99 {p99 * 1e3:6.2f} ms  ({len(lat)} requests)")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)


if __name__ == "__main__":
    main()
