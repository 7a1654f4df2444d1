"""Tests for policyengine.calendars: known UK bank holidays and working-day arithmetic."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache

import holidays
import pytest
from holidays.version import __version__ as holidays_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import calendars
from policyengine.calendars import (
    CLOSURE_DAY_NAME,
    FIRST_YEAR,
    LAST_YEAR,
    NATIONS,
    WorkingCalendar,
    add_working_days,
    calendar_for,
    is_working_day,
)

ENG = "england-and-wales"
SCT = "scotland"
NIR = "northern-ireland"

PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# An independent reference: bank holidays straight from the package, walked one day at a time.
# ---------------------------------------------------------------------------------------------

_SUBDIV = {ENG: "ENG", SCT: "SCT", NIR: "NIR"}


@cache
def package_holidays(nation: str) -> frozenset[date]:
    generated = holidays.country_holidays("GB", subdiv=_SUBDIV[nation], years=range(1985, 2101))
    return frozenset(generated)


def reference_predicate(
    nation: str, closures: frozenset[date] = frozenset(), opens: frozenset[date] = frozenset()
) -> Callable[[date], bool]:
    bank = package_holidays(nation)

    def working(day: date) -> bool:
        if day in opens:
            return True
        return day.weekday() < 5 and day not in bank and day not in closures

    return working


def reference_add(working: Callable[[date], bool], start: date, n: int) -> date:
    one = timedelta(days=1)
    if n == 0:
        day = start
        while not working(day):
            day += one
        return day
    step = one if n > 0 else -one
    day, left = start, abs(n)
    while left:
        day += step
        if working(day):
            left -= 1
    return day


def reference_between(working: Callable[[date], bool], start: date, end: date) -> int:
    low, high = min(start, end), max(start, end)
    count = sum(working(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))
    return count if end >= start else -count


def dates_between(first: str, last: str) -> st.SearchStrategy[date]:
    return st.dates(min_value=d(first), max_value=d(last))


# Forward sums of up to 4000 working days (about 16 years) must stay inside the package's data,
# which ends in 2100; backward walks of up to 2000 working days start late enough to stay in 1990+.
FORWARD_DATES = dates_between("1990-01-01", "2084-12-31")
SINGLE_FORWARD_DATES = dates_between("1990-01-01", "2091-12-31")
BACKWARD_DATES = dates_between("1998-01-01", "2100-12-31")
ANY_DATES = dates_between("1990-01-01", "2100-12-31")
STEPS = st.integers(min_value=1, max_value=2000)
nations = pytest.mark.parametrize("nation", NATIONS)


# ---------------------------------------------------------------------------------------------
# Construction and metadata
# ---------------------------------------------------------------------------------------------


def test_nations_and_metadata() -> None:
    assert NATIONS == ("england-and-wales", "scotland", "northern-ireland")
    calendar = WorkingCalendar(SCT)
    assert calendar.nation == SCT
    assert calendar.data_version == f"holidays {holidays_version}"
    assert calendar.data_version.startswith("holidays ")


def test_unknown_nation_names_the_allowed_values() -> None:
    with pytest.raises(ValueError) as info:
        WorkingCalendar("wales")
    message = str(info.value)
    assert "'wales'" in message
    for nation in NATIONS:
        assert nation in message


def test_supported_years_come_from_the_package() -> None:
    probe = holidays.country_holidays("GB", subdiv="ENG")
    assert (probe.start_year, probe.end_year) == (FIRST_YEAR, LAST_YEAR)
    calendar = calendar_for(ENG)
    with pytest.raises(ValueError, match=str(LAST_YEAR + 1)):
        calendar.is_working_day(date(LAST_YEAR + 1, 1, 5))
    with pytest.raises(ValueError, match=str(FIRST_YEAR - 1)):
        calendar.is_working_day(date(FIRST_YEAR - 1, 1, 5))
    with pytest.raises(ValueError, match="no bank-holiday data"):
        calendar.add_working_days(date(LAST_YEAR, 12, 20), 30)
    with pytest.raises(ValueError, match="no bank-holiday data"):
        calendar.add_working_days(date(FIRST_YEAR, 1, 10), -30)
    with pytest.raises(ValueError, match="no bank-holiday data"):
        calendar.working_days_between(date(2026, 1, 1), date(LAST_YEAR + 1, 1, 1))


def test_rejects_datetimes_and_non_dates() -> None:
    calendar = calendar_for(ENG)
    with pytest.raises(TypeError, match="datetime"):
        calendar.is_working_day(datetime(2026, 1, 5, 12, 0))
    with pytest.raises(TypeError):
        calendar.add_working_days("2026-01-05", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calendar.add_working_days(date(2026, 1, 5), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        WorkingCalendar(ENG, closure_days=["2026-12-24"])  # type: ignore[list-item]


# ---------------------------------------------------------------------------------------------
# Known dates (checked against the holidays package, see the brief)
# ---------------------------------------------------------------------------------------------


def test_easter_2026() -> None:
    eng, sct, nir = (calendar_for(n) for n in NATIONS)
    for calendar in (eng, sct, nir):
        assert not calendar.is_working_day(d("2026-04-03"))
        assert calendar.holiday_name(d("2026-04-03")) == "Good Friday"
    assert not eng.is_working_day(d("2026-04-06"))
    assert eng.holiday_name(d("2026-04-06")) == "Easter Monday"
    assert not nir.is_working_day(d("2026-04-06"))
    assert sct.is_working_day(d("2026-04-06"))
    assert sct.holiday_name(d("2026-04-06")) is None
    # Thursday before Easter + 1 working day
    assert eng.add_working_days(d("2026-04-02"), 1) == d("2026-04-07")
    assert sct.add_working_days(d("2026-04-02"), 1) == d("2026-04-06")


def test_christmas_2026_and_new_year_2027() -> None:
    for nation in NATIONS:
        calendar = calendar_for(nation)
        assert not calendar.is_working_day(d("2026-12-25"))  # Friday
        assert calendar.holiday_name(d("2026-12-26")) == "Boxing Day"  # Saturday
        assert not calendar.is_working_day(d("2026-12-28"))  # Monday substitute
        assert "Boxing Day" in (calendar.holiday_name(d("2026-12-28")) or "")
        assert calendar.is_working_day(d("2026-12-29"))
        assert calendar.add_working_days(d("2026-12-24"), 1) == d("2026-12-29")
        assert not calendar.is_working_day(d("2027-01-01"))  # Friday
        assert calendar.holiday_name(d("2027-01-01")) == "New Year's Day"
    assert calendar_for(ENG).add_working_days(d("2026-12-31"), 1) == d("2027-01-04")
    # Scotland: 2 January 2027 is a Saturday, so its holiday moves to Monday 4 January.
    assert not calendar_for(SCT).is_working_day(d("2027-01-04"))
    assert calendar_for(SCT).add_working_days(d("2026-12-31"), 1) == d("2027-01-05")


def test_second_of_january_is_scottish_only() -> None:
    assert not calendar_for(SCT).is_working_day(d("2026-01-02"))
    assert calendar_for(SCT).holiday_name(d("2026-01-02")) == "New Year Holiday"
    assert calendar_for(ENG).is_working_day(d("2026-01-02"))
    assert calendar_for(NIR).is_working_day(d("2026-01-02"))


def test_st_andrews_day_is_scottish_only() -> None:
    sct, eng = calendar_for(SCT), calendar_for(ENG)
    assert not sct.is_working_day(d("2026-11-30"))  # Monday
    assert sct.holiday_name(d("2026-11-30")) == "Saint Andrew's Day"
    assert eng.is_working_day(d("2026-11-30"))
    assert calendar_for(NIR).is_working_day(d("2026-11-30"))
    # Substitute day: 30 November 2025 is a Sunday, 30 November 2024 a Saturday.
    assert not sct.is_working_day(d("2025-12-01"))
    assert not sct.is_working_day(d("2024-12-02"))
    assert eng.is_working_day(d("2025-12-01"))


def test_summer_bank_holidays_differ() -> None:
    sct, eng, nir = calendar_for(SCT), calendar_for(ENG), calendar_for(NIR)
    assert not sct.is_working_day(d("2026-08-03"))  # first Monday of August
    assert eng.is_working_day(d("2026-08-03"))
    assert not eng.is_working_day(d("2026-08-31"))  # last Monday of August
    assert not nir.is_working_day(d("2026-08-31"))
    assert sct.is_working_day(d("2026-08-31"))


def test_northern_ireland_days() -> None:
    nir, eng = calendar_for(NIR), calendar_for(ENG)
    assert not nir.is_working_day(d("2026-03-17"))  # St Patrick's Day
    assert eng.is_working_day(d("2026-03-17"))
    assert not nir.is_working_day(d("2026-07-13"))  # Boyne, 12 July 2026 is a Sunday
    assert eng.is_working_day(d("2026-07-13"))


def test_one_off_days() -> None:
    for nation in NATIONS:
        calendar = calendar_for(nation)
        assert not calendar.is_working_day(d("2022-06-02"))  # moved spring bank holiday
        assert not calendar.is_working_day(d("2022-06-03"))  # platinum jubilee
        assert "Jubilee" in (calendar.holiday_name(d("2022-06-03")) or "")
        assert not calendar.is_working_day(d("2022-09-19"))  # state funeral
        assert "Funeral" in (calendar.holiday_name(d("2022-09-19")) or "")
        assert not calendar.is_working_day(d("2023-05-08"))  # coronation
        assert "Coronation" in (calendar.holiday_name(d("2023-05-08")) or "")
        # The usual late-May holiday did not happen in 2022.
        assert calendar.is_working_day(d("2022-05-30"))
        assert calendar.add_working_days(d("2022-06-01"), 1) == d("2022-06-06")


def test_weekend_start() -> None:
    calendar = calendar_for(ENG)
    saturday = d("2026-03-07")
    assert calendar.add_working_days(saturday, 1) == d("2026-03-09")
    assert calendar.add_working_days(saturday, 0) == d("2026-03-09")
    assert calendar.add_working_days(d("2026-03-08"), 1) == d("2026-03-09")
    assert calendar.add_working_days(saturday, -1) == d("2026-03-06")
    # Easter Saturday: Monday is a holiday in England but not in Scotland.
    assert calendar.add_working_days(d("2026-04-04"), 1) == d("2026-04-07")
    assert calendar_for(SCT).add_working_days(d("2026-04-04"), 1) == d("2026-04-06")


def test_start_day_never_counts() -> None:
    calendar = calendar_for(ENG)
    monday = d("2026-03-09")
    assert calendar.add_working_days(monday, 0) == monday
    assert calendar.add_working_days(monday, 1) == d("2026-03-10")
    assert calendar.add_working_days(monday, 5) == d("2026-03-16")
    assert calendar.add_working_days(monday, -1) == d("2026-03-06")
    assert calendar.next_working_day(monday) == d("2026-03-10")
    assert calendar.next_working_day(d("2026-03-06")) == monday
    assert calendar.roll_forward(monday) == monday
    assert calendar.roll_forward(d("2026-03-07")) == monday
    assert calendar.roll_forward(d("2026-12-25")) == d("2026-12-29")


def test_working_days_between_examples() -> None:
    calendar = calendar_for(ENG)
    assert calendar.working_days_between(d("2026-03-06"), d("2026-03-09")) == 1
    assert calendar.working_days_between(d("2026-03-09"), d("2026-03-06")) == -1
    assert calendar.working_days_between(d("2026-03-09"), d("2026-03-09")) == 0
    # 29, 30, 31 Dec and 4 Jan
    assert calendar.working_days_between(d("2026-12-24"), d("2027-01-04")) == 4
    assert calendar.working_days_between(d("2026-01-01"), d("2026-12-31")) == 253
    assert calendar.working_days_between(d("2025-12-31"), d("2026-12-31")) == 253


def test_closure_and_open_days() -> None:
    calendar = WorkingCalendar(
        ENG,
        closure_days=[d("2026-12-24"), d("2026-12-26"), d("2026-12-31")],
        open_days=[d("2026-12-28"), d("2026-03-07"), d("2026-12-31")],
    )
    assert not calendar.is_working_day(d("2026-12-24"))
    assert calendar.holiday_name(d("2026-12-24")) == CLOSURE_DAY_NAME
    # a closure on a bank holiday keeps the bank holiday's name
    assert calendar.holiday_name(d("2026-12-26")) == "Boxing Day"
    assert calendar.add_working_days(d("2026-12-23"), 1) == d("2026-12-28")
    # open days win over bank holidays, weekends and closures
    assert calendar.is_working_day(d("2026-12-28"))
    assert calendar.is_working_day(d("2026-03-07"))
    assert calendar.is_working_day(d("2026-12-31"))
    assert calendar.add_working_days(d("2026-03-06"), 1) == d("2026-03-07")
    assert calendar.add_working_days(d("2026-03-09"), -1) == d("2026-03-07")
    assert calendar.working_days_between(d("2026-03-06"), d("2026-03-09")) == 2
    assert calendar.working_days_between(d("2026-12-23"), d("2026-12-31")) == 4
    assert calendar.closure_days == frozenset({d("2026-12-24"), d("2026-12-26"), d("2026-12-31")})
    assert d("2026-03-07") in calendar.open_days
    # the shared plain calendar is unaffected
    assert not calendar_for(ENG).is_working_day(d("2026-12-28"))
    assert calendar_for(ENG).is_working_day(d("2026-12-24"))


# ---------------------------------------------------------------------------------------------
# Module-level helpers
# ---------------------------------------------------------------------------------------------


def test_module_helpers_accept_iso_strings() -> None:
    assert is_working_day("2026-04-06", SCT)
    assert not is_working_day("2026-04-06")
    assert is_working_day(d("2026-04-07"))
    assert add_working_days("2026-12-24", 1) == d("2026-12-29")
    assert add_working_days("2026-12-31", 1, SCT) == d("2027-01-05")


@pytest.mark.parametrize("bad", ["2026-4-6", "06/04/2026", "2026-02-30", "", " 2026-04-06", "x"])
def test_module_helpers_reject_bad_strings(bad: str) -> None:
    with pytest.raises(ValueError, match=r"YYYY-MM-DD|date"):
        is_working_day(bad)
    with pytest.raises(ValueError):
        add_working_days(bad, 3)


def test_module_helpers_reject_bad_nations() -> None:
    with pytest.raises(ValueError, match="england-and-wales"):
        is_working_day("2026-04-06", "england")
    with pytest.raises(ValueError, match="scotland"):
        add_working_days("2026-04-06", 1, "Scotland")
    with pytest.raises(ValueError):
        calendar_for("uk")


def test_calendar_for_caches_plain_calendars_only() -> None:
    assert calendar_for(ENG) is calendar_for(ENG)
    assert calendar_for(SCT) is not calendar_for(ENG)
    assert calendar_for(ENG, closure_days=iter([])) is calendar_for(ENG)
    special = calendar_for(ENG, closure_days=(day for day in [d("2026-12-24")]))
    assert special is not calendar_for(ENG)
    assert not special.is_working_day(d("2026-12-24"))
    assert calendar_for(ENG, open_days=[d("2026-12-28")]).is_working_day(d("2026-12-28"))
    assert calendars.calendar_for(ENG).closure_days == frozenset()


# ---------------------------------------------------------------------------------------------
# Speed: no day-by-day walking
# ---------------------------------------------------------------------------------------------


def test_large_n_is_fast() -> None:
    calendar = calendar_for(ENG)
    start = date(FIRST_YEAR, 1, 1)
    n = 55_000  # about 218 years: nearly the whole span the package covers
    end = calendar.add_working_days(start, n)  # warms the per-year cache
    assert end.year >= LAST_YEAR - 15
    assert calendar.working_days_between(start, end) == n
    assert calendar.add_working_days(end, -n) == calendar.roll_forward(start)
    repeats = 200
    began = time.perf_counter()
    for _ in range(repeats):
        calendar.add_working_days(start, n)
        calendar.working_days_between(start, end)
    per_call = (time.perf_counter() - began) / (2 * repeats)
    assert per_call < 0.002, f"{per_call * 1000:.3f} ms per call"


def test_huge_n_fails_fast_and_clearly() -> None:
    began = time.perf_counter()
    with pytest.raises(ValueError, match=f"{FIRST_YEAR}-{LAST_YEAR}"):
        calendar_for(ENG).add_working_days(d("2026-01-01"), 100_000)
    assert time.perf_counter() - began < 5


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@nations
@PROPERTY_SETTINGS
@given(start=FORWARD_DATES, n=STEPS, m=STEPS)
def test_adding_composes(nation: str, start: date, n: int, m: int) -> None:
    calendar = calendar_for(nation)
    assert calendar.add_working_days(calendar.add_working_days(start, n), m) == (
        calendar.add_working_days(start, n + m)
    )


@nations
@PROPERTY_SETTINGS
@given(start=SINGLE_FORWARD_DATES, n=STEPS)
def test_forward_result_is_a_later_working_day(nation: str, start: date, n: int) -> None:
    calendar = calendar_for(nation)
    result = calendar.add_working_days(start, n)
    assert result > start
    assert calendar.is_working_day(result)
    assert calendar.working_days_between(start, result) == n
    assert calendar.working_days_between(result, start) == -n


@nations
@PROPERTY_SETTINGS
@given(start=SINGLE_FORWARD_DATES, n=st.integers(min_value=0, max_value=2000))
def test_forward_agrees_with_reference_walk(nation: str, start: date, n: int) -> None:
    working = reference_predicate(nation)
    calendar = calendar_for(nation)
    assert calendar.add_working_days(start, n) == reference_add(working, start, n)
    assert calendar.is_working_day(start) == working(start)


@nations
@PROPERTY_SETTINGS
@given(start=BACKWARD_DATES, n=STEPS)
def test_negative_n_mirrors(nation: str, start: date, n: int) -> None:
    working = reference_predicate(nation)
    calendar = calendar_for(nation)
    result = calendar.add_working_days(start, -n)
    assert result == reference_add(working, start, -n)
    assert result < start
    assert calendar.is_working_day(result)
    # exactly n working days in [result, start)
    assert calendar.working_days_between(result - timedelta(days=1), start - timedelta(days=1)) == n
    if calendar.is_working_day(start):
        assert calendar.add_working_days(result, n) == start


@nations
@PROPERTY_SETTINGS
@given(start=FORWARD_DATES, n=STEPS)
def test_round_trip_from_working_day(nation: str, start: date, n: int) -> None:
    calendar = calendar_for(nation)
    day = calendar.roll_forward(start)
    assert calendar.add_working_days(calendar.add_working_days(day, n), -n) == day


@nations
@PROPERTY_SETTINGS
@given(start=ANY_DATES, span=st.integers(min_value=-3000, max_value=3000))
def test_between_agrees_with_reference(nation: str, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    if not (date(1990, 1, 1) <= end <= date(2100, 12, 31)):
        end = start - timedelta(days=span)
    working = reference_predicate(nation)
    calendar = calendar_for(nation)
    assert calendar.working_days_between(start, end) == reference_between(working, start, end)
    assert calendar.working_days_between(end, start) == -calendar.working_days_between(start, end)


WINDOW = dates_between("2026-11-01", "2027-02-28")


@nations
@settings(max_examples=60, deadline=None)
@given(
    closures=st.frozensets(WINDOW, max_size=20),
    opens=st.frozensets(WINDOW, max_size=20),
    start=dates_between("2026-10-01", "2027-03-31"),
    n=st.integers(min_value=-80, max_value=80),
)
def test_closures_and_open_days_agree_with_reference(
    nation: str, closures: frozenset[date], opens: frozenset[date], start: date, n: int
) -> None:
    calendar = WorkingCalendar(nation, closure_days=closures, open_days=opens)
    working = reference_predicate(nation, closures, opens)
    assert calendar.add_working_days(start, n) == reference_add(working, start, n)
    for offset in range(-3, 4):
        day = start + timedelta(days=offset)
        assert calendar.is_working_day(day) == working(day)
    end = start + timedelta(days=n)
    assert calendar.working_days_between(start, end) == reference_between(working, start, end)
