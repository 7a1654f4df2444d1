"""Run the fuzz targets for a long time and report every contract break (``./dev fuzz``).

    python tests/fuzz/run.py [--cases N] [--seed S] [--chunk C] [TARGET ...]
                             [--skip-command NAME] [--only-command NAME]
                             [--no-shrink]

The targets are ``policy``, ``facts``, ``events`` and ``cli`` (targets.py). Each runs ``N``
cases (default 100,000), in chunks of ``C`` with seeds ``S``, ``S+1``, ...: hypothesis generates
the cases, and when a case breaks the contract it shrinks it to a minimal reproducer (at most a
minute per break; ``--no-shrink`` reports breaks as found). Distinct breaks (by exception type
and where it was raised) are reported once each, with the reproducer, at the end; the table
gives the cases tried per target. The exit code is 1 if anything broke.

A chunk stops at its first break, so a target with a known, frequent break explores little
else: ``--skip-command monitor`` leaves a subcommand out of the ``cli`` target.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "src")]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.internal.conjecture import engine as _engine  # noqa: E402
from targets import CASES, TARGETS  # noqa: E402

# Shrinking a slow failing case may take hypothesis five minutes; a minute is enough here.
_engine.MAX_SHRINKING_SECONDS = 60


def _signature(exc: BaseException) -> tuple[str, str]:
    tb = exc.__traceback__
    where = "?"
    while tb is not None:
        frame = tb.tb_frame
        where = f"{Path(frame.f_code.co_filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return type(exc).__name__, where


def run_target(name: str, cases: int, base_seed: int, chunk: int,
               breaks: dict[tuple[str, str, str], BaseException], *, shrink: bool = True) -> float:
    target = TARGETS[name]
    started = time.perf_counter()
    done = 0
    k = 0
    while done < cases:
        size = min(chunk, cases - done)
        runner = seed(base_seed + k)(settings(
            max_examples=size, database=None, deadline=None, derandomize=False,
            phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
            report_multiple_bugs=True,
            suppress_health_check=list(HealthCheck), print_blob=False,
        )(given(st.data())(target)))
        try:
            runner()
        except BaseException as exc:  # a break: recorded, and the run goes on
            if isinstance(exc, KeyboardInterrupt):
                raise
            found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
            for one in found:
                key = (name, *_signature(one))
                if key not in breaks:  # said at once too, so a run stopped early still tells
                    print(f"  BREAK {name}: {key[1]} at {key[2]}: {str(one)[:300]}",
                          file=sys.stderr, flush=True)
                breaks.setdefault(key, one)
        done += size
        k += 1
        elapsed = time.perf_counter() - started
        print(f"  {name}: {CASES[name]:,} cases ({elapsed:.0f} s)", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _skipped() -> set[str]:
    import gen_cli

    return set(gen_cli.SKIPPED)


def _choose_commands(skip: list[str], only: list[str]) -> None:
    import gen_cli

    if only:
        known = gen_cli.subcommands()
        skip = [*skip, *(name for name in known if name not in only)]
    gen_cli.SKIPPED.update(skip)
    gen_cli.subcommands.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"targets to run (default all: {', '.join(TARGETS)})")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--skip-command", action="append", default=[], metavar="NAME",
                        help="leave a subcommand out of the cli target (repeatable)")
    parser.add_argument("--only-command", action="append", default=[], metavar="NAME",
                        help="fuzz only this subcommand in the cli target (repeatable)")
    parser.add_argument("--no-shrink", action="store_true",
                        help="report breaks as found, without shrinking them (faster)")
    args = parser.parse_args(argv)
    _choose_commands(args.skip_command, args.only_command)
    names = args.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; targets: {', '.join(TARGETS)}")
    breaks: dict[tuple[str, str, str], BaseException] = {}
    times: dict[str, float] = {}
    for name in names:
        times[name] = run_target(name, args.cases, args.seed, args.chunk, breaks,
                                 shrink=not args.no_shrink)
    print(f"fuzz: seed {args.seed}, {args.cases:,} cases asked per target"
          + (f"; cli commands left out: {', '.join(sorted(_skipped()))}" if _skipped() else ""))
    for name in names:
        found = sum(1 for key in breaks if key[0] == name)
        print(f"  {name:<8} {CASES[name]:>9,} cases tried  {times[name]:>8.0f} s  "
              f"{found} contract break(s)")
    for (name, kind, where), exc in breaks.items():
        print(f"\n=== {name}: {kind} at {where}")
        print(f"{type(exc).__name__}: {str(exc)[:2000]}")
        for note in getattr(exc, "__notes__", []):
            print(note[:20_000])
    return 1 if breaks else 0


if __name__ == "__main__":
    sys.exit(main())
