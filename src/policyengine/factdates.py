"""Dates and date-times in facts: parsing, the reasons a value is not one, and London time.

``date_reason`` and ``datetime_reason`` say why a value is not a date (``YYYY-MM-DD``) or a date
and time (ISO 8601; London time unless an offset is given), in words for the person who wrote the
facts. :func:`london` is ``durations.to_london`` made quick for the usual case.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .durations import LONDON, to_london
from .reprs import short_repr

#: The longest date-time string read (the longest ISO 8601 form has about 40 characters).
MAX_DATETIME_TEXT = 64

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_date_from = dt.date.fromisoformat
_datetime_from = dt.datetime.fromisoformat


def london(moment: dt.datetime) -> dt.datetime:
    """``durations.to_london(moment)``, quicker for the usual case: a naive London time that is
    not in an hour the clocks skip is the same wall-clock time marked as London time (an hour
    that happens twice is read as its first occurrence, fold 0, as ``to_london`` reads it)."""
    if moment.tzinfo is None and 1 < moment.year < 9999:
        gaps = _GAPS.get(moment.year)
        if gaps is None:
            gaps = _GAPS[moment.year] = _skipped_hours(moment.year)
        for start, end in gaps:
            if start <= moment < end:
                return to_london(moment)
        return moment.replace(tzinfo=LONDON, fold=0)
    return to_london(moment)  # another zone, or the edges of time: the general function


_GAPS: dict[int, tuple[tuple[dt.datetime, dt.datetime], ...]] = {}


def _skipped_hours(year: int) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The naive London wall-clock intervals of ``year`` that never happen (clocks going
    forward), found from the zone's own rules: day by day, then to the second."""

    def offset(instant: dt.datetime) -> dt.timedelta:
        found = instant.replace(tzinfo=dt.UTC).astimezone(LONDON).utcoffset()
        assert found is not None
        return found

    gaps = []
    day = dt.datetime(year, 1, 1) - dt.timedelta(days=1)
    last = dt.datetime(year, 12, 31) + dt.timedelta(days=1)
    before = offset(day)
    while day < last:
        following = day + dt.timedelta(days=1)
        after = offset(following)
        if after > before:  # the clocks went forward during this day: find the second
            low, high = day, following
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if offset(middle) == before:
                    low = middle
                else:
                    high = middle
            gaps.append((high + before, high + after))
        before, day = after, following
    return tuple(gaps)


def date_reason(value: Any) -> tuple[dt.date | None, str]:
    """``(the date, "")`` or ``(None, why it is not a date YYYY-MM-DD)``."""
    if isinstance(value, dt.datetime):
        return None, "expected a date YYYY-MM-DD, got a date and time"
    if isinstance(value, dt.date):
        return value, ""
    if isinstance(value, str):
        if not ISO_DATE.fullmatch(value):
            return None, f"{short_repr(value)} is not a date of the form YYYY-MM-DD"
        try:
            return _date_from(value), ""
        except ValueError:
            return None, f"{short_repr(value)} is not a real calendar date"
    return None, "expected a date YYYY-MM-DD"


def datetime_reason(value: Any, convert: bool = True) -> tuple[dt.datetime | None, str]:
    """``(the moment, "")`` or ``(None, why it is not a date and time)``.

    With ``convert`` the moment is an aware London datetime; without, it is as parsed (the
    conversion left for later) unless it lies where conversion could fail.
    """
    if isinstance(value, str):
        text = str.__str__(value)
        if len(text) > MAX_DATETIME_TEXT:
            return None, (f"{short_repr(text)} is not a date and time in ISO 8601 (it is longer "
                          f"than {MAX_DATETIME_TEXT} characters)")
        try:
            _date_from(text)
        except ValueError:
            pass
        else:
            return None, (f"{short_repr(text)} is a date without a time of day; give a date and "
                          "time such as 2026-03-28T12:00")
        try:
            value = _datetime_from(text)
        except ValueError:
            return None, (f"{short_repr(text)} is not a date and time in ISO 8601, such as "
                          "2026-03-28T12:00 or 2026-03-28T12:00:00+01:00")
    elif not isinstance(value, dt.datetime):
        return None, "expected a date and time in ISO 8601, e.g. 2026-03-30T09:15:00"
    if not convert and 1 < value.year < 9999:
        return value, ""
    try:
        return to_london(value), ""
    except ValueError:
        return None, f"{short_repr(value)} is outside the supported dates"
