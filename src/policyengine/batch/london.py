"""Europe/London wall clock <-> UTC for whole columns, with the scalar path's exact conventions.

A date-time is held as int64 microseconds since 1970-01-01: ``utc`` (the instant) and ``wall``
(London wall-clock time, as if it were UTC). The table of the zone's offset changes is read
once from the same ``zoneinfo`` database the scalar path uses (``durations.LONDON``), so both
paths agree by construction; the batch tests check it against ``durations.to_london``.

A naive wall-clock time is read as ``durations.to_london`` reads it (``fold=0``): an ambiguous
time is the first occurrence and a time in a spring-forward gap takes the offset in force before
the change. Both come to one rule: the offset before a change applies to wall times earlier
than ``change + max(offset before, offset after)``.

Only instants in ``FIRST_FAST_YEAR``..``LAST_FAST_YEAR`` are converted here; a row outside goes
to the per-row path (``in_range`` says which).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

from ..durations import LONDON

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
FIRST_FAST_YEAR = 1900
LAST_FAST_YEAR = 2100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FIRST_US = int((dt.datetime(FIRST_FAST_YEAR, 1, 1, tzinfo=dt.UTC) - _EPOCH).total_seconds()) * (
    US_PER_SECOND
)
END_US = int((dt.datetime(LAST_FAST_YEAR + 1, 1, 1, tzinfo=dt.UTC) - _EPOCH).total_seconds()) * (
    US_PER_SECOND
)


def _offset_seconds(utc_seconds: int) -> int:
    moment = dt.datetime.fromtimestamp(utc_seconds, LONDON)
    offset = moment.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@cache
def _changes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(instants of each change in µs, offset after it in µs, wall threshold in µs).

    Index 0 is a sentinel (the offset in force at the start of the fast range).
    """
    step = 14 * 86_400  # the UK's changes are at least four weeks apart (1947: 16 Mar, 13 Apr)
    start = FIRST_US // US_PER_SECOND - 2 * 86_400
    end = END_US // US_PER_SECOND + 2 * 86_400
    instants = [np.iinfo(np.int64).min // 2]
    after = [_offset_seconds(start) * US_PER_SECOND]
    thresholds = [np.iinfo(np.int64).min // 2]
    t, here = start, _offset_seconds(start)
    while t < end:
        nxt = min(t + step, end)
        there = _offset_seconds(nxt)
        if there != here:
            low, high = t, nxt  # offset(low) == here, offset(high) == there
            while high - low > 1:
                mid = (low + high) // 2
                if _offset_seconds(mid) == here:
                    low = mid
                else:
                    high = mid
            instants.append(high * US_PER_SECOND)
            after.append(there * US_PER_SECOND)
            thresholds.append((high + max(here, there)) * US_PER_SECOND)
            here = there
        t = nxt
    return (
        np.array(instants, dtype=np.int64),
        np.array(after, dtype=np.int64),
        np.array(thresholds, dtype=np.int64),
    )


@cache
def _by_day(keyed_by: str) -> tuple[int, np.ndarray, np.ndarray]:
    """Per day: the offset in force all day, and whether a change falls inside the day.

    ``keyed_by`` is "utc" (days of UTC instants) or "wall" (days of wall-clock times, whose
    changes are at the fold=0 thresholds). Returns (first day number, offsets, changes).
    """
    instants, after, thresholds = _changes()
    keys = instants if keyed_by == "utc" else thresholds
    first = FIRST_US // US_PER_DAY - 2
    starts = np.arange(first, END_US // US_PER_DAY + 3, dtype=np.int64) * US_PER_DAY
    at_start = np.searchsorted(keys, starts, side="right") - 1
    at_end = np.searchsorted(keys, starts + US_PER_DAY - 1, side="right") - 1
    return first, after[at_start], at_start != at_end


def _offsets(values: np.ndarray, keyed_by: str) -> np.ndarray:
    """The offset (µs) in force at each value: a lookup by day, a search on change days."""
    first, by_day, changes = _by_day(keyed_by)
    day = np.floor_divide(values, US_PER_DAY) - first
    outside = (day < 0) | (day >= len(by_day))
    day = np.clip(day, 0, len(by_day) - 1)
    offsets = by_day[day]
    search = changes[day] | outside
    if search.any():
        instants, after, thresholds = _changes()
        keys = instants if keyed_by == "utc" else thresholds
        rows = np.flatnonzero(search)
        offsets[rows] = after[np.searchsorted(keys, values[rows], side="right") - 1]
    return np.asarray(offsets)


def wall_from_utc(utc: np.ndarray) -> np.ndarray:
    """London wall-clock µs for UTC instants in µs."""
    return np.asarray(utc + _offsets(utc, "utc"))


def utc_from_wall(wall: np.ndarray) -> np.ndarray:
    """UTC instants in µs for London wall-clock µs, read with ``fold=0`` as the scalar path does."""
    return np.asarray(wall - _offsets(wall, "wall"))


def in_range(us: np.ndarray) -> np.ndarray:
    """Which values (wall or UTC µs) lie in the years this module converts."""
    return (us >= FIRST_US + US_PER_DAY) & (us < END_US - US_PER_DAY)


def days_of(wall: np.ndarray) -> np.ndarray:
    """The London local dates (datetime64[D]) of wall-clock µs."""
    return np.asarray(np.floor_divide(wall, US_PER_DAY)).view("datetime64[D]")


def time_of_day(wall: np.ndarray) -> np.ndarray:
    """µs since local midnight of wall-clock µs."""
    return np.asarray(np.remainder(wall, US_PER_DAY))


def wall_us_of(moment: dt.datetime) -> int:
    """Wall-clock µs of a naive datetime (as if it were UTC)."""
    delta = moment.replace(tzinfo=dt.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def utc_us_of(moment: dt.datetime) -> int:
    """UTC µs of an aware datetime."""
    delta = moment.astimezone(dt.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def london_datetime(utc_us: int) -> dt.datetime:
    """An aware London datetime for UTC µs (what the scalar path returns)."""
    return (_EPOCH + dt.timedelta(microseconds=int(utc_us))).astimezone(LONDON)


@cache
def wall_is_local(closes_at_us: int | None) -> bool:
    """Whether a naive wall-clock time's London day, and its side of ``closes_at``, are those of
    the normalised time the scalar path reads (true unless a spring-forward gap crosses local
    midnight or the closing time)."""
    instants, after, _ = _changes()
    for i in range(1, len(instants)):
        before = int(after[i - 1])
        if int(after[i]) <= before:
            continue  # the clocks went back: no gap
        start = int(instants[i]) + before  # the gap's first wall time
        size = int(after[i]) - before
        day_start = start // US_PER_DAY
        if (start + 2 * size) // US_PER_DAY != day_start:
            return False
        if closes_at_us is not None:
            offset = start - day_start * US_PER_DAY
            if offset < closes_at_us < offset + 2 * size:
                return False
    return True
