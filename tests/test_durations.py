"""Tests for policyengine.durations: durations, London time and deadline arithmetic."""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.calendars import calendar_for
from policyengine.durations import (
    LONDON,
    UNITS,
    Duration,
    add_duration,
    add_months,
    add_years,
    format_moment,
    parse_date,
    parse_datetime,
    parse_duration,
    received_day,
    to_london,
)

ENGLAND = calendar_for("england-and-wales")
SCOTLAND = calendar_for("scotland")
FIVE_PM = time(17, 0)


def london(text: str) -> datetime:
    """An aware London datetime from naive local ISO text (test helper)."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


# ---------------------------------------------------------------------------------------------
# Duration and parse_duration
# ---------------------------------------------------------------------------------------------


def test_units() -> None:
    assert UNITS == ("minutes", "hours", "days", "working_days", "weeks", "months", "years")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(10, "working_days"), "10 working days"),
        (Duration(1, "working_days"), "1 working day"),
        (Duration(1, "months"), "1 month"),
        (Duration(6, "months"), "6 months"),
        (Duration(0, "days"), "0 days"),
        (Duration(-1, "days"), "-1 day"),
        (Duration(24, "hours"), "24 hours"),
        (Duration(1, "minutes"), "1 minute"),
        (Duration(2, "weeks"), "2 weeks"),
        (Duration(1, "years"), "1 year"),
    ],
)
def test_duration_wording(duration: Duration, text: str) -> None:
    assert str(duration) == text
    assert duration.describe() == text


def test_duration_is_frozen_and_validated() -> None:
    duration = Duration(3, "days")
    assert duration == Duration(3, "days")
    assert hash(duration) == hash(Duration(3, "days"))
    with pytest.raises(AttributeError):
        duration.amount = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="working_days"):
        Duration(3, "fortnights")
    with pytest.raises(ValueError, match="whole number"):
        Duration(True, "days")
    with pytest.raises(ValueError, match="whole number"):
        Duration(1.5, "days")  # type: ignore[arg-type]


def test_parse_duration() -> None:
    assert parse_duration({"working_days": 10}) == Duration(10, "working_days")
    assert parse_duration({"months": 1}) == Duration(1, "months")
    for unit in UNITS:
        assert parse_duration({unit: 2}).unit == unit


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"days": 1, "weeks": 2},
        {"fortnights": 1},
        {"day": 1},
        {"days": "10"},
        {"days": 1.5},
        {"days": True},
        {"days": None},
        [("days", 1)],
        "10 days",
    ],
)
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# add_months / add_years
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2025-08-31", 6, "2026-02-28"),
        ("2027-08-31", 6, "2028-02-29"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2026-01-15", -13, "2024-12-15"),
        ("2026-11-30", 2, "2027-01-30"),
        ("2026-05-17", 0, "2026-05-17"),
        ("2026-05-17", 120, "2036-05-17"),
    ],
)
def test_add_months_examples(start: str, months: int, expected: str) -> None:
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


def test_add_months_keeps_time_of_a_datetime() -> None:
    assert add_months(datetime(2026, 1, 31, 9, 30), 1) == datetime(2026, 2, 28, 9, 30)


def test_add_years_examples() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), -1) == date(2023, 2, 28)
    assert add_years(date(2026, 6, 15), 3) == date(2029, 6, 15)


def test_month_arithmetic_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(ValueError, match="outside"):
        add_years(date(1, 6, 1), -1)


ANY_DAY = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
MONTHS = st.integers(min_value=-2400, max_value=2400)


@settings(max_examples=300)
@given(day=ANY_DAY, months=MONTHS)
def test_add_months_properties(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    last = gregorian.monthrange(result.year, result.month)[1]
    assert result.day <= day.day
    if day.day <= last:
        assert result.day == day.day
    else:
        assert result.day == last
    if day.day <= 28:
        assert add_months(result, -months) == day


@settings(max_examples=200)
@given(day=ANY_DAY, years=st.integers(min_value=-200, max_value=200))
def test_add_years_properties(day: date, years: int) -> None:
    result = add_years(day, years)
    assert result.year == day.year + years
    assert result.month == day.month
    if (day.month, day.day) == (2, 29) and not gregorian.isleap(result.year):
        assert result.day == 28
    else:
        assert result.day == day.day


# ---------------------------------------------------------------------------------------------
# London time, parsing and formatting
# ---------------------------------------------------------------------------------------------


def test_to_london_naive_and_aware() -> None:
    winter = to_london(datetime(2026, 1, 10, 9, 0))
    assert winter.utcoffset() == timedelta(0)
    assert winter.tzinfo is LONDON
    summer = to_london(datetime(2026, 7, 10, 9, 0))
    assert summer.utcoffset() == timedelta(hours=1)
    assert (summer.hour, summer.minute) == (9, 0)
    converted = to_london(datetime(2026, 7, 10, 9, 0, tzinfo=UTC))
    assert converted.hour == 10
    assert converted == datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
    east = timezone(timedelta(hours=5, minutes=30))
    assert to_london(datetime(2026, 1, 10, 12, 0, tzinfo=east)).hour == 6


def test_to_london_clock_change_edge_cases() -> None:
    # ambiguous: 01:30 on 25 Oct 2026 happens twice; fold=0 means the first (BST) one
    ambiguous = to_london(datetime(2026, 10, 25, 1, 30))
    assert ambiguous.utcoffset() == timedelta(hours=1)
    assert ambiguous.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # non-existent: 01:30 on 29 Mar 2026 is read with the GMT offset, i.e. 02:30 BST
    missing = to_london(datetime(2026, 3, 29, 1, 30))
    assert missing.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert format_moment(missing) == "2026-03-29T02:30:00+01:00"


def test_to_london_rejects_dates() -> None:
    with pytest.raises(TypeError):
        to_london(date(2026, 1, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-28T12:00", "2026-03-28T12:00:00+00:00"),
        ("2026-03-28 12:00:00", "2026-03-28T12:00:00+00:00"),
        ("2026-06-01T12:00:00Z", "2026-06-01T13:00:00+01:00"),
        ("2026-06-01T12:00:00+01:00", "2026-06-01T12:00:00+01:00"),
        ("2026-06-01T12:00:00-04:00", "2026-06-01T17:00:00+01:00"),
        ("2026-03-30T00:30:00+00:00", "2026-03-30T01:30:00+01:00"),
    ],
)
def test_parse_datetime(text: str, expected: str) -> None:
    parsed = parse_datetime(text)
    assert parsed.tzinfo is LONDON
    assert format_moment(parsed) == expected


@pytest.mark.parametrize(
    "bad", ["2026-03-28", "20260328", "", "yesterday", "2026-02-30T10:00", "2026-03-28T25:00"]
)
def test_parse_datetime_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(bad)


def test_parse_datetime_explains_date_only() -> None:
    with pytest.raises(ValueError, match="without a time"):
        parse_datetime("2026-03-28")


def test_parse_date() -> None:
    assert parse_date("2026-03-28") == date(2026, 3, 28)
    assert parse_date("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "bad",
    [
        "2026-3-28",
        "20260328",
        "2026-02-30",
        "2025-02-29",
        " 2026-03-28",
        "2026-03-28T00:00",
        "28/03/2026",
        "2026-W13-6",
        "",
    ],
)
def test_parse_date_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_date(bad)


def test_format_moment() -> None:
    assert format_moment(date(2026, 3, 30)) == "2026-03-30"
    assert format_moment(datetime(2026, 3, 30, 0, 30, tzinfo=UTC)) == "2026-03-30T01:30:00+01:00"
    assert format_moment(datetime(2026, 1, 5, 9, 15)) == "2026-01-05T09:15:00+00:00"
    assert format_moment(datetime(2026, 7, 5, 9, 15)) == "2026-07-05T09:15:00+01:00"


# ---------------------------------------------------------------------------------------------
# Elapsed time across clock changes
# ---------------------------------------------------------------------------------------------


def test_hours_across_spring_clock_change() -> None:
    result = add_duration(london("2026-03-28T12:00"), Duration(24, "hours"), ENGLAND)
    assert isinstance(result, datetime)
    assert format_moment(result) == "2026-03-29T13:00:00+01:00"
    # from a naive start too
    naive = add_duration(datetime(2026, 3, 28, 12, 0), Duration(24, "hours"), ENGLAND)
    assert format_moment(naive) == "2026-03-29T13:00:00+01:00"
    # one hour after 00:30 GMT is 02:30 BST
    minutes = add_duration(london("2026-03-29T00:30"), Duration(60, "minutes"), ENGLAND)
    assert format_moment(minutes) == "2026-03-29T02:30:00+01:00"


def test_hours_across_autumn_clock_change() -> None:
    result = add_duration(london("2026-10-24T12:00"), Duration(24, "hours"), ENGLAND)
    assert format_moment(result) == "2026-10-25T11:00:00+00:00"
    start = london("2026-10-25T00:30")
    first = add_duration(start, Duration(60, "minutes"), ENGLAND)
    second = add_duration(start, Duration(120, "minutes"), ENGLAND)
    assert format_moment(first) == "2026-10-25T01:30:00+01:00"
    assert format_moment(second) == "2026-10-25T01:30:00+00:00"
    assert isinstance(second, datetime)
    # Same-tzinfo subtraction in Python uses wall-clock time, so compare in UTC.
    assert second.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)
    back = add_duration(london("2026-10-25T11:00"), Duration(-24, "hours"), ENGLAND)
    assert format_moment(back) == "2026-10-24T12:00:00+01:00"


def test_elapsed_units_need_a_datetime() -> None:
    with pytest.raises(ValueError, match="date and time"):
        add_duration(date(2026, 3, 28), Duration(24, "hours"), ENGLAND)
    with pytest.raises(ValueError):
        add_duration(date(2026, 3, 28), Duration(5, "minutes"), ENGLAND)


MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200)
@given(start=MOMENTS, hours=st.integers(min_value=-100_000, max_value=100_000))
def test_hours_are_elapsed_time(start: datetime, hours: int) -> None:
    result = add_duration(start, Duration(hours, "hours"), ENGLAND)
    assert isinstance(result, datetime)
    assert result.tzinfo is LONDON
    assert result.astimezone(UTC) - start == timedelta(hours=hours)
    again = add_duration(result, Duration(-hours, "hours"), ENGLAND)
    assert isinstance(again, datetime)
    assert again.astimezone(UTC) == start


# ---------------------------------------------------------------------------------------------
# Calendar units
# ---------------------------------------------------------------------------------------------


def test_days_weeks_months_years_use_the_london_date() -> None:
    late_utc = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert add_duration(late_utc, Duration(1, "days"), ENGLAND) == date(2026, 7, 2)
    assert add_duration(late_utc, Duration(1, "weeks"), ENGLAND) == date(2026, 7, 8)
    assert add_duration(late_utc, Duration(1, "months"), ENGLAND) == date(2026, 8, 1)
    assert add_duration(late_utc, Duration(1, "years"), ENGLAND) == date(2027, 7, 1)
    assert add_duration(date(2026, 3, 28), Duration(1, "days"), ENGLAND) == date(2026, 3, 29)
    assert add_duration(date(2025, 8, 31), Duration(6, "months"), ENGLAND) == date(2026, 2, 28)
    assert add_duration(date(2024, 2, 29), Duration(1, "years"), ENGLAND) == date(2025, 2, 28)
    assert add_duration(date(2026, 3, 28), Duration(-2, "weeks"), ENGLAND) == date(2026, 3, 14)
    result = add_duration(datetime(2026, 3, 28, 23, 30), Duration(1, "days"), ENGLAND)
    assert type(result) is date
    assert result == date(2026, 3, 29)


def test_calendar_units_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        add_duration(date(9999, 12, 30), Duration(5, "days"), ENGLAND)


# ---------------------------------------------------------------------------------------------
# Received day and working days
# ---------------------------------------------------------------------------------------------


def test_received_after_closing_before_christmas() -> None:
    # DECISIONS.md: "a date-time at or after it on a working day D counts as received on D + 1
    # (the next calendar day)". Thursday 24 Dec 2026 18:00 -> Friday 25 Dec (a bank holiday: the
    # count then starts on the first working day after it, Tue 29 Dec).
    arrival = datetime(2026, 12, 24, 18, 0)
    assert received_day(arrival, ENGLAND, FIVE_PM) == date(2026, 12, 25)
    assert received_day(arrival, ENGLAND, None) == date(2026, 12, 24)
    assert received_day(datetime(2026, 12, 24, 16, 59), ENGLAND, FIVE_PM) == date(2026, 12, 24)
    assert received_day(datetime(2026, 12, 24, 17, 0), ENGLAND, FIVE_PM) == date(2026, 12, 25)


def test_received_on_non_working_days() -> None:
    # DECISIONS.md: "on a non-working day it changes nothing"; the day of receipt itself never
    # counts, so the next working day is day one.
    saturday_morning = datetime(2026, 3, 7, 9, 0)
    assert received_day(saturday_morning, ENGLAND, FIVE_PM) == date(2026, 3, 7)
    assert received_day(datetime(2026, 3, 7, 19, 0), ENGLAND, FIVE_PM) == date(2026, 3, 7)
    assert received_day(saturday_morning, ENGLAND, None) == date(2026, 3, 7)
    three = Duration(3, "working_days")
    # received Saturday, "within 3 working days" ends on Wednesday (Mon, Tue, Wed)
    assert add_duration(saturday_morning, three, ENGLAND, FIVE_PM) == date(2026, 3, 11)
    # Good Friday, England: Easter Monday is also a holiday, so day one is Tuesday 7 April;
    # Scotland has no Easter Monday holiday, so day one is Monday 6 April
    good_friday = datetime(2026, 4, 3, 10, 0)
    assert received_day(good_friday, ENGLAND, FIVE_PM) == date(2026, 4, 3)
    assert add_duration(good_friday, three, ENGLAND, FIVE_PM) == date(2026, 4, 9)
    assert add_duration(good_friday, three, SCOTLAND, FIVE_PM) == date(2026, 4, 8)
    # Scotland at Hogmanay: Thu 31 Dec 18:00 counts as received Fri 1 Jan (a holiday); 2 Jan
    # (Saturday) is substituted to Monday 4 Jan, so day one is Tuesday 5 Jan
    assert received_day(datetime(2026, 12, 31, 18, 0), SCOTLAND, FIVE_PM) == date(2027, 1, 1)
    assert add_duration(datetime(2026, 12, 31, 18, 0), Duration(1, "working_days"), SCOTLAND,
                        FIVE_PM) == date(2027, 1, 5)


def test_received_day_uses_london_local_time() -> None:
    # 16:30 UTC in July is 17:30 BST: after closing
    summer = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)
    assert received_day(summer, ENGLAND, FIVE_PM) == date(2026, 7, 2)
    # 16:30 UTC in January is 16:30 GMT: before closing
    winter = datetime(2026, 1, 7, 16, 30, tzinfo=UTC)
    assert received_day(winter, ENGLAND, FIVE_PM) == date(2026, 1, 7)
    # 23:30 UTC on 30 June is 00:30 on 1 July in London
    assert received_day(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), ENGLAND, None) == date(
        2026, 7, 1
    )


def test_closes_at_must_be_naive() -> None:
    with pytest.raises(ValueError, match="tzinfo"):
        received_day(datetime(2026, 1, 7, 9, 0), ENGLAND, time(17, 0, tzinfo=UTC))


def test_working_days_from_datetime_and_date() -> None:
    ten = Duration(10, "working_days")
    after_hours = datetime(2026, 12, 24, 18, 0)
    # counts as received Fri 25 Dec (a bank holiday); day one Tue 29 Dec: 29, 30, 31 Dec,
    # 4, 5, 6, 7, 8, 11, 12 Jan. Closing time cannot move the deadline here: 24 Dec and 25 Dec
    # have no working day between them.
    assert add_duration(after_hours, ten, ENGLAND, FIVE_PM) == date(2027, 1, 12)
    # without closing time the day of arrival is the start: 29, 30, 31 Dec, 4 .. 12 Jan
    assert add_duration(after_hours, ten, ENGLAND) == date(2027, 1, 12)
    assert add_duration(date(2026, 12, 24), ten, ENGLAND) == date(2027, 1, 12)
    # a date start ignores closes_at
    assert add_duration(date(2026, 12, 24), ten, ENGLAND, FIVE_PM) == date(2027, 1, 12)
    assert add_duration(date(2026, 12, 24), Duration(0, "working_days"), ENGLAND) == date(
        2026, 12, 24
    )
    assert add_duration(date(2026, 12, 25), Duration(0, "working_days"), ENGLAND) == date(
        2026, 12, 29
    )
    assert add_duration(date(2026, 12, 29), Duration(-1, "working_days"), ENGLAND) == date(
        2026, 12, 24
    )


WORKING_MOMENTS = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2090, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    moment=WORKING_MOMENTS,
    closes=st.times(min_value=time(12, 0), max_value=time(20, 0)),
    n=st.integers(min_value=1, max_value=300),
)
def test_working_day_deadlines_properties(moment: datetime, closes: time, n: int) -> None:
    received = received_day(moment, ENGLAND, closes)
    local = to_london(moment)
    if ENGLAND.is_working_day(local.date()) and local.time() >= closes:
        assert received == local.date() + timedelta(days=1)
    else:
        assert received == local.date()
    deadline = add_duration(moment, Duration(n, "working_days"), ENGLAND, closes)
    assert deadline == ENGLAND.add_working_days(received, n)
    assert isinstance(deadline, date)
    assert ENGLAND.is_working_day(deadline)
    assert ENGLAND.working_days_between(received, deadline) == n
