"""Benchmark: the case monitor replaying 100,000 events over 10,000 cases, and memory per case.

Run:  python benchmarks/bench_monitor.py [--events 100000] [--cases 10000] [--open 2000]

Prints, side by side, the same replay through:

* ``durable_rules``: :class:`policyengine.monitor.Monitor` as shipped (each case a durable_rules
  session, matched by the compiled lifecycle rulesets);
* ``plain Python``: the same monitor with durable_rules taken out (the same validation, the same
  due-date decisions and the same effects, but the rule is chosen by a Python loop and the case
  record is a Python dict): what the durable_rules engine itself costs.

The events are a deterministic mix of the bundled lifecycles (complaints, contacts, anti-social
behaviour reports, conduct cases, contact histories), spread over a year and replayed in time
order, so cases open and close as they would. Memory per open case is measured separately: RSS
(``/proc/self/status`` VmRSS) before and after opening ``--open`` cases that all stay open,
divided by their number. Nothing is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import gc
import hashlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import policyengine  # noqa: E402
from policyengine.lifecycle import NEW  # noqa: E402
from policyengine.monitor import Monitor, Posted, _Case, _Incoming, apply_effect  # noqa: E402

COMPLAINT = "platform_commitments.complaint"
CONTACT = "platform_commitments.contact"
ASB = "platform_commitments.asb_report"
CONDUCT = "halton_conduct.conduct_case"
HISTORY = "citizen_persistent_contact.contact_history"
SANCTION = {"severity": "medium", "prior_warning_given": True, "corrected_immediately": False,
            "channel": "telephone", "posted_on_social_media": False, "in_involved_groups": False,
            "vexatious_or_persistent": False}
CHANNELS = ["portal", "email", "letter", "website", "web_chat", "telephone"]


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


class PlainMonitor(Monitor):
    """The same monitor without durable_rules: a Python loop picks the rule, dicts hold cases."""

    def __init__(self, policies: Any) -> None:
        super().__init__(policies)
        self._records: dict[str, dict[str, Any]] = {}

    def _apply(self, incoming: _Incoming, case: _Case | None) -> Posted:
        lc = incoming.lifecycle
        state = case.state if case is not None else NEW
        data = incoming.data_json
        for rule in sorted(lc.rules, key=lambda r: r.priority):
            if rule.event == incoming.type and state in rule.states and (
                    rule.transition is None or rule.transition.matches(data)):
                break
        else:
            raise self._no_rule(incoming, state)
        record = self._records.get(incoming.case_id, {})
        updates, posted, event, step = apply_effect(self._decisions, lc, rule,
                                                    rule.effects[state], record, incoming)
        self._records[incoming.case_id] = {**record, **updates}
        if case is None:
            case = _Case(incoming.case_id, lc, "", None, posted.to_state, incoming.at)
            self._cases[incoming.case_id] = case
        case.events.append(event)
        case.steps.append(step)
        case.state = posted.to_state
        case.last_at = incoming.at
        if self._latest is None or incoming.at > self._latest:
            self._latest = incoming.at
        if posted.closed:
            case.archive = self._records.pop(incoming.case_id)
        return posted

    def _record(self, case_id: str) -> tuple[_Case, dict[str, Any]]:
        case = self._cases[case_id]
        return case, case.archive if case.archive is not None else self._records[case_id]


def replay(make: Any, policies: Any, events: list[dict[str, Any]]) -> dict[str, Any]:
    gc.collect()
    before = rss_kib()
    peak_open = 0
    with make(policies) as monitor:
        start = time.perf_counter()
        for i, event in enumerate(events):
            monitor.post(event)
            if i % 2000 == 0:
                peak_open = max(peak_open, len(monitor.cases(include_closed=False)))
        elapsed = time.perf_counter() - start
        after = rss_kib()
        still_open = len(monitor.cases(include_closed=False))
        cases = monitor.cases()
        sample = {c: [o.to_dict() for o in monitor.obligations(c)]
                  for c in cases[:: max(1, len(cases) // 200)]}
        overdue = len(monitor.overdue())
    digest = hashlib.sha256(json.dumps(sample, sort_keys=True).encode()).hexdigest()
    return {"seconds": elapsed, "rate": len(events) / elapsed,
            "rss_mib": (after - before) / 1024, "hwm_mib": status_kib("VmHWM") / 1024,
            "peak_open": peak_open, "open_at_end": still_open, "overdue": overdue,
            "sampled": len(sample), "digest": digest}


def memory_per_case(make: Any, policies: Any, n: int) -> dict[str, Any]:
    """KiB of RSS per open case (n formal complaints left open), and what close() gives back."""
    monitor = make(policies)
    gc.collect()
    before = rss_kib()
    for i in range(n):
        monitor.post({"case": f"open-{i}", "case_type": COMPLAINT, "type": "received",
                      "at": "2026-03-02T10:00", "data": {"stage": "formal"}})
        monitor.post({"case": f"open-{i}", "type": "acknowledged", "at": "2026-03-03T10:00"})
    gc.collect()
    during = rss_kib()
    monitor.close()
    del monitor
    gc.collect()
    closed = rss_kib()
    # glibc keeps freed memory for reuse; ask it to give it back, to see what is really held
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {"per_case": (during - before) / n, "after_close": (closed - before) / n,
            "after_trim": (rss_kib() - before) / n}


def worker(kind: str, label: str, args: argparse.Namespace) -> None:
    policies = policyengine.load_policies(ROOT / "policies")
    make = Monitor if label == "durable_rules" else PlainMonitor
    if kind == "replay":
        result = replay(make, policies, make_events(args.events, args.cases))
    else:
        result = memory_per_case(make, policies, args.open)
    print(json.dumps(result))


def run_worker(kind: str, label: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", f"{kind}:{label}", "--events",
               str(args.events), "--cases", str(args.cases), "--open", str(args.open)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=2_000, help="cases for the memory probe")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, label = args.worker.split(":")
        worker(kind, label, args)
        return

    events = make_events(args.events, args.cases)
    kinds: dict[str, int] = {}
    for e in events:
        if "case_type" in e:
            kinds[e["case_type"]] = kinds.get(e["case_type"], 0) + 1
    names = ", ".join(f"{v:,} {k.split('.')[1]}" for k, v in sorted(kinds.items()))
    print(f"replaying {len(events):,} events over {args.cases:,} cases ({names}),")
    print(f"{events[0]['at'][:10]} to {events[-1]['at'][:10]} in time order; each column in a "
          "fresh process")
    print()
    labels = ("durable_rules", "plain Python")
    results = {label: run_worker("replay", label, args) for label in labels}
    memory = {label: run_worker("memory", label, args) for label in labels}

    header = f"{'':40}{'durable_rules':>15}{'plain Python':>15}"
    print(header)
    print("-" * len(header))

    def row(name: str, fmt: str, key: Any) -> None:
        cells = [format(key(label), fmt) for label in labels]
        print(f"{name:40}{cells[0]:>15}{cells[1]:>15}")

    row("events per second", ",.0f", lambda k: results[k]["rate"])
    row("replay time (s)", ".1f", lambda k: results[k]["seconds"])
    row("microseconds per event", ".0f", lambda k: 1e6 / results[k]["rate"])
    row("open cases, most seen at once", ",d", lambda k: results[k]["peak_open"])
    row("open cases at the end", ",d", lambda k: results[k]["open_at_end"])
    row("overdue obligations at the end", ",d", lambda k: results[k]["overdue"])
    row("RSS growth over the replay (MiB)", ".1f", lambda k: results[k]["rss_mib"])
    row("peak RSS of the process (MiB)", ".1f", lambda k: results[k]["hwm_mib"])
    row(f"KiB per open case ({args.open:,} open)", ".1f", lambda k: memory[k]["per_case"])
    row("  still held after close() (KiB/case)", ".1f", lambda k: memory[k]["after_close"])
    row("  after close() and malloc_trim", ".1f", lambda k: memory[k]["after_trim"])
    same = len({results[k]["digest"] for k in labels}) == 1
    print()
    print(f"answers identical for the {results['durable_rules']['sampled']} sampled cases: "
          f"{'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
