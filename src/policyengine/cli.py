"""The ``policyengine`` command: decide, explain, check, list and test policies.

Exit codes: 0 success; 1 a check, test or verification failed; 2 bad input (bad facts, an
unreadable or invalid policy file, an unknown policy or decision). Errors are printed as
messages, never as tracebacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import FactsError, PolicyEngineError, PolicyError, Problem
from .policyset import BUNDLED_POLICIES, PolicySet, load_policies, load_policies_for

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def engine_version() -> str:
    """The installed distribution's version (the package's own constant when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("housing-policyengine")
    except PackageNotFoundError:
        from . import __version__

        return __version__


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with usage, as argparse does, but via us
        raise _Usage(f"{self.prog}: {message}")


def _read_facts(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise FactsError(f"cannot read the facts file {source}: {exc.strerror}") from None
    try:
        facts = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise FactsError(
            f"the facts in {source} are not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})"
        ) from None
    if not isinstance(facts, dict):
        raise FactsError(f"the facts in {source} must be a JSON object of fact names to values")
    return facts


def _policies(args: argparse.Namespace) -> PolicySet:
    return load_policies(args.policies)


def cmd_decide(args: argparse.Namespace) -> int:
    policies = load_policies_for(args.policy, args.policies)
    facts = _read_facts(args.facts) if args.facts else {}
    decision = policies.decide(args.policy, args.decision, facts, args.as_of)
    print(decision.to_json())
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .present import explain_text

    policies = load_policies_for(args.policy, args.policies)
    facts = _read_facts(args.facts) if args.facts else {}
    decision = policies.decide(args.policy, args.decision, facts, args.as_of, full_trace=True)
    print(explain_text(decision, policies.policy(args.policy)), end="")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .policyset import compile_policy_file, policy_files
    from .provenance import check_quotes

    paths = [Path(p) for p in args.paths] or [BUNDLED_POLICIES]
    problems = 0
    files = 0
    found: list[Any] = []  # the problems, for --json
    emit = _collecting(found) if args.json else print
    for root in paths:
        if not root.exists():
            emit(Problem(str(root), 0, 0, "no such file or directory"))
            problems += 1
            continue
        for file in policy_files(root):
            files += 1
            try:
                policy = compile_policy_file(file)
            except PolicyError as exc:
                for problem in exc.problems:
                    emit(problem)
                problems += len(exc.problems)
                continue
            if args.require_signoff:
                from .interpretations import signoff_problems

                unsigned = signoff_problems(policy)
                for problem in unsigned:
                    emit(problem)
                problems += len(unsigned)
            if args.sources is not None:
                result = check_quotes(policy, Path(args.sources))
                for problem in result.problems:
                    emit(problem)
                problems += len(result.problems)
                if not result.problems:
                    emit(f"{file}: {result.checked} quotes found in their documents")
    if args.json:
        print(json.dumps({"files": files, "problems": found, "ok": not problems}, indent=2,
                          ensure_ascii=False))
        return EXIT_FAILED if problems else EXIT_OK
    print(f"checked {files} policy file(s): {problems} problem(s)")
    return EXIT_FAILED if problems else EXIT_OK


def _collecting(found: list[Any]) -> Any:
    """A stand-in for print under --json: problems are kept as data, other lines dropped."""

    def keep(item: Any, *_: Any, **__: Any) -> None:
        if isinstance(item, Problem):
            found.append({"file": item.file, "line": item.line, "column": item.column,
                          "message": item.message})

    return keep


def cmd_list(args: argparse.Namespace) -> int:
    from .present import list_dict, list_text

    if args.json:
        print(json.dumps(list_dict(_policies(args)), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(list_text(_policies(args)), end="")
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from .scenario_report import run_dict, write_junit
    from .scenarios import coverage, policy_dirs_for, run_scenarios, selected

    paths = [Path(p) for p in args.paths] or [Path(args.policies or BUNDLED_POLICIES)]
    for path in paths:
        if not path.exists():
            raise PolicyError(Problem(str(path), 1, 1, "no such file or directory"))
    # the scenarios of DIR run against DIR's own policies (unless --policies says otherwise)
    policies = load_policies(args.policies if args.policies else policy_dirs_for(paths))
    run = run_scenarios(paths, policies, selected(args.k))
    if args.junit:
        try:
            write_junit(run, Path(args.junit))
        except OSError as exc:
            raise PolicyEngineError(f"cannot write {args.junit}: {exc.strerror}") from None
    if args.json:
        report = run_dict(run, coverage(run, policies) if args.coverage else None)
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_OK if report["ok"] else EXIT_FAILED
    for problem in run.problems:
        print(problem)
    for result in run.results:
        if args.verbose or not result.passed:
            mark = "ok  " if result.passed else "FAIL"
            print(f"{mark} {result.file}:{result.line}: {result.policy}.{result.decision}: "
                  f"{result.name}")
        for failure in result.failures:
            print(f"       {failure}")
    if args.coverage:
        print()
        for cov in coverage(run, policies):
            print(
                f"coverage {cov.policy}: rules {cov.rules_total - len(cov.uncovered_rules)}/"
                f"{cov.rules_total} ({cov.rule_percent:.0f}%), cited clauses "
                f"{cov.clauses_total - len(cov.uncovered_clauses)}/{cov.clauses_total}"
            )
            for dname, rule, line in cov.uncovered_rules:
                print(f"  rule not exercised: {dname}.{rule} (line {line})")
            for document, clause in cov.uncovered_clauses:
                short = clause if len(clause) <= 70 else clause[:67] + "..."
                print(f'  clause not exercised: "{short}" ({document})')
    print(f"{run.passed} passed, {run.failed} failed")
    if run.results == [] and not run.problems:
        print("no scenarios found")
        return EXIT_FAILED
    return EXIT_FAILED if run.failed else EXIT_OK


class _Version(argparse.Action):
    """``--version``, looking the installed version up only when asked (it costs a start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"policyengine {engine_version()} (housing-policyengine)")
        parser.exit()


def build_parser(optional_commands: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(prog="policyengine", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def policies_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--policies", metavar="DIR", default=None,
                       help="policy file or directory (default: the bundled policies/)")

    for name, helptext in (("decide", "print a decision as JSON"),
                           ("explain", "print the reasoning behind a decision for a person")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("policy")
        p.add_argument("decision")
        p.add_argument("--facts", metavar="FILE|-", help="JSON object of facts ('-' = stdin)")
        p.add_argument("--as-of", metavar="DATE", default=None, help="decision date YYYY-MM-DD")
        policies_option(p)

    p = sub.add_parser("check", help="validate policy files; print file:line:column: message")
    p.add_argument("paths", nargs="*")
    p.add_argument("--sources", metavar="DIR", default=None,
                   help="also check every quote against the documents in DIR")
    p.add_argument("--require-signoff", action="store_true",
                   help="fail while any interpretation is not signed off")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")

    p = sub.add_parser("list", help="list policies, their decisions and facts")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    policies_option(p)

    p = sub.add_parser("test", help="run the YAML scenario tests")
    p.add_argument("paths", nargs="*", help="scenario files or directories (default: policies/)")
    p.add_argument("--coverage", action="store_true", help="report rules and clauses not exercised")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("-k", metavar="PATTERN", default=None,
                   help="run only scenarios whose 'policy.decision: name' contains PATTERN")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--junit", metavar="FILE", default=None,
                   help="also write the results as JUnit XML to FILE")
    policies_option(p)

    if optional_commands:
        _add_optional_commands(sub, policies_option)
    return parser


def _add_optional_commands(sub: Any, policies_option: Any) -> None:
    """Commands that live in their own modules (verify, monitor, replay, serve, decide-many)."""
    import importlib

    for name in ("verify", "monitor", "replay_log", "serve", "interpretations",
                 "jsonschema_export", "fmt", "diff", "render", "batch.cli"):
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.add_cli(sub, policies_option)


COMMANDS = {
    "decide": cmd_decide,
    "explain": cmd_explain,
    "check": cmd_check,
    "list": cmd_list,
    "test": cmd_test,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
        # a core command needs no optional module imported (each costs start-up time)
        parser = build_parser(optional_commands=not words or words[0] not in COMMANDS)
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        code: int = handler(args)
        return code
    except _Usage as exc:
        print(str(exc), file=sys.stderr)
        print("run 'policyengine --help' for the commands", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolicyError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolicyEngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
