"""Evaluate a compiled decision: facts in, a :class:`Decision` out, with its trace.

This is where a rule is evaluated. The steps are: validate the facts against the decision's
declared types; test every rule's compiled condition; let exceptions override the rules they
name; apply the hit policy (first, unique or collect); compute the chosen rules' outcomes in
order; attach citations, interpretations and warnings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from policyengine import __version__
from policyengine.compiler import CompiledDecision, CompiledPolicy, CompiledRule
from policyengine.decision import STATUS_STRENGTH, Decision, TraceStep, to_json_value
from policyengine.errors import FactsError, PolicyError, Problem
from policyengine.expressions import Absent, Env


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

    out = _Collector(decision, env)
    if decision.hit_policy == "collect" and not decision.exceptions:
        # rules in order, each seeing the outcomes of the rules before it
        for rule in rules:
            if rule.condition.fn(env):
                out.apply(rule)
            elif full_trace:
                out.skip(rule, "does not apply")
        return out.decision(values)

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
        for i in decision.settle_order:
            for e in decision.exceptions.get(i, ()):
                if fires[e] and fires[i]:
                    fires[i] = False
                    overridden[i] = e
        firing = [r for r in rules if fires[r.index]]
        if decision.hit_policy == "first":
            chosen = firing[:1]
        elif decision.hit_policy == "unique" and len(firing) > 1:
            names = ", ".join(f"'{r.id}' (line {r.line})" for r in firing)
            raise _defect(
                decision,
                firing,
                f"{where}: rules {names} all apply to these facts, but the hit policy is "
                f"'unique'; facts: {_facts_text(values)}",
            )
        else:
            chosen = firing
    if not chosen and decision.hit_policy != "collect":
        raise _defect(
            decision,
            [],
            f"{where}: no rule applies to these facts (a gap in the policy); "
            f"facts: {_facts_text(values)}",
        )

    chosen_ids = {r.index for r in chosen}
    for rule in rules if full_trace else chosen:
        if rule.index in chosen_ids:
            out.apply(rule)
        elif rule.index in overridden:
            out.skip(rule, f"overridden by the exception '{rules[overridden[rule.index]].id}'")
        elif matched[rule.index]:
            out.skip(rule, "applies, but an earlier rule was chosen under the 'first' hit policy")
        else:
            out.skip(rule, "does not apply")
    return out.decision(values)


class _Collector:
    """Gathers what the chosen rules contribute: outcomes, status, notes, citations, trace."""

    def __init__(self, decision: CompiledDecision, env: Env) -> None:
        self.compiled = decision
        self.env = env
        self.status = "decided"
        self.considerations: list[dict[str, Any]] = []
        self.requirements: list[dict[str, Any]] = []
        self.citations: list[dict[str, Any]] = []
        self.seen_cites: set[tuple[str, str]] = set()
        self.interp_names: list[str] = []
        self.steps: list[TraceStep] = []

    def skip(self, rule: CompiledRule, note: str) -> None:
        self.steps.append(TraceStep(rule.id, False, rule.because, rule.line, note=note))

    def apply(self, rule: CompiledRule) -> None:
        env, decision = self.env, self.compiled
        for key, expr in rule.then:
            try:
                value = expr.fn(env)
            except Absent as missing:
                vt = decision.facts.get(missing.name)
                raise FactsError(
                    f"{env.where}: fact '{missing.name}' is needed by rule '{rule.id}'"
                    + (f"; it must be {vt.describe()}" if vt else ""),
                    fact=missing.name,
                    allowed=list(vt.values) if vt is not None and vt.kind == "enum" else None,
                    policy=decision.policy.id,
                    decision=decision.name,
                ) from None
            _merge(decision, rule, env.outcome, key, value)
        if rule.status is not None and STATUS_STRENGTH[rule.status] > STATUS_STRENGTH[self.status]:
            self.status = rule.status
        if rule.considerations:
            self.considerations.extend(rule.consideration_dicts)
        if rule.requirements:
            self.requirements.extend(rule.requirement_dicts)
        cites = rule.citation_dicts
        seen = self.seen_cites
        for c, as_dict in zip(rule.citations, cites, strict=True):
            if (c.document, c.clause) not in seen:
                seen.add((c.document, c.clause))
                self.citations.append(as_dict)
        for n in rule.note_citations:
            if (n.document, n.clause) not in seen:
                seen.add((n.document, n.clause))
                self.citations.append(n.to_dict())
        for name in rule.interpretations:
            if name not in self.interp_names:
                self.interp_names.append(name)
        exception_note = (
            f"an exception to '{rule.exception_to}'" if rule.exception_to is not None else None
        )
        self.steps.append(
            TraceStep(
                rule.id, True, rule.because, rule.line, cites, exception_note,
                tuple(k for k, _ in rule.then),
            )
        )

    def decision(self, values: dict[str, Any]) -> Decision:
        policy = self.compiled.policy
        outcome = self.env.outcome
        as_of = self.env.as_of
        if self.status != "decided" or self.considerations:
            outcome["considerations"] = self.considerations
            outcome["requirements"] = self.requirements
        return Decision(
            policy=policy.id,
            decision=self.compiled.name,
            status=self.status,
            outcome=outcome,
            trace=tuple(self.steps),
            citations=tuple(self.citations),
            interpretations=tuple(policy.interpretation_dicts[n] for n in self.interp_names),
            warnings=tuple(policy_warnings(policy, as_of)),
            as_of=as_of,
            facts=values,
            policy_version=policy.meta.version,
            policy_sha256=policy.sha256,
            policy_file=policy.file_name,
            calendar=policy.calendar_record,
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
    if meta.review_note:
        because += f"; review: {meta.review_note}"
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
        policy_file=policy.file_name,
        calendar=policy.calendar_record,
        engine_version=__version__,
    )
