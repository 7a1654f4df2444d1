"""Operations on column values: date arithmetic, comparisons and choosing between two values.

Each follows the scalar path's reading (``expressions`` and ``durations``): working days from
a date-time count from the day it is received on (the office closing time moves a receipt at
or after it on a working day to the next calendar day), other calendar units from its London
local date, hours and minutes as elapsed time; two date-times compare as instants, a date
against a date-time by London day.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from . import london, workdays
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
    either,
    lists_of,
    merge_tables,
    pick,
    recode,
    texts_of,
)
from .workdays import Ok, VectorCalendar, within

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "on_or_before": operator.le,
    "before": operator.lt,
    "on_or_after": operator.ge,
    "after": operator.gt,
    "equal": operator.eq,
    "more_than": operator.gt,
    "at_least": operator.ge,
}
_STEP_US = {"minutes": 60 * london.US_PER_SECOND, "hours": 3600 * london.US_PER_SECOND}


class Context:
    """What the operations need besides their operands: the row count and the calendar.

    ``focus``: while a rule's values are computed, the rows where the rule fired (no other
    row's value is used), so costly arithmetic runs on those rows only.
    """

    def __init__(self, n: int, calendar: VectorCalendar, closes_at_us: int | None) -> None:
        self.n = n
        self.calendar = calendar
        self.closes_at_us = closes_at_us
        self.focus: np.ndarray | None = None


def local_wall(times: Times, closes_at_us: int | None) -> np.ndarray:
    """London wall-clock µs as the scalar path normalises them (a gap time moves forward)."""
    if times.raw_wall and not london.wall_is_local(closes_at_us):
        return london.wall_from_utc(times.utc)
    return times.wall


def _days(vec: Vec, ctx: Context, with_closing: bool = False) -> Days:
    if isinstance(vec, Days):
        return vec
    if isinstance(vec, Const):
        out = broadcast(vec, ctx.n, "date")
        assert isinstance(out, Days)
        return out
    assert isinstance(vec, Times)
    cached = vec.day_cache.get(with_closing)  # several rules count from the same date-time
    if cached is not None:
        assert isinstance(cached, Days)
        return cached
    wall = local_wall(vec, ctx.closes_at_us if with_closing else None)
    days = london.days_of(wall)
    if not with_closing:
        out = Days(days).flags(vec.absent, vec.bad)
    else:
        received, ok = ctx.calendar.received_days(days, london.time_of_day(wall),
                                                  ctx.closes_at_us)
        out = Days(received).flags(vec.absent, vec.bad if ok is None else either(vec.bad, ~ok))
    vec.day_cache[with_closing] = out
    return out


def _calendar_arithmetic(
    unit: str, days: np.ndarray, count: int | np.ndarray, ctx: Context
) -> tuple[np.ndarray, Ok]:
    if unit == "working_days":
        return ctx.calendar.add_working_days(days, count)
    if unit in ("days", "weeks"):
        return workdays.add_days(days, count if unit == "days" else count * 7)
    return workdays.add_months(days, count if unit == "months" else count * 12)


def _focused(
    unit: str, days: np.ndarray, count: int | np.ndarray, ctx: Context
) -> tuple[np.ndarray, Ok]:
    """Calendar arithmetic on the focus rows only (the rest keep their start day, and ok)."""
    focus = ctx.focus
    if focus is None or unit in ("days", "weeks"):
        return _calendar_arithmetic(unit, days, count, ctx)
    chosen = np.flatnonzero(focus)
    if len(chosen) > 0.7 * len(days):
        return _calendar_arithmetic(unit, days, count, ctx)
    part, part_ok = _calendar_arithmetic(
        unit, days[chosen], count if isinstance(count, int) else count[chosen], ctx
    )
    result = days.copy()
    result[chosen] = part
    if part_ok is None:
        return result, None
    ok = np.ones(len(days), bool)
    ok[chosen] = part_ok
    return result, ok


def _elapsed(base: Times, step: int, count: int | np.ndarray, ctx: Context) -> Times:
    """``count`` steps of elapsed time after each instant (on the focus rows, if any)."""
    chosen = None if ctx.focus is None else np.flatnonzero(ctx.focus)
    if chosen is not None and len(chosen) > 0.7 * ctx.n:
        chosen = None
    if chosen is None:
        utc = base.utc + np.asarray(count, dtype=np.int64) * step
    else:
        part = np.asarray(count if isinstance(count, int) else count[chosen], dtype=np.int64)
        utc = np.zeros(ctx.n, np.int64)
        utc[chosen] = base.utc_at(chosen) + part * step
    inside = within(utc, np.int64(london.FIRST_US + london.US_PER_DAY),
                    np.int64(london.END_US - london.US_PER_DAY - 1))
    if inside is None:
        return Times(utc=utc)
    return Times(utc=np.where(inside, utc, 0)).flags(None, ~inside)


def shift(base: Vec, unit: str, amount: int | Vec, ctx: Context) -> Vec:
    """``amount`` units after ``base`` (a negative amount goes back)."""
    if isinstance(base, Const) and isinstance(amount, int):
        one = Context(1, ctx.calendar, ctx.closes_at_us)
        single = shift(broadcast(base, 1, "date"), unit, amount, one)
        assert isinstance(single, Days)
        if single.bad is not None and bool(single.bad[0]):
            return Days(np.full(ctx.n, single.data[0])).flags(base.absent, np.ones(ctx.n, bool))
        return Const(dt.date.fromisoformat(str(single.data[0])))
    if isinstance(amount, Vec):
        count: int | np.ndarray = broadcast(amount, ctx.n, "int").data  # type: ignore[attr-defined]
        absent, bad = either(base.absent, amount.absent), either(base.bad, amount.bad)
    else:
        count, absent, bad = amount, base.absent, base.bad
    if unit in _STEP_US:
        assert isinstance(base, Times)
        moved = _elapsed(base, _STEP_US[unit], count, ctx)
        return moved.flags(absent, either(bad, moved.bad))
    days = _days(base, ctx, with_closing=unit == "working_days")
    bad = either(bad, days.bad)
    result, ok = _focused(unit, days.data, count, ctx)
    if ok is None:
        return Days(result).flags(absent, bad)
    safe = np.where(ok, result, np.datetime64("2000-01-03", "D"))
    return Days(safe).flags(absent, either(bad, ~ok))


def _operands(a: Vec, b: Vec, ctx: Context) -> tuple[Any, Any]:
    """Comparable arrays (or scalars) for two values of the same or mixed time kinds."""
    times = isinstance(a, Times) or isinstance(b, Times)
    if isinstance(a, Times) and isinstance(b, Times):
        return a.utc, b.utc
    if times:
        return _time_operand(a, ctx), _time_operand(b, ctx)
    return _plain(a), _plain(b)


def _time_operand(vec: Vec, ctx: Context) -> Any:
    if isinstance(vec, Const):
        return np.datetime64(vec.value.isoformat(), "D")
    return _days(vec, ctx).data


def _plain(vec: Vec) -> Any:
    if isinstance(vec, Const):
        value = vec.value
        if isinstance(value, dt.date):
            return np.datetime64(value.isoformat(), "D")
        return value
    if isinstance(vec, Bools | Ints | Days):
        return vec.data
    raise AssertionError(type(vec))


def compare(op: str, a: Vec, b: Vec, ctx: Context) -> Vec:
    absent, bad = either(a.absent, b.absent), either(a.bad, b.bad)
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(bool(COMPARE[op](a.value, b.value))).flags(absent, bad)
    if op == "equal" and (isinstance(a, Texts) or isinstance(b, Texts)):
        ta, tb = texts_of(a, ctx.n), texts_of(b, ctx.n)
        _, where = merge_tables(ta.table, tb.table)
        same = ta.codes == recode(tb.codes, where)
        return Bools(same & (ta.codes >= 0)).flags(absent, bad)
    left, right = _operands(a, b, ctx)
    result = np.asarray(COMPARE[op](left, right))
    if result.ndim == 0:
        result = np.full(ctx.n, bool(result))
    return Bools(result).flags(absent, bad)


def choose(cond: np.ndarray, yes: Vec, no: Vec, kind: str, ctx: Context) -> Vec:
    """``yes`` where ``cond`` holds, else ``no`` (only the chosen side's flags count)."""
    absent, bad = pick(cond, yes.absent, no.absent), pick(cond, yes.bad, no.bad)
    if isinstance(yes, Const) and isinstance(no, Const) and yes.value == no.value and (
        type(yes.value) is type(no.value)
    ):
        return Const(yes.value).flags(absent, bad)
    if kind in ("bool", "int", "date"):
        y, n = broadcast(yes, ctx.n, kind), broadcast(no, ctx.n, kind)
        data = np.asarray(np.where(cond, y.data, n.data))  # type: ignore[attr-defined]
        out: Vec = Bools(data) if kind == "bool" else Ints(data) if kind == "int" else Days(data)
        return out.flags(absent, bad)
    if kind == "datetime":
        assert isinstance(yes, Times) and isinstance(no, Times)
        return Times(utc=np.where(cond, yes.utc, no.utc)).flags(absent, bad)
    if kind in ("string", "enum"):
        ty, tn = texts_of(yes, ctx.n), texts_of(no, ctx.n)
        table, where = merge_tables(ty.table, tn.table)
        codes = np.where(cond, ty.codes, recode(tn.codes, where))
        return Texts(codes.astype(np.int32), tuple(table)).flags(absent, bad)
    assert kind == "list"
    ly, ln = lists_of(yes, ctx.n), lists_of(no, ctx.n)
    ltable, lwhere = merge_tables(ly.table, ln.table)
    codes = np.where(cond, ly.codes, recode(ln.codes, lwhere))
    return Lists(codes.astype(np.int32), ltable).flags(absent, bad)
