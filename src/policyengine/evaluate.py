"""Evaluate a compiled decision: facts in, a :class:`Decision` out, with its trace.

This is where a rule is evaluated. The steps are: validate the facts against the decision's
declared types; test the rules' compiled conditions (only those that could hold, in a large
decision: see :mod:`~policyengine.ruleindex`); let exceptions override the rules they name;
apply the hit policy (first, unique or collect); compute the chosen rules' outcomes in order;
attach the trace, citations, interpretations and warnings. A rule's compiled condition is the
closure ``CompiledRule.condition.fn``, made from its ``when`` by the ``visit_<Node>`` methods of
:mod:`policyengine.expressions.codegen` and :mod:`~policyengine.expressions.codegen_facts`.

Everything that depends only on which rules fired (the trace, the citations and
interpretations, the status and the notes for a person) is worked out once per set of rules and
kept on the compiled decision; a call computes only what depends on its facts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._version import __version__
from .compiler import CompiledDecision, CompiledPolicy, CompiledRule
from .decision import (
    STATUS_STRENGTH,
    Decision,
    DecisionContext,
    DecisionSummary,
    TraceStep,
    make_decision,
    to_json_value,
)
from .errors import FactsError, PolicyError, Problem
from .expressions import Absent, Env
from .reprs import short_repr
from .values import FrozenDict, freeze, frozen_dict, frozen_list

#: Summaries (one per set of rules fired) kept per decision; full traces past it are rebuilt.
MAX_SUMMARIES = 4096
_WARNINGS_KEPT = 512


def policy_warnings(policy: CompiledPolicy, as_of: dt.date) -> tuple[str, ...]:
    cache = policy._warnings_cache
    found = cache.get(as_of)
    if found is None:
        found = tuple(_warnings(policy, as_of))
        if len(cache) >= _WARNINGS_KEPT:
            cache.clear()
        cache[as_of] = found
    return found


def _warnings(policy: CompiledPolicy, as_of: dt.date) -> list[str]:
    meta = policy.about
    warnings: list[str] = []
    if meta.status == "draft":
        warnings.append(
            f"{meta.organisation}'s '{meta.title}' is a draft, not an approved policy"
            + (f": {meta.status_note}" if meta.status_note else "")
        )
    elif meta.status == "withdrawn":
        warnings.append(f"{meta.organisation}'s '{meta.title}' has been withdrawn")
    if meta.review_due is not None and as_of > meta.review_due:
        warnings.append(
            f"the policy was due for review by {meta.review_due.isoformat()}; on "
            f"{as_of.isoformat()} it is past its own review date"
        )
    if meta.issued is not None and as_of < meta.issued:
        warnings.append(
            f"as_of {as_of.isoformat()} is before the policy was issued "
            f"({meta.issued.isoformat()})"
        )
    return warnings


def _defect(decision: CompiledDecision, rules: Sequence[CompiledRule], message: str
            ) -> PolicyError:
    file = decision.policy.file
    if rules:
        return PolicyError([Problem(file, r.line, r.column, message) for r in rules[:1]])
    return PolicyError(Problem(file, decision.line, 1, message))


def evaluate(
    decision: CompiledDecision,
    facts: Mapping[str, Any],
    as_of: dt.date,
    *,
    full_trace: bool = False,
) -> Decision:
    policy = decision.policy
    values, complete = decision.validator.check(facts)
    env = Env(values, as_of, policy.calendar, policy.closes_at, decision.where)
    checks = decision.fact_check_fns
    if checks:
        for i, holds in enumerate(checks):
            if not holds(env):
                raise _failed_check(decision, i)
    mode = decision.mode
    index = decision.index
    key: tuple[Any, ...]
    if mode == "first" and not full_trace:
        # the hot path: stop at the first rule that holds
        conditions = decision.conditions
        if index is None:
            for i, holds in enumerate(conditions):  # noqa: B007 (i is the rule that holds)
                if holds(env):
                    break
            else:
                raise _gap(decision, values)
        else:
            for i in index.candidates(values):
                if conditions[i](env):
                    break
            else:
                raise _gap(decision, values)
        _single(decision, decision.rules[i], env)
        key = ((i,), False)
    elif mode == "collect":
        # rules in order, each seeing the outcomes of the rules before it
        conditions = decision.conditions
        rules = decision.rules
        outcome = env.outcome
        fired: list[int] = []
        for i in index.candidates(values) if index is not None else range(len(conditions)):
            if conditions[i](env):
                rule = rules[i]
                try:
                    for name, fn in rule.outcome_fns:
                        value = fn(env)
                        if name in outcome:
                            _merge(decision, rule, outcome, name, value)
                        else:  # a list is copied: a later rule may add to it
                            outcome[name] = list(value) if isinstance(value, list) else value
                except Absent as missing:
                    raise _needed(decision, rule, env, missing) from None
                fired.append(i)
        key = (tuple(fired), full_trace)
    elif mode == "unique" and not full_trace and index is None:
        firing = [i for i, holds in enumerate(decision.conditions) if holds(env)]
        if len(firing) == 1:
            _single(decision, decision.rules[firing[0]], env)
            key = (tuple(firing), False)
        else:
            key = _settle(decision, env, full_trace)  # raises the gap or the conflict
    else:
        key = _settle(decision, env, full_trace)
    summary = decision._summaries.get(key)
    if summary is None:
        summary = _summarise(decision, key)
    outcome = env.outcome
    for name, value in outcome.items():
        if value.__class__ is list or value.__class__ is dict:
            outcome[name] = freeze(value)
    if summary.notes is not None:
        outcome["considerations"], outcome["requirements"] = summary.notes
    return make_decision(decision.context, summary, frozen_dict(outcome), as_of,
                         policy_warnings(policy, as_of), complete)


def _single(decision: CompiledDecision, rule: CompiledRule, env: Env) -> None:
    """The outcomes of the one rule chosen (no other rule's outcomes to merge with)."""
    outcome = env.outcome
    try:
        for key, fn in rule.outcome_fns:
            outcome[key] = fn(env)
    except Absent as missing:
        raise _needed(decision, rule, env, missing) from None


def _needed(decision: CompiledDecision, rule: CompiledRule, env: Env, missing: Absent
            ) -> FactsError:
    vt = decision.facts.get(missing.name)
    return FactsError(
        f"{env.where}: fact '{missing.name}' is needed by rule '{rule.id}'"
        + (f"; it must be {vt.describe()}" if vt else ""),
        fact=missing.name,
        allowed=list(vt.values) if vt is not None and vt.kind == "enum" else None,
        policy=decision.policy.id,
        decision=decision.name,
    )


def _failed_check(decision: CompiledDecision, i: int) -> FactsError:
    _, message, fact = decision.fact_checks[i]
    return FactsError(f"{decision.where}: {message}", fact=fact, policy=decision.policy.id,
                      decision=decision.name)


def _gap(decision: CompiledDecision, values: Mapping[str, Any]) -> PolicyError:
    return _defect(
        decision,
        [],
        f"{decision.where}: no rule applies to these facts (a gap in the policy); "
        f"facts: {_facts_text(values)}",
    )


def _settle(decision: CompiledDecision, env: Env, full_trace: bool) -> tuple[Any, ...]:
    """Exceptions, 'unique', and full traces: every condition first, then the hit policy."""
    rules = decision.rules
    if decision.index is not None:
        matched = [False] * len(rules)
        conditions = decision.conditions
        for i in decision.index.candidates(env.facts):
            matched[i] = bool(conditions[i](env))
    else:
        matched = [bool(holds(env)) for holds in decision.conditions]
    fires = list(matched)
    overridden: dict[int, int] = {}
    for i, excs in decision.overrides:
        if fires[i]:
            for e in excs:
                if fires[e]:
                    fires[i] = False
                    overridden[i] = e
                    break
    chosen: list[CompiledRule]
    if decision.hit_policy == "first":
        chosen = [rules[fires.index(True)]] if True in fires else []
    elif decision.hit_policy == "unique" and fires.count(True) > 1:
        firing = [r for r in rules if fires[r.index]]
        names = ", ".join(f"'{r.id}' (line {r.line})" for r in firing)
        raise _defect(
            decision,
            firing,
            f"{decision.where}: rules {names} all apply to these facts, but the hit policy is "
            f"'unique'; facts: {_facts_text(env.facts)}",
        )
    else:
        chosen = [r for r in rules if fires[r.index]]
    if not chosen and decision.hit_policy != "collect":
        raise _gap(decision, env.facts)
    if len(chosen) == 1:
        _single(decision, chosen[0], env)
    else:
        for rule in chosen:
            _outcomes(decision, rule, env)
    indices = tuple(r.index for r in chosen)
    if not full_trace:
        return (indices, False)
    return (indices, True, tuple(matched), tuple(sorted(overridden.items())))


def _outcomes(decision: CompiledDecision, rule: CompiledRule, env: Env) -> None:
    outcome = env.outcome
    for key, fn in rule.outcome_fns:
        try:
            value = fn(env)
        except Absent as missing:
            raise _needed(decision, rule, env, missing) from None
        if key not in outcome:
            outcome[key] = list(value) if isinstance(value, list) else value
        else:
            _merge(decision, rule, outcome, key, value)


def _merge(
    decision: CompiledDecision, rule: CompiledRule, outcome: dict[str, Any], key: str, value: Any
) -> None:
    current = outcome[key]
    if isinstance(current, list) and isinstance(value, list):
        for item in value:
            if item not in current:
                current.append(item)
        return
    if current != value:
        raise _defect(
            decision,
            [rule],
            f"{decision.where}: rule '{rule.id}' sets '{key}' to "
            f"{short_repr(value)}, but an earlier rule set it to {short_repr(current)}",
        )


def _summarise(decision: CompiledDecision, key: tuple[Any, ...]) -> DecisionSummary:
    """The trace, citations, interpretations, status and notes for one set of rules fired."""
    rules = decision.rules
    chosen_ids = set(key[0])
    full_trace = key[1]
    matched: Sequence[bool] = key[2] if len(key) > 2 else [i in chosen_ids for i in range(
        len(rules))]
    overridden = dict(key[3]) if len(key) > 3 else {}
    status = "decided"
    considerations: list[FrozenDict[str, Any]] = []
    requirements: list[FrozenDict[str, Any]] = []
    citations: list[FrozenDict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    interp_names: list[str] = []
    steps: list[TraceStep] = []
    for rule in rules if full_trace else [rules[i] for i in key[0]]:
        if rule.index in chosen_ids:
            if rule.status is not None and STATUS_STRENGTH[rule.status] > STATUS_STRENGTH[status]:
                status = rule.status
            considerations.extend(rule.consideration_dicts)
            requirements.extend(rule.requirement_dicts)
            cites = rule.citation_dicts
            for c, as_dict in zip(rule.citations, cites, strict=True):
                if (c.document, c.clause) not in seen:
                    seen.add((c.document, c.clause))
                    citations.append(as_dict)
            for n in rule.note_citations:
                if (n.document, n.clause) not in seen:
                    seen.add((n.document, n.clause))
                    citations.append(freeze(n.to_dict()))
            for name in rule.interpretations:
                if name not in interp_names:
                    interp_names.append(name)
            exception_note = (
                f"an exception to '{rule.exception_to}'" if rule.exception_to is not None
                else None
            )
            steps.append(TraceStep(rule.id, True, rule.because, rule.line, cites, exception_note,
                                   tuple(k for k, _ in rule.then)))
        elif rule.index in overridden:
            note = f"overridden by the exception '{rules[overridden[rule.index]].id}'"
            steps.append(TraceStep(rule.id, False, rule.because, rule.line, note=note))
        elif matched[rule.index]:
            note = "applies, but an earlier rule was chosen under the 'first' hit policy"
            steps.append(TraceStep(rule.id, False, rule.because, rule.line, note=note))
        else:
            steps.append(TraceStep(rule.id, False, rule.because, rule.line,
                                   note="does not apply"))
    interps = decision.policy.interpretation_dicts
    notes = None
    if status != "decided" or considerations:
        notes = (frozen_list(considerations), frozen_list(requirements))
    summary = DecisionSummary(
        status, tuple(steps), tuple(citations), tuple(interps[n] for n in interp_names), notes,
        tuple(s.rule for s in steps if s.fired), bool(full_trace),
    )
    cache = decision._summaries
    if len(cache) < MAX_SUMMARIES:
        cache[key] = summary
    return summary


def _facts_text(values: Mapping[str, Any]) -> str:
    return short_repr(json.dumps(to_json_value(dict(values)), sort_keys=True), 2000)


def evaluate_policy_status(policy: CompiledPolicy, as_of: dt.date) -> Decision:
    """The built-in decision every policy answers: is it in force, and is it due for review?"""
    meta = policy.about
    review_overdue = meta.review_due is not None and as_of > meta.review_due
    in_force = meta.status == "in_force" and (meta.issued is None or as_of >= meta.issued)
    outcome: dict[str, Any] = {
        "in_force": in_force,
        "document_status": meta.status,
        "issued": meta.issued,
        "review_due": meta.review_due,
        "review_overdue": review_overdue,
    }
    context, summary = _policy_status_parts(policy)
    return make_decision(context, summary, frozen_dict(outcome), as_of,
                         policy_warnings(policy, as_of), frozen_dict({}))


def _policy_status_parts(policy: CompiledPolicy) -> tuple[DecisionContext, DecisionSummary]:
    cached = policy.__dict__.get("_policy_status_parts")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    meta = policy.about
    because = (
        f"the document's status is {meta.status}"
        + (f", issued {meta.issued.isoformat()}" if meta.issued else ", with no issue date")
        + (f", review due {meta.review_due.isoformat()}" if meta.review_due else "")
    )
    if meta.status_note:
        because += f" ({meta.status_note})"
    if meta.review_note:
        because += f"; review: {meta.review_note}"
    cites = tuple(freeze(c.to_dict()) for c in meta.cite)
    step = TraceStep("policy_metadata", True, because, meta.line, cites)
    interps = policy.interpretation_dicts
    summary = DecisionSummary(
        "decided", (step,), cites,
        tuple(interps[n] for n in meta.interpretations if n in interps), None,
        ("policy_metadata",),
    )
    context = DecisionContext(policy.id, "policy_status", meta.version, policy.sha256,
                              policy.file_name, freeze(policy.calendar_record), __version__)
    policy.__dict__["_policy_status_parts"] = (context, summary)
    return context, summary
