"""Column values: what a vectorised expression computes for every row at once.

Each value carries two row masks besides its data: ``absent`` (the scalar path would raise
``Absent`` here: an optional fact not given, an outcome not set) and ``bad`` (the scalar path
would fail, or this path cannot be sure of the answer: such a row is decided row by row). A
mask of ``None`` means no row. The data of an absent or bad row is a harmless placeholder.

Kinds: :class:`Const` (one Python value for every row), :class:`Bools`, :class:`Ints`,
:class:`Days` (``datetime64[D]``), :class:`Times` (date-times as London wall-clock and/or UTC
microseconds), :class:`Texts` (enum and string values as codes into a table of strings),
:class:`Lists` (list values as codes into a table of tuples) and :class:`Members` (a list of
enum values given as a fact, as a bit set per row).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from . import london

Mask = np.ndarray | None


def either(a: Mask, b: Mask) -> Mask:
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def pick(cond: np.ndarray, a: Mask, b: Mask) -> Mask:
    """``where(cond, a, b)`` for optional masks."""
    if a is None and b is None:
        return None
    n = len(cond)
    return np.where(cond, a if a is not None else np.zeros(n, bool),
                    b if b is not None else np.zeros(n, bool))


class Vec:
    """A column value; see the module docstring."""

    absent: Mask = None
    bad: Mask = None

    def flags(self, absent: Mask, bad: Mask) -> Self:
        self.absent, self.bad = absent, bad
        return self


class Const(Vec):
    def __init__(self, value: Any) -> None:
        self.value = value


class Bools(Vec):
    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Ints(Vec):
    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Days(Vec):
    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Times(Vec):
    """Date-times: ``wall`` (London wall clock) and ``utc`` µs; either may be derived.

    ``raw_wall``: the wall times are as given (naive input), not yet normalised the way the
    scalar path reads a time in a spring-forward gap.
    """

    def __init__(self, wall: np.ndarray | None = None, utc: np.ndarray | None = None) -> None:
        self._wall = wall
        self._utc = utc
        self.raw_wall = wall is not None
        self.day_cache: dict[bool, Vec] = {}  # London days / received days (ops._days)

    @property
    def wall(self) -> np.ndarray:
        if self._wall is None:
            assert self._utc is not None
            self._wall = london.wall_from_utc(self._utc)
        return self._wall

    @property
    def utc(self) -> np.ndarray:
        if self._utc is None:
            assert self._wall is not None
            self._utc = london.utc_from_wall(self._wall)
        return self._utc

    @property
    def days(self) -> np.ndarray:
        return london.days_of(self.wall)

    def utc_at(self, rows: np.ndarray) -> np.ndarray:
        """The instants of some rows (by index), without converting the whole column."""
        if self._utc is not None:
            return np.asarray(self._utc[rows])
        assert self._wall is not None
        return london.utc_from_wall(self._wall[rows])


class Texts(Vec):
    """Strings as int32 codes into ``table`` (-1 where there is none)."""

    def __init__(self, codes: np.ndarray, table: tuple[str, ...]) -> None:
        self.codes = codes
        self.table = table

    def code_of(self, value: str) -> int:
        try:
            return self.table.index(value)
        except ValueError:
            return -2  # matches no row


class Lists(Vec):
    """Lists as int32 codes into ``table`` (-1 where there is none)."""

    def __init__(self, codes: np.ndarray, table: list[tuple[Any, ...]]) -> None:
        self.codes = codes
        self.table = table


class Members(Vec):
    """A list-of-enum fact: bit i set when ``values[i]`` is in the row's list; its length."""

    def __init__(self, bits: np.ndarray, lengths: np.ndarray, values: tuple[str, ...]) -> None:
        self.bits = bits
        self.lengths = lengths
        self.values = values

    def mask_of(self, items: list[str]) -> int:
        out = 0
        for item in items:
            out |= 1 << self.values.index(item)
        return out


def texts_of(vec: Vec, n: int) -> Texts:
    if isinstance(vec, Texts):
        return vec
    assert isinstance(vec, Const) and isinstance(vec.value, str)
    return Texts(np.zeros(n, np.int32), (vec.value,)).flags(vec.absent, vec.bad)


def lists_of(vec: Vec, n: int) -> Lists:
    if isinstance(vec, Lists):
        return vec
    assert isinstance(vec, Const) and isinstance(vec.value, list)
    return Lists(np.zeros(n, np.int32), [tuple(vec.value)]).flags(vec.absent, vec.bad)


def recode(codes: np.ndarray, mapping: list[int]) -> np.ndarray:
    """Codes through a mapping from old to new codes (-1 stays -1)."""
    if mapping == list(range(len(mapping))):
        return codes
    table = np.array([*mapping, -1], dtype=np.int32)
    return np.asarray(table[codes])


def merge_tables(a: tuple[Any, ...] | list[Any], b: tuple[Any, ...] | list[Any]) -> tuple[
    list[Any], list[int]
]:
    """A table holding both, and where each entry of ``b`` went in it."""
    out = list(a)
    index = {v: i for i, v in enumerate(out)}
    where: list[int] = []
    for value in b:
        if value not in index:
            index[value] = len(out)
            out.append(value)
        where.append(index[value])
    return out, where


def broadcast(vec: Vec, n: int, kind: str) -> Vec:
    """A constant as a column of ``kind`` (bool, int, date)."""
    if not isinstance(vec, Const):
        return vec
    value = vec.value
    out: Vec
    if kind == "bool":
        out = Bools(np.full(n, bool(value)))
    elif kind == "int":
        out = Ints(np.full(n, int(value), dtype=np.int64))
    elif kind == "date":
        out = Days(np.full(n, np.datetime64(value.isoformat(), "D")))
    else:
        raise AssertionError(kind)
    return out.flags(vec.absent, vec.bad)
