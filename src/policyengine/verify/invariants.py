"""The invariants a decision declares, compiled into checks of generated cases.

Kinds: ``monotone`` (raising an ordered enum fact one step never drops an item from a list
outcome), ``always`` (conditions over the facts and outcomes), ``date_on_or_after`` (a date
outcome is not before a start date), ``working_day`` (a date outcome falls on a working day of the
policy's calendar) and ``status_in`` (the status is one of some). A bad invariant is reported as a
:class:`~policyengine.errors.Problem` with its file, line and column.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..compiler import CompiledDecision
from ..decision import STATUSES, Decision, to_json_value
from ..durations import to_london
from ..errors import FactsError, Problem
from ..evaluate import evaluate
from ..expressions import CompileError, Cond, Env, Scope, compile_condition
from ..facts import ValueType
from ..load import Path_
from .evaluation import decision_env, fired_rule_ids
from .properties import CHECKED, REJECTED, SKIPPED, VACUOUS, Case, Check, Verdict
from .report import json_text

_DATEISH = ("date", "datetime", "moment")
#: The fields each kind of invariant takes.
_FIELDS = {
    "monotone": {"fact", "outcome"},
    "always": {"when", "require"},
    "date_on_or_after": {"when", "outcome", "start"},
    "working_day": {"when", "outcome"},
    "status_in": {"when", "statuses"},
}


@dataclass(frozen=True)
class CompiledInvariant:
    """A declared invariant, compiled into a check of generated cases."""

    id: str
    kind: str
    description: str
    index: int
    line: int
    check: Check


def compile_invariants(decision: CompiledDecision
                       ) -> tuple[list[CompiledInvariant], list[Problem]]:
    """The decision's invariants as checks, and the problems of the bad ones (with positions)."""
    policy = decision.policy
    loaded = policy.loaded
    problems: list[Problem] = []
    compiled: list[CompiledInvariant] = []
    seen: set[str] = set()
    facts, outcomes = decision.facts, decision.outcomes
    scope: Scope | None = None
    for i, inv in enumerate(decision.invariants):
        base: Path_ = ("decisions", decision.name, "invariants", i)

        def fail(path: Path_, message: str, *, key: bool = False) -> None:
            problems.append(loaded.problem(path, message, key=key))

        before = len(problems)
        if inv.id in seen:
            fail((*base, "id"), f"invariant id '{inv.id}' is used twice in {decision.name}")
        seen.add(inv.id)
        for name in ("fact", "outcome", "when", "require", "start", "statuses"):
            given = getattr(inv, name)
            if given is not None and name not in _FIELDS[inv.kind]:
                fail((*base, name), f"'{name}' does not belong to a {inv.kind} invariant",
                     key=True)
        for name in sorted(_FIELDS[inv.kind] - {"when"}):
            if getattr(inv, name) is None:
                fail(base, f"a {inv.kind} invariant needs '{name}'")
        if len(problems) > before:
            continue
        guard: Cond | None = None
        require: Cond | None = None
        if inv.kind != "monotone":
            both = sorted(set(facts) & set(outcomes))
            if both and (inv.when is not None or inv.require is not None):
                fail(base, f"{', '.join(both)} {'is' if len(both) == 1 else 'are'} both a fact "
                     f"and an outcome of {decision.name}; the invariant cannot tell which is "
                     "meant")
                continue
            if scope is None:
                scope = Scope(
                    loaded=loaded,
                    facts={**facts, **outcomes},
                    outcomes=outcomes,
                    interpretations={k: v.value for k, v in policy.interpretations.items()},
                    rule=f"invariant {inv.id}",
                    defined_outcomes=set(outcomes),
                )
            try:
                if inv.when is not None:
                    guard = compile_condition(inv.when, (*base, "when"), scope)
                if inv.kind == "always":
                    require = compile_condition(inv.require, (*base, "require"), scope)
            except CompileError as exc:
                problems.append(exc.problem)
                continue
        pos = loaded.position(base)
        check: Callable[[Decision], Verdict] | None = None
        case_check: Check | None = None
        if inv.kind == "monotone":
            assert inv.fact is not None and inv.outcome is not None
            vt = facts.get(inv.fact)
            ot = outcomes.get(inv.outcome)
            if vt is None:
                fail((*base, "fact"), f"unknown fact '{inv.fact}'; {decision.name}'s facts are: "
                     f"{', '.join(facts) or '(none)'}")
            elif not (vt.kind == "enum" and vt.ordered):
                fail((*base, "fact"), f"a monotone invariant needs an ordered enum fact; "
                     f"{inv.fact} is {vt.describe()}"
                     + ("" if vt.kind != "enum" else " (declare it with 'ordered: true')"))
            if ot is None:
                fail((*base, "outcome"), _unknown_outcome(decision, inv.outcome))
            elif ot.kind != "list":
                fail((*base, "outcome"), f"a monotone invariant needs a list outcome; "
                     f"{inv.outcome} is {ot.describe()}")
            if len(problems) == before and vt is not None:
                case_check = _monotone(decision, inv.fact, vt, inv.outcome)
        elif inv.kind == "always":
            assert require is not None
            check = _always(decision, require)
        elif inv.kind == "date_on_or_after":
            assert inv.outcome is not None and inv.start is not None
            ot = outcomes.get(inv.outcome)
            if ot is None or ot.kind not in _DATEISH:
                fail((*base, "outcome"), _not_date_outcome(decision, inv.outcome, ot))
            start_type = facts.get(inv.start) or outcomes.get(inv.start)
            if inv.start != "as_of" and (start_type is None
                                         or start_type.kind not in _DATEISH):
                dates = [k for k, v in {**facts, **outcomes}.items() if v.kind in _DATEISH]
                what = "unknown name" if start_type is None else "not a date:"
                fail((*base, "start"), f"{what} '{inv.start}'; the start is as_of or one of "
                     f"{decision.name}'s date facts or outcomes: {', '.join(dates) or '(none)'}")
            if len(problems) == before:
                check = _on_or_after(decision, inv.outcome, inv.start)
        elif inv.kind == "working_day":
            assert inv.outcome is not None
            ot = outcomes.get(inv.outcome)
            if ot is None or ot.kind not in _DATEISH:
                fail((*base, "outcome"), _not_date_outcome(decision, inv.outcome, ot))
            else:
                check = _working_day(decision, inv.outcome)
        else:  # status_in
            assert inv.statuses is not None
            bad = [s for s in inv.statuses if s not in STATUSES]
            if not inv.statuses:
                fail((*base, "statuses"), "list at least one status")
            elif bad:
                fail((*base, "statuses"), f"unknown status '{bad[0]}'; statuses are: "
                     f"{', '.join(STATUSES)}")
            else:
                check = _status_in(tuple(inv.statuses))
        if check is not None:
            case_check = _guarded(decision, guard, check)
        if case_check is not None:
            compiled.append(CompiledInvariant(inv.id, inv.kind, inv.description, i, pos.line,
                                              case_check))
    return compiled, problems


def _unknown_outcome(decision: CompiledDecision, name: str) -> str:
    return (f"unknown outcome '{name}'; {decision.name}'s outcomes are: "
            f"{', '.join(decision.outcomes) or '(none)'}")


def _not_date_outcome(decision: CompiledDecision, name: str, ot: ValueType | None) -> str:
    if ot is None:
        return _unknown_outcome(decision, name)
    return f"the outcome '{name}' is {ot.describe()}, not a date"


def _decide(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date
            ) -> Decision | Verdict:
    """Evaluate for an invariant: rejected facts and run-time errors are someone else's finding."""
    try:
        return evaluate(decision, facts, as_of)
    except FactsError:
        return REJECTED
    except Exception:
        return SKIPPED


def _monotone(decision: CompiledDecision, fact: str, vt: ValueType, outcome: str) -> Check:
    def check(case: Case) -> Verdict:
        value = case.facts.get(fact)
        if value not in vt.values or value == vt.values[-1]:
            return VACUOUS
        higher_value = vt.values[vt.values.index(value) + 1]
        lower = case.decided()
        if isinstance(lower, Verdict):
            return lower
        higher = _decide(decision, {**case.facts, fact: higher_value}, case.as_of)
        if isinstance(higher, Verdict):
            return SKIPPED if higher is REJECTED else higher
        low = lower.outcome.get(outcome) or []
        high = higher.outcome.get(outcome) or []
        lost = [x for x in low if x not in high]
        if not lost:
            return CHECKED
        return Verdict(
            "failed", "invariant",
            f"raising {fact} from {value} to {higher_value} (all else equal) drops "
            f"{', '.join(json_text(x) for x in lost)} from {outcome}: {json_text(low)} becomes "
            f"{json_text(high)}",
            fired_rule_ids(lower, higher),
        )

    return check


def _outcome_env(decision: CompiledDecision, d: Decision) -> Env:
    """An environment in which an invariant's conditions read the decision's facts and its
    declared outcomes."""
    outcomes = {k: v for k, v in d.outcome.items() if k in decision.outcomes}
    env = decision_env(decision, {**d.facts, **outcomes}, d.as_of)
    env.outcome = outcomes
    return env


def _guarded(decision: CompiledDecision, guard: Cond | None,
             check: Callable[[Decision], Verdict]) -> Check:
    """Evaluate, then check the decision when the invariant's ``when`` holds."""

    def run(case: Case) -> Verdict:
        d = case.decided()
        if isinstance(d, Verdict):
            return d
        if guard is not None:
            try:
                if not guard.fn(_outcome_env(decision, d)):
                    return VACUOUS
            except Exception as exc:
                return Verdict("failed", "invariant",
                               f"evaluating 'when' raised {type(exc).__name__}: {exc}",
                               fired_rule_ids(d))
        result = check(d)
        if result.state == "failed" and not result.rules:
            result.rules = fired_rule_ids(d)
        if result.state == "failed" and guard is not None:
            result.message = f"when {guard.text}, {result.message}"
        return result

    return run


def _always(decision: CompiledDecision, require: Cond) -> Callable[[Decision], Verdict]:
    def check(d: Decision) -> Verdict:
        env = _outcome_env(decision, d)
        try:
            if require.fn(env):
                return CHECKED
        except Exception as exc:
            return Verdict("failed", "invariant",
                           f"evaluating 'require' raised {type(exc).__name__}: {exc}")
        shown = {k: to_json_value(v) for k, v in env.outcome.items()}
        return Verdict(
            "failed", "invariant",
            f"{require.text} must hold; the decision gave "
            f"{json.dumps(shown, ensure_ascii=False, sort_keys=True)}",
        )

    return check


def _on_or_after(decision: CompiledDecision, outcome: str, start: str
                 ) -> Callable[[Decision], Verdict]:
    def check(d: Decision) -> Verdict:
        value = d.outcome.get(outcome)
        if start == "as_of":
            begin: Any = d.as_of
        elif start in decision.facts:
            begin = d.facts.get(start)
        else:
            begin = d.outcome.get(start)
        if not isinstance(value, dt.date) or not isinstance(begin, dt.date):
            return VACUOUS
        if _london_day(value) >= _london_day(begin):
            return CHECKED
        return Verdict("failed", "invariant",
                       f"{outcome} {json_text(value)} is before {start} {json_text(begin)}")

    return check


def _working_day(decision: CompiledDecision, outcome: str) -> Callable[[Decision], Verdict]:
    calendar = decision.policy.calendar

    def check(d: Decision) -> Verdict:
        value = d.outcome.get(outcome)
        if not isinstance(value, dt.date):
            return VACUOUS
        day = _london_day(value)
        try:
            working = calendar.is_working_day(day)
        except ValueError as exc:
            return Verdict("failed", "invariant", f"{outcome} {day.isoformat()}: {exc}")
        if working:
            return CHECKED
        why = calendar.holiday_name(day) or day.strftime("%A")
        return Verdict(
            "failed", "invariant",
            f"{outcome} {day.isoformat()} ({why}) is not a working day in "
            f"{decision.policy.id}'s calendar ({calendar.nation})",
        )

    return check


def _status_in(statuses: tuple[str, ...]) -> Callable[[Decision], Verdict]:
    def check(d: Decision) -> Verdict:
        if d.status in statuses:
            return CHECKED
        return Verdict("failed", "invariant",
                       f"the status is {d.status}, not one of {', '.join(statuses)}")

    return check


def _london_day(value: dt.date) -> dt.date:
    """A date, or a date-time's London date."""
    if isinstance(value, dt.datetime):
        return to_london(value).date()
    return value
