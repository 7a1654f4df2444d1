"""UK working days for each of the three bank-holiday jurisdictions.

Bank holidays come from the ``holidays`` package: the regular holidays, their substitute days
and the proclaimed one-off days (jubilees, the 2022 state funeral, the 2023 coronation, ...).
When the installed package is the version the shipped table :mod:`policyengine._bank_holidays`
was generated from (by ``scripts/build_holiday_table.py``; ``tests/test_holiday_table.py`` proves
the two equal), the table is used and the package is never imported (it imports every country's
rules); with any other version the package itself is asked. ``data_version`` names the package
version the days came from.

England and Wales share one set of bank holidays (the package's ``"ENG"`` subdivision); Scotland
uses ``"SCT"`` and Northern Ireland ``"NIR"``.

Supported years: ``FIRST_YEAR``..``LAST_YEAR``, the years the package covers (1872-2100). Rather
than treat every weekday of 2101 as a working day, every method refuses a date outside them.

Counting is arithmetic, never day by day, and costs the same for any number of days: each year
keeps the sorted list of its working days (built when first needed), and each calendar keeps
the number of working days before every year (an index of about 230 entries, built once from
closed formulas: weekdays less weekday holidays and closures, plus weekend open days). The n-th
working day after a date is one look-up in the index and one in the year's list.

Bad input is a :class:`~policyengine.errors.FactsError` naming the argument (it is also a
``ValueError`` or ``TypeError``, as before).
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from . import _bank_holidays as _table
from .errors import FactsError
from .reprs import short_repr
from .runtime import installed_version

__all__ = [
    "CLOSURE_DAY_NAME",
    "FIRST_YEAR",
    "LAST_YEAR",
    "NATIONS",
    "CalendarError",
    "CalendarTypeError",
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

def installed_holidays_version() -> str | None:
    """The version of the installed ``holidays`` distribution, read from its metadata without
    importing it (or ``importlib.metadata``, which costs more than the table saves)."""
    return installed_version("holidays", "holidays")


#: Whether the shipped table is the installed package's data (else the package is asked).
USES_TABLE = installed_holidays_version() == _table.DATA_VERSION


def _import_holidays() -> Any:
    """The ``holidays`` package, imported without the notices some releases print at import
    (0.62's FutureIncompatibilityWarning about its versioning): they are not the app's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"holidays(\.|$)")
        import holidays
    return holidays


def _package_years() -> tuple[str, int, int]:
    holidays = _import_holidays()
    from holidays.version import __version__

    probe = holidays.country_holidays("GB", subdiv="ENG")
    first = max(int(probe.start_year), date.min.year)
    last = min(int(probe.end_year), date.max.year)
    return str(__version__), first, last


_VERSION, FIRST_YEAR, LAST_YEAR = (
    (_table.DATA_VERSION, _table.FIRST_YEAR, _table.LAST_YEAR) if USES_TABLE else _package_years()
)
"""The first and last years for which the ``holidays`` package has GB bank holidays."""
_DATA_VERSION = f"holidays {_VERSION}"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class CalendarError(FactsError, ValueError):
    """A date the calendar cannot take: not a real date, or outside the holiday data."""

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), str(self), self.fact, self.allowed))


class CalendarTypeError(FactsError, TypeError):
    """An argument of the wrong type: a date-time or a string where a date is needed, a count
    that is not a whole number."""

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), str(self), self.fact, self.allowed))


def _rebuild(cls: type[FactsError], message: str, fact: str | None, allowed: list[str] | None
             ) -> FactsError:
    return cls(message, fact=fact, allowed=allowed)


def _check_date(day: object, what: str = "day") -> date:
    if day.__class__ is date:
        return day
    if isinstance(day, datetime):
        raise CalendarTypeError(
            f"{what} must be a date, not a date and time ({short_repr(day)}); give the London "
            "date it falls on",
            fact=what,
        )
    if not isinstance(day, date):
        raise CalendarTypeError(f"{what} must be a date, not {type(day).__name__}", fact=what)
    return day


def _coerce_date(day: object, what: str = "day") -> date:
    if isinstance(day, str):
        if not _ISO_DATE.fullmatch(day):
            raise CalendarError(
                f"{what} {short_repr(day)} is not a date of the form YYYY-MM-DD", fact=what
            )
        try:
            return date.fromisoformat(day)
        except ValueError:
            raise CalendarError(f"{what} {short_repr(day)} is not a real calendar date",
                                fact=what) from None
    return _check_date(day, what)


def _check_nation(nation: object) -> str:
    if not isinstance(nation, str) or nation not in _SUBDIVISIONS:
        allowed = ", ".join(repr(n) for n in NATIONS)
        raise CalendarError(f"unknown nation {short_repr(nation)}; expected one of {allowed}",
                            fact="nation", allowed=NATIONS)
    return nation


def _check_year(year: int, what: str = "day") -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(
            f"no bank-holiday data for the year {year}: {_DATA_VERSION} covers UK bank holidays "
            f"for {FIRST_YEAR}-{LAST_YEAR} only",
            fact=what,
        )


@cache
def _all_bank_holidays(subdiv: str) -> Mapping[date, str]:
    """Every bank holiday of the supported years, in order, with its name."""
    if USES_TABLE:
        names = _table.NAMES
        return {date.fromordinal(o): names[n] for o, n in _table.DAYS[subdiv]}
    return package_bank_holidays(subdiv, FIRST_YEAR, LAST_YEAR)


def package_bank_holidays(subdiv: str, first: int, last: int) -> dict[date, str]:
    """The bank holidays of ``first``..``last`` as the ``holidays`` package gives them: each year
    asked for on its own (a substitute day for one year may fall in the next), the first name
    given to a day kept. The table is generated with this function."""
    holidays = _import_holidays()

    found: dict[date, str] = {}
    for year in range(first, last + 1):
        generated = holidays.country_holidays("GB", subdiv=subdiv, years=year)
        for day, name in sorted((d, str(n)) for d, n in generated.items()):
            if first <= day.year <= last:
                found.setdefault(day, name)
    return dict(sorted(found.items()))


@cache
def _holidays_by_year(subdiv: str) -> Mapping[int, Mapping[date, str]]:
    years: dict[int, dict[date, str]] = {}
    for day, name in _all_bank_holidays(subdiv).items():
        years.setdefault(day.year, {})[day] = name
    return years


_NONE: Mapping[date, str] = {}


def _bank_holidays(subdiv: str, year: int) -> Mapping[date, str]:
    """Bank holidays falling in ``year`` (including substitute days), mapped to their names."""
    return _holidays_by_year(subdiv).get(year, _NONE)


def _weekdays_through(ordinal: int) -> int:
    """Monday-Friday days with an ordinal from 1 to ``ordinal`` (ordinal 1 is a Monday)."""
    return (ordinal // 7) * 5 + min(ordinal % 7, 5)


class WorkingCalendar:
    """Working days (Monday-Friday, not a bank holiday, not a closure day) for one UK nation.

    ``closure_days`` are extra non-working days declared by the organisation (for example a
    Christmas Eve closure). ``open_days`` are days declared working even though they are a weekend
    day, a bank holiday or a closure day: open days win.
    """

    __slots__ = ("_closures", "_nation", "_off", "_opens", "_start", "_subdiv", "_years")

    def __init__(
        self,
        nation: str,
        closure_days: Iterable[date] = (),
        open_days: Iterable[date] = (),
    ) -> None:
        self._nation = _check_nation(nation)
        self._subdiv = _SUBDIVISIONS[nation]
        self._closures: frozenset[date] = frozenset(
            _check_date(day, "closure day") for day in closure_days
        )
        self._opens: frozenset[date] = frozenset(_check_date(day, "open day") for day in open_days)
        self._years: dict[int, list[int]] = {}  # year -> sorted ordinals of its working days
        self._off: dict[int, frozenset[int]] = {}  # year -> ordinals of its weekday days off
        self._start: list[int] | None = None  # working days before 1 January of each year

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self._nation!r}, closure_days={len(self._closures)}, "
            f"open_days={len(self._opens)}, data_version={_DATA_VERSION!r})"
        )

    @property
    def nation(self) -> str:
        return self._nation

    @property
    def data_version(self) -> str:
        """The version of the ``holidays`` package the bank-holiday table was generated from."""
        return _DATA_VERSION

    @property
    def closure_days(self) -> frozenset[date]:
        return self._closures

    @property
    def open_days(self) -> frozenset[date]:
        return self._opens

    # -- per-year data -------------------------------------------------------------------------

    def _year(self, year: int) -> list[int]:
        """The sorted ordinals of the working days of ``year``."""
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
        self._years[year] = working
        return working

    def _starts(self) -> list[int]:
        """Working days before 1 January of each year from FIRST_YEAR to LAST_YEAR + 1."""
        starts = self._start
        if starts is not None:
            return starts
        per_year: dict[int, int] = {}
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            first = date(year, 1, 1).toordinal()
            last = date(year, 12, 31).toordinal()
            per_year[year] = _weekdays_through(last) - _weekdays_through(first - 1)
        off: set[date] = set(_all_bank_holidays(self._subdiv)) | self._closures
        for day in off:
            if day.weekday() < 5 and day not in self._opens and FIRST_YEAR <= day.year <= LAST_YEAR:
                per_year[day.year] -= 1
        for day in self._opens:  # a weekday open day was never taken off
            if day.weekday() >= 5 and FIRST_YEAR <= day.year <= LAST_YEAR:
                per_year[day.year] += 1
        starts = [0]
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            starts.append(starts[-1] + per_year[year])
        self._start = starts
        return starts

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

    def _through(self, ordinal: int, year: int) -> int:
        """Working days from the first supported year up to and including ``ordinal``."""
        return self._starts()[year - FIRST_YEAR] + bisect_right(self._year(year), ordinal)

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days ``d`` with ``start < d <= end``.

        If ``end < start`` the result is minus the number of working days ``d`` with
        ``end < d <= start``.
        """
        start = _check_date(start, "start")
        end = _check_date(end, "end")
        _check_year(start.year, "start")
        _check_year(end.year, "end")
        return (self._through(end.toordinal(), end.year)
                - self._through(start.toordinal(), start.year))

    def add_working_days(self, start: date, n: int) -> date:
        """The end of the ``n``-th working day after ``start``.

        The day of ``start`` itself never counts, whatever day it is:

        * ``n >= 1``: the ``n``-th working day strictly after ``start``;
        * ``n == 0``: ``start`` if it is a working day, else the next working day;
        * ``n <= -1``: the ``|n|``-th working day strictly before ``start``.

        Raises :class:`CalendarError` if the answer lies outside ``FIRST_YEAR``..``LAST_YEAR``.
        """
        start = _check_date(start, "start")
        if n.__class__ is not int:
            if isinstance(n, bool) or not isinstance(n, int):
                raise CalendarTypeError(f"n must be a whole number, not {type(n).__name__}",
                                        fact="n")
            n = int.__int__(n)
        year = start.year
        if not FIRST_YEAR <= year <= LAST_YEAR:
            _check_year(year, "start")
        ordinal = start.toordinal()
        working = self._years.get(year) or self._year(year)
        if n > 0:
            k = bisect_right(working, ordinal) + n  # the k-th working day of the year
        elif n == 0:
            k = bisect_left(working, ordinal) + 1  # start itself, or the next working day
        else:
            k = bisect_left(working, ordinal) + n + 1
        if 1 <= k <= len(working):
            return date.fromordinal(working[k - 1])
        # another year: find it in the index of working days before each year
        starts = self._starts()
        target = starts[year - FIRST_YEAR] + k  # counted from the first supported year
        if not 1 <= target <= starts[-1]:
            edge = LAST_YEAR + 1 if target > starts[-1] else FIRST_YEAR - 1
            _check_year(edge, "n")
        index = bisect_left(starts, target) - 1
        found = self._year(FIRST_YEAR + index)
        return date.fromordinal(found[target - starts[index] - 1])


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
