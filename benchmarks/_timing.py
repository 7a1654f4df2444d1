"""Time ``PolicySet.decide`` on given cases with a given copy of the engine (run as a script).

``python benchmarks/_timing.py SRC POLICIES CASES.json`` imports ``policyengine`` from ``SRC``,
loads ``POLICIES``, and prints JSON: for each case, the best time per call of ``decide`` (and of
``decide(..., full_trace=True)`` and ``decide(...).to_dict()``), or the error it raised. Only the
public API is used, so the same script times today's engine and an older one (the benchmark's
baseline, taken from git). Nothing here is asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from typing import Any


def per_call(fn: Callable[[], Any], budget: float = 0.004, rounds: int = 5) -> float:
    """Seconds per call: the best of ``rounds`` rounds, each of about ``budget`` seconds."""
    fn()
    n, elapsed = 1, 0.0
    while elapsed < budget:
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
    best = elapsed / n
    for _ in range(rounds - 1):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def time_cases(policies: Any, cases: list[list[Any]], budget: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy, decision, facts, as_of_text in cases:
        as_of = dt.date.fromisoformat(as_of_text)
        row: dict[str, Any] = {}
        try:
            policies.decide(policy, decision, facts, as_of)
        except Exception as exc:  # a case this engine cannot take (a newer decision, say)
            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
            out.append(row)
            continue

        def plain(p: str = policy, d: str = decision, f: Any = facts, a: Any = as_of) -> Any:
            return policies.decide(p, d, f, a)

        def full(p: str = policy, d: str = decision, f: Any = facts, a: Any = as_of) -> Any:
            return policies.decide(p, d, f, a, full_trace=True)

        def record(p: str = policy, d: str = decision, f: Any = facts, a: Any = as_of) -> Any:
            return policies.decide(p, d, f, a).to_dict()

        row["decide"] = per_call(plain, budget)
        row["full_trace"] = per_call(full, budget / 2, 3)
        row["to_dict"] = per_call(record, budget / 2, 3)
        out.append(row)
    return out


def serve(policies: Any, cases: list[list[Any]], budget: float) -> None:
    """Time one case at a time, as asked on stdin (a case's index per line), answering each
    with a JSON line: the benchmark alternates this process and its own, case by case, so that
    both see the machine as it is at that moment."""
    for line in sys.stdin:
        index = int(line)
        print(json.dumps(time_cases(policies, [cases[index]], budget)[0]), flush=True)


def main() -> None:
    if sys.argv[1] == "--serve":
        src, policies_dir, cases_file = sys.argv[2:5]
        budget = float(sys.argv[5])
        sys.path.insert(0, src)
        import policyengine

        with open(cases_file, encoding="utf-8") as handle:
            cases = json.load(handle)
        policies = policyengine.load_policies(policies_dir)
        print("ready", flush=True)
        serve(policies, cases, budget)
        return
    src, policies_dir, cases_file = sys.argv[1:4]
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else 0.004
    sys.path.insert(0, src)
    import policyengine

    start = time.perf_counter()
    policies = policyengine.load_policies(policies_dir)
    load_seconds = time.perf_counter() - start
    again = []
    for _ in range(3):
        start = time.perf_counter()
        policyengine.load_policies(policies_dir)
        again.append(time.perf_counter() - start)
    with open(cases_file, encoding="utf-8") as handle:
        cases = json.load(handle)
    result = {"load": load_seconds, "load_again": min(again),
              "cases": time_cases(policies, cases, budget)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
