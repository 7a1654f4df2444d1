"""An index of a decision's rules by the facts they test for equality.

A large decision table (thousands of rules, each ``channel: email, stage: formal, ...``) need not
test every rule: a rule whose condition requires ``channel`` to be ``email`` cannot hold when it
is ``letter``. :func:`build_index` sorts the rules into a tree keyed by such facts; a lookup
gives, in rule order, only the rules that could hold (every other rule's condition is known to be
false, and testing it would have raised nothing: see ``Cond.equality`` in
:mod:`~policyengine.expressions`). Small decisions get no index: testing a few rules is faster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from heapq import merge
from typing import Any

from .records import record

#: Decisions with fewer rules are not indexed.
MIN_RULES = 24
#: A bucket of at most this many rules is tested rule by rule.
LEAF_SIZE = 8

_MISSING: Any = object()


@record
class RuleIndex:
    """A node: rules that constrain ``fact`` by value, and those that do not."""

    fact: str
    by_value: Mapping[Any, RuleIndex | tuple[int, ...]]
    rest: RuleIndex | tuple[int, ...]

    def candidates(self, facts: Mapping[str, Any]) -> Sequence[int]:
        """The rules (by index, in order) whose condition could hold for ``facts``."""
        value = facts.get(self.fact, _MISSING)
        try:
            hit = self.by_value.get(value) if value is not _MISSING else None
        except TypeError:  # an unhashable value equals no literal
            hit = None
        rest = _lookup(self.rest, facts)
        if hit is None:
            return rest
        found = _lookup(hit, facts)
        if not rest:
            return found
        if not found:
            return rest
        return tuple(merge(found, rest))


def _lookup(node: RuleIndex | tuple[int, ...], facts: Mapping[str, Any]) -> Sequence[int]:
    if isinstance(node, tuple):
        return node
    return node.candidates(facts)


def build_index(
    constraints: Sequence[Mapping[str, frozenset[Any]]],
) -> RuleIndex | None:
    """An index over rules whose conditions imply ``fact in values`` for each entry of their
    constraint mapping, or None when indexing would not pay."""
    if len(constraints) < MIN_RULES:
        return None
    node = _build(tuple(range(len(constraints))), constraints, frozenset())
    return node if isinstance(node, RuleIndex) else None


def _build(
    rules: tuple[int, ...],
    constraints: Sequence[Mapping[str, frozenset[Any]]],
    used: frozenset[str],
) -> RuleIndex | tuple[int, ...]:
    if len(rules) <= LEAF_SIZE:
        return rules
    counts: dict[str, int] = {}
    for r in rules:
        for fact in constraints[r]:
            if fact not in used:
                counts[fact] = counts.get(fact, 0) + 1
    if not counts:
        return rules
    fact = max(counts, key=lambda f: (counts[f], f))
    if counts[fact] < 2:
        return rules
    buckets: dict[Any, list[int]] = {}
    rest: list[int] = []
    for r in rules:
        values = constraints[r].get(fact)
        if values is None:
            rest.append(r)
            continue
        for v in values:
            buckets.setdefault(v, []).append(r)
    deeper = used | {fact}
    return RuleIndex(
        fact,
        {v: _build(tuple(rs), constraints, deeper) for v, rs in buckets.items()},
        _build(tuple(rest), constraints, deeper),
    )
