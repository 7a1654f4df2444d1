"""The expression tree: one small class per form a ``when`` condition or a ``then`` value takes.

The parser (:mod:`.parse_conditions`, :mod:`.parse_values`) builds these from a policy's YAML,
with every name, enum value and type already checked; the code generator (:mod:`.codegen`) has
one ``visit_<Node>`` method per class here, turning each into a Python callable. Adding a form
means one node here, its parsing, and one visit method.

A value node carries its :class:`~policyengine.facts.ValueType` in ``type``. Nodes hold what
was written (lists keep their order: the wording quotes them as written).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ..durations import Duration
from ..facts import BOOL, DATE, INT, ValueType
from ..records import record

# the operator module's functions: the same comparisons, called without a Python frame
COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "on_or_before": (operator.le, "is on or before"),
    "before": (operator.lt, "is before"),
    "on_or_after": (operator.ge, "is on or after"),
    "after": (operator.gt, "is after"),
    "equal": (operator.eq, "equals"),
    "more_than": (operator.gt, "is more than"),
    "at_least": (operator.ge, "is at least"),
}

ORDER_TESTS: dict[str, tuple[Callable[[int, int], bool], str]] = {
    "at_least": (operator.ge, "is at least"),
    "at_most": (operator.le, "is at most"),
    "above": (operator.gt, "is above"),
    "below": (operator.lt, "is below"),
}


class Node:
    """A node of the expression tree."""

    __slots__ = ()


class Condition(Node):
    """A node that is true or false: a ``when``, or a part of one."""

    __slots__ = ()


class Value(Node):
    """A node that gives a value of ``type``."""

    __slots__ = ()
    type: ValueType


# --------------------------------------------------------------------------- conditions


@record(slots=True)
class Always(Condition):
    """``always: true``, an empty ``when``."""


@record(slots=True)
class AllOf(Condition):
    """A mapping's entries, a list of conditions, or ``all: [...]``: every part holds."""

    parts: tuple[Condition, ...]


@record(slots=True)
class AnyOf(Condition):
    """``any: [...]``: at least one part holds."""

    parts: tuple[Condition, ...]


@record(slots=True)
class Not(Condition):
    """``not: {...}``."""

    part: Condition


@record(slots=True)
class Holds(Condition):
    """``holds: value``: a true/false value as a condition (false when a fact it needs is
    absent)."""

    value: Value


@record(slots=True)
class Present(Condition):
    """``fact: {present: true|false}``."""

    fact: str
    want: bool


@record(slots=True)
class Equals(Condition):
    """``fact: value``."""

    fact: str
    value: Any


@record(slots=True)
class OneOf(Condition):
    """``fact: [a, b]`` or ``fact: {in: [a, b]}``."""

    fact: str
    values: tuple[Any, ...]


@record(slots=True)
class NoneOf(Condition):
    """``fact: {not_in: [a, b]}``."""

    fact: str
    values: tuple[Any, ...]


@record(slots=True)
class Ranked(Condition):
    """``fact: {at_least: value}`` (and the other ORDER_TESTS) on an ordered enum."""

    fact: str
    op: str
    value: str
    order: tuple[str, ...]  # the enum's values, lowest first


@record(slots=True)
class Ordered(Condition):
    """``fact: {at_least: limit}`` (and the other ORDER_TESTS) on a number or a date."""

    fact: str
    op: str
    limit: Any


@record(slots=True)
class Empty(Condition):
    """``list_fact: {empty: true|false}``."""

    fact: str
    want: bool


@record(slots=True)
class CountTest(Condition):
    """``list_fact: {count_at_least: n}`` or ``{count_below: n}``."""

    fact: str
    n: int
    at_least: bool


@record(slots=True)
class IncludesAny(Condition):
    """``list_fact: {includes_any: [...]}`` or ``{includes: x}``."""

    fact: str
    values: tuple[Any, ...]


@record(slots=True)
class IncludesAll(Condition):
    """``list_fact: {includes_all: [...]}``."""

    fact: str
    values: tuple[Any, ...]


@record(slots=True)
class IncludesNone(Condition):
    """``list_fact: {includes_none: [...]}``."""

    fact: str
    values: tuple[Any, ...]


# ------------------------------------------------------------------------------- values


@record(slots=True)
class Literal(Value):
    """A value written as it is: a number, text, a date, true or false."""

    value: Any
    type: ValueType


@record(slots=True)
class InterpretationRef(Value):
    """``{interpretation: name}``: the value the policy's interpretation records."""

    name: str
    value: Any
    type: ValueType


@record(slots=True)
class ListOf(Value):
    """A list of values."""

    items: tuple[Value, ...]
    type: ValueType


@record(slots=True)
class FactRef(Value):
    """``{fact: name}``."""

    name: str
    type: ValueType


@record(slots=True)
class AsOf(Value):
    """``{fact: as_of}``: the date the decision is taken on."""

    type: ValueType = DATE


@record(slots=True)
class OutcomeRef(Value):
    """``{outcome: name}``: an outcome a rule above set."""

    name: str
    type: ValueType


@record(slots=True)
class DateShift(Value):
    """``{add: duration, to: base}`` or ``{subtract: duration, from: base}``.

    The duration is fixed (``duration``) or a unit with a whole-number value (``amount``);
    ``interpretations`` are those the duration was read from.
    """

    base: Value
    unit: str
    sign: int
    duration: Duration | None
    amount: Value | None
    interpretations: frozenset[str]
    type: ValueType


@record(slots=True)
class Comparison(Value):
    """``{on_or_before: [a, b]}`` and the other COMPARISONS."""

    op: str
    left: Value
    right: Value
    type: ValueType = BOOL


@record(slots=True)
class ConditionValue(Value):
    """``{holds: condition}``: a condition as a true/false value."""

    condition: Condition
    type: ValueType = BOOL


@record(slots=True)
class Count(Value):
    """``{count: list}``: the number of items."""

    of: Value
    type: ValueType = INT


@record(slots=True)
class Sample(Value):
    """``{sample: {of: key, percent: p, salt: s}}``: a reproducible draw of ``percent`` of the
    keys (``interpretations``: the one the percentage was read from, if any)."""

    key: Value
    percent: int | float
    salt: str
    interpretations: frozenset[str]
    type: ValueType = BOOL


@record(slots=True)
class Choose(Value):
    """``{if: condition, then: value, else: value}``."""

    condition: Condition
    then: Value
    otherwise: Value
    type: ValueType
