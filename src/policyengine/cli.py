"""The ``policyengine`` command: decide, explain, check, list and test policies.

Exit codes: 0 success; 1 a check, test or verification failed, or a decision met a defect in
the policy (a gap, two rules where one was allowed); 2 bad input (bad facts, an unreadable or
invalid policy file, an unknown policy or decision, a path that is not there, output that cannot
be written). Errors are printed as messages on stderr, one line each, never as tracebacks (set
``POLICYENGINE_TRACEBACK=1`` to see one for an internal error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cli_output import WRITE_ERRORS as _WRITE_ERRORS
from .cli_output import detach_stdout as _detach_stdout
from .cli_output import one_line as _one_line
from .cli_output import say as _say
from .cli_output import tolerant_output as _tolerant_output
from .errors import PolicyEngineError, PolicyError, Problem
from .inputs import UnreadableInput, read_json_file
from .policyset import BUNDLED_POLICIES, PolicySet, load_policies, load_policies_for

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Usage(Exception):
    pass


class BadInput(PolicyEngineError):
    """A command-line input that cannot be used: a missing path, unreadable facts, ..."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with usage, as argparse does, but via us
        raise _Usage(f"{self.prog}: {message}")


def _read_facts(source: str) -> dict[str, Any]:
    what = "the facts on standard input" if source == "-" else f"the facts file {source}"
    try:
        facts = read_json_file(source, what, sys.stdin)
    except UnreadableInput as exc:
        raise BadInput(f"{what}: {exc.reason}") from None
    if facts is None:
        return {}
    if not isinstance(facts, dict):
        raise BadInput(f"{what} must be a JSON object of fact names to values")
    return facts


def _existing(paths: Sequence[str], what: str) -> list[Path]:
    """The paths, each of which must exist (exit 2 otherwise)."""
    found = [Path(p) for p in paths]
    for path in found:
        try:
            there = path.exists()
        except (OSError, ValueError):
            there = False
        if not there:
            raise BadInput(f"{path}: no such file or directory ({what})")
    return found


def _policies(args: argparse.Namespace) -> PolicySet:
    return load_policies(args.policies)


class PolicyDefect(Exception):
    """A decision met a defect in a policy that loaded (a gap, an overlap under 'unique')."""

    def __init__(self, error: PolicyError) -> None:
        super().__init__(str(error))
        self.error = error


def _decide(args: argparse.Namespace, *, full_trace: bool = False) -> tuple[PolicySet, Any]:
    policies = load_policies_for(args.policy, args.policies)
    facts = _read_facts(args.facts) if args.facts else {}
    try:
        decision = policies.decide(args.policy, args.decision, facts, args.as_of,
                                   full_trace=full_trace)
    except PolicyError as exc:  # the policy loaded, so this is a defect in it, not bad input
        raise PolicyDefect(exc) from None
    return policies, decision


def cmd_decide(args: argparse.Namespace) -> int:
    _, decision = _decide(args)
    print(decision.to_json())
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .present import explain_text

    policies, decision = _decide(args, full_trace=True)
    print(explain_text(decision, policies.policy(args.policy)), end="")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .policyset import compile_policy_file, policy_files
    from .provenance import check_quotes

    paths = _existing(args.paths, "a policy file or directory") or [BUNDLED_POLICIES]
    sources = _existing([args.sources], "the sources directory")[0] if args.sources else None
    problems = 0
    files = 0
    found: list[Any] = []  # the problems, for --json
    emit = _collecting(found) if args.json else print
    compiled = []
    for root in paths:
        for file in policy_files(root):
            files += 1
            try:
                policy = compile_policy_file(file)
            except PolicyError as exc:
                for problem in exc.problems:
                    emit(problem)
                problems += len(exc.problems)
                continue
            compiled.append(policy)
            if args.require_signoff:
                from .interpretations import signoff_problems

                unsigned = signoff_problems(policy)
                for problem in unsigned:
                    emit(problem)
                problems += len(unsigned)
            if sources is not None:
                result = check_quotes(policy, sources)
                for problem in result.problems:
                    emit(problem)
                problems += len(result.problems)
                if not result.problems:
                    emit(f"{file}: {result.checked} quotes found in their documents")
    if args.strict and compiled:
        problems += _check_strictly(compiled, emit)
    if args.json:
        print(json.dumps({"files": files, "problems": found, "ok": not problems,
                          "quotes_checked": sources is not None, "strict": args.strict},
                         indent=2, ensure_ascii=False))
        return EXIT_FAILED if problems else EXIT_OK
    print(f"checked {files} policy file(s): {problems} problem(s)")
    if sources is None:
        print("the quotes were not checked against their documents: give --sources DIR to "
              "check them")
    if not args.strict:
        print("gaps, overlaps and masked rules were not looked for: give --strict to run the "
              "static verification")
    return EXIT_FAILED if problems else EXIT_OK


def _check_strictly(compiled: list[Any], emit: Any) -> int:
    """The static verification of every compiled policy; emits its findings, counts them."""
    try:
        from .verify import verify_policies
    except ModuleNotFoundError as exc:
        raise BadInput(f"check --strict needs the verify extra ({exc.name} is missing): "
                       "pip install 'housing-policyengine[verify]'") from None
    unique: dict[str, Any] = {}
    for policy in compiled:  # two files with one id: verify the first
        unique.setdefault(policy.id, policy)
    report = verify_policies(PolicySet(unique), max_examples=25, seed=0)
    for finding in report.findings:
        emit(Problem(finding.file, finding.line, 1, f"{finding.kind}: {finding.message}"))
    return len(report.findings)


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

    paths = _existing(args.paths, "a scenario file or directory")
    if args.policies:
        _existing([args.policies], "the policies")
    paths = paths or [Path(args.policies or BUNDLED_POLICIES)]
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
        from .runtime import engine_version

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
    p.add_argument("--strict", action="store_true",
                   help="also run the static verification: gaps, overlaps, masked rules")
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
    """Run one command; returns the exit code. Output is flushed here, so that a full disk or a
    closed pipe is reported (or, for a reader that went away, ignored) rather than crashing at
    exit."""
    if sys.stdout is None:
        _say("error: standard output is closed; policyengine prints its answer there")
        return EXIT_BAD_INPUT
    _tolerant_output()
    try:
        code = _run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_OK
    except OSError as exc:
        _detach_stdout()
        _say(f"error: cannot write the output: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    return code


def _run(argv: Sequence[str] | None) -> int:
    try:
        words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
        # a core command needs no optional module imported (each costs start-up time)
        parser = build_parser(optional_commands=not words or words[0] not in COMMANDS)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help (and --version): argparse has printed
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        code: int = handler(args)
        return code
    except _Usage as exc:
        _say(str(exc))
        _say("run 'policyengine --help' for the commands")
        return EXIT_BAD_INPUT
    except PolicyDefect as defect:
        for problem in defect.error.problems:
            _say(f"error: a defect in the policy: {problem}")
        return EXIT_FAILED
    except PolicyError as exc:
        for problem in exc.problems:
            _say(f"error: {problem}")
        return EXIT_BAD_INPUT
    except PolicyEngineError as exc:
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # the reader went away: main() lets it go quietly
    except OSError as exc:
        if exc.errno in _WRITE_ERRORS:
            _detach_stdout()
            _say(f"error: cannot write the output: {exc.strerror or exc}")
            return EXIT_BAD_INPUT
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"error: {exc.strerror or exc}{where}")
        return EXIT_BAD_INPUT
    except MemoryError:
        _say("error: out of memory")
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug: say so in one line rather than print a traceback
        if os.environ.get("POLICYENGINE_TRACEBACK"):
            raise
        _say(f"error: internal error in policyengine (a bug; please report it with the command "
             f"that caused it): {type(exc).__name__}: {_one_line(str(exc))}")
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
