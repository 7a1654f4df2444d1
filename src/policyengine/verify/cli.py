"""The ``policyengine verify`` subcommand: parse its options, run :func:`verify_policies`, print
the report as text or JSON, and exit 1 when anything was found."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..policyset import load_policies
from .report import DEFAULT_EFFORT
from .run import verify_policies


def _effort(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--effort takes a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--effort must be at least 1")
    return value


def _seed(text: str) -> int | None:
    if text == "random":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed takes a whole number or 'random', not {text!r}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    paths: list[str] = list(args.paths) or ([args.policies] if args.policies else [])
    policies = load_policies(paths)
    progress = TerminalProgress(sys.stderr)
    report = verify_policies(policies, max_examples=args.effort, seed=args.seed,
                             progress=progress)
    progress.finish()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.to_text(), end="")
    return 0 if report.ok else 1


class TerminalProgress:
    """Progress on a terminal (``verify: 12/40 decisions, halton_conduct.sanction``), shown only
    once the run has taken longer than ``after`` seconds, and only when ``stream`` is a tty."""

    def __init__(self, stream: TextIO, after: float = 1.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.stream = stream
        self.after = after
        self.clock = clock or time.monotonic
        self.started = self.clock()
        self.shown = False
        self.live = stream.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.live or self.clock() - self.started < self.after:
            return
        self.stream.write(f"\r\x1b[Kverify: {done}/{total} decisions, {name}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``verify`` command to the ``policyengine`` parser."""
    p = sub.add_parser(
        "verify",
        help="find gaps, overlaps, masked and duplicate rules; check decisions and invariants "
             "over generated facts",
    )
    p.add_argument("paths", nargs="*", help="policy files or directories (default: the bundled "
                                            "policies/, or --policies)")
    p.add_argument("--effort", type=_effort, default=DEFAULT_EFFORT, metavar="N",
                   help=f"generated fact sets per property (default {DEFAULT_EFFORT})")
    p.add_argument("--seed", type=_seed, default=0, metavar="S",
                   help="seed for the generated facts (default 0; 'random' for a fresh draw)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    policies_option(p)
    p.set_defaults(handler=cmd_verify)
