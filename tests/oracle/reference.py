"""An independent reading of UK working days, months and elapsed time, for differential tests.

Nothing here imports ``policyengine``. The bank holidays are the GOV.UK data bundled with the
``govuk-bank-holidays`` package (not the ``holidays`` package the engine uses); working days are
counted with ``numpy.busday_offset`` / ``numpy.is_busday``; months with
``dateutil.relativedelta``; London time with ``dateutil.tz`` (not ``zoneinfo``).

The convention encoded (DECISIONS.md): "within N working days of X" ends on the Nth working day
after the day of X; the day of X itself never counts, whatever day it is. With an office closing
time, a moment at or after it on a working day D counts as received on D + 1 (the next calendar
day); on a non-working day the closing time changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

import numpy as np
from dateutil import tz
from dateutil.relativedelta import relativedelta
from govuk_bank_holidays.bank_holidays import BankHolidays

LONDON = tz.gettz("Europe/London")
NATIONS = ("england-and-wales", "scotland", "northern-ireland")


@cache
def govuk_holidays(nation: str) -> tuple[dt.date, ...]:
    """GOV.UK's bank holidays for ``nation``, from the package's bundled copy (no network)."""
    data = BankHolidays(use_cached_holidays=True)
    return tuple(sorted(h["date"] for h in data.get_holidays(nation)))


@cache
def covered_years(nation: str) -> tuple[int, int]:
    """The first and last whole years the bundled GOV.UK data covers for ``nation``."""
    days = govuk_holidays(nation)
    return days[0].year, days[-1].year


def _d64(days: Iterable[dt.date]) -> np.ndarray:
    return np.array(sorted({d.isoformat() for d in days}), dtype="datetime64[D]")


class ReferenceCalendar:
    """Working days: numpy's Monday-Friday business days, less GOV.UK bank holidays and closures.

    ``open_days`` are made working whatever they are; numpy cannot express a working Saturday,
    so with open days the count runs over an explicit array of working days instead.
    """

    def __init__(
        self,
        nation: str,
        closure_days: Iterable[dt.date] = (),
        open_days: Iterable[dt.date] = (),
        extra_holidays: Iterable[dt.date] = (),
    ) -> None:
        self.nation = nation
        off = set(govuk_holidays(nation)) | set(closure_days) | set(extra_holidays)
        self.open_days = frozenset(open_days)
        self.busdaycal = np.busdaycalendar(weekmask="1111100", holidays=_d64(off))
        first, last = covered_years(nation)
        self.first = np.datetime64(f"{first}-01-01")
        self.last = np.datetime64(f"{last}-12-31")
        span = np.arange(self.first, self.last + 1, dtype="datetime64[D]")
        working = np.is_busday(span, busdaycal=self.busdaycal)
        for day in self.open_days:
            working[(np.datetime64(day.isoformat()) - self.first).astype(int)] = True
        self.working_days = span[working]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.open_days:
            return True
        return bool(np.is_busday(np.datetime64(day.isoformat()), busdaycal=self.busdaycal))

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``start`` (n >= 1); n == 0 rolls forward."""
        day = np.datetime64(start.isoformat())
        if not self.open_days:
            if n == 0:
                out = np.busday_offset(day, 0, roll="forward", busdaycal=self.busdaycal)
            else:
                # roll='backward' then +n: the day itself never counts, working or not
                out = np.busday_offset(day, n, roll="backward", busdaycal=self.busdaycal)
            return dt.date.fromisoformat(str(out))
        after = int(np.searchsorted(self.working_days, day, side="right"))
        if n == 0:
            if self.is_working_day(start):
                return start
            return dt.date.fromisoformat(str(self.working_days[after]))
        return dt.date.fromisoformat(str(self.working_days[after + n - 1]))

    def received_day(self, moment: dt.datetime, closes_at: dt.time | None) -> dt.date:
        local = to_london(moment)
        day = local.date()
        if closes_at is not None and local.time() >= closes_at and self.is_working_day(day):
            return day + dt.timedelta(days=1)
        return day

    def deadline(self, start: dt.date | dt.datetime, n: int, closes_at: dt.time | None) -> dt.date:
        """"Within n working days of start" for a date or a date-time start."""
        base = self.received_day(start, closes_at) if isinstance(start, dt.datetime) else start
        return self.add_working_days(base, n)


def to_london(moment: dt.datetime) -> dt.datetime:
    """London wall-clock time of ``moment``; naive means London, fold=0, a gap resolved forward."""
    if moment.tzinfo is None:
        aware = moment.replace(tzinfo=LONDON, fold=0)
        if not tz.datetime_exists(aware):
            aware = tz.resolve_imaginary(aware)
        return aware
    return moment.astimezone(LONDON)


def add_elapsed(moment: dt.datetime, minutes: int) -> dt.datetime:
    """Elapsed minutes added on the UTC time line, given back in London time."""
    utc = to_london(moment).astimezone(dt.UTC)
    return (utc + dt.timedelta(minutes=minutes)).astimezone(LONDON)


def add_months(day: dt.date, months: int) -> dt.date:
    return day + relativedelta(months=months)
