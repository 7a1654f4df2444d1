"""Durations and deadline arithmetic in UK (Europe/London) time.

Conventions:

* A naive ``datetime`` means Europe/London wall-clock time. During a clock change a wall-clock
  time can be ambiguous (25 Oct 2026 01:30 happens twice) or non-existent (29 Mar 2026 01:30
  never happens); such times are read with ``fold=0``: an ambiguous time is the first occurrence
  (BST), and a non-existent time is taken with the offset in force before the change (GMT) and
  then normalised, so 2026-03-29 01:30 becomes 2026-03-29T02:30:00+01:00 (the same instant).
* Elapsed units (minutes, hours) are added in UTC, so across a clock change the London wall-clock
  time moves by an hour. Calendar units (days, weeks, months, years) and working days work on the
  London local date and return a ``date``.
* Results outside the range of ``datetime.date`` raise ``ValueError``.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policyengine.calendars import WorkingCalendar
from policyengine.records import record

__all__ = [
    "LONDON",
    "UNITS",
    "Duration",
    "add_duration",
    "add_months",
    "add_years",
    "format_moment",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "received_day",
    "to_london",
]

LONDON = ZoneInfo("Europe/London")

UNITS: tuple[str, ...] = ("minutes", "hours", "days", "working_days", "weeks", "months", "years")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@record
class Duration:
    """An amount of one unit from ``UNITS``, e.g. ``Duration(10, "working_days")``.

    Negative amounts are allowed and count backwards.
    """

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if not _is_int(self.amount):
            raise ValueError(
                f"duration amount must be a whole number, not {type(self.amount).__name__} "
                f"{self.amount!r}"
            )
        if self.unit not in UNITS:
            raise ValueError(
                f"unknown duration unit {self.unit!r}; expected one of {', '.join(UNITS)}"
            )

    def describe(self) -> str:
        """Human wording: ``"10 working days"``, ``"1 month"``, ``"-1 day"``."""
        words = self.unit.replace("_", " ")
        if abs(self.amount) == 1:
            words = words[:-1]  # every unit name is a plural ending in "s"
        return f"{self.amount} {words}"

    def __str__(self) -> str:
        return self.describe()


def parse_duration(mapping: Mapping[str, int]) -> Duration:
    """Build a ``Duration`` from a one-entry mapping such as ``{"working_days": 10}``."""
    if not isinstance(mapping, Mapping):
        raise ValueError(
            f"a duration must be a mapping with one unit, e.g. {{'working_days': 10}}; "
            f"got {type(mapping).__name__}"
        )
    if len(mapping) != 1:
        keys = ", ".join(repr(key) for key in mapping) or "none"
        raise ValueError(
            f"a duration must have exactly one unit (one of {', '.join(UNITS)}); got {keys}"
        )
    ((unit, amount),) = mapping.items()
    if unit not in UNITS:
        raise ValueError(f"unknown duration unit {unit!r}; expected one of {', '.join(UNITS)}")
    if not _is_int(amount):
        raise ValueError(
            f"the amount of {unit} must be a whole number, not {type(amount).__name__} {amount!r}"
        )
    return Duration(amount, unit)


def add_months(day: date, months: int) -> date:
    """Add calendar months; a day missing from the target month becomes its last day.

    31 Aug 2025 + 6 months = 28 Feb 2026; 31 Jan 2024 + 1 month = 29 Feb 2024. Negative months
    go backwards. A ``datetime`` keeps its time of day.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month_index = divmod(index, 12)
    month = month_index + 1
    if not date.min.year <= year <= date.max.year:
        raise ValueError(f"{day.isoformat()} plus {months} months is outside the supported dates")
    if day.day <= 28:  # every month has it
        return day.replace(year=year, month=month)
    last = _gregorian.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def add_years(day: date, years: int) -> date:
    """Add calendar years; 29 February becomes 28 February in a non-leap target year."""
    return add_months(day, 12 * years)


def to_london(moment: datetime) -> datetime:
    """``moment`` as an aware Europe/London datetime.

    A naive datetime is London wall-clock time, read with ``fold=0`` (see the module docstring:
    an ambiguous time is the first, BST, occurrence; a non-existent time is normalised forward by
    the size of the gap). An aware datetime is converted to London time.
    """
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, not {type(moment).__name__}")
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=LONDON, fold=0).astimezone(UTC)
        return moment.astimezone(LONDON)
    except OverflowError:
        raise ValueError(f"{moment!r} is outside the supported dates") from None


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date and time into an aware London datetime.

    Text without an offset is London wall-clock time. Date-only text is rejected: a moment needs
    a time of day.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 date-time string, not {type(text).__name__}")
    try:
        date.fromisoformat(text)
    except ValueError:
        pass
    else:
        raise ValueError(
            f"{text!r} is a date without a time; give a date and time such as "
            "'2026-03-28T12:00' (or use parse_date)"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date and time such as '2026-03-28T12:00:00+00:00'"
        ) from None
    return to_london(parsed)


def parse_date(text: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` date."""
    if not isinstance(text, str):
        raise ValueError(f"expected a YYYY-MM-DD string, not {type(text).__name__}")
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def _check_closes_at(closes_at: time | None) -> None:
    if closes_at is not None and closes_at.tzinfo is not None:
        raise ValueError("closes_at is a London wall-clock time and must not carry a tzinfo")


def received_day(moment: datetime, calendar: WorkingCalendar, closes_at: time | None) -> date:
    """The London date from which working days are counted for something arriving at ``moment``.

    The count never includes this day itself (``WorkingCalendar.add_working_days`` counts
    strictly after it), whatever kind of day it is: a receipt on a Saturday, Sunday or bank
    holiday has the next working day as day one.

    Without ``closes_at`` this is the London local date of ``moment``. With ``closes_at`` (the
    office closing time, a named interpretation of the policy), an arrival at or after that
    London wall-clock time on a working day D counts as received on D + 1 (the next calendar
    day), so the count runs from there; on a day that is not a working day the closing time
    changes nothing.
    """
    _check_closes_at(closes_at)
    local = to_london(moment)
    day = local.date()
    if closes_at is not None and local.time() >= closes_at and calendar.is_working_day(day):
        return day + timedelta(days=1)
    return day


def add_duration(
    start: date | datetime,
    duration: Duration,
    calendar: WorkingCalendar,
    closes_at: time | None = None,
) -> date | datetime:
    """The moment or day ``duration`` after ``start``.

    * minutes, hours: elapsed time; ``start`` must be a datetime; returns an aware London
      datetime.
    * days, weeks: calendar days from the London local date; returns a date.
    * working_days: ``calendar.add_working_days`` from the received day (``received_day`` with
      ``closes_at``) of a datetime start, or from a date start as given; returns a date.
    * months, years: ``add_months`` / ``add_years`` on the London local date; returns a date.

    ``closes_at`` only matters for working days from a datetime start.
    """
    if not isinstance(duration, Duration):
        raise TypeError(f"duration must be a Duration, not {type(duration).__name__}")
    _check_closes_at(closes_at)
    unit, amount = duration.unit, duration.amount
    if unit in ("minutes", "hours"):
        if not isinstance(start, datetime):
            raise ValueError(
                f"cannot add {duration} to the date {start.isoformat()}: elapsed time needs a "
                "start date and time"
            )
        step = timedelta(minutes=amount) if unit == "minutes" else timedelta(hours=amount)
        try:
            return (to_london(start).astimezone(UTC) + step).astimezone(LONDON)
        except OverflowError:
            raise ValueError(f"{start!r} plus {duration} is outside the supported dates") from None
    if unit == "working_days":
        base = received_day(start, calendar, closes_at) if isinstance(start, datetime) else start
        return calendar.add_working_days(base, amount)
    local = to_london(start).date() if isinstance(start, datetime) else start
    if unit in ("days", "weeks"):
        step = timedelta(days=amount) if unit == "days" else timedelta(weeks=amount)
        try:
            return local + step
        except OverflowError:
            raise ValueError(
                f"{local.isoformat()} plus {duration} is outside the supported dates"
            ) from None
    if unit == "months":
        return add_months(local, amount)
    return add_years(local, amount)


def format_moment(value: date | datetime) -> str:
    """``YYYY-MM-DD`` for a date; ISO 8601 London local time with its offset for a datetime."""
    if isinstance(value, datetime):
        return to_london(value).isoformat()
    return value.isoformat()
