"""Benchmark: the case monitor on each engine and store.

Run:  python benchmarks/bench_monitor.py [--events 100000] [--cases 10000] [--open 100000] \
          [--engines python,durable] [--stores memory,sqlite,postgres]

For every engine (``python``: the compiled plain-Python matcher; ``durable``: durable_rules) and
store (``memory``; ``sqlite``: a file, synced on every commit; ``postgres``: a throwaway server
this script starts on loopback, as the tests do), each in a fresh process, it prints:

* **replay**: events per second replaying ``--events`` events over ``--cases`` cases (a fixed mix
  of the bundled lifecycles over a year, in time order) with ``post_many`` (a commit every 1,000
  events), and with ``post`` (a commit per event: every event acknowledged on its own) over the
  first 2,000 of them;
* **memory**: RSS (VmRSS) per open case, with ``--open`` formal complaints left open (each has two
  obligations), durable_rules keeping at most 1,000 live sessions;
* **queries at --open open cases**: milliseconds for ``overdue`` (every overdue duty, and the first
  100), ``due_between`` for one day, and the number of obligations they return.

Nothing is asserted: the machines are shared and noisy. The answers of every column are compared
(a digest of every sampled case's obligations), so the figures are of the same work.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "monitor"))

import policyengine  # noqa: E402
from policyengine.monitor import Monitor  # noqa: E402

COMPLAINT = "platform_commitments.complaint"
CONTACT = "platform_commitments.contact"
ASB = "platform_commitments.asb_report"
CONDUCT = "halton_conduct.conduct_case"
HISTORY = "citizen_persistent_contact.contact_history"
SANCTION = {"severity": "medium", "prior_warning_given": True, "corrected_immediately": False,
            "channel": "telephone", "posted_on_social_media": False, "in_involved_groups": False,
            "vexatious_or_persistent": False}
CHANNELS = ["portal", "email", "letter", "website", "web_chat", "telephone"]
SINGLE = 2_000  # events posted one commit each
LEGEND = """
ev/s batch: wall clock, post_many in batches of 1,000; (CPU): per second of the process's CPU
time, which the machine's other jobs change less; 1/commit: post, one commit per event, over
the first 2,000 events; KiB/case: RSS per open case; count, overdue, first 100, 1 day:
count_overdue(), overdue(), overdue(limit=100), due_between() over one day (best of 3)."""


def status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def rss_kib() -> int:
    return status_kib("VmRSS")


def script(rnd: random.Random) -> tuple[str, list[tuple[str, dict[str, Any] | None]]]:
    """One case: its type and its events (type, data) in order."""
    kind = rnd.choices(["qr", "formal", "contact", "asb", "conduct", "history"],
                       weights=[20, 15, 25, 15, 10, 15])[0]
    if kind == "qr":
        steps: list[tuple[str, dict[str, Any] | None]] = [
            ("received", {"stage": "quick_resolution"})]
        if rnd.random() < 0.5:
            return COMPLAINT, [*steps, ("resolved", None)]
        return COMPLAINT, [*steps, ("escalated", None), ("acknowledged", None),
                           ("responded", None), ("final_review_requested", None),
                           ("acknowledged", None), ("responded", None)]
    if kind == "formal":
        return COMPLAINT, [("received", {"stage": "formal"}), ("acknowledged", None),
                           ("responded", None), ("closed", None)]
    if kind == "contact":
        return CONTACT, [("received", {"channel": rnd.choice(CHANNELS),
                                       "resolved_at_first_contact": False}),
                         ("acknowledged", None), ("updated", None), ("responded", None)]
    if kind == "asb":
        report = rnd.choice(["hate_crime", "domestic_abuse", "anti_social_behaviour"])
        return ASB, [("reported", {"report_type": report}), ("acknowledged", None),
                     ("closed", None)]
    if kind == "conduct":
        return CONDUCT, [("warning_given", None), ("code_implemented", SANCTION),
                         ("notified", None), ("appeal_lodged", None),
                         ("appeal_decided", {"outcome": "not_upheld"}),
                         ("reviewed", {"outcome": "continue"}),
                         ("reviewed", {"outcome": "lift"})]
    contacts = [("contact", {"channel": "telephone", "topic": "repair"})
                for _ in range(rnd.randint(8, 20))]
    return HISTORY, [*contacts, ("behaviour_reported", {"behaviour": "excessive_contact"}),
                     ("review_requested", {"service_failure_outstanding": False,
                                           "vulnerable": False}),
                     ("no_restriction_decided", {"decided_by": "team leader"}),
                     ("history_closed", None)]


def make_events(n_events: int, n_cases: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    cases = [script(rnd) for _ in range(n_cases)]
    total = sum(len(steps) for _, steps in cases)
    # pad or trim the contact histories so that there are exactly n_events events
    histories = [steps for ct, steps in cases if ct == HISTORY]
    i = 0
    while total != n_events and histories:
        steps = histories[i % len(histories)]
        if total < n_events:
            steps.insert(0, ("contact", {"channel": "email", "topic": "noise"}))
            total += 1
        elif sum(1 for s in steps if s[0] == "contact") > 1:
            steps.pop(0)
            total -= 1
        i += 1
    start = dt.datetime(2026, 1, 5, 9, 0)
    events: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    seq = 0
    for number, (case_type, steps) in enumerate(cases):
        at = start + dt.timedelta(minutes=rnd.randrange(365 * 24 * 60))
        for index, (etype, data) in enumerate(steps):
            event: dict[str, Any] = {"case": f"case-{number}", "type": etype,
                                     "at": at.isoformat()}
            if index == 0:
                event["case_type"] = case_type
            if data is not None:
                event["data"] = data
            events.append((at, seq, event))
            seq += 1
            at += dt.timedelta(hours=rnd.randint(1, 96))
    events.sort(key=lambda item: (item[0], item[1]))
    return [e for _, _, e in events]


def with_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "id": f"e{i}"} for i, e in enumerate(events)]


@contextlib.contextmanager
def store_at(kind: str, folder: Path, postgres: str | None) -> Iterator[str]:
    if kind == "memory":
        yield ":memory:"
    elif kind == "sqlite":
        path = folder / f"cases-{random.randrange(10**9)}.db"
        yield str(path)
    else:
        assert postgres is not None
        from pg_server import fresh_database

        yield fresh_database(postgres)


def digest(monitor: Monitor) -> str:
    cases = monitor.cases()
    sample = {c: [o.to_dict() for o in monitor.obligations(c)]
              for c in cases[:: max(1, len(cases) // 200)]}
    return hashlib.sha256(json.dumps(sample, sort_keys=True).encode()).hexdigest()


def replay(engine: str, store: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    policies = policyengine.load_policies()
    with Monitor(policies, store=store, engine=engine) as m:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in m.post_many(events, batch=1000):
            pass
        batched = time.perf_counter() - start
        result = {"rate": len(events) / batched,
                  "cpu_rate": len(events) / (time.process_time() - cpu), "digest": digest(m),
                  "overdue": len(m.overdue())}
    single = [{**e, "case": "s-" + e["case"], "id": "s-" + e["id"]} for e in events[:SINGLE]]
    with Monitor(policies, store=store, engine=engine) as m:
        start = time.perf_counter()
        for e in single:
            m.post(e)
        result["single_rate"] = len(single) / (time.perf_counter() - start)
    return result


def open_cases(engine: str, store: str, n: int) -> dict[str, Any]:
    policies = policyengine.load_policies()
    rnd = random.Random(3)
    start = dt.datetime(2026, 9, 1, 9, 0)
    events = []
    for i in range(n):  # formal complaints received over 60 days, nine in ten acknowledged
        at = start + dt.timedelta(minutes=rnd.randrange(60 * 24 * 60))
        events.append({"case": f"open-{i}", "case_type": COMPLAINT, "type": "received",
                       "at": at.isoformat(), "data": {"stage": "formal"}, "id": f"o{i}"})
        if rnd.random() < 0.9:
            ack = at + dt.timedelta(hours=rnd.randint(1, 60))
            events.append({"case": f"open-{i}", "type": "acknowledged", "at": ack.isoformat(),
                           "id": f"a{i}"})
    events.sort(key=lambda e: e["at"])
    with Monitor(policies, store=store, engine=engine, sessions=1000) as m:
        m.post({**events[0], "case": "warm", "id": "warm"})
        gc.collect()
        before = rss_kib()
        for _ in m.post_many(events, batch=1000):
            pass
        gc.collect()
        per_case = (rss_kib() - before) / n
        as_of = dt.datetime(2026, 11, 2, 12, 0)  # the last weeks' cases are not yet overdue
        timings: dict[str, Any] = {"per_case": per_case}
        for name, call in (("count", lambda: [None] * m.count_overdue(as_of)),
                           ("overdue", lambda: m.overdue(as_of)),
                           ("overdue100", lambda: m.overdue(as_of, limit=100)),
                           ("day", lambda: m.due_between(as_of.date(), as_of.date(),
                                                         as_of=as_of))):
            call()  # warm
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                found = call()
                best = min(best, time.perf_counter() - t)
            timings[name] = best * 1000
            timings[f"{name}_n"] = len(found)
    return timings


def worker(task: str, engine: str, store_kind: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder, \
            store_at(store_kind, Path(folder), args.postgres_url) as store:
        if task == "replay":
            result = replay(engine, store, with_ids(make_events(args.events, args.cases)))
        else:
            result = open_cases(engine, store, args.open)
    print(json.dumps(result))


def run_worker(task: str, engine: str, store: str, args: argparse.Namespace,
               postgres: str | None) -> dict[str, Any] | None:
    command = [sys.executable, __file__, "--worker", f"{task}:{engine}:{store}", "--events",
               str(args.events), "--cases", str(args.cases), "--open", str(args.open)]
    if postgres:
        command += ["--postgres-url", postgres]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  {task} {engine}/{store} failed: {done.stderr.strip().splitlines()[-1:]}",
              file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--engines", default="python,durable")
    parser.add_argument("--stores", default="memory,sqlite,postgres")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--postgres-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task, engine, store = args.worker.split(":")
        worker(task, engine, store, args)
        return
    engines = args.engines.split(",")
    stores = args.stores.split(",")
    print(f"replay: {args.events:,} events over {args.cases:,} cases; queries and memory at "
          f"{args.open:,} open cases; each cell a fresh process; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    server: contextlib.AbstractContextManager[str | None] = contextlib.nullcontext(None)
    if "postgres" in stores:
        from pg_server import postgres_server

        server = postgres_server()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    with server as postgres:
        for engine in engines:
            for store in stores:
                replayed = run_worker("replay", engine, store, args, postgres)
                opened = run_worker("open", engine, store, args, postgres)
                if replayed and opened:
                    rows[(engine, store)] = {**replayed, **opened}
    header = (f"{'engine':8}{'store':9}{'ev/s batch':>11}{'(CPU)':>8}{'1/commit':>9}"
              f"{'KiB/case':>9}{'count ms':>9}{'overdue ms':>11}{'(n)':>8}{'first 100':>10}"
              f"{'1 day ms':>9}{'(n)':>6}")
    print()
    print(header)
    print("-" * len(header))
    for (engine, store), r in rows.items():
        print(f"{engine:8}{store:9}{r['rate']:>11,.0f}{r['cpu_rate']:>8,.0f}"
              f"{r['single_rate']:>9,.0f}{r['per_case']:>9.1f}{r['count']:>9.1f}"
              f"{r['overdue']:>11.1f}{r['overdue_n']:>8,}{r['overdue100']:>10.2f}"
              f"{r['day']:>9.2f}{r['day_n']:>6,}")
    print(LEGEND)
    print()
    for store in stores:
        py, du = rows.get(("python", store)), rows.get(("durable", store))
        if py and du:
            print(f"{store}: python / durable replay = {py['rate'] / du['rate']:.1f}x, "
                  f"memory per open case durable / python = "
                  f"{du['per_case'] / max(py['per_case'], 0.1):.1f}x")
    print(f"load average {os.getloadavg()[0]:.1f} at the end (where wall clock falls below CPU "
          "time, other jobs had the cores)")
    digests = {r["digest"] for r in rows.values()}
    print(f"answers identical across all {len(rows)} cells: {'yes' if len(digests) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
