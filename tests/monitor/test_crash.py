"""Crash safety, proven: a monitor process posting a long event stream is killed with SIGKILL at
random points, restarted on the same SQLite store from its last acknowledged event (so anything
committed but not acknowledged is redelivered), killed again, and finally run to the end; the
store's answers must equal an uninterrupted run's: no event lost, none applied twice.

``PE_KILL_RUNS`` sets the number of runs (default 12; CI runs the default), each with its own
seed, engine (plain Python or durable_rules), posting mode (one commit per event, or batches) and
kill points. The summary (runs, kills, divergences) is printed at the end.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policyengine import PolicySet
from policyengine.monitor import Monitor

from .conftest_paths import SRC
from .monitor_helpers import HAS_DURABLE, snapshot
from .streams import stream

RUNS = int(os.environ.get("PE_KILL_RUNS", "12"))
CHILD = """
import json, sys
from policyengine import load_policies
from policyengine.monitor import Monitor
store, engine, mode, start = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
events = json.load(open(sys.argv[5]))[start:]
with Monitor(load_policies(), store=store, engine=engine) as m:
    print("ready", flush=True)
    if mode == "batch":
        for i, _ in enumerate(m.post_many(events, batch=7)):
            print(start + i, flush=True)
    else:
        for i, event in enumerate(events):
            m.post(event)
            print(start + i, flush=True)
print("done", flush=True)
"""


def run_child(store: Path, engine: str, mode: str, start: int, events_file: Path,
              kill_after: int | None, rnd: random.Random) -> tuple[int, bool]:
    """Run the child from ``start``; kill it after ``kill_after`` acknowledgements (plus a few
    random milliseconds, so the kill lands anywhere, inside a commit too). Returns the last
    acknowledged index and whether the child was killed."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store), engine, mode, str(start),
                              str(events_file)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    last = start - 1
    acked = 0
    killed = False
    deadline = time.monotonic() + 300
    for line in child.stdout:
        assert time.monotonic() < deadline, "the child took too long"
        word = line.strip()
        if word in ("ready", "done"):
            continue
        last = int(word)
        acked += 1
        if kill_after is not None and acked >= kill_after:
            time.sleep(rnd.random() * 0.004)
            child.send_signal(signal.SIGKILL)
            killed = True
            # acknowledgements already written to the pipe before the kill still count
            for more in child.stdout:
                if more.strip().isdigit():
                    last = int(more.strip())
            break
    child.wait(timeout=60)
    if not killed:
        assert child.returncode == 0
    return last, killed


def test_sigkill_at_random_points_loses_nothing_and_applies_nothing_twice(
    policies: PolicySet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kills = 0
    divergences = 0
    points: list[int] = []
    for run in range(RUNS):
        rnd = random.Random(1000 + run)
        engine = "durable" if HAS_DURABLE and run % 2 else "python"
        mode = "batch" if run % 3 == 2 else "post"
        events = stream(n_cases=30, seed=run)
        events_file = tmp_path / f"events-{run}.json"
        events_file.write_text(json.dumps(events))
        store = tmp_path / f"cases-{run}.db"
        start = 0
        for _ in range(rnd.randint(1, 3)):
            remaining = len(events) - start
            if remaining < 10:
                break
            kill_after = rnd.randint(1, remaining - 5)
            last, killed = run_child(store, engine, mode, start, events_file, kill_after, rnd)
            if killed:
                kills += 1
                points.append(last + 1)
            start = last + 1
        last, killed = run_child(store, engine, mode, start, events_file, None, rnd)
        assert last == len(events) - 1 and not killed
        with Monitor(policies) as whole:
            for event in events:
                whole.post(event)
            expected = snapshot(whole)
        with Monitor(policies, store=store) as resumed:
            got = snapshot(resumed)
            ids = [h.ref for c in resumed.cases() for h in resumed.state(c).history]
        assert len(ids) == len(set(ids)) == len(events)  # none lost, none applied twice
        if got != expected:
            divergences += 1
    with capsys.disabled():
        print(f"\nkill test: {RUNS} runs, {kills} SIGKILLs at event indices {sorted(points)}, "
              f"{divergences} divergences")
    assert divergences == 0
    assert kills >= RUNS
