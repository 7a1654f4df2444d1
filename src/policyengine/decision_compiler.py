"""Compile one decision of a policy: its facts' and outcomes' types, its fact checks, and its
rule table (each rule's ``when`` and ``then`` compiled by :mod:`policyengine.expressions`), with
the checks a table needs: unique rule ids, exceptions that name a rule and form no cycle, the
order rules are settled in, and outcomes read in conditions only where rules run in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .compile_context import CompileContext
from .compiled import CompiledDecision, CompiledNote, CompiledPolicy, CompiledRule
from .errors import did_you_mean
from .expressions import (
    CompileError,
    Cond,
    Expr,
    Scope,
    check_assignable,
    check_literal_members,
    compile_condition,
    compile_value,
)
from .facts import MOMENT, FactsValidator, ValueType
from .load import Path_
from .schema import FactType, Rule
from .values import freeze

RESERVED_FACTS = ("as_of", "any", "all", "not", "holds", "always")


def compile_decision(
    ctx: CompileContext, policy: CompiledPolicy, dname: str, path: Path_
) -> CompiledDecision | None:
    """Decision ``dname`` of the policy, or None when it has problems (recorded in ``ctx``)."""
    dspec = ctx.spec.decisions[dname]
    before = len(ctx.problems)
    facts: dict[str, ValueType] = {}
    for fname, ft in dspec.facts.items():
        fpath = (*path, "facts", fname)
        if fname in RESERVED_FACTS:
            ctx.fail(fpath, f"'{fname}' is a reserved word; name the fact otherwise", key=True)
            continue
        try:
            facts[fname] = ctx.resolve_type(ft, fpath)
        except CompileError as exc:
            ctx.problems.append(exc.problem)
    outcomes: dict[str, ValueType] = {}
    for oname, ospec in dspec.outcomes.items():
        opath = (*path, "outcomes", oname)
        if oname in ("status", "considerations", "requirements"):
            ctx.fail(opath, f"'{oname}' is set by the rules' own keys, not as an outcome",
                      key=True)
            continue
        if ospec.type == "moment":  # a date for some facts, a date-time for others
            outcomes[oname] = MOMENT
            continue
        try:
            # fields an OutcomeSpec has validated already: no validation (nor validator) needed
            outcomes[oname] = ctx.resolve_type(
                FactType.model_construct(type=ospec.type, values=ospec.values, of=ospec.of), opath
            )
        except CompileError as exc:
            ctx.problems.append(exc.problem)
    if len(ctx.problems) > before:
        return None
    scope = Scope(
        loaded=ctx.loaded,
        facts=facts,
        outcomes=outcomes,
        interpretations={k: freeze(v.value) for k, v in ctx.spec.interpretations.items()},
    )
    checks: list[tuple[Cond, str, str]] = []
    for ci, check in enumerate(dspec.fact_checks):
        cpath = (*path, "fact_checks", ci)
        if check.fact not in facts:
            ctx.fail((*cpath, "fact"), f"'{check.fact}' is not a fact of {dname}")
            continue
        try:
            checks.append(
                (compile_condition(check.require, (*cpath, "require"), scope),
                 check.message, check.fact)
            )
        except CompileError as exc:
            ctx.problems.append(exc.problem)
    rules: list[CompiledRule] = []
    ids: dict[str, int] = {}
    for ri, rspec in enumerate(dspec.rules):
        rpath = (*path, "rules", ri)
        if rspec.id in ids:
            first = ctx.loaded.position((*path, "rules", ids[rspec.id], "id")).line
            ctx.fail((*rpath, "id"), f"rule id '{rspec.id}' is used twice in {dname} "
                                      f"(first at line {first}); give each rule its own id")
            continue
        ids[rspec.id] = ri
        scope.rule = rspec.id
        if dspec.hit_policy != "collect":
            scope.defined_outcomes = set()  # only one rule's outcomes are ever combined
        try:
            rules.append(compile_rule(ctx, policy, rspec, ri, rpath, scope))
        except CompileError as exc:
            ctx.problems.append(exc.problem)
    if len(ctx.problems) > before:
        return None
    exceptions: dict[int, list[int]] = {}
    for rule in rules:
        if rule.exception_to is None:
            continue
        target = ids.get(rule.exception_to)
        rpath = (*path, "rules", rule.index, "exception_to")
        if target is None:
            ctx.fail(rpath, f"'{rule.exception_to}' is not a rule of {dname}")
        elif target == rule.index:
            ctx.fail(rpath, "a rule cannot be an exception to itself")
        else:
            exceptions.setdefault(target, []).append(rule.index)
    for rule in rules:
        if rule.id in scope.outcomes_in_conditions and (
            dspec.hit_policy != "collect" or exceptions
        ):
            ctx.fail((*path, "rules", rule.index, "when"),
                      "a condition may read an outcome only in a 'collect' decision without "
                      "exceptions, where rules run in order")
    order = _settle_order(len(rules), exceptions)
    if order is None:
        ctx.fail((*path, "rules"), "exceptions in this decision form a cycle")
        return None
    if dspec.hit_policy == "first":
        for target, excs in exceptions.items():
            for e in excs:
                if e > target:
                    ctx.fail((*path, "rules", e, "exception_to"),
                              "under the 'first' hit policy an exception must come before "
                              "the rule it overrides")
    line = ctx.loaded.position(path, key=True)
    # facts no expression reads value by value are converted only when a decision's facts
    # are read
    validator = FactsValidator(ctx.spec.policy.id, dname, facts,
                               deferred=set(facts) - scope.read_facts)
    return CompiledDecision(
        policy=policy,
        name=dname,
        description=dspec.description,
        facts=MappingProxyType(facts),
        outcomes=MappingProxyType(outcomes),
        hit_policy=dspec.hit_policy,
        rules=tuple(rules),
        validator=validator,
        exceptions=MappingProxyType({k: tuple(v) for k, v in exceptions.items()}),
        settle_order=tuple(order),
        invariants=tuple(dspec.invariants),
        line=line.line,
        fact_checks=tuple(checks),
    )

def compile_rule(
    ctx: CompileContext, policy: CompiledPolicy, rspec: Rule, index: int, path: Path_, scope: Scope
) -> CompiledRule:
    """Rule ``index`` of a decision: its ``when`` compiled (here is where a rule's condition
    becomes ``CompiledRule.condition``), its ``then`` values checked against the outcomes."""
    scope.in_condition = True
    try:
        cond = compile_condition(rspec.when, (*path, "when"), scope)
    finally:
        scope.in_condition = False
    then: list[tuple[str, Expr]] = []
    interps = set(cond.interpretations)
    # static, as the interpretations a condition or value reads: the rule relies on the closing
    # time when any branch of its condition or values counts working days from a date-time
    relies_on_closing = cond.uses_working_days_from_datetime
    for key, node in rspec.then.items():
        vpath = (*path, "then", key)
        if key not in scope.outcomes:
            hint = did_you_mean(key, scope.outcomes)
            raise scope.fail(
                vpath,
                f"unknown outcome '{key}'{hint}; declare it under this decision's 'outcomes'"
                f" (declared: {', '.join(scope.outcomes) or 'none'})",
                key=True,
            )
        target = scope.outcomes[key]
        check_literal_members(node, target, vpath, scope, key)
        expr = compile_value(node, vpath, scope)
        check_assignable(expr, target, vpath, scope, key)
        then.append((key, expr))
        interps |= expr.interpretations
        scope.defined_outcomes.add(key)
        relies_on_closing = relies_on_closing or expr.uses_working_days_from_datetime
    closing_ref = ctx.spec.calendar.office_closes_at_interpretation
    if relies_on_closing and policy.closes_at is not None and closing_ref:
        interps.add(closing_ref)
    for i, ref in enumerate(rspec.interpretations):
        ctx.use_interpretation(ref, (*path, "interpretations", i))
    interps |= set(rspec.interpretations)
    for name in interps:
        ctx.used_interpretations.add(name)
    if rspec.considerations and rspec.status != "needs_judgement":
        raise scope.fail((*path, "considerations"),
                         "considerations belong to a rule whose status is needs_judgement")
    if rspec.status == "needs_judgement" and not rspec.considerations:
        raise scope.fail((*path, "status"),
                         "a needs_judgement rule lists the considerations a person must weigh")
    for i, c in enumerate(rspec.cite):
        ctx.check_citation(c, (*path, "cite", i))
    notes: dict[str, list[CompiledNote]] = {"considerations": [], "requirements": []}
    for kind in notes:
        for ni, note in enumerate(getattr(rspec, kind)):
            if note.cite:
                ctx.check_citation(note.cite, (*path, kind, ni, "cite"))
            notes[kind].append(CompiledNote(
                note.id, note.text, policy.citation(note.cite) if note.cite and
                note.cite.source in ctx.spec.sources else None))
    pos = ctx.loaded.position(path)
    cites = tuple(
        policy.citation(c) for c in rspec.cite if c.source in ctx.spec.sources
    )
    return CompiledRule(
        id=rspec.id,
        index=index,
        line=pos.line,
        column=pos.column,
        condition=cond,
        then=tuple(then),
        status=rspec.status,
        considerations=tuple(notes["considerations"]),
        requirements=tuple(notes["requirements"]),
        because=rspec.because or cond.text,
        citations=cites,
        interpretations=tuple(sorted(interps)),
        exception_to=rspec.exception_to,
        description=rspec.description,
    )


def _settle_order(n: int, exceptions: Mapping[int, list[int]]) -> list[int] | None:
    """Rules in an order where every exception is settled before the rule it overrides."""
    order: list[int] = []
    state = [0] * n  # 0 new, 1 visiting, 2 done

    def visit(i: int) -> bool:
        if state[i] == 2:
            return True
        if state[i] == 1:
            return False
        state[i] = 1
        for e in exceptions.get(i, []):
            if not visit(e):
                return False
        state[i] = 2
        order.append(i)
        return True

    for i in range(n):
        if not visit(i):
            return None
    return order

