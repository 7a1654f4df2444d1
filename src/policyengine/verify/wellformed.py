"""The properties every decision must have, whatever it declares.

``well_formed``: on generated facts, a decision raises nothing but a
:class:`~policyengine.errors.FactsError` for facts its schema or ``fact_checks`` reject, and returns
a well-formed :class:`~policyengine.decision.Decision` (a known status, an outcome when decided,
declared outcomes of their declared types, JSON-serialisable). On the way it records which rules
matched and fired (:class:`Observed`), to refute tentative static findings. ``null_is_absent``: an
optional fact given as JSON ``null`` decides as if it were left out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..compiler import CompiledDecision
from ..decision import STATUSES, Decision, to_json_value
from ..evaluate import evaluate
from ..facts import ValueType
from .evaluation import conditions_held, fired_rule_ids
from .properties import CHECKED, VACUOUS, Case, Check, Verdict
from .report import json_text

#: Outcome keys the engine adds itself (not declared by the policy).
_ENGINE_KEYS = ("considerations", "requirements")


@dataclass
class Observed:
    """What the generated facts showed about the rules (to refute static findings)."""

    matched: set[int] = field(default_factory=set)
    chosen: set[int] = field(default_factory=set)
    differ: set[tuple[int, int]] = field(default_factory=set)
    pairs: tuple[tuple[int, int], ...] = ()


def well_formed_check(decision: CompiledDecision, observed: Observed) -> Check:
    """The decision raises nothing but a FactsError for facts its schema or fact checks reject,
    and returns a well-formed decision; notes in ``observed`` which rules matched and fired."""
    ids = {r.id: r.index for r in decision.rules}

    def check(case: Case) -> Verdict:
        d = case.result()
        if isinstance(d, Verdict):
            return d
        if decision.hit_policy == "collect" and not decision.exceptions:
            fired = set(d.fired_rules)  # conditions there see the outcomes before them
            flags = [r.id in fired for r in decision.rules]
        else:
            flags = conditions_held(decision, d.facts, case.as_of)
        observed.matched.update(i for i, m in enumerate(flags) if m)
        observed.chosen.update(ids[r] for r in d.fired_rules if r in ids)
        for a, b in observed.pairs:
            if flags[a] != flags[b]:
                observed.differ.add((a, b))
        problems = _decision_problems(decision, d, case.as_of)
        if problems:
            return Verdict("failed", "malformed", "; ".join(problems), fired_rule_ids(d))
        return CHECKED

    return check


def null_is_absent_check(decision: CompiledDecision) -> Check:
    """An optional fact given as JSON null (which the schema accepts) means it is left out."""

    def check(case: Case) -> Verdict:
        nulls = sorted(k for k, v in case.raw.items() if v is None)
        if not nulls:
            return VACUOUS
        plain = case.decided()
        if isinstance(plain, Verdict):
            return plain
        names = ", ".join(nulls)
        try:
            given = evaluate(decision, case.raw, case.as_of)
        except Exception as exc:
            return Verdict("failed", "null_fact",
                           f"giving {names} as null (the schema accepts it for an optional "
                           f"fact) raises {type(exc).__name__}: {exc}; leaving "
                           f"{'it' if len(nulls) == 1 else 'them'} out does not",
                           fired_rule_ids(plain))
        if given.status != plain.status or given.outcome != plain.outcome:
            return Verdict("failed", "null_fact",
                           f"giving {names} as null decides {given.status} "
                           f"{json_text(given.outcome)}, but leaving "
                           f"{'it' if len(nulls) == 1 else 'them'} out decides {plain.status} "
                           f"{json_text(plain.outcome)}",
                           fired_rule_ids(plain, given))
        return CHECKED

    return check


def _decision_problems(decision: CompiledDecision, d: Decision, as_of: dt.date) -> list[str]:
    problems: list[str] = []
    if d.status not in STATUSES:
        problems.append(f"the status '{d.status}' is not one of {', '.join(STATUSES)}")
    if d.status == "decided" and not d.outcome:
        problems.append("the decision is 'decided' but its outcome is empty (no rule set "
                        "anything)")
    if d.policy != decision.policy.id or d.decision != decision.name or d.as_of != as_of:
        problems.append("the decision does not name its policy, decision and date")
    try:
        json.dumps(d.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"to_dict() is not JSON-serialisable: {exc}")
    for key, value in d.outcome.items():
        vt = decision.outcomes.get(key)
        if vt is None:
            if key not in _ENGINE_KEYS:
                problems.append(f"the outcome '{key}' is not declared")
            continue
        problem = _type_problem(vt, value, f"the outcome '{key}'")
        if problem:
            problems.append(problem)
    return problems


def _type_problem(vt: ValueType, value: Any, where: str) -> str | None:
    """Why ``value`` does not fit ``vt`` (``None`` when it does)."""
    kind = vt.kind
    if kind in ("any", "duration"):
        return None
    ok: bool
    if kind == "enum":
        ok = isinstance(value, str) and value in vt.values
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "date":
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif kind == "datetime":
        ok = isinstance(value, dt.datetime) and value.tzinfo is not None
    elif kind == "moment":  # a date, or an aware date-time
        ok = isinstance(value, dt.date) and (
            not isinstance(value, dt.datetime) or value.tzinfo is not None)
    elif kind == "list":
        if not isinstance(value, list):
            ok = False
        else:
            if vt.of is not None:
                for i, item in enumerate(value):
                    problem = _type_problem(vt.of, item, f"{where}[{i}]")
                    if problem:
                        return problem
            return None
    elif kind == "record":
        if not isinstance(value, dict):
            ok = False
        else:
            names = {k for k, _ in vt.fields}
            extra = sorted(set(map(str, value)) - names)
            if extra:
                return f"{where} has fields that are not declared: {', '.join(extra)}"
            for fname, ftype in vt.fields:
                if fname not in value or value[fname] is None:
                    if not ftype.optional:
                        return f"{where} lacks the field '{fname}'"
                    continue
                problem = _type_problem(ftype, value[fname], f"{where}.{fname}")
                if problem:
                    return problem
            return None
    else:
        return None
    if ok:
        return None
    shown = repr(to_json_value(value))
    return f"{where} is {shown}, which is not {vt.describe()}"
