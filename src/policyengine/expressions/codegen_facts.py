"""The code generator's visit methods for the tests on one fact (the leaves of a condition).

Each returns a :class:`~.runtime.Cond` whose predicate reads ``env.facts`` directly: a fact not
given makes the test false (``MISSING``), and a test of a validated fact never raises, so each
is ``safe``. Tests of a fact's equality also say which values they require (``equality``), for
the rule index. :class:`~.codegen.CodeGenerator` completes this class with the rest.
"""

from __future__ import annotations

from .nodes import (
    ORDER_TESTS,
    CountTest,
    Empty,
    Equals,
    IncludesAll,
    IncludesAny,
    IncludesNone,
    NoneOf,
    OneOf,
    Ordered,
    Present,
    Ranked,
)
from .runtime import MISSING, Cond, Env
from .scope import fmt


class FactTestGenerator:
    """``visit_<Node>`` for each test on one fact."""

    def visit_Present(self, node: Present) -> Cond:
        name, want = node.fact, node.want

        def present(env: Env) -> bool:
            return (name in env.facts) is want

        return Cond(present, f"{name} is {'given' if want else 'not given'}",
                    facts=frozenset([name]), safe=True)

    def visit_Equals(self, node: Equals) -> Cond:
        name, target = node.fact, node.value

        def equals(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and v == target

        return Cond(equals, f"{name} is {fmt(target)}", facts=frozenset([name]),
                    equality=((name, frozenset([target])),), safe=True)

    def visit_OneOf(self, node: OneOf) -> Cond:
        name, members = node.fact, frozenset(node.values)

        def one_of(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and v in members

        return Cond(one_of, f"{name} is one of {fmt(list(node.values))}", facts=frozenset([name]),
                    equality=((name, members),), safe=True)

    def visit_NoneOf(self, node: NoneOf) -> Cond:
        name, members = node.fact, frozenset(node.values)

        def none_of(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and v not in members

        return Cond(none_of, f"{name} is not one of {fmt(list(node.values))}",
                    facts=frozenset([name]), safe=True)

    def visit_Ranked(self, node: Ranked) -> Cond:
        name = node.fact
        compare, words = ORDER_TESTS[node.op]
        ranks = {v: i for i, v in enumerate(node.order)}
        bound = ranks[node.value]

        def ranked(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and compare(ranks[v], bound)

        return Cond(ranked, f"{name} {words} {node.value}", facts=frozenset([name]), safe=True)

    def visit_Ordered(self, node: Ordered) -> Cond:
        name, limit = node.fact, node.limit
        compare, words = ORDER_TESTS[node.op]

        def ordered(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and compare(v, limit)

        return Cond(ordered, f"{name} {words} {fmt(limit)}", facts=frozenset([name]), safe=True)

    def visit_Empty(self, node: Empty) -> Cond:
        name, want = node.fact, node.want

        def empty(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and (len(v) == 0) is want

        return Cond(empty, f"{name} is {'empty' if want else 'not empty'}",
                    facts=frozenset([name]), safe=True)

    def visit_CountTest(self, node: CountTest) -> Cond:
        name, n, at_least = node.fact, node.n, node.at_least

        def count(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and ((len(v) >= n) is at_least)

        words = "at least" if at_least else "fewer than"
        return Cond(count, f"{name} has {words} {n} items", facts=frozenset([name]), safe=True)

    def visit_IncludesAny(self, node: IncludesAny) -> Cond:
        name, wanted = node.fact, frozenset(node.values)

        def inc_any(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and not wanted.isdisjoint(v)

        return Cond(inc_any, f"{name} includes any of {fmt(list(node.values))}",
                    facts=frozenset([name]), safe=True)

    def visit_IncludesAll(self, node: IncludesAll) -> Cond:
        name, wanted = node.fact, frozenset(node.values)

        def inc_all(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and wanted.issubset(v)

        return Cond(inc_all, f"{name} includes all of {fmt(list(node.values))}",
                    facts=frozenset([name]), safe=True)

    def visit_IncludesNone(self, node: IncludesNone) -> Cond:
        name, wanted = node.fact, frozenset(node.values)

        def inc_none(env: Env) -> bool:
            v = env.facts.get(name, MISSING)
            return v is not MISSING and wanted.isdisjoint(v)

        return Cond(inc_none, f"{name} includes none of {fmt(list(node.values))}",
                    facts=frozenset([name]), safe=True)
