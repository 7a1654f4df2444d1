"""Scenario tests written in YAML next to the policies (``policies/scenarios/*.yaml``).

Each scenario takes one decision with given facts and states what must come out. The runner
reports every failure with the file and line of the scenario, and records which rules fired, so
that coverage by rule and by cited clause can be reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .decision import Decision, to_json_value
from .errors import FactsError, PolicyEngineError, PolicyError, Problem, UnknownNameError
from .load import LoadedYaml, read_yaml_file
from .policyset import PolicySet
from .schema import validation_problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Expectation(_Strict):
    """What must come out of a scenario's decision (each key listed is checked)."""

    status: Literal["decided", "needs_judgement", "not_applicable"] | None = None
    """decided, needs_judgement or not_applicable (default: not checked)."""
    outcome: dict[str, Any] = {}
    """Outcome keys that must equal these values (dates YYYY-MM-DD, date-times ISO with offset,
    lists in order).
    """
    absent: list[str] = []
    """Outcome keys that must not be set."""
    fired: list[str] | None = None
    """Exactly these rules fired, in this order (optional)."""
    interpretations: list[str] = []
    """Interpretations that must be reported (a subset)."""
    interpretations_absent: list[str] = []
    """Interpretations that must not be reported."""
    considerations: list[str] = []
    """Consideration ids that must be listed (a subset)."""
    requirements: list[str] = []
    """Requirement ids that must be listed (a subset)."""
    warnings: int | None = None
    """How many warnings the decision carries (optional)."""


class ErrorExpectation(_Strict):
    """The error a scenario's decision must raise."""

    kind: Literal["facts", "policy", "unknown_name"]
    """facts, policy or unknown_name."""
    fact: str | None = None
    """The fact the error must name (optional)."""
    message_contains: str | None = None
    """Text the error message must contain (optional)."""


class Scenario(_Strict):
    """One decision with given facts and what must come out."""

    name: str
    """The scenario's name, as a test name: say what it shows."""
    decision: str
    """The decision to take."""
    as_of: dt.date | None = None
    """The decision date (YYYY-MM-DD); overrides the file's as_of."""
    facts: dict[str, Any] = {}
    """The facts, as an app would send them (date-times as quoted strings)."""
    expect: Expectation | None = None
    """What must come out (a scenario has expect or expect_error)."""
    expect_error: ErrorExpectation | None = None
    """The error that must be raised instead."""


class ScenarioFile(_Strict):
    """Scenario tests of one policy, run by `policyengine test` and `pytest policies/`."""

    policy: str
    """The id of the policy the scenarios test."""
    as_of: dt.date | None = None
    """The default decision date of every scenario (YYYY-MM-DD)."""
    scenarios: list[Scenario] = Field(min_length=1)
    """The scenarios, each a test of its own."""


@dataclass
class ScenarioResult:
    file: str
    line: int
    name: str
    policy: str
    decision: str
    failures: list[str]
    fired: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestRun:
    results: list[ScenarioResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed + len(self.problems)


def _json_facts(value: Any) -> Any:
    """Facts as an app would send them: YAML dates become ISO strings."""
    return to_json_value(value)


def _compare(expected: Any, actual: Any) -> bool:
    return bool(to_json_value(expected) == to_json_value(actual))


def _check(scenario: Scenario, decision: Decision) -> list[str]:
    exp = scenario.expect
    assert exp is not None
    failures: list[str] = []
    if exp.status is not None and decision.status != exp.status:
        failures.append(f"status: expected {exp.status}, got {decision.status}")
    outcome = decision.to_dict()["outcome"]
    for key, want in exp.outcome.items():
        if key not in outcome:
            failures.append(f"outcome '{key}': expected {to_json_value(want)!r}, but it is not set")
        elif not _compare(want, outcome[key]):
            failures.append(
                f"outcome '{key}': expected {to_json_value(want)!r}, got {outcome[key]!r}"
            )
    for key in exp.absent:
        if key in outcome:
            failures.append(f"outcome '{key}' should not be set, but is {outcome[key]!r}")
    if exp.fired is not None and decision.fired_rules != exp.fired:
        failures.append(f"fired: expected {exp.fired}, got {decision.fired_rules}")
    names = {i["name"] for i in decision.interpretations}
    for name in exp.interpretations:
        if name not in names:
            failures.append(f"interpretation '{name}' not reported (reported: {sorted(names)})")
    for name in exp.interpretations_absent:
        if name in names:
            failures.append(f"interpretation '{name}' is reported, but did not shape this answer")
    for kind in ("considerations", "requirements"):
        ids = {c["id"] for c in outcome.get(kind, [])}
        for wanted in getattr(exp, kind):
            if wanted not in ids:
                failures.append(f"{kind[:-1]} '{wanted}' not listed (listed: {sorted(ids)})")
    if exp.warnings is not None and len(decision.warnings) != exp.warnings:
        failures.append(f"warnings: expected {exp.warnings}, got {list(decision.warnings)}")
    return failures


def _check_error(scenario: Scenario, error: PolicyEngineError | None) -> list[str]:
    exp = scenario.expect_error
    assert exp is not None
    if error is None:
        return [f"expected a {exp.kind} error, but the decision succeeded"]
    kinds = {"facts": FactsError, "policy": PolicyError, "unknown_name": UnknownNameError}
    failures: list[str] = []
    if not isinstance(error, kinds[exp.kind]):
        failures.append(f"expected a {exp.kind} error, got {type(error).__name__}: {error}")
    if exp.fact is not None and getattr(error, "fact", None) != exp.fact:
        failures.append(f"expected the error to name fact '{exp.fact}', got: {error}")
    if exp.message_contains and exp.message_contains not in str(error):
        failures.append(f"expected the message to contain {exp.message_contains!r}, got: {error}")
    return failures


def selected(pattern: str | None) -> Callable[[str], bool] | None:
    """A filter for ``-k PATTERN``: the scenarios whose ``policy.decision: name`` contains it
    (ignoring case)."""
    if not pattern:
        return None
    wanted = pattern.lower()
    return lambda full_name: wanted in full_name.lower()


def run_scenario_file(
    path: Path, policies: PolicySet, select: Callable[[str], bool] | None = None
) -> TestRun:
    """Run a scenario file's scenarios (those ``select`` accepts by their full name)."""
    run = TestRun()
    try:
        loaded: LoadedYaml = read_yaml_file(path)
    except PolicyError as exc:
        run.problems.extend(exc.problems)
        return run
    run.problems.extend(loaded.problems)
    if not isinstance(loaded.data, dict):
        if not run.problems:
            run.problems.append(loaded.problem(
                (), "a scenario file is a mapping with 'policy' and 'scenarios'"))
        return run
    try:
        spec = ScenarioFile.model_validate(loaded.data)
    except ValidationError as exc:
        run.problems.extend(validation_problems(exc, ScenarioFile, loaded))
    if run.problems:
        run.problems.sort(key=lambda p: (p.line, p.column))
        return run
    for i, scenario in enumerate(spec.scenarios):
        if select is not None and not select(f"{spec.policy}.{scenario.decision}: "
                                             f"{scenario.name}"):
            continue
        line = loaded.position(("scenarios", i)).line
        run.results.append(run_scenario(spec, scenario, policies, str(path), line))
    return run


def run_scenario(
    spec: ScenarioFile, scenario: Scenario, policies: PolicySet, file: str, line: int
) -> ScenarioResult:
    """Take one scenario's decision and check what came out."""
    result = ScenarioResult(file, line, scenario.name, spec.policy, scenario.decision, [])
    if (scenario.expect is None) == (scenario.expect_error is None):
        result.failures.append("a scenario has either 'expect' or 'expect_error'")
        return result
    as_of = scenario.as_of or spec.as_of
    error: PolicyEngineError | None = None
    decision: Decision | None = None
    try:
        decision = policies.decide(
            spec.policy, scenario.decision, _json_facts(scenario.facts), as_of
        )
    except PolicyEngineError as exc:
        error = exc
    if scenario.expect_error is not None:
        result.failures = _check_error(scenario, error)
    elif error is not None:
        result.failures = [f"unexpected {type(error).__name__}: {error}"]
    else:
        assert decision is not None
        result.failures = _check(scenario, decision)
    if decision is not None:
        result.fired = decision.fired_rules
    return result


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            sub = path / "scenarios"
            base = sub if sub.is_dir() else path
            found.extend(sorted(p for p in base.glob("*.yaml") if p.is_file()))
        else:
            found.append(path)
    return found


def policy_dirs_for(paths: Iterable[Path]) -> list[Path]:
    """Where the policies of these scenario paths live: a directory's own ``*.yaml`` when it has a
    ``scenarios/`` folder; the folder above a ``scenarios/`` folder or a file in one; otherwise
    the folder the scenario file is in."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            if (path / "scenarios").is_dir():
                where = path
            elif path.name == "scenarios":
                where = path.parent
            else:
                where = path
        else:
            where = path.parent.parent if path.parent.name == "scenarios" else path.parent
        if where not in found:
            found.append(where)
    return found


def run_scenarios(
    paths: Iterable[Path], policies: PolicySet, select: Callable[[str], bool] | None = None
) -> TestRun:
    run = TestRun()
    for path in scenario_files(paths):
        one = run_scenario_file(path, policies, select)
        run.results.extend(one.results)
        run.problems.extend(one.problems)
    return run


@dataclass
class Coverage:
    policy: str
    rules_total: int
    uncovered_rules: list[tuple[str, str, int]]  # (decision, rule, line)
    clauses_total: int
    uncovered_clauses: list[tuple[str, str]]  # (document, clause)

    @property
    def rule_percent(self) -> float:
        if not self.rules_total:
            return 100.0
        return 100.0 * (self.rules_total - len(self.uncovered_rules)) / self.rules_total


def coverage(run: TestRun, policies: PolicySet) -> list[Coverage]:
    """Which rules, and which cited clauses, no passing scenario exercises."""
    fired: set[tuple[str, str, str]] = set()
    used_status: set[str] = set()
    for r in run.results:
        if r.decision == "policy_status":
            used_status.add(r.policy)
        for rule_id in r.fired:
            fired.add((r.policy, r.decision, rule_id))
    report: list[Coverage] = []
    for policy in policies:
        total = 0
        uncovered: list[tuple[str, str, int]] = []
        clause_hits: dict[tuple[str, str], bool] = {}
        for dname, decision in policy.decisions.items():
            for rule in decision.rules:
                total += 1
                hit = (policy.id, dname, rule.id) in fired
                if not hit:
                    uncovered.append((dname, rule.id, rule.line))
                notes = rule.considerations + rule.requirements
                cites = list(rule.citations) + [n.cite for n in notes if n.cite]
                for c in cites:
                    key = (c.document, c.clause)
                    clause_hits[key] = clause_hits.get(key, False) or hit
        for meta_cite in policy.spec.policy.cite:
            key = (policy.spec.sources[meta_cite.source].file, meta_cite.quote)
            clause_hits[key] = clause_hits.get(key, False) or policy.id in used_status
        report.append(
            Coverage(
                policy.id,
                total,
                uncovered,
                len(clause_hits),
                [k for k, v in clause_hits.items() if not v],
            )
        )
    return report
