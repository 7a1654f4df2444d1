"""The ``interpretations_earned`` property: a decision names exactly the interpretations that
shaped its answer.

Worked out from the policy's own rule text, not from the compiled rules: an interpretation is
earned by a rule that fired when the rule lists it under ``interpretations:``, when its condition
or one of its values reads it (``{interpretation: name}``), or, for the policy's office closing
time, when its condition or one of its values counts working days from a date-time fact,
anywhere inside it (an ``if`` branch, a list, a ``count``, a ``sample``, a comparison). A
decision must list every interpretation its fired rules earn, and no other.
"""

from __future__ import annotations

from typing import Any

from ..compiler import CompiledDecision
from .properties import CHECKED, Case, Check, Verdict


def earned_by_rule(decision: CompiledDecision) -> dict[str, frozenset[str]]:
    """For each rule id, the interpretations it earns when it fires."""
    policy = decision.policy
    spec = policy.spec.decisions[decision.name]
    closing = policy.spec.calendar.office_closes_at_interpretation
    datetime_facts = {n for n, vt in decision.facts.items() if vt.kind == "datetime"}
    values = {name: i.value for name, i in policy.spec.interpretations.items()}
    earned: dict[str, frozenset[str]] = {}
    for rule in spec.rules:
        names = set(rule.interpretations)
        names |= _read(rule.when) | _read(rule.then)
        if closing and policy.closes_at is not None and any(
            _counts_from(part, datetime_facts, values) for part in (rule.when, rule.then)
        ):
            names.add(closing)
        earned[rule.id] = frozenset(names)
    return earned


def _read(node: Any) -> set[str]:
    """Names read by ``{interpretation: name}`` anywhere in a condition or value."""
    found: set[str] = set()
    if isinstance(node, dict):
        name = node.get("interpretation")
        if isinstance(name, str) and len(node) == 1:
            found.add(name)
        for value in node.values():
            found |= _read(value)
    elif isinstance(node, list):
        for item in node:
            found |= _read(item)
    return found


def _counts_from(node: Any, datetime_facts: set[str], interpretations: dict[str, Any]) -> bool:
    """Whether a condition or value, anywhere inside it, adds or subtracts working days to or
    from a date-time fact (the duration written out or read from an interpretation)."""
    if isinstance(node, dict):
        for verb, target_key in (("add", "to"), ("subtract", "from")):
            duration = _duration(node.get(verb), interpretations)
            if isinstance(duration, dict) and "working_days" in duration and _is_datetime(
                node.get(target_key), datetime_facts, interpretations
            ):
                return True
        return any(_counts_from(v, datetime_facts, interpretations) for v in node.values())
    if isinstance(node, list):
        return any(_counts_from(v, datetime_facts, interpretations) for v in node)
    return False


def _duration(node: Any, interpretations: dict[str, Any]) -> Any:
    """A duration as written, or the value of the interpretation it reads."""
    if isinstance(node, dict) and set(node) == {"interpretation"}:
        return interpretations.get(node["interpretation"])
    return node


def _is_datetime(node: Any, facts: set[str], interpretations: dict[str, Any]) -> bool:
    """Whether a value, as written, gives a date-time: a date-time fact, minutes or hours added
    to one, or an ``if`` with one as a branch (a date in the other branch would make it a
    moment, which no duration is added to)."""
    if not isinstance(node, dict):
        return False
    if set(node) == {"fact"}:
        return node["fact"] in facts
    if set(node) == {"if", "then", "else"}:
        return any(_is_datetime(node[k], facts, interpretations) for k in ("then", "else"))
    for verb, target_key in (("add", "to"), ("subtract", "from")):
        duration = _duration(node.get(verb), interpretations)
        if isinstance(duration, dict) and set(duration) & {"minutes", "hours"}:
            return _is_datetime(node.get(target_key), facts, interpretations)
    return False


def interpretations_earned_check(decision: CompiledDecision) -> Check:
    """Every interpretation listed was earned by a rule that fired, and every earned one is
    listed."""
    earned = earned_by_rule(decision)

    def check(case: Case) -> Verdict:
        d = case.result()
        if isinstance(d, Verdict):
            return d
        fired = d.fired_rules
        want: set[str] = set()
        for rule in fired:
            want |= earned.get(rule, frozenset())
        listed = {i["name"] for i in d.interpretations}
        extra = sorted(listed - want)
        missing = sorted(want - listed)
        if not extra and not missing:
            return CHECKED
        parts = []
        if extra:
            parts.append(f"lists {', '.join(extra)}, which no rule that fired relies on")
        if missing:
            parts.append(f"omits {', '.join(missing)}, which a rule that fired relies on")
        return Verdict("failed", "interpretation", "the decision " + " and ".join(parts),
                       tuple(fired))

    return check
