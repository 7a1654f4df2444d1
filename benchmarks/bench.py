"""Benchmark: every figure of issue 10's table (except the batch and monitor rows), in one run.

Run:  python benchmarks/bench.py [--baseline REV] [--rounds 2] [--quick]
      (``./dev bench``; the peers come with ``pip install -e ".[bench]"``)

Each figure is printed beside its peer or floor, with the ratio:

* hot ``decide`` on a six-rule first-hit table written as policy YAML, beside the same table in
  ``rule-engine``, in ``zen-engine`` (a JSON decision model) and as hand-written closures;
* hot ``decide`` of every bundled decision on the facts of its YAML scenarios (facts validated,
  a full Decision with trace, citations and interpretations), now and at ``--baseline`` (the
  engine as it was before this work, taken from git and run in a subprocess on the same cases,
  the two measured in alternating rounds so both see the same machine): the median per
  decision, its ratio, and Halton ``sanction`` on its own;
* what immutable decisions cost: freezing each decision's outcome and facts;
* cold ``policyengine decide`` (a new process, end to end), now and at the baseline, beside the
  import floor of its dependencies (``import yaml, pydantic, holidays``);
* ``add_working_days`` for n = 10, 1,000 and 50,000, now and at the baseline, beside a flat
  lookup in a precomputed table (the floor);
* ``load_policies`` of the four bundled policies, now and at the baseline;
* a generated 10,000-rule first-hit table: load, and decide with the rule index and without it.

Nothing is asserted: the machines are shared and noisy (take the ratios, and run it twice).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _timing  # noqa: E402
import tables  # noqa: E402
from bench_cold import run as run_process  # noqa: E402

import policyengine  # noqa: E402
from policyengine.load import load_yaml_file  # noqa: E402
from policyengine.scenarios import ScenarioFile  # noqa: E402
from policyengine.scenarios import _json_facts as json_facts  # noqa: E402

#: The engine before the hot-path work (main when it started), for the "before" figures.
BASELINE = "3ddadbc"
per_call = _timing.per_call


def ratio(now: float, then: float) -> str:
    return f"{now / then:5.2f}x" if then else "   - "


def us(seconds: float | None) -> str:
    return f"{seconds * 1e6:9.2f}" if seconds is not None else "        -"


# ------------------------------------------------------------------------------------ baseline


def extract_baseline(rev: str, into: Path) -> Path | None:
    """The engine at ``rev`` (its src/ and policies/), unpacked from git; None without git."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src", "policies"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"(no baseline: cannot take {rev} from git: {exc})")
        return None
    return into


def run_timing(src: Path, policies_dir: Path, cases: list[list[Any]], budget: float,
               extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(cases, handle)
    try:
        out = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "_timing.py"), str(src),
             str(policies_dir), handle.name, str(budget)],
            check=True, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": "", **(extra_env or {})},
        ).stdout
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(out)
    return result


def scenario_cases() -> list[list[Any]]:
    cases: list[list[Any]] = []
    for path in sorted((ROOT / "policies" / "scenarios").glob("*.yaml")):
        spec = ScenarioFile.model_validate(load_yaml_file(path).data)
        for s in spec.scenarios:
            if s.expect is not None:
                as_of = s.as_of or spec.as_of
                cases.append([spec.policy, s.decision, json_facts(s.facts),
                              (as_of or dt.date(2026, 6, 1)).isoformat()])
    return cases


def best_of(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per case and per figure, the best over the rounds."""
    out: list[dict[str, Any]] = []
    for rows in zip(*runs, strict=True):
        merged: dict[str, Any] = {}
        for row in rows:
            for key, value in row.items():
                if key == "error":
                    merged["error"] = value
                else:
                    merged[key] = min(value, merged.get(key, value))
        out.append(merged)
    return out


# ------------------------------------------------------------------------------------ sections


class Baseline:
    """The baseline engine in a process of its own, timing one case at a time when asked."""

    def __init__(self, base: Path, cases: list[list[Any]], budget: float) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(cases, handle)
        self.file = handle.name
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "_timing.py"), "--serve",
             str(base / "src"), str(base / "policies"), handle.name, str(budget)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": ""},
        )
        assert self.process.stdout is not None and self.process.stdout.readline() == "ready\n"

    def time(self, index: int) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{index}\n")
        self.process.stdin.flush()
        row: dict[str, Any] = json.loads(self.process.stdout.readline())
        return row

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        os.unlink(self.file)


def section_decisions(base: Path | None, rounds: int, budget: float) -> None:
    cases = scenario_cases()
    now_runs: list[list[dict[str, Any]]] = [[] for _ in range(rounds)]
    then_runs: list[list[dict[str, Any]]] = [[] for _ in range(rounds)]
    policies = policyengine.load_policies(ROOT / "policies")
    baseline = Baseline(base, cases, budget) if base is not None else None
    try:
        for r in range(rounds):  # case by case, the baseline and now in turn
            for i, case in enumerate(cases):
                if baseline is not None:
                    then_runs[r].append(baseline.time(i))
                now_runs[r].append(_timing.time_cases(policies, [case], budget)[0])
    finally:
        if baseline is not None:
            baseline.close()
    now = best_of(now_runs)
    then = best_of(then_runs) if baseline is not None else [{} for _ in cases]
    by_decision: dict[str, list[int]] = defaultdict(list)
    for i, (policy, decision, _, _) in enumerate(cases):
        by_decision[f"{policy}.{decision}"].append(i)

    def median(rows: list[dict[str, Any]], idx: list[int], key: str) -> float | None:
        values = [rows[i][key] for i in idx if key in rows[i]]
        return statistics.median(values) if values else None

    print(f"\nHot decide, every bundled decision (median over its scenario cases, µs; "
          f"baseline {BASELINE}; each case timed in turn with the baseline, best of {rounds})")
    head = (f"{'decision':<50}{'cases':>5} {'before':>9} {'now':>9} {'ratio':>6}  "
            f"{'full trace':>10} {'to_dict':>9} {'to_dict before':>14}")
    print(head)
    print("-" * len(head))
    nows, ratios = [], []
    for name, idx in sorted(by_decision.items()):
        t_now, t_then = median(now, idx, "decide"), median(then, idx, "decide")
        nows.append(t_now or 0.0)
        if t_now and t_then:
            ratios.append(t_now / t_then)
        print(f"{name:<50}{len(idx):>5} {us(t_then)} {us(t_now)} "
              f"{ratio(t_now, t_then) if t_now and t_then else '   - ':>6}  "
              f"{us(median(now, idx, 'full_trace')):>10} {us(median(now, idx, 'to_dict'))} "
              f"{us(median(then, idx, 'to_dict')):>14}")
    print(f"{len(nows)} decisions: now {min(nows) * 1e6:.1f}-{max(nows) * 1e6:.1f} µs, median "
          f"{statistics.median(nows) * 1e6:.1f} µs; {sum(t <= 10e-6 for t in nows)} at or under "
          f"10 µs" + (f"; ratio to before {min(ratios):.2f}-{max(ratios):.2f}x, "
                      f"{sum(r <= 0.5 for r in ratios)} of {len(ratios)} at or under 0.5x"
                      if ratios else ""))
    sanction = by_decision.get("halton_conduct.sanction", [])
    t_now, t_then = median(now, sanction, "decide"), median(then, sanction, "decide")
    if t_now:
        print(f"Halton sanction: {us(t_now).strip()} µs now, {us(t_then).strip()} µs before "
              f"({ratio(t_now, t_then) if t_then else '-'})")
    section_freezing(policies, cases)


def section_freezing(policies: Any, cases: list[list[Any]]) -> None:
    from policyengine.values import freeze

    costs = []
    for policy, decision, facts, as_of in cases[:: max(len(cases) // 40, 1)]:
        d = policies.decide(policy, decision, facts, dt.date.fromisoformat(as_of))
        outcome, values = d.to_dict()["outcome"], dict(d.facts)
        t_frozen = per_call(lambda o=outcome, v=values: (freeze(o), freeze(v)), 0.002)
        t_plain = per_call(lambda o=outcome, v=values: (dict(o), dict(v)), 0.002)
        costs.append(t_frozen - t_plain)
    print(f"Immutable decisions: freezing a decision's outcome and facts costs "
          f"{statistics.median(costs) * 1e6:.2f} µs over plain copies (median of {len(costs)} "
          f"cases); trace, citations and interpretations are frozen once per set of rules")


def section_six_rules(base: Path | None, budget: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bench.yaml").write_text(tables.six_rule_policy(), encoding="utf-8")
        policies = policyengine.load_policies(tmp)
        cases = [["bench", "route", facts, "2026-06-01"] for facts in tables.SIX_RULE_CASES]
        now = _timing.time_cases(policies, cases, budget)
        then = (run_timing(base / "src", Path(tmp), cases, budget)["cases"]
                if base is not None else [])
    ours = statistics.median(r["decide"] for r in now)
    print("\nHot decide, a six-rule first-hit table (median of 4 cases, µs; ratio = peer / ours)")
    rows: list[tuple[str, float | None]] = [("policyengine decide (validated, traced, cited)",
                                             ours)]
    if then and all("decide" in r for r in then):
        rows.append((f"policyengine decide at {BASELINE}",
                     statistics.median(r["decide"] for r in then)))
    for label, make in (("rule-engine 5 (rules tested in order)", tables.rule_engine_table),
                        ("zen-engine (JSON decision model, first hit)", tables.zen_table),
                        ("hand-written closures (the floor)", tables.closures)):
        fn = make()
        if fn is None:
            rows.append((label + ": not installed (pip install -e '.[bench]')", None))
            continue
        assert [fn(dict(f)) for f in tables.SIX_RULE_CASES] == [
            {k: v for k, v in policies.decide("bench", "route", f, dt.date(2026, 6, 1))
             .outcome.items()} for f in tables.SIX_RULE_CASES
        ], f"{label} disagrees with the policy"
        rows.append((label, statistics.median(
            per_call(lambda f=f, fn=fn: fn(f), budget) for f in tables.SIX_RULE_CASES)))
    for label, t in rows:
        print(f"  {label:<58} {us(t)}  {ratio(t, ours) if t else ''}")


def section_cold(base: Path | None, runs: int) -> None:
    """New processes, end to end, every kind in turn in each round (so that all of them meet
    the same machine). Byte code is written and used (as an installed package has it): one
    untimed run of each first, which also puts the policy file in the cache. Wall-clock and
    CPU seconds (the CPU figure is steadier on a shared machine)."""
    facts = ROOT / "benchmarks" / ".cold_facts.json"
    facts.write_text('{"person_type": "tenant"}', encoding="utf-8")
    argv = ["-m", "policyengine", "decide", "halton_conduct", "in_scope", "--facts", str(facts),
            "--as-of", "2026-01-05"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    kinds: dict[str, tuple[list[str], dict[str, str]]] = {
        "floor": (["-c", "import yaml, pydantic, holidays"], env),
        "floor_used": (["-c", "import yaml, holidays; from pydantic import BaseModel"], env),
        "bare": (["-c", "pass"], env),
        "now": (argv, env),
        "uncached": (argv, {**env, "POLICYENGINE_NO_CACHE": "1"}),
    }
    if base is not None:
        kinds["then"] = (argv, {**env, "PYTHONPATH": str(base / "src")})
    walls: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpus: dict[str, list[float]] = {kind: [] for kind in kinds}
    try:
        for args, extra in kinds.values():
            run_process(args, extra)
        for _ in range(runs):
            for kind, (args, extra) in kinds.items():
                cpu, wall = run_process(args, extra)
                cpus[kind].append(cpu)
                walls[kind].append(wall)
    finally:
        facts.unlink()
    med = {kind: (statistics.median(walls[kind]), statistics.median(cpus[kind])) for kind in kinds}
    now, floor, floor_used, bare, uncached = (
        med["now"], med["floor"], med["floor_used"], med["bare"], med["uncached"])
    then = med.get("then")
    print(f"\nCold `policyengine decide halton_conduct in_scope` (new processes, {runs} rounds, "
          "every kind in turn; medians, wall s / CPU s)")
    print(f"  now {now[0]:.3f} / {now[1]:.3f}" + (
        f"   before {then[0]:.3f} / {then[1]:.3f}   ({ratio(now[0], then[0])} / "
        f"{ratio(now[1], then[1])})" if then else ""))
    print(f"  import floor `import yaml, pydantic, holidays` {floor[0]:.3f} / {floor[1]:.3f}: "
          f"now is {now[0] / floor[0]:.2f}x / {now[1] / floor[1]:.2f}x the floor")
    print(f"  (now is with the policy file in the cache, as every run after the first has it; "
          f"with the cache off, POLICYENGINE_NO_CACHE=1: {uncached[0]:.3f} / {uncached[1]:.3f}, "
          f"{uncached[0] / floor[0]:.2f}x / {uncached[1] / floor[1]:.2f}x the floor)")
    print(f"  with pydantic's BaseModel loaded, as using pydantic needs: {floor_used[0]:.3f} / "
          f"{floor_used[1]:.3f} ({now[0] / floor_used[0]:.2f}x / {now[1] / floor_used[1]:.2f}x); "
          f"a bare interpreter {bare[0]:.3f} / {bare[1]:.3f}")


def section_working_days(base: Path | None) -> None:
    from policyengine.calendars import calendar_for

    cal = calendar_for("england-and-wales")
    start = dt.date(1900, 1, 1)
    print("\nadd_working_days from 1900-01-01, England and Wales (µs)")
    then: dict[str, float] = {}
    if base is not None:
        code = (
            "import sys, json, datetime as dt; sys.path.insert(0, sys.argv[1]);"
            "from policyengine.calendars import calendar_for; import _timing;"
            "c = calendar_for('england-and-wales'); s = dt.date(1900, 1, 1);"
            "print(json.dumps({n: _timing.per_call(lambda n=n: c.add_working_days(s, n)) "
            "for n in (10, 1000, 50000)}))"
        )
        out = subprocess.run([sys.executable, "-c", code, str(base / "src")], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "benchmarks")}).stdout
        then = json.loads(out)
    # the floor: one flat table of every working day, indexed
    first = start.toordinal()
    last = dt.date(2100, 12, 31).toordinal()
    days = [o for o in range(first, last + 1) if cal.is_working_day(dt.date.fromordinal(o))]
    position = {o: i for i, o in enumerate(days)}
    for n in (10, 1_000, 50_000):
        t_now = per_call(lambda n=n: cal.add_working_days(start, n))
        t_flat = per_call(lambda n=n: dt.date.fromordinal(days[position.get(first, -1) + n]))
        t_then = then.get(str(n))
        print(f"  n = {n:>6}: now {us(t_now)}   before {us(t_then)} ({ratio(t_now, t_then)})   "
              f"flat lookup {us(t_flat)} ({ratio(t_now, t_flat)} of it)")


def section_load(base: Path | None) -> None:
    """In a new process: the first load (which also imports what compiling needs) and the best
    of three more; now and before, alternating."""
    now_runs, then_runs, uncached_runs = [], [], []
    for _ in range(5):
        now_runs.append(run_timing(ROOT / "src", ROOT / "policies", [], 0.001))
        uncached_runs.append(run_timing(ROOT / "src", ROOT / "policies", [], 0.001,
                                        {"POLICYENGINE_NO_CACHE": "1"}))
        if base is not None:
            then_runs.append(run_timing(base / "src", base / "policies", [], 0.001))

    def figures(runs: list[dict[str, Any]]) -> tuple[float, float]:
        return (statistics.median(r["load"] for r in runs) * 1e3,
                statistics.median(r["load_again"] for r in runs) * 1e3)

    first, again = figures(now_runs)
    line = "\nload_policies, the four bundled policies (median of 5 processes, ms): "
    line += f"now {first:.1f} first in a process, {again:.1f} after"
    off_first, off_again = figures(uncached_runs)
    line += f" (with the cache off {off_first:.1f} and {off_again:.1f})"
    if then_runs:
        then_first, then_again = figures(then_runs)
        line += (f"; before {then_first:.1f} and {then_again:.1f} ({ratio(first, then_first)}, "
                 f"{ratio(again, then_again)})")
    print(line)


def section_large(base: Path | None, budget: float) -> None:
    text = tables.large_policy()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        try:
            policies = policyengine.load_policies(tmp)
        except policyengine.PolicyError as exc:
            print(f"\n10,000-rule table: refused at load: {exc.problems[0].message[:150]}")
            return
        load = time.perf_counter() - start
        start = time.perf_counter()
        policies = policyengine.load_policies(tmp)  # (too large for the policy cache)
        load_again = time.perf_counter() - start
        decision = policies.compiled_decision("bench", "band")
        cases = [{"region": "r0", "category": "c0"}, {"region": "r57", "category": "c31"},
                 {"region": "r99", "category": "c99"}]
        day = dt.date(2026, 6, 1)
        start = time.perf_counter()
        policies.decide("bench", "band", cases[0], day)  # builds the rule index
        first = time.perf_counter() - start
        indexed = [per_call(lambda f=f: policies.decide("bench", "band", f, day), budget)
                   for f in cases]
        index = decision.index
        object.__setattr__(decision, "index", None)  # every rule tested, in order
        try:
            linear = [per_call(lambda f=f: policies.decide("bench", "band", f, day), budget, 3)
                      for f in cases]
        finally:
            object.__setattr__(decision, "index", index)
        then = None
        if base is not None:
            res = run_timing(base / "src", Path(tmp), [["bench", "band", cases[0], "2026-06-01"]],
                             budget)
            then = {**res["cases"][0], "load": res["load"]}
    print(f"\n{len(decision.rules):,}-rule first-hit table (generated; {len(text) // 1024} KiB of "
          f"YAML): load {load * 1e3:.0f} ms" + (
              f" (before {then['load'] * 1e3:.0f} ms: {ratio(load, then['load'])})" if then
              else "") + f" (again in the same process {load_again * 1e3:.0f} ms; a file this "
          f"large is not cached); the first decide, which builds the rule index, "
          f"{first * 1e3:.0f} ms")
    for facts, t_i, t_l in zip(cases, indexed, linear, strict=True):
        print(f"  {json.dumps(facts):<40} indexed {us(t_i)} µs   every rule tested {us(t_l)} µs "
              f"({t_l / t_i:,.0f}x)")
    if then is not None:
        print(f"  before ({BASELINE}): " + (then.get("error", "") or f"{us(then['decide'])} µs"))


def main() -> None:
    global BASELINE  # the sections name the revision they compare with
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=BASELINE, help="git revision for 'before'")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="shorter timings (noisier)")
    parser.add_argument("--only", default="", help="comma-separated sections to run, of: "
                        "six_rules, decisions, cold, working_days, load, large (default all)")
    args = parser.parse_args()
    BASELINE = args.baseline
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    budget = 0.002 if args.quick else 0.004
    with tempfile.TemporaryDirectory() as tmp:
        base = None if args.no_baseline else extract_baseline(args.baseline, Path(tmp))
        print(f"policyengine benchmark: Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, baseline {args.baseline if base else 'none'}")
        sections = {
            "six_rules": lambda: section_six_rules(base, budget),
            "decisions": lambda: section_decisions(base, args.rounds, budget),
            "cold": lambda: section_cold(base, 5 if args.quick else 9),
            "working_days": lambda: section_working_days(base),
            "load": lambda: section_load(base),
            "large": lambda: section_large(base, budget),
        }
        unknown = only - set(sections)
        if unknown:
            parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
        for name, run in sections.items():
            if not only or name in only:
                run()


if __name__ == "__main__":
    main()
