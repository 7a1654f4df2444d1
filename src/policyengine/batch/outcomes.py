"""Setting outcomes for the rows where a rule fired, as the scalar path's ``_merge`` does.

A rule's value replaces nothing: on a row where an earlier rule already set the outcome, a list
gains the new items it lacks (in order) and any other value must be equal, or the scalar path
raises a policy error: such a row is left to it. A ``moment`` outcome (a date for some rows, a
date-time for others) is held as :class:`Moments`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..facts import ValueType
from . import london
from .frame import Frame
from .vectors import (
    Bools,
    Const,
    Days,
    Ints,
    Lists,
    Texts,
    Times,
    Vec,
    broadcast,
    lists_of,
    merge_tables,
    recode,
    texts_of,
)


class Moments(Vec):
    """A moment outcome: the London day of every value, and the instant where it has a time."""

    def __init__(self, days: np.ndarray, utc: np.ndarray, timed: np.ndarray) -> None:
        self.days = days
        self.utc = utc
        self.timed = timed


def unset_moment(n: int) -> Moments:
    return Moments(
        np.zeros(n, "datetime64[D]"), np.zeros(n, np.int64), np.zeros(n, bool)
    ).flags(np.ones(n, bool), None)


def assign(frame: Frame, key: str, vt: ValueType, rows: np.ndarray, vec: Vec) -> None:
    """Set outcome ``key`` to ``vec`` where ``rows``; merge with earlier rules' values."""
    state = frame.outcomes[key]
    if vec.absent is not None:
        frame.mark(rows & vec.absent)  # the scalar path names the missing fact
    if vec.bad is not None:
        frame.mark(rows & vec.bad)
    assert state.absent is not None
    overlap = rows & ~state.absent
    # None: the first rule to set it on these rows, nothing to merge with
    already = overlap if overlap.any() else None
    # on every row, or on rows where nothing was set before: the value is the new column
    replaces = bool(rows.all()) or bool(state.absent.all())

    def combine(value: Any, current: np.ndarray) -> np.ndarray:
        if replaces and isinstance(value, np.ndarray):
            return value
        return np.asarray(np.where(rows, value, current))

    kind = vt.kind
    new: Vec
    if kind == "list":
        new = _union(state, rows, lists_of(vec, frame.n))
    elif kind == "moment":
        new = _moment(state, rows, vec, already, frame)
    elif kind in ("string", "enum"):
        current = texts_of(state, frame.n)
        if isinstance(vec, Const):
            table, where = merge_tables(current.table, (vec.value,))
            codes: Any = where[0]
        else:
            value = texts_of(vec, frame.n)
            table, where = merge_tables(current.table, value.table)
            codes = recode(value.codes, where)
        if already is not None:
            frame.mark(already & (codes != current.codes))
        new = Texts(combine(codes, current.codes).astype(np.int32), tuple(table))
    elif kind == "datetime":
        assert isinstance(state, Times) and isinstance(vec, Times)
        if already is not None:
            frame.mark(already & (vec.utc != state.utc))
        new = Times(utc=combine(vec.utc, state.utc))
    else:
        value_data = vec.value if isinstance(vec, Const) else vec.data  # type: ignore[attr-defined]
        if kind == "date" and isinstance(vec, Const):
            value_data = np.datetime64(value_data.isoformat(), "D")
        current_data = state.data  # type: ignore[attr-defined]
        if already is not None:
            frame.mark(already & (value_data != current_data))
        data = combine(value_data, current_data)
        new = Bools(data) if kind == "bool" else Ints(data) if kind == "int" else Days(data)
    frame.outcomes[key] = new.flags(state.absent & ~rows, None)


def _moment(
    state: Vec, rows: np.ndarray, vec: Vec, already: np.ndarray | None, frame: Frame
) -> Vec:
    assert isinstance(state, Moments)
    chosen = None if rows.all() else np.flatnonzero(rows)

    def updated(current: np.ndarray, new: Any) -> np.ndarray:
        """``current`` with the chosen rows set from ``new`` (an array or one value)."""
        out = current.copy()
        out[chosen] = new[chosen] if isinstance(new, np.ndarray) else new
        return out

    if isinstance(vec, Times):
        if already is not None:
            frame.mark(already & (~state.timed | (state.utc != vec.utc)))
        if chosen is None:
            return Moments(london.days_of(london.wall_from_utc(vec.utc)), vec.utc,
                           np.ones(frame.n, bool))
        days = state.days.copy()
        days[chosen] = london.days_of(london.wall_from_utc(vec.utc[chosen]))
        return Moments(days, updated(state.utc, vec.utc), updated(state.timed, True))
    day_vec = broadcast(vec, frame.n, "date")
    assert isinstance(day_vec, Days)
    if already is not None:
        frame.mark(already & (state.timed | (state.days != day_vec.data)))
    if chosen is None:
        return Moments(day_vec.data, state.utc, np.zeros(frame.n, bool))
    return Moments(updated(state.days, day_vec.data), state.utc, updated(state.timed, False))


def merged(current: tuple[Any, ...] | None, value: tuple[Any, ...]) -> tuple[Any, ...]:
    """The scalar ``_merge`` of two lists: a first value as it is, later ones' new items."""
    if current is None:
        return value
    out = list(current)
    for item in value:
        if item not in out:
            out.append(item)
    return tuple(out)


def _union(state: Vec, rows: np.ndarray, value: Lists) -> Lists:
    assert isinstance(state, Lists)
    width = max(len(value.table), 1)
    key = (state.codes.astype(np.int64) + 1) * width + np.maximum(value.codes, 0)
    size = (len(state.table) + 1) * width
    chosen = key[rows]
    if size <= 1 << 20:
        seen = np.zeros(size, bool)
        seen[chosen] = True
        used = np.flatnonzero(seen)
    else:
        used = np.unique(chosen)
    table = list(state.table)
    index = {entry: i for i, entry in enumerate(table)}
    lookup = np.full(size if size <= 1 << 20 else 0, -1, np.int32)
    codes_for: dict[int, int] = {}
    for k in used.tolist():
        old, new = divmod(k, width)
        result = merged(state.table[old - 1] if old > 0 else None, value.table[new])
        code = index.get(result)
        if code is None:
            code = index[result] = len(table)
            table.append(result)
        codes_for[k] = code
        if len(lookup):
            lookup[k] = code
    if len(lookup):
        mapped = lookup[key]
    else:
        mapped = np.array([codes_for.get(k, -1) for k in key.tolist()], dtype=np.int32)
    return Lists(np.where(rows, mapped, state.codes).astype(np.int32), table)

