"""Working days, calendar days and months for whole columns of dates.

Working days are counted by ``numpy.busday_offset`` on a ``numpy.busdaycalendar`` built from
the policy's own :class:`~policyengine.calendars.WorkingCalendar` (its nation's bank holidays,
its closure days and its open days), over the years that calendar has holiday data for. For a
long column it is computed once per day of the column's span and looked up (``over_span``). A
weekend open day cannot be said with a weekmask, so a calendar that has one counts every day
of the week and lists every non-working day as a holiday instead (slower, same answers).

The conventions are the scalar path's (``WorkingCalendar.add_working_days``): the start day
never counts, so for n >= 1 the n-th working day after a date is ``busday_offset(start, n,
roll="backward")`` (a non-working start rolls back to the last working day before it, whose
count then starts at the day after); n == 0 is the start itself or the next working day, and
n <= -1 counts back from the first working day on or after the start. Every function returns
its answer with an ``ok`` mask: False where the scalar path would fail (a year without holiday
data, a date outside 0001..9999), so that row is decided row by row instead; ``None`` when every
row is ok (the common case, found from the column's least and greatest value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

import numpy as np

from .. import calendars
from ..calendars import WorkingCalendar

_MIN_DAY = np.datetime64("0001-01-01", "D")
_MAX_DAY = np.datetime64("9999-12-31", "D")
Ok = np.ndarray | None


def within(values: np.ndarray, low: np.generic, high: np.generic) -> Ok:
    """Which values lie in [low, high]; None if all do."""
    if len(values) == 0 or (values.min() >= low and values.max() <= high):
        return None
    return np.asarray((values >= low) & (values <= high))


def over_span(days: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn(days)``, computed once for each day from the earliest to the latest and looked up
    when that span is short beside the column (a year of cases spans about 365 days)."""
    if len(days) < 4096:
        return fn(days)
    low, high = days.min(), days.max()
    span = int((high - low).astype(np.int64)) + 1
    if span > len(days) // 4:
        return fn(days)
    table = fn(np.arange(low, high + 1))
    return np.asarray(table[(days - low).astype(np.int64)])


def both(a: Ok, b: Ok) -> Ok:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class VectorCalendar:
    """A policy calendar as a ``numpy.busdaycalendar`` over its holiday data's years."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.first = np.datetime64(f"{calendars.FIRST_YEAR:04d}-01-01", "D")
        self.last = np.datetime64(f"{calendars.LAST_YEAR:04d}-12-31", "D")
        days = np.arange(self.first, self.last + 1)
        weekend_open = any(day.weekday() >= 5 for day in calendar.open_days)
        if weekend_open:
            candidates = days
            weekmask = "1111111"
        else:
            candidates = days[(days.view(np.int64) + 3) % 7 < 5]  # 1970-01-01 was a Thursday
            weekmask = "1111100"
        closed = [day for day in candidates.tolist() if not calendar.is_working_day(day)]
        self.busdays = np.busdaycalendar(
            weekmask=weekmask, holidays=np.array(closed, dtype="datetime64[D]")
        )

    def covers(self, days: np.ndarray) -> Ok:
        return within(days, self.first, self.last)

    def is_working(self, days: np.ndarray) -> np.ndarray:
        """Working day or not; meaningful where ``covers`` holds."""
        return over_span(days, lambda d: np.asarray(np.is_busday(d, busdaycal=self.busdays)))

    def add_working_days(
        self, start: np.ndarray, n: int | np.ndarray
    ) -> tuple[np.ndarray, Ok]:
        """The n-th working day after each start (see the module docstring), and ``ok``."""
        safe = start  # outside the covered years numpy counts plain weekdays: not ok below
        if isinstance(n, np.ndarray):
            forward = np.busday_offset(safe, np.minimum(n, 0), roll="forward",
                                       busdaycal=self.busdays)
            backward = np.busday_offset(safe, np.maximum(n, 1), roll="backward",
                                        busdaycal=self.busdays)
            result = np.where(n > 0, backward, forward)
        else:
            roll: Literal["backward", "forward"] = "backward" if n > 0 else "forward"

            def offset(d: np.ndarray) -> np.ndarray:
                return np.asarray(np.busday_offset(d, n, roll=roll, busdaycal=self.busdays))

            result = over_span(safe, offset)
        return result, both(self.covers(start), self.covers(result))

    def received_days(
        self, days: np.ndarray, time_of_day_us: np.ndarray, closes_at_us: int | None
    ) -> tuple[np.ndarray, Ok]:
        """The day a date-time counts as received on: D + 1 at or after closing on a working D."""
        ok = self.covers(days)
        if closes_at_us is None:
            return days, ok
        late = (time_of_day_us >= closes_at_us) & self.is_working(days)
        return days + late.astype("timedelta64[D]"), ok


@lru_cache(maxsize=32)
def vector_calendar(calendar: WorkingCalendar) -> VectorCalendar:
    """One vector calendar per working calendar (built once: about 50 ms)."""
    return VectorCalendar(calendar)


def in_date_range(days: np.ndarray) -> Ok:
    return within(days, _MIN_DAY, _MAX_DAY)


def add_days(days: np.ndarray, n: int | np.ndarray) -> tuple[np.ndarray, Ok]:
    """Calendar days (weeks are 7 of them); ``ok`` where the result is a real date."""
    amount = n if isinstance(n, int) else n.astype(np.int64)
    with np.errstate(over="ignore"):
        result = days + np.asarray(amount).astype("timedelta64[D]")
    return result, both(in_date_range(result), in_date_range(days))


def add_months(days: np.ndarray, n: int | np.ndarray) -> tuple[np.ndarray, Ok]:
    """Calendar months; a day missing from the target month becomes its last day."""
    months = days.astype("datetime64[M]")
    day_index = (days - months.astype("datetime64[D]")).astype(np.int64)  # 0-based day
    amount = n if isinstance(n, int) else np.asarray(n, dtype=np.int64)
    target = months + np.asarray(amount).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    result = first + np.minimum(day_index, length - 1).astype("timedelta64[D]")
    ok = within(target, np.datetime64("0001-01", "M"), np.datetime64("9999-12", "M"))
    return result, both(ok, in_date_range(days))


def to_day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D")
