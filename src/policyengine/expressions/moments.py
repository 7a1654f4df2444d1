"""Dates and times as compiled values read them: a duration's step (its unit's checks done
once, when the value is compiled) and how two dates or date-times compare."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..durations import LONDON, add_months, received_day, to_london
from .runtime import Env


def stepper(unit: str) -> Callable[[Any, int, Env], Any]:
    """``add_duration`` for one unit, with the unit's checks done once, at compile time."""
    if unit == "working_days":

        def working_days(start: Any, n: int, env: Env) -> Any:
            if isinstance(start, dt.datetime):
                start = received_day(start, env.calendar, env.closes_at)
            return env.calendar.add_working_days(start, n)

        return working_days
    if unit in ("minutes", "hours"):
        scale = dt.timedelta(minutes=1) if unit == "minutes" else dt.timedelta(hours=1)

        def elapsed(start: Any, n: int, env: Env) -> Any:
            if not isinstance(start, dt.datetime):
                raise ValueError("elapsed time needs a date and time")
            return (to_london(start).astimezone(dt.UTC) + n * scale).astimezone(LONDON)

        return elapsed
    days = {"days": 1, "weeks": 7}.get(unit)
    months = 12 if unit == "years" else 1

    def calendar_step(start: Any, n: int, env: Env) -> Any:
        local = to_london(start).date() if isinstance(start, dt.datetime) else start
        if days is not None:
            return local + dt.timedelta(days=n * days)
        return add_months(local, n * months)

    return calendar_step


def comparable(a: Any, b: Any) -> tuple[Any, Any]:
    """Two date-times compare as instants; a date against a date-time compares London days."""
    a_dt, b_dt = isinstance(a, dt.datetime), isinstance(b, dt.datetime)
    if a_dt and b_dt:
        return _instant(a), _instant(b)
    if a_dt or b_dt:
        return _as_day(a), _as_day(b)
    return a, b


def _instant(value: Any) -> Any:
    """Aware date-times compared as instants (two London times compare by wall clock)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def _as_day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value
