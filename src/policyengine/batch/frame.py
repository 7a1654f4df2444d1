"""The environment a compiled column expression reads: facts, outcomes so far, the date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..facts import ValueType
from .ops import Context
from .vectors import Const, Vec, broadcast

Pred = Callable[["Frame"], np.ndarray]
Fn = Callable[["Frame"], Vec]


class Frame(Context):
    """The columns one evaluation reads: facts, outcomes set so far, the decision date."""

    def __init__(self, ctx: Context, facts: dict[str, Vec], as_of: dt.date) -> None:
        super().__init__(ctx.n, ctx.calendar, ctx.closes_at_us)
        self.facts = facts
        self.outcomes: dict[str, Vec] = {}
        self.as_of = as_of
        self.slow = np.zeros(ctx.n, bool)

    def mark(self, rows: np.ndarray | None) -> None:
        """Rows whose answer this path cannot vouch for: they are decided row by row."""
        if rows is not None:
            self.slow |= rows

    def truth(self, vec: Vec) -> np.ndarray:
        """A true/false value as a mask: an absent value is false, as in ``holds``."""
        self.mark(vec.bad)
        if isinstance(vec, Const):
            data = np.full(self.n, bool(vec.value))
        else:
            data = broadcast(vec, self.n, "bool").data  # type: ignore[attr-defined]
        return data if vec.absent is None else data & ~vec.absent


@dataclass(frozen=True)
class VExpr:
    fn: Fn
    kind: str  # a ValueType kind; "members" for a list-of-enum fact


@dataclass
class VScope:
    facts: Mapping[str, ValueType]
    outcomes: Mapping[str, ValueType]
    interpretations: Mapping[str, Any]
    where: str
