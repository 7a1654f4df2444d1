"""The engine's working days, months and elapsed time against an independent computation.

The reference (``tests/oracle/reference.py``) shares no code with ``policyengine.calendars`` or
``policyengine.durations``: GOV.UK's bank-holiday data (``govuk-bank-holidays``), numpy's
business-day functions, ``dateutil``. The convention both must follow is DECISIONS.md's:
"the deadline is the end of the Nth working day after the day of X (the day of X itself never
counts, whatever day it is ...)"; "A policy may set an office closing time: a date-time at or after
it on a working day D counts as received on D + 1 (the next calendar day), and the count runs from
there; on a non-working day it changes nothing."
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import add_working_days, is_working_day, load_policies
from policyengine.calendars import WorkingCalendar
from policyengine.durations import Duration, add_duration, add_months, add_years

from .reference import (
    NATIONS,
    ReferenceCalendar,
    add_elapsed,
    covered_years,
    govuk_holidays,
)
from .reference import add_months as reference_add_months

#: Days the engine's holiday data (the `holidays` package) has as a bank holiday on a weekday and
#: GOV.UK's bundled copy lacks, by nation, with the name the engine must give each. Named here so
#: the test does not weaken: any other difference fails, naming the day. A named day counts only
#: when the installed `holidays` has it (older releases predate the proclamation).
KNOWN_DISAGREEMENTS: dict[str, dict[dt.date, str]] = {
    "scotland": {
        # proclaimed for Scotland only; in `holidays` 0.109, not in the GOV.UK copy bundled with
        # govuk-bank-holidays 0.19, nor in `holidays` 0.62
        dt.date(2026, 6, 15): "Scotland's participation in the FIFA World Cup final",
    },
}


def known_disagreements(nation: str) -> dict[dt.date, str]:
    """The named days the installed holiday data has (so both sides are compared on them)."""
    calendar = WorkingCalendar(nation)
    return {
        day: name
        for day, name in KNOWN_DISAGREEMENTS.get(nation, {}).items()
        if calendar.holiday_name(day) is not None
    }

COUNTS = (0, 1, 2, 3, 5, 10, 15, 20, 42)
MARGIN = 120  # days left before the end of the data so every deadline stays inside it


def _range(nation: str) -> tuple[dt.date, dt.date]:
    first, last = covered_years(nation)
    return dt.date(first, 1, 1), dt.date(last, 12, 31)


def reference(nation: str, **kw: object) -> ReferenceCalendar:
    extra = known_disagreements(nation)
    return ReferenceCalendar(nation, extra_holidays=extra, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("nation", NATIONS)
def test_the_two_holiday_sources_differ_only_on_the_named_days(nation: str) -> None:
    first, last = _range(nation)
    govuk = set(govuk_holidays(nation))
    differ: set[dt.date] = set()
    day = first
    while day <= last:
        if day.weekday() < 5 and (day in govuk) == is_working_day(day, nation):
            differ.add(day)
        day += dt.timedelta(days=1)
    named = known_disagreements(nation)
    assert differ == set(named), sorted(differ)
    calendar = WorkingCalendar(nation)
    for day, name in named.items():
        assert calendar.holiday_name(day) == name


@pytest.mark.parametrize("nation", NATIONS)
def test_every_start_day_of_the_data_against_numpy(nation: str) -> None:
    """Every start date the GOV.UK data covers, for a spread of counts: all of them, no sample."""
    first, last = _range(nation)
    ref = reference(nation)
    starts = np.arange(np.datetime64(first), np.datetime64(last - dt.timedelta(days=MARGIN)))
    tried = 0
    for n in COUNTS:
        if n == 0:
            expected = np.busday_offset(starts, 0, roll="forward", busdaycal=ref.busdaycal)
        else:
            expected = np.busday_offset(starts, n, roll="backward", busdaycal=ref.busdaycal)
        for start, want in zip(starts.tolist(), expected.tolist(), strict=True):
            got = add_working_days(start, n, nation)
            assert got == want, f"{nation}: {start} + {n} working days"
            tried += 1
    assert tried == len(COUNTS) * len(starts)


@pytest.mark.parametrize("nation", NATIONS)
@pytest.mark.parametrize("closes", [None, dt.time(17, 0), dt.time(9, 30), dt.time(0, 0)])
def test_every_receipt_day_with_times_around_closing(nation: str, closes: dt.time | None) -> None:
    """Date-time receipts on every day of the data: just before, at and after closing time."""
    first, last = _range(nation)
    ref = reference(nation)
    engine = WorkingCalendar(nation)
    times = [dt.time(0, 0), dt.time(8, 59), dt.time(16, 59, 59), dt.time(17, 0), dt.time(23, 59)]
    if closes is not None:
        times += [closes]
    day = first
    end = last - dt.timedelta(days=MARGIN)
    while day <= end:
        for t in times:
            moment = dt.datetime.combine(day, t)
            for n in (1, 3, 10):
                want = ref.deadline(moment, n, closes)
                got = add_duration(moment, Duration(n, "working_days"), engine, closes)
                assert got == want, f"{nation}: {moment} + {n} working days, closing {closes}"
        day += dt.timedelta(days=7 if closes is None else 3)


def _dates(nation: str) -> st.SearchStrategy[dt.date]:
    first, last = _range(nation)
    return st.dates(first, last - dt.timedelta(days=MARGIN))


@st.composite
def calendar_cases(draw: st.DrawFn) -> tuple[str, dt.date, list[dt.date], list[dt.date], int]:
    nation = draw(st.sampled_from(NATIONS))
    start = draw(_dates(nation))
    near = st.dates(start - dt.timedelta(days=10), start + dt.timedelta(days=60))
    closures = draw(st.lists(near, max_size=8))
    opens = draw(st.lists(near, max_size=5))
    n = draw(st.integers(0, 30))
    return nation, start, closures, opens, n


@settings(max_examples=400, deadline=None)
@given(calendar_cases())
def test_closure_and_open_days_against_reference(
    case: tuple[str, dt.date, list[dt.date], list[dt.date], int],
) -> None:
    nation, start, closures, opens, n = case
    ref = reference(nation, closure_days=closures, open_days=opens)
    engine = WorkingCalendar(nation, closures, opens)
    assert engine.add_working_days(start, n) == ref.add_working_days(start, n)
    assert engine.is_working_day(start) == ref.is_working_day(start)


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    nation_range = _range("england-and-wales")
    day = draw(st.dates(nation_range[0], nation_range[1] - dt.timedelta(days=MARGIN)))
    t = draw(st.times())
    moment = dt.datetime.combine(day, t)
    if draw(st.booleans()):  # an explicit offset, as apps in other zones send
        offset = draw(st.integers(-12 * 60, 14 * 60))
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
    return moment


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(NATIONS),
    moments(),
    st.one_of(st.none(), st.times()),
    st.integers(0, 40),
    st.lists(st.dates(dt.date(2012, 1, 1), dt.date(2028, 6, 1)), max_size=4),
)
def test_datetime_receipts_against_reference(
    nation: str, moment: dt.datetime, closes: dt.time | None, n: int, closures: list[dt.date]
) -> None:
    ref = reference(nation, closure_days=closures)
    engine = WorkingCalendar(nation, closures)
    want = ref.deadline(moment, n, closes)
    got = add_duration(moment, Duration(n, "working_days"), engine, closes)
    assert got == want


# ---------------------------------------------------------------- the same through a policy file

_POLICY = """
policy:
  id: oracle_{name}
  organisation: Test
  title: Oracle probe
  version: "1"
  nation: {nation}
sources:
  doc: {{file: probe.txt, title: Probe}}
calendar:
  closure_days: [{closures}]
  open_days: [{opens}]
  {closing}
interpretations:
  office_hours: {{value: "17:00", note: probe}}
decisions:
  deadline:
    description: The deadline N working days after a receipt.
    facts:
      received_at: {{type: datetime}}
      days: {{type: int, minimum: 0, maximum: 60}}
    outcomes:
      due: {{type: date}}
    hit_policy: first
    rules:
      - id: within
        then:
          due: {{add: {{working_days: {{fact: days}}}}, to: {{fact: received_at}}}}
        cite: {{source: doc, quote: "within N working days of receipt"}}
"""

PROBES = {
    "ew_closing": ("england-and-wales", ["2026-12-24", "2027-12-24"], ["2026-12-28"], True),
    "sct_plain": ("scotland", [], [], False),
    "ni_closing": ("northern-ireland", ["2026-07-13"], ["2026-07-12"], True),
}


@pytest.fixture(scope="module")
def probe_policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root: Path = tmp_path_factory.mktemp("probes")
    for name, (nation, closures, opens, closing) in PROBES.items():
        text = _POLICY.format(
            name=name,
            nation=nation,
            closures=", ".join(closures),
            opens=", ".join(opens),
            closing=(
                'office_closes_at: "17:00"\n  office_closes_at_interpretation: office_hours'
                if closing
                else ""
            ),
        )
        if not closing:
            text = text.replace('  office_hours: {value: "17:00", note: probe}\n', "")
            text = text.replace("interpretations:\n", "interpretations: {}\n", 1)
        (root / f"{name}.yaml").write_text(text)
    return {"set": load_policies(root)}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(PROBES)), moments(), st.integers(0, 60))
def test_policy_deadlines_against_reference(
    probe_policies: dict[str, object], name: str, moment: dt.datetime, n: int
) -> None:
    nation, closures, opens, closing = PROBES[name]
    ref = reference(
        nation,
        closure_days=[dt.date.fromisoformat(d) for d in closures],
        open_days=[dt.date.fromisoformat(d) for d in opens],
    )
    policies = probe_policies["set"]
    decision = policies.decide(  # type: ignore[attr-defined]
        f"oracle_{name}", "deadline",
        {"received_at": moment.isoformat(), "days": n}, as_of="2026-01-01",
    )
    want = ref.deadline(moment, n, dt.time(17, 0) if closing else None)
    assert decision.outcome["due"] == want


# ---------------------------------------------------------------- months, years, elapsed time


@settings(max_examples=1500)
@given(st.dates(dt.date(101, 1, 1), dt.date(9000, 12, 31)), st.integers(-1200, 1200))
def test_months_against_relativedelta(day: dt.date, months: int) -> None:
    """DECISIONS.md: "a day that does not exist in the target month clamps to that month's last
    day (31 Aug + 6 months = 28/29 Feb)" — as dateutil.relativedelta does."""
    assert add_months(day, months) == reference_add_months(day, months)
    if months % 12 == 0:
        assert add_years(day, months // 12) == reference_add_months(day, months)


def test_month_examples_from_the_decisions_catalogue() -> None:
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)


@st.composite
def around_clock_changes(draw: st.DrawFn) -> dt.datetime:
    year = draw(st.integers(1996, 2037))
    # the last Sundays of March and October (EU rule, in force for London since 1996)
    march = max(dt.date(year, 3, d) for d in range(25, 32) if dt.date(year, 3, d).weekday() == 6)
    october = max(
        dt.date(year, 10, d) for d in range(25, 32) if dt.date(year, 10, d).weekday() == 6
    )
    day = draw(st.sampled_from([march, october]))
    minute = draw(st.integers(-36 * 60, 36 * 60))
    return dt.datetime.combine(day, dt.time(1, 0)) + dt.timedelta(minutes=minute)


@settings(max_examples=1500)
@given(around_clock_changes(), st.integers(-72 * 60, 72 * 60), st.booleans())
def test_elapsed_time_against_utc_arithmetic(start: dt.datetime, minutes: int, hours: bool) -> None:
    """DECISIONS.md: hours and minutes "are elapsed time from the moment given, so across a clock
    change the deadline's local time moves by an hour"."""
    calendar = WorkingCalendar("england-and-wales")
    if hours:
        minutes -= minutes % 60
        duration = Duration(minutes // 60, "hours")
    else:
        duration = Duration(minutes, "minutes")
    got = add_duration(start, duration, calendar)
    want = add_elapsed(start, minutes)
    assert isinstance(got, dt.datetime)
    # the same instant (aware datetimes in a repeated hour never compare equal across zones,
    # PEP 495, so compare the instants themselves)
    assert got.timestamp() == want.timestamp()
    assert got.utcoffset() == want.utcoffset()  # and the same London offset
    assert got.replace(tzinfo=None) == want.replace(tzinfo=None)  # and wall-clock time
