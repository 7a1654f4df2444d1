"""Turn the expression tree into Python callables: one ``visit_<Node>`` method per node type.

This is where a condition's and a value's code is made: each visit method returns the closure
the evaluator calls with an :class:`~.runtime.Env` (``Cond.fn``, ``Expr.fn``), with the
expression's wording for traces and what it reads. The tests on one fact are in
:mod:`.codegen_facts`; the combinations of conditions and the values are here. Nothing here
can fail: the parser checked every name and type already.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..durations import Duration, add_duration
from ..errors import FactsError
from ..facts import BOOL, INT
from . import nodes as n
from .codegen_facts import FactTestGenerator
from .moments import comparable, stepper
from .nodes import COMPARISONS
from .runtime import ALWAYS, Absent, Cond, Env, Expr, Fn, Pred, closing_time_relied_on
from .sampling import in_sample
from .scope import fmt


def _as_of(env: Env) -> Any:
    return env.as_of


class CodeGenerator(FactTestGenerator):
    """Compiles nodes: :meth:`condition` gives a :class:`Cond`, :meth:`value` an :class:`Expr`."""

    def condition(self, node: n.Condition) -> Cond:
        visit: Callable[[Any], Cond] = getattr(self, "visit_" + type(node).__name__)
        return visit(node)

    def value(self, node: n.Value) -> Expr:
        visit: Callable[[Any], Expr] = getattr(self, "visit_" + type(node).__name__)
        return visit(node)

    # ---------------------------------------------------------------- conditions

    def visit_Always(self, node: n.Always) -> Cond:
        return ALWAYS

    def visit_AllOf(self, node: n.AllOf) -> Cond:
        parts = [p for p in map(self.condition, node.parts) if p is not ALWAYS]
        if not parts:
            return ALWAYS
        if len(parts) == 1:
            return parts[0]
        return Cond(
            _conjunction(tuple(p.fn for p in parts)),
            " and ".join(p.text for p in parts),
            frozenset().union(*(p.interpretations for p in parts)),
            frozenset().union(*(p.facts for p in parts)),
            _conjoined_equality(parts),
            all(p.safe for p in parts),
            closing_time_relied_on(*parts),
        )

    def visit_AnyOf(self, node: n.AnyOf) -> Cond:
        parts = [self.condition(p) for p in node.parts]
        if len(parts) == 1:
            return parts[0]
        return Cond(
            _disjunction(tuple(p.fn for p in parts)),
            "(" + " or ".join(p.text for p in parts) + ")",
            frozenset().union(*(p.interpretations for p in parts)),
            frozenset().union(*(p.facts for p in parts)),
            safe=all(p.safe for p in parts),
            uses_working_days_from_datetime=closing_time_relied_on(*parts),
        )

    def visit_Not(self, node: n.Not) -> Cond:
        part = self.condition(node.part)
        fn = part.fn

        def negated(env: Env) -> bool:
            return not fn(env)

        return Cond(negated, f"not ({part.text})", part.interpretations, part.facts,
                    safe=part.safe,
                    uses_working_days_from_datetime=part.uses_working_days_from_datetime)

    def visit_Holds(self, node: n.Holds) -> Cond:
        expr = self.value(node.value)
        fn = expr.fn

        def holds(env: Env) -> bool:
            try:
                return bool(fn(env))
            except Absent:
                return False

        return Cond(holds, expr.text, expr.interpretations, expr.facts,
                    uses_working_days_from_datetime=expr.uses_working_days_from_datetime)

    # -------------------------------------------------------------------- values

    def visit_Literal(self, node: n.Literal) -> Expr:
        value = node.value

        def constant(env: Env) -> Any:
            return value

        return Expr(constant, node.type, fmt(value))

    def visit_InterpretationRef(self, node: n.InterpretationRef) -> Expr:
        value = node.value

        def interp(env: Env) -> Any:
            return value

        return Expr(interp, node.type, f"{node.name} ({fmt(value)})", frozenset([node.name]))

    def visit_ListOf(self, node: n.ListOf) -> Expr:
        items = [self.value(v) for v in node.items]
        fns = tuple(e.fn for e in items)

        def make_list(env: Env) -> list[Any]:
            return [f(env) for f in fns]

        return Expr(
            make_list,
            node.type,
            "[" + ", ".join(e.text for e in items) + "]",
            frozenset().union(*(e.interpretations for e in items)),
            frozenset().union(*(e.facts for e in items)),
            closing_time_relied_on(*items),
        )

    def visit_AsOf(self, node: n.AsOf) -> Expr:
        return Expr(_as_of, node.type, "the decision date (as_of)")

    def visit_FactRef(self, node: n.FactRef) -> Expr:
        name = node.name

        def fact(env: Env) -> Any:
            try:
                return env.facts[name]
            except KeyError:
                raise Absent(name, "fact") from None

        return Expr(fact, node.type, name, facts=frozenset([name]))

    def visit_OutcomeRef(self, node: n.OutcomeRef) -> Expr:
        name = node.name

        def outcome(env: Env) -> Any:
            try:
                return env.outcome[name]
            except KeyError:
                raise Absent(name, "outcome") from None

        return Expr(outcome, node.type, name)

    def visit_DateShift(self, node: n.DateShift) -> Expr:
        base = self.value(node.base)
        unit, sign, bfn = node.unit, node.sign, base.fn
        words = "after" if sign > 0 else "before"
        # the fact to blame when the result falls outside the supported dates
        culprit = next(iter(sorted(base.facts)), None) or (
            "as_of" if isinstance(node.base, n.AsOf) else None
        )
        step = stepper(unit)

        def shift(env: Env, start: Any, amount: int) -> Any:
            """The step again through the general function, for its own words about what
            failed."""
            duration = Duration(amount, unit)
            try:
                return add_duration(start, duration, env.calendar, env.closes_at)
            except (OverflowError, ValueError) as exc:
                raise FactsError(
                    f"{env.where}: {duration} from {start} falls outside the dates this library "
                    f"supports ({exc})",
                    fact=culprit,
                ) from None

        interps = base.interpretations | node.interpretations
        relies = base.uses_working_days_from_datetime or (
            unit == "working_days" and base.type.kind == "datetime"
        )
        if node.duration is not None:
            fixed = sign * node.duration.amount

            def arithmetic(env: Env) -> Any:
                start = bfn(env)
                try:
                    return step(start, fixed, env)
                except (OverflowError, ValueError):
                    return shift(env, start, fixed)

            text = f"{node.duration} {words} {base.text}"
            facts_used = base.facts
        else:
            assert node.amount is not None
            amount = self.value(node.amount)
            afn = amount.fn

            def arithmetic(env: Env) -> Any:
                start, amount = bfn(env), sign * afn(env)
                try:
                    return step(start, amount, env)
                except (OverflowError, ValueError):
                    return shift(env, start, amount)

            text = f"{amount.text} {unit.replace('_', ' ')} {words} {base.text}"
            facts_used = base.facts | amount.facts
            interps |= amount.interpretations
            relies = relies or amount.uses_working_days_from_datetime
        return Expr(arithmetic, node.type, text, interps, facts_used, relies)

    def visit_Comparison(self, node: n.Comparison) -> Expr:
        left, right = self.value(node.left), self.value(node.right)
        kinds = {left.type.kind, right.type.kind}
        compare, words = COMPARISONS[node.op]
        lfn, rfn = left.fn, right.fn
        if kinds <= {"date", "datetime", "moment"} and kinds != {"date"}:

            def moments(env: Env) -> bool:
                return compare(*comparable(lfn(env), rfn(env)))

            fn: Fn = moments
        else:

            def plain(env: Env) -> bool:
                return compare(lfn(env), rfn(env))

            fn = plain
        return Expr(
            fn,
            BOOL,
            f"{left.text} {words} {right.text}",
            left.interpretations | right.interpretations,
            left.facts | right.facts,
            closing_time_relied_on(left, right),
        )

    def visit_ConditionValue(self, node: n.ConditionValue) -> Expr:
        cond = self.condition(node.condition)
        return Expr(cond.fn, BOOL, cond.text, cond.interpretations, cond.facts,
                    cond.uses_working_days_from_datetime)

    def visit_Count(self, node: n.Count) -> Expr:
        inner = self.value(node.of)
        ifn = inner.fn

        def count(env: Env) -> int:
            return len(ifn(env))

        return Expr(count, INT, f"the number of {inner.text}", inner.interpretations, inner.facts,
                    inner.uses_working_days_from_datetime)

    def visit_Sample(self, node: n.Sample) -> Expr:
        key = self.value(node.key)
        salt, threshold, kfn = node.salt, int(node.percent * 100), key.fn  # hundredths of a %

        def sample(env: Env) -> bool:
            return in_sample(str(kfn(env)), salt, threshold)

        return Expr(
            sample,
            BOOL,
            f"{key.text} falls in the {node.percent}% sample (salt '{salt}')",
            key.interpretations | node.interpretations,
            key.facts,
            key.uses_working_days_from_datetime,
        )

    def visit_Choose(self, node: n.Choose) -> Expr:
        cond = self.condition(node.condition)
        yes, no = self.value(node.then), self.value(node.otherwise)
        cfn, yfn, nfn = cond.fn, yes.fn, no.fn

        def choose(env: Env) -> Any:
            return yfn(env) if cfn(env) else nfn(env)

        return Expr(
            choose,
            node.type,
            f"{yes.text} if {cond.text}, else {no.text}",
            cond.interpretations | yes.interpretations | no.interpretations,
            cond.facts | yes.facts | no.facts,
            closing_time_relied_on(cond, yes, no),
        )


def _conjunction(fns: tuple[Pred, ...]) -> Pred:
    """All of the tests, short-circuiting; two and three tests without a loop (the hot path)."""
    if len(fns) == 2:
        f1, f2 = fns

        def both(env: Env) -> bool:
            return f1(env) and f2(env)

        return both
    if len(fns) == 3:
        g1, g2, g3 = fns

        def all_three(env: Env) -> bool:
            return g1(env) and g2(env) and g3(env)

        return all_three

    def all_of(env: Env) -> bool:
        for f in fns:  # noqa: SIM110 (a plain loop: no generator on the hot path)
            if not f(env):
                return False
        return True

    return all_of


def _disjunction(fns: tuple[Pred, ...]) -> Pred:
    if len(fns) == 2:
        f1, f2 = fns

        def either(env: Env) -> bool:
            return f1(env) or f2(env)

        return either

    def any_of(env: Env) -> bool:
        for f in fns:  # noqa: SIM110 (a plain loop: no generator on the hot path)
            if f(env):
                return True
        return False

    return any_of


def _conjoined_equality(parts: list[Cond]) -> tuple[tuple[str, frozenset[Any]], ...]:
    """What a conjunction requires: its parts' requirements, up to the first part that may
    raise (a test after it might never be reached)."""
    found: dict[str, frozenset[Any]] = {}
    for part in parts:
        for fact, values in part.equality:
            found[fact] = found[fact] & values if fact in found else values
        if not part.safe:
            break
    return tuple(found.items())
