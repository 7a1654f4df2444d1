"""The ``policyengine diff`` subcommand: two policy files, or one file at two git revisions."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..compiler import CompiledPolicy
from ..errors import PolicyEngineError
from ..policyset import compile_policy_file, compile_policy_text
from .report import diff_policies


class DiffInputError(PolicyEngineError):
    """Bad input to ``diff`` that is not a policy problem (a bad revision, a missing file)."""


def git_text(rev: str, path: Path) -> str:
    """The text of ``path`` at git revision ``rev`` (of the repository the path is in)."""
    where = path.parent if str(path.parent) else Path(".")
    if not where.is_dir():
        raise DiffInputError(f"{where}: no such directory")
    try:
        done = subprocess.run(["git", "-C", str(where), "show", f"{rev}:./{path.name}"],
                              capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise DiffInputError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise DiffInputError(f"git show {rev}:{path} took over a minute") from None
    if done.returncode != 0:
        raise DiffInputError(f"git cannot show {path} at {rev}: {done.stderr.strip()}")
    return done.stdout


def _load(path: Path) -> CompiledPolicy:
    if not path.is_file():
        raise DiffInputError(f"{path}: no such file")
    return compile_policy_file(path)


def cmd_diff(args: argparse.Namespace) -> int:
    if args.git:
        if len(args.paths) != 1:
            raise DiffInputError("diff --git REV1 REV2 takes one policy file: "
                                 "policyengine diff --git REV1 REV2 PATH")
        path = Path(args.paths[0])
        rev1, rev2 = args.git
        old = compile_policy_text(git_text(rev1, path), f"{rev1}:{path}")
        new = compile_policy_text(git_text(rev2, path), f"{rev2}:{path}")
        labels = (f"{rev1}:{path}", f"{rev2}:{path}")
    else:
        if len(args.paths) != 2:
            raise DiffInputError("diff takes two policy files: policyengine diff OLD.yaml "
                                 "NEW.yaml (or --git REV1 REV2 PATH)")
        old, new = _load(Path(args.paths[0])), _load(Path(args.paths[1]))
        labels = (args.paths[0], args.paths[1])
    report = diff_policies(old, new, generated=args.effort, seed=args.seed,
                           old_label=labels[0], new_label=labels[1])
    print(report.to_json() if args.json else report.to_text(), end="\n" if args.json else "")
    return 1 if args.exit_code and report.answers_change else 0


def _effort(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--effort takes a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("--effort must be 0 or more")
    return value


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``diff`` command to the ``policyengine`` parser."""
    p = sub.add_parser(
        "diff", help="what a change to a policy does: shape changes and every answer that "
                     "changes over the verification fact space")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="OLD.yaml NEW.yaml, or with --git the one policy file")
    p.add_argument("--git", nargs=2, metavar=("REV1", "REV2"), default=None,
                   help="compare PATH at two git revisions")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--effort", type=_effort, default=200, metavar="N",
                   help="generated fact sets per decision on top of the fact space (default 200)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed for the sample and the generated facts (default 0)")
    p.add_argument("--exit-code", action="store_true",
                   help="exit 1 when any answer changes (as git diff --exit-code)")
    p.set_defaults(handler=cmd_diff)
