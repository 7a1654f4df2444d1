"""Benchmark: policy load/compile time and decisions per second, per decision.

Run:  python benchmarks/bench.py [--policies DIR] [--seconds 0.2]

Prints one table, all numbers from the same run, side by side: the cost of a decision through
the public API (facts validated, rules evaluated, trace and citations built), the same with a
full trace (every rule, as `explain` uses), and to_dict() on top (what an app logging decisions
pays). The facts are those of the YAML scenarios, so every decision is timed on real cases.
Nothing here is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import policyengine  # noqa: E402
from policyengine.load import load_yaml_file  # noqa: E402
from policyengine.scenarios import ScenarioFile  # noqa: E402
from policyengine.scenarios import _json_facts as json_facts  # noqa: E402


def per_call(fn: Any, seconds: float) -> float:
    """Seconds per call: best of 5 rounds, each sized to take about `seconds / 5`."""
    fn()
    n, elapsed = 1, 0.0
    while elapsed < seconds / 50:
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n)
    return min(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", default=str(ROOT / "policies"))
    parser.add_argument("--seconds", type=float, default=0.2)
    args = parser.parse_args()

    loads = []
    for _ in range(5):
        start = time.perf_counter()
        policies = policyengine.load_policies(args.policies)
        loads.append(time.perf_counter() - start)
    print(f"load + compile {len(policies)} policies: best {min(loads) * 1e3:.1f} ms, "
          f"median {statistics.median(loads) * 1e3:.1f} ms (5 runs)")

    cases: dict[tuple[str, str], list[tuple[dict[str, Any], Any]]] = defaultdict(list)
    for path in sorted((ROOT / "policies" / "scenarios").glob("*.yaml")):
        spec = ScenarioFile.model_validate(load_yaml_file(path).data)
        if spec.policy not in policies:
            continue
        for s in spec.scenarios:
            if s.expect is not None:
                cases[(spec.policy, s.decision)].append(
                    (json_facts(s.facts), s.as_of or spec.as_of)
                )

    print()
    header = (f"{'decision':<48} {'cases':>5} {'decide µs':>10} {'per sec':>9} "
              f"{'full trace µs':>14} {'+to_dict µs':>12}")
    print(header)
    print("-" * len(header))
    for (policy, decision), facts_list in sorted(cases.items()):
        def plain(policy: str = policy, decision: str = decision, cases: Any = facts_list) -> None:
            for facts, as_of in cases:
                policies.decide(policy, decision, facts, as_of)

        def full(policy: str = policy, decision: str = decision, cases: Any = facts_list) -> None:
            for facts, as_of in cases:
                policies.decide(policy, decision, facts, as_of, full_trace=True)

        def with_dict(
            policy: str = policy, decision: str = decision, cases: Any = facts_list
        ) -> None:
            for facts, as_of in cases:
                policies.decide(policy, decision, facts, as_of).to_dict()

        k = len(facts_list)
        t_plain = per_call(plain, args.seconds) / k
        t_full = per_call(full, args.seconds) / k
        t_dict = per_call(with_dict, args.seconds) / k
        print(f"{policy + '.' + decision:<48} {k:>5} {t_plain * 1e6:>10.1f} "
              f"{1 / t_plain:>9,.0f} {t_full * 1e6:>14.1f} {t_dict * 1e6:>12.1f}")

    print()
    cal = policyengine.calendars.calendar_for("england-and-wales")
    import datetime as dt

    start_day = dt.date(1900, 1, 1)  # the holiday data runs to 2100
    for n in (10, 1_000, 50_000):
        t = per_call(lambda n=n: cal.add_working_days(start_day, n), args.seconds)
        print(f"add_working_days(n={n:>6}): {t * 1e6:8.2f} µs")
    reference_day = start_day

    def walk(n: int = 1_000) -> None:
        day, left = reference_day, n
        while left:
            day += dt.timedelta(days=1)
            if cal.is_working_day(day):
                left -= 1

    t = per_call(walk, args.seconds)
    print(f"day-by-day walk (n=  1000): {t * 1e6:8.2f} µs  (what add_working_days avoids)")


if __name__ == "__main__":
    main()
