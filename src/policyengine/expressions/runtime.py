"""What a compiled expression is, and what it reads while a decision is evaluated.

A condition compiles to a :class:`Cond` and a value to an :class:`Expr`: each holds the Python
callable (``fn``) the evaluator calls with an :class:`Env`, the expression's wording for traces,
and what it reads (facts, interpretations). :class:`Absent` is how a callable says an optional
fact or an unset outcome was needed and not there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..calendars import WorkingCalendar
from ..facts import ValueType
from ..records import record


class Env:
    """What a compiled expression reads while one decision is evaluated."""

    __slots__ = ("as_of", "calendar", "closes_at", "facts", "outcome", "where")

    def __init__(
        self,
        facts: dict[str, Any],
        as_of: dt.date,
        calendar: WorkingCalendar,
        closes_at: dt.time | None,
        where: str,
    ) -> None:
        self.facts = facts
        self.outcome: dict[str, Any] = {}
        self.as_of = as_of
        self.calendar = calendar
        self.closes_at = closes_at
        self.where = where


Fn = Callable[[Env], Any]
Pred = Callable[[Env], bool]


@record
class Expr:
    """A compiled value: its callable, its type, its wording and what it reads."""

    fn: Fn
    type: ValueType
    text: str
    interpretations: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    #: it (or a part of it, in any branch) counts working days from a date-time, so it relies
    #: on the policy's office closing time; every composite form carries its parts' flag
    uses_working_days_from_datetime: bool = False


@record
class Cond:
    """A compiled condition: its predicate, its wording and what it reads."""

    fn: Pred
    text: str
    interpretations: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    #: facts this condition requires to equal one of some values: when a fact's value is not
    #: among them, the condition is false, and evaluating it would have raised nothing
    equality: tuple[tuple[str, frozenset[Any]], ...] = ()
    #: evaluating it never raises (a plain test of a fact)
    safe: bool = False
    #: as :attr:`Expr.uses_working_days_from_datetime`: a value inside it counts working days
    #: from a date-time
    uses_working_days_from_datetime: bool = False


def closing_time_relied_on(*parts: Expr | Cond) -> bool:
    """Whether any of a composite's parts counts working days from a date-time."""
    return any(p.uses_working_days_from_datetime for p in parts)


class Absent(Exception):
    """An optional fact (or an outcome not set) that a value needed was not there.

    In a condition this makes the test false; in a ``then`` value the evaluator turns it
    into a :class:`FactsError` naming the fact.
    """

    def __init__(self, name: str, kind: str) -> None:
        super().__init__(name)
        self.name = name
        self.kind = kind


def _always(env: Env) -> bool:
    return True


#: The condition that always holds (an empty ``when``); conjunctions leave it out.
ALWAYS = Cond(_always, "always", safe=True)

#: A fact not given, as ``env.facts.get(name, MISSING)`` returns it.
MISSING = object()
