"""UK working days for each of the three bank-holiday jurisdictions.

Bank holidays come from the ``holidays`` package (``country_holidays("GB", subdiv=...)``), which
knows the regular holidays, their substitute days and the proclaimed one-off days (jubilees, the
2022 state funeral, the 2023 coronation, ...). Years are generated lazily and cached.

England and Wales share one set of bank holidays, so ``"england-and-wales"`` uses the package's
``"ENG"`` subdivision; Scotland uses ``"SCT"`` and Northern Ireland ``"NIR"``.

Supported years: the ``holidays`` package only produces GB holidays for the years
``FIRST_YEAR``..``LAST_YEAR`` (1872-2100 in holidays 0.109; outside that range it silently returns
no holidays at all). Rather than treat every weekday of 2101 as a working day, every method raises
``ValueError`` when it would need a year outside that range.

Counting is done with arithmetic, never day by day: the number of Monday-Friday days up to a date
is a closed formula on the proleptic ordinal, and each year keeps a sorted list of its non-working
weekdays (bank holidays and closures) and of its working weekend days (open days), searched with
``bisect``. Adding working days walks whole years using cached per-year totals and then binary
searches inside the final year.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import holidays
from holidays.version import __version__ as _holidays_version

__all__ = [
    "CLOSURE_DAY_NAME",
    "FIRST_YEAR",
    "LAST_YEAR",
    "NATIONS",
    "WorkingCalendar",
    "add_working_days",
    "calendar_for",
    "is_working_day",
]

NATIONS: tuple[str, ...] = ("england-and-wales", "scotland", "northern-ireland")

_SUBDIVISIONS: Mapping[str, str] = {
    "england-and-wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}

CLOSURE_DAY_NAME = "organisation closure day"
"""What ``holiday_name`` returns for a declared closure day that is not also a bank holiday."""

_DATA_VERSION = f"holidays {_holidays_version}"


def _supported_years() -> tuple[int, int]:
    probe = holidays.country_holidays("GB", subdiv="ENG")
    first = max(int(probe.start_year), date.min.year)
    last = min(int(probe.end_year), date.max.year)
    return first, last


FIRST_YEAR, LAST_YEAR = _supported_years()
"""The first and last years for which the ``holidays`` package has GB bank holidays."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _check_date(day: object, what: str = "day") -> date:
    if isinstance(day, datetime):
        raise TypeError(
            f"{what} must be a date, not a datetime ({day!r}); convert it to a London local date "
            "first (see policyengine.durations.received_day)"
        )
    if not isinstance(day, date):
        raise TypeError(f"{what} must be a date, not {type(day).__name__}")
    return day


def _coerce_date(day: date | str, what: str = "day") -> date:
    if isinstance(day, str):
        if not _ISO_DATE.fullmatch(day):
            raise ValueError(f"{what} {day!r} is not an ISO date of the form YYYY-MM-DD")
        try:
            return date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"{what} {day!r} is not a real calendar date") from None
    return _check_date(day, what)


def _check_nation(nation: object) -> str:
    if not isinstance(nation, str) or nation not in _SUBDIVISIONS:
        allowed = ", ".join(repr(n) for n in NATIONS)
        raise ValueError(f"unknown nation {nation!r}; expected one of {allowed}")
    return nation


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"no bank-holiday data for the year {year}: {_DATA_VERSION} covers UK bank holidays "
            f"for {FIRST_YEAR}-{LAST_YEAR} only"
        )


@cache
def _package_holidays(subdiv: str, year: int) -> tuple[tuple[date, str], ...]:
    """Everything the package returns when asked for one year (possibly spilling into others)."""
    generated = holidays.country_holidays("GB", subdiv=subdiv, years=year)
    return tuple(sorted((day, str(name)) for day, name in generated.items()))


@cache
def _bank_holidays(subdiv: str, year: int) -> Mapping[date, str]:
    """Bank holidays falling in ``year`` (including substitute days), mapped to their names.

    The package is asked for the neighbouring years too, in case a substitute day generated for
    one year falls in the next or the previous one.
    """
    found: dict[date, str] = {}
    for source in (year - 1, year, year + 1):
        if not FIRST_YEAR <= source <= LAST_YEAR:
            continue
        for day, name in _package_holidays(subdiv, source):
            if day.year == year:
                found.setdefault(day, name)
    return found


@dataclass(frozen=True, slots=True)
class _Year:
    """Counting data for one calendar year of one calendar: its working days, in order.

    About 250 ordinals a year: counting is a bisection and finding the n-th working day an index,
    so adding working days never walks day by day.
    """

    working: list[int]  # sorted ordinals of the year's working days

    @property
    def total(self) -> int:
        """Working days in the whole year."""
        return len(self.working)

    def through(self, ordinal: int) -> int:
        """Working days from 1 January up to and including ``ordinal``."""
        return bisect_right(self.working, ordinal)

    def nth(self, count: int) -> int:
        """Ordinal of the ``count``-th working day of the year (``1 <= count <= total``)."""
        return self.working[count - 1]


class WorkingCalendar:
    """Working days (Monday-Friday, not a bank holiday, not a closure day) for one UK nation.

    ``closure_days`` are extra non-working days declared by the organisation (for example a
    Christmas Eve closure). ``open_days`` are days declared working even though they are a weekend
    day, a bank holiday or a closure day: open days win.
    """

    nation: str
    data_version: str

    def __init__(
        self,
        nation: str,
        closure_days: Iterable[date] = (),
        open_days: Iterable[date] = (),
    ) -> None:
        self.nation = _check_nation(nation)
        self.data_version = _DATA_VERSION
        self._subdiv = _SUBDIVISIONS[nation]
        self._closures: frozenset[date] = frozenset(
            _check_date(day, "closure day") for day in closure_days
        )
        self._opens: frozenset[date] = frozenset(_check_date(day, "open day") for day in open_days)
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self.nation!r}, closure_days={len(self._closures)}, "
            f"open_days={len(self._opens)}, data_version={self.data_version!r})"
        )

    @property
    def closure_days(self) -> frozenset[date]:
        return self._closures

    @property
    def open_days(self) -> frozenset[date]:
        return self._opens

    # -- per-year data -------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        _check_year(year)
        bank = _bank_holidays(self._subdiv, year)
        off = {day.toordinal() for day in bank}
        off.update(day.toordinal() for day in self._closures if day.year == year)
        opens = {day.toordinal() for day in self._opens if day.year == year}
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        working = [
            o
            for o in range(first, last + 1)
            if o in opens or ((o - 1) % 7 < 5 and o not in off)  # ordinal 1 is a Monday
        ]
        data = _Year(working)
        self._years[year] = data
        return data

    # -- single days ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Monday-Friday and neither a bank holiday nor a closure day; open days are working."""
        day = _check_date(day)
        _check_year(day.year)
        if day in self._opens:
            return True
        if day.weekday() >= 5:
            return False
        return day not in self._closures and day not in _bank_holidays(self._subdiv, day.year)

    def holiday_name(self, day: date) -> str | None:
        """The bank holiday's name, ``CLOSURE_DAY_NAME`` for a closure day, otherwise ``None``.

        Names are given for bank holidays falling on weekends too, and regardless of
        ``open_days`` (use ``is_working_day`` to know whether the day is worked). When the package
        gives one day several names they are joined with ``"; "``.
        """
        day = _check_date(day)
        _check_year(day.year)
        name = _bank_holidays(self._subdiv, day.year).get(day)
        if name is not None:
            return name
        if day in self._closures:
            return CLOSURE_DAY_NAME
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    def roll_forward(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next working day."""
        return self.add_working_days(day, 0)

    # -- counting ------------------------------------------------------------------------------

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days ``d`` with ``start < d <= end``.

        If ``end < start`` the result is minus the number of working days ``d`` with
        ``end < d <= start``.
        """
        start = _check_date(start, "start")
        end = _check_date(end, "end")
        if end < start:
            return -self._count(end, start)
        return self._count(start, end)

    def _count(self, low: date, high: date) -> int:
        """Working days in ``(low, high]``, for ``low <= high``."""
        first = self._year(low.year)
        last = self._year(high.year)
        if low.year == high.year:
            return first.through(high.toordinal()) - first.through(low.toordinal())
        middle = sum(self._year(year).total for year in range(low.year + 1, high.year))
        head = first.total - first.through(low.toordinal())
        return head + middle + last.through(high.toordinal())

    def add_working_days(self, start: date, n: int) -> date:
        """The end of the ``n``-th working day after ``start``.

        The day of ``start`` itself never counts, whatever day it is:

        * ``n >= 1``: the ``n``-th working day strictly after ``start``;
        * ``n == 0``: ``start`` if it is a working day, else the next working day;
        * ``n <= -1``: the ``|n|``-th working day strictly before ``start``.

        Raises ``ValueError`` if the answer lies outside ``FIRST_YEAR``..``LAST_YEAR``.
        """
        start = _check_date(start, "start")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n == 0:
            return start if self.is_working_day(start) else self._forward(start, 1)
        if n > 0:
            return self._forward(start, n)
        return self._backward(start, -n)

    def _forward(self, start: date, n: int) -> date:
        year = start.year
        data = self._year(year)
        done = data.through(start.toordinal())  # working days of this year up to start
        while done + n > data.total:
            n -= data.total - done
            year += 1
            data = self._year(year)
            done = 0
        return date.fromordinal(data.nth(done + n))

    def _backward(self, start: date, n: int) -> date:
        year = start.year
        data = self._year(year)
        before = data.through(start.toordinal() - 1)  # working days of this year before start
        while n > before:
            n -= before
            year -= 1
            data = self._year(year)
            before = data.total
        # The wanted day d has `n` working days in [d, ...] up to the position, so exactly
        # `before - n` working days of the year come before it.
        return date.fromordinal(data.nth(before - n + 1))


_CALENDARS: dict[str, WorkingCalendar] = {}


def calendar_for(
    nation: str,
    closure_days: Iterable[date] = (),
    open_days: Iterable[date] = (),
) -> WorkingCalendar:
    """A calendar for ``nation``; the plain calendar (no closures, no open days) is shared."""
    nation = _check_nation(nation)
    closures = list(closure_days)
    opens = list(open_days)
    if closures or opens:
        return WorkingCalendar(nation, closures, opens)
    calendar = _CALENDARS.get(nation)
    if calendar is None:
        calendar = _CALENDARS[nation] = WorkingCalendar(nation)
    return calendar


def is_working_day(day: date | str, nation: str = "england-and-wales") -> bool:
    """Whether ``day`` (a date or an ISO ``YYYY-MM-DD`` string) is a working day in ``nation``."""
    return calendar_for(nation).is_working_day(_coerce_date(day))


def add_working_days(start: date | str, n: int, nation: str = "england-and-wales") -> date:
    """``WorkingCalendar.add_working_days`` on the shared calendar for ``nation``."""
    return calendar_for(nation).add_working_days(_coerce_date(start, "start"), n)
