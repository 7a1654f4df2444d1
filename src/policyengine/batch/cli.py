"""``policyengine decide-many``: decide every case in a file and write one result row per case.

    policyengine decide-many POLICY DECISION --input cases.csv --output results.parquet

The formats come from the suffixes: ``.csv`` (a header row; an empty cell is a fact not
given; ``true``/``false`` for booleans; a list as JSON text), ``.parquet`` (typed columns) and
``.jsonl`` (one JSON object of facts per line, read exactly as ``decide`` reads facts). A case
whose facts are bad is a row with its error in the output, not a failure of the run; a file
that cannot be read, a table with a column that is no fact of the decision (unless
``--carry``), a JSON line that is not JSON or an unknown suffix stops with one line and exit
code 2. On a terminal, a progress bar runs on stderr.

This module imports numpy, pandas and pyarrow only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import FactsError
from ..facts import ValueType
from .errors import InputError

FORMATS = (".csv", ".parquet", ".jsonl")
CHUNK_ROWS = 100_000


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``decide-many`` command to the ``policyengine`` parser."""
    p = sub.add_parser(
        "decide-many",
        help="decide every case in a .csv, .parquet or .jsonl file into a results file",
    )
    p.add_argument("policy")
    p.add_argument("decision")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="the cases: .csv, .parquet or .jsonl")
    p.add_argument("--output", required=True, metavar="FILE",
                   help="the results: .csv, .parquet or .jsonl")
    p.add_argument("--as-of", metavar="DATE", default=None, help="decision date YYYY-MM-DD")
    p.add_argument("--carry", action="append", default=[], metavar="COLUMN",
                   help="copy this input column (a case id, say) into the results; repeatable")
    p.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, metavar="N",
                   help=f"cases decided at a time (default {CHUNK_ROWS:,})")
    policies_option(p)
    p.set_defaults(handler=cmd_decide_many)


def _format(path: str, role: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown {role} format '{suffix or '(no suffix)'}'; use "
                         f"{', '.join(FORMATS)}")
    return suffix


def cmd_decide_many(args: argparse.Namespace) -> int:
    from ..policyset import coerce_as_of, load_policies

    in_format = _format(args.input, "input")
    out_format = _format(args.output, "output")
    if args.chunk_rows < 1:
        raise InputError("--chunk-rows must be at least 1")
    try:
        from . import files
    except ModuleNotFoundError as exc:
        raise InputError(f"decide-many needs the batch extra ({exc.name} is not installed): "
                         "pip install 'housing-policyengine[batch]'") from None
    policies = load_policies(args.policies)
    day = coerce_as_of(args.as_of)
    facts = _fact_types(policies, args.policy, args.decision)
    cases = files.read_cases(Path(args.input), in_format, facts, args.carry)
    total = files.count(cases)
    progress = _Progress(total) if sys.stderr.isatty() else None
    errors = vectorised = slow = 0
    with files.Writer(Path(args.output), out_format) as writer:
        for chunk in files.chunks(cases, args.chunk_rows):
            try:
                result = policies.decide_many(args.policy, args.decision, chunk, as_of=day,
                                              carry=args.carry)
            except FactsError as exc:
                raise InputError(f"{args.input}: {exc}") from None
            meta = files.metadata(result)
            vectorised = meta["vectorised"]
            slow += meta["rows_decided_one_by_one"]
            errors += writer.write(result)
            if progress is not None:
                progress.advance(meta["rows"])
    if progress is not None:
        progress.close()
    how = "vectorised" if vectorised else "decided row by row (not vectorised)"
    print(f"{args.output}: {total:,} cases, {total - errors:,} decided, {errors:,} with an error"
          f" in its row ({how}; {slow:,} decided one by one)")
    return 0


def _fact_types(policies: Any, policy: str, decision: str) -> Mapping[str, ValueType]:
    if decision == "policy_status":
        policies.policy(policy)
        return {}
    facts: Mapping[str, ValueType] = policies.compiled_decision(policy, decision).facts
    return facts


class _Progress:
    """A one-line progress bar on a terminal's stderr."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.draw()

    def advance(self, rows: int) -> None:
        self.done += rows
        self.draw()

    def draw(self) -> None:
        width = 30
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(share * width)
        sys.stderr.write(f"\rdecide-many [{bar:<{width}}] {self.done:,}/{self.total:,} cases "
                         f"({share:.0%})")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
