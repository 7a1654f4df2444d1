"""Questions over all cases answered by the store's index (overdue, past target, due between
two moments, by case type and policy) agree with walking every case's obligations one by one:
a differential property test of the indexed fast path against the slow path it replaces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import PolicySet
from policyengine.durations import LONDON
from policyengine.monitor import Monitor, Obligation
from policyengine.monitor.events import due_micros, micros

from .monitor_helpers import ASB, COMPLAINT, ev
from .streams import stream


@pytest.fixture(scope="module")
def filled(policies: PolicySet) -> Iterator[Monitor]:
    with Monitor(policies) as m:
        for event in stream(n_cases=150, seed=11):
            m.post(event)
        yield m


def walk(m: Monitor, as_of: dt.datetime) -> list[Obligation]:
    """Every obligation of every case, as of ``as_of`` (the slow path)."""
    return [o for c in m.cases() for o in m.obligations(c, as_of)]


def key(o: Obligation) -> tuple[str, str]:
    return (o.case, o.id)


MOMENTS = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 8, 1)
                       ).map(lambda d: d.replace(tzinfo=LONDON))
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(as_of=MOMENTS, case_type=st.sampled_from([None, COMPLAINT, ASB]))
def test_overdue_from_the_index_equals_walking_every_case(filled: Monitor, as_of: dt.datetime,
                                                          case_type: str | None) -> None:
    expected = [o for o in walk(filled, as_of) if o.status == "overdue"
                and (case_type is None or o.case_type == case_type)]
    got = filled.overdue(as_of, case_type=case_type)
    assert sorted(map(key, got)) == sorted(map(key, expected))
    assert filled.count_overdue(as_of, case_type=case_type) == len(expected)
    assert filled.overdue(as_of, case_type=case_type, limit=3) == got[:3]
    assert all(o.status == "overdue" and o.kind == "duty" for o in got)
    dues = [due_micros(o.due) for o in got if o.due is not None]
    assert dues == sorted(dues)  # earliest due first
    ordered = sorted(expected, key=lambda o: (due_micros(o.due) if o.due else 0, o.case, o.id))
    assert [o.to_dict() for o in got] == [o.to_dict() for o in ordered]


@SETTINGS
@given(start=MOMENTS, days=st.integers(min_value=0, max_value=30), as_of=MOMENTS)
def test_due_between_from_the_index_equals_walking_every_case(
    filled: Monitor, start: dt.datetime, days: int, as_of: dt.datetime
) -> None:
    end = start + dt.timedelta(days=days)
    # not yet discharged, cancelled or lapsed at as_of (overdue, expired or past target count)
    expected = [o for o in walk(filled, as_of) if o.closed_at is None and o.due is not None
                and micros(start) <= due_micros(o.due) <= micros(end)]
    got = filled.due_between(start, end, as_of=as_of)
    assert sorted(map(key, got)) == sorted(map(key, expected))


def test_filters_by_policy_and_dates_as_whole_days(policies: PolicySet) -> None:
    with Monitor(policies) as m:
        m.post(ev("A", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
        m.post(ev("H", "reported", "2026-03-02T10:00", {"report_type": "hate_crime"}, ASB))
        ack = {o.name: o.due for o in m.obligations("A")}["acknowledge_formal"]
        assert isinstance(ack, dt.date)
        # a date range includes the whole of its last day
        assert [o.id for o in m.due_between(ack, ack, as_of="2026-03-02T12:00")] == [
            "acknowledge_formal.1"]
        assert m.overdue("2026-06-01", policy="halton_conduct") == []
        assert {o.case for o in m.overdue("2026-06-01", policy="platform_commitments")} == {
            "A", "H"}
        assert len(m.overdue("2026-06-01", limit=1)) == 1
