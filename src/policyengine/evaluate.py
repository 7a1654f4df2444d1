"""Evaluate a compiled decision: facts in, a :class:`Decision` out, with its trace.

This is where a rule is evaluated. The steps are: validate the facts against the decision's
declared types; test every rule's compiled condition; let exceptions override the rules they
name; apply the hit policy (first, unique or collect); compute the chosen rules' outcomes in
order; attach citations, interpretations and warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import __version__
from .compiler import CompiledDecision, CompiledPolicy, CompiledRule
from .decision import Decision, TraceStep
from .errors import FactsError, PolicyError, Problem
from .expressions import Absent, Env

_STATUS_WEIGHT = {"decided": 0, "needs_judgement": 1, "not_applicable": 2}


def policy_warnings(policy: CompiledPolicy, as_of: dt.date) -> list[str]:
    meta = policy.meta
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


def _calendar_record(policy: CompiledPolicy) -> dict[str, Any]:
    cal = policy.calendar
    record: dict[str, Any] = {"nation": cal.nation, "data_version": cal.data_version}
    spec = policy.spec.calendar
    if spec.closure_days:
        record["closure_days"] = [d.isoformat() for d in spec.closure_days]
    if spec.open_days:
        record["open_days"] = [d.isoformat() for d in spec.open_days]
    if policy.closes_at is not None:
        record["office_closes_at"] = policy.closes_at.strftime("%H:%M")
    return record


def _defect(decision: CompiledDecision, rules: list[CompiledRule], message: str) -> PolicyError:
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
    values = decision.validator.validate(facts)
    where = f"{policy.id}.{decision.name}"
    env = Env(values, as_of, policy.calendar, policy.closes_at, where)
    rules = decision.rules
    for check, message, fact in decision.fact_checks:
        if not check.fn(env):
            raise FactsError(
                f"{where}: {message}", fact=fact, policy=policy.id, decision=decision.name
            )

    chosen: list[CompiledRule]
    overridden: dict[int, int] = {}
    if decision.hit_policy == "first" and not decision.exceptions and not full_trace:
        # the hot path: stop at the first rule that holds
        matched: list[bool] = []
        chosen = []
        for rule in rules:
            if rule.condition.fn(env):
                chosen = [rule]
                break
    else:
        matched = [rule.condition.fn(env) for rule in rules]
        fires = list(matched)
        if decision.exceptions:
            for i in decision.settle_order:
                for e in decision.exceptions.get(i, ()):
                    if fires[e] and fires[i]:
                        fires[i] = False
                        overridden[i] = e
        firing = [r for r in rules if fires[r.index]]
        if decision.hit_policy == "first":
            chosen = firing[:1]
        elif decision.hit_policy == "unique":
            if len(firing) > 1:
                names = ", ".join(f"'{r.id}' (line {r.line})" for r in firing)
                raise _defect(
                    decision,
                    firing,
                    f"{where}: rules {names} all apply to these facts, but the hit policy is "
                    f"'unique'; facts: {_facts_text(values)}",
                )
            chosen = firing
        else:
            chosen = firing
    if not chosen and decision.hit_policy != "collect":
        raise _defect(
            decision,
            [],
            f"{where}: no rule applies to these facts (a gap in the policy); "
            f"facts: {_facts_text(values)}",
        )

    outcome = env.outcome
    status = "decided"
    considerations: list[dict[str, Any]] = []
    requirements: list[dict[str, Any]] = []
    citations: list[dict[str, Any]] = []
    seen_cites: set[tuple[str, str]] = set()
    interp_names: list[str] = []
    steps: list[TraceStep] = []
    chosen_ids = {r.index for r in chosen}

    for rule in rules if full_trace else chosen:
        if rule.index not in chosen_ids:
            if full_trace:
                if rule.index in overridden:
                    note = f"overridden by the exception '{rules[overridden[rule.index]].id}'"
                elif matched[rule.index]:
                    note = "applies, but an earlier rule was chosen under the 'first' hit policy"
                else:
                    note = "does not apply"
                steps.append(TraceStep(rule.id, False, rule.because, rule.line, note=note))
            continue
        for key, expr in rule.then:
            try:
                value = expr.fn(env)
            except Absent as missing:
                vt = decision.facts.get(missing.name)
                raise FactsError(
                    f"{where}: fact '{missing.name}' is needed by rule '{rule.id}'"
                    + (f"; it must be {vt.describe()}" if vt else ""),
                    fact=missing.name,
                    allowed=list(vt.values) if vt is not None and vt.kind == "enum" else None,
                    policy=policy.id,
                    decision=decision.name,
                ) from None
            _merge(decision, rule, outcome, key, value)
        if rule.status is not None and _STATUS_WEIGHT[rule.status] > _STATUS_WEIGHT[status]:
            status = rule.status
        if rule.considerations:
            considerations.extend(rule.consideration_dicts)
        if rule.requirements:
            requirements.extend(rule.requirement_dicts)
        cites = rule.citation_dicts
        for c, as_dict in zip(rule.citations, cites, strict=True):
            if (c.document, c.clause) not in seen_cites:
                seen_cites.add((c.document, c.clause))
                citations.append(as_dict)
        for n in rule.note_citations:
            if (n.document, n.clause) not in seen_cites:
                seen_cites.add((n.document, n.clause))
                citations.append(n.to_dict())
        for name in rule.interpretations:
            if name not in interp_names:
                interp_names.append(name)
        exception_note = (
            f"an exception to '{rule.exception_to}'" if rule.exception_to is not None else None
        )
        steps.append(
            TraceStep(
                rule.id, True, rule.because, rule.line, cites, exception_note,
                tuple(k for k, _ in rule.then),
            )
        )

    if status != "decided" or considerations:
        outcome["considerations"] = considerations
        outcome["requirements"] = requirements

    return Decision(
        policy=policy.id,
        decision=decision.name,
        status=status,
        outcome=outcome,
        trace=tuple(steps),
        citations=tuple(citations),
        interpretations=tuple(policy.interpretation_dicts[n] for n in interp_names),
        warnings=tuple(policy_warnings(policy, as_of)),
        as_of=as_of,
        facts=values,
        policy_version=policy.meta.version,
        policy_sha256=policy.sha256,
        policy_file=policy.file.rsplit("/", 1)[-1],
        calendar=_calendar_record(policy),
        engine_version=__version__,
    )


def _merge(
    decision: CompiledDecision, rule: CompiledRule, outcome: dict[str, Any], key: str, value: Any
) -> None:
    if key not in outcome:
        outcome[key] = list(value) if isinstance(value, list) else value
        return
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
            f"{decision.policy.id}.{decision.name}: rule '{rule.id}' sets '{key}' to "
            f"{value!r}, but an earlier rule set it to {current!r}",
        )


def _facts_text(values: Mapping[str, Any]) -> str:
    import json

    from .decision import to_json_value

    return json.dumps(to_json_value(dict(values)), sort_keys=True)


def evaluate_policy_status(policy: CompiledPolicy, as_of: dt.date) -> Decision:
    """The built-in decision every policy answers: is it in force, and is it due for review?"""
    meta = policy.meta
    review_overdue = meta.review_due is not None and as_of > meta.review_due
    in_force = meta.status == "in_force" and (meta.issued is None or as_of >= meta.issued)
    outcome: dict[str, Any] = {
        "in_force": in_force,
        "document_status": meta.status,
        "issued": meta.issued,
        "review_due": meta.review_due,
        "review_overdue": review_overdue,
    }
    because = (
        f"the document's status is {meta.status}"
        + (f", issued {meta.issued.isoformat()}" if meta.issued else ", with no issue date")
        + (f", review due {meta.review_due.isoformat()}" if meta.review_due else "")
    )
    if meta.status_note:
        because += f" ({meta.status_note})"
    cites = tuple(policy.citation(c).to_dict() for c in meta.cite)
    pos = policy.loaded.position(("policy",))
    step = TraceStep("policy_metadata", True, because, pos.line, cites)
    return Decision(
        policy=policy.id,
        decision="policy_status",
        status="decided",
        outcome=outcome,
        trace=(step,),
        citations=cites,
        interpretations=tuple(
            policy.interpretations[n].to_dict()
            for n in meta.interpretations
            if n in policy.interpretations
        ),
        warnings=tuple(policy_warnings(policy, as_of)),
        as_of=as_of,
        facts={},
        policy_version=meta.version,
        policy_sha256=policy.sha256,
        policy_file=policy.file.rsplit("/", 1)[-1],
        calendar=_calendar_record(policy),
        engine_version=__version__,
    )
