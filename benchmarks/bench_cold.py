"""Benchmark: cold ``policyengine decide`` in new processes, this tree against a git revision.

Run:  python benchmarks/bench_cold.py [--baseline main] [--runs 15]
                                      [--modules policyengine.expressions.nodes,...]

The two engines (this tree's ``src/``, and ``--baseline`` taken from git into a temporary
directory) and the import floor of the dependencies (``import yaml, pydantic, holidays``) run
in alternation, one process each in turn, so that all three see the same machine; byte code
is written and used (one untimed run of each first), as an installed package has it. Printed:
the median CPU seconds of the child processes (``getrusage(RUSAGE_CHILDREN)``; steadier than
wall-clock on a shared machine) and the median wall-clock seconds, their ratios, and the
median ``-X importtime`` self time of each of ``--modules`` both ways.

Nothing is asserted: the machine is shared and noisy (take the ratios, and run it twice).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("policyengine.expressions.nodes", "policyengine.compiled", "policyengine.decision",
           "policyengine.errors", "policyengine.records")
DECIDE = ["-m", "policyengine", "decide", "halton_conduct", "in_scope", "--facts", "{facts}",
          "--as-of", "2026-01-05"]


def extract(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src", "policies"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """CPU and wall seconds of one new process (``bench.py``'s cold section runs these too)."""
    cpu, wall = child_cpu(), time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env)
    return child_cpu() - cpu, time.perf_counter() - wall


def self_times(args: list[str], env: dict[str, str], modules: list[str]) -> dict[str, int]:
    """Each module's ``-X importtime`` self time (µs) in one new process."""
    err = subprocess.run([sys.executable, "-X", "importtime", *args], check=True,
                         capture_output=True, text=True, env=env).stderr
    found: dict[str, int] = {}
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            own, _, name = line[len("import time:"):].split("|")
            if name.strip() in modules and own.strip().isdigit():
                found[name.strip()] = int(own)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--modules", default=",".join(MODULES))
    args = parser.parse_args()
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp) / "facts.json"
        facts.write_text('{"person_type": "tenant"}', encoding="utf-8")
        decide = [a.replace("{facts}", str(facts)) for a in DECIDE]
        kinds = {
            "this tree": (decide, {**base_env, "PYTHONPATH": str(ROOT / "src")}),
            args.baseline: (decide, {**base_env, "PYTHONPATH": str(extract(args.baseline,
                                                                          Path(tmp)))}),
            "floor": (["-c", "import yaml, pydantic, holidays"], base_env),
        }
        for argv, env in kinds.values():  # byte code written, untimed
            run(argv, env)
        cpu: dict[str, list[float]] = defaultdict(list)
        wall: dict[str, list[float]] = defaultdict(list)
        imports: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for _ in range(args.runs):
            for kind, (argv, env) in kinds.items():
                c, w = run(argv, env)
                cpu[kind].append(c)
                wall[kind].append(w)
            for kind in ("this tree", args.baseline):
                argv, env = kinds[kind]
                for module, micros in self_times(argv, env, modules).items():
                    imports[kind][module].append(micros)
    med = {kind: (statistics.median(cpu[kind]), statistics.median(wall[kind])) for kind in kinds}
    now, then, floor = med["this tree"], med[args.baseline], med["floor"]
    print(f"Cold `policyengine decide halton_conduct in_scope` (new processes, {args.runs} "
          f"alternating runs each; medians, CPU s / wall s)")
    print(f"  this tree       {now[0]:.3f} / {now[1]:.3f}")
    print(f"  {args.baseline:<15} {then[0]:.3f} / {then[1]:.3f}   this tree is "
          f"{now[0] / then[0]:.2f}x / {now[1] / then[1]:.2f}x")
    print(f"  import floor    {floor[0]:.3f} / {floor[1]:.3f}   this tree is "
          f"{now[0] / floor[0]:.2f}x / {now[1] / floor[1]:.2f}x, {args.baseline} "
          f"{then[0] / floor[0]:.2f}x / {then[1] / floor[1]:.2f}x")
    print("  -X importtime self times (median µs):   this tree   " + args.baseline)
    for module in modules:
        ours = imports["this tree"].get(module)
        theirs = imports[args.baseline].get(module)
        print(f"    {module:<36} {statistics.median(ours) if ours else '-':>9}   "
              f"{statistics.median(theirs) if theirs else '-':>9}")


if __name__ == "__main__":
    main()
