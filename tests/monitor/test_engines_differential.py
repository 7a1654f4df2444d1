"""Two matchers, one meaning: random event streams (valid and not: any event type, in any state,
with data of the declared types or slightly off, at increasing moments) are posted to a monitor
on durable_rules and one on the plain-Python matcher; every post must answer the same (the same
Posted, or the same error and message), and every state, obligation and history must agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import PolicySet
from policyengine.facts import ValueType
from policyengine.lifecycle import CompiledLifecycle
from policyengine.monitor import Monitor

from .monitor_helpers import needs_durable, snapshot

pytestmark = needs_durable
CASES = ["a", "b", "c"]


def value_of(vt: ValueType) -> st.SearchStrategy[Any]:
    if vt.kind == "enum":
        return st.sampled_from(vt.values)
    if vt.kind == "bool":
        return st.booleans()
    if vt.kind == "int":
        return st.integers(min_value=vt.minimum if vt.minimum is not None else -3,
                           max_value=vt.maximum if vt.maximum is not None else 40)
    if vt.kind == "date":
        return st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)
    if vt.kind == "datetime":
        return st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31)).map(
            lambda d: d.isoformat(timespec="minutes"))
    if vt.kind == "list" and vt.of is not None:
        return st.lists(value_of(vt.of), max_size=3)
    if vt.kind == "record":
        return st.fixed_dictionaries({k: value_of(v) for k, v in vt.fields})
    return st.text(alphabet="abc xyz", max_size=6)


@st.composite
def event_stream(draw: st.DrawFn, lifecycles: list[CompiledLifecycle]) -> list[dict[str, Any]]:
    lc = draw(st.sampled_from(lifecycles))
    at = dt.datetime(2026, 3, 2, 9, 0)
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        at += draw(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)))
        case = draw(st.sampled_from(CASES))
        if case not in seen and draw(st.integers(0, 4)):  # mostly open a case first
            ename = draw(st.sampled_from(sorted(lc.opened_by)))
        else:
            ename = draw(st.sampled_from(sorted(lc.events)))
        spec = lc.events[ename]
        data = {}
        for fname, vt in spec.data.items():
            if vt.optional and draw(st.booleans()):
                continue
            data[fname] = draw(value_of(vt))
        if spec.data and draw(st.integers(0, 9)) == 0:  # now and then, wrong data
            data[draw(st.sampled_from(sorted(spec.data)))] = "not-a-value"
        event: dict[str, Any] = {"case": case, "type": ename, "at": at.isoformat()}
        if case not in seen or draw(st.booleans()):
            event["case_type"] = lc.case_type
        seen.add(case)
        if data:
            event["data"] = data
        if draw(st.integers(0, 4)) == 0:
            event["id"] = f"e{draw(st.integers(0, 5))}"  # some ids repeat: redeliveries or not
        events.append(event)
    return events


def outcome(monitor: Monitor, event: dict[str, Any]) -> Any:
    try:
        return monitor.post(event).to_dict()
    except Exception as exc:
        return (type(exc).__name__, str(exc))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_durable_and_python_matchers_agree_on_random_streams(policies: PolicySet,
                                                             data: st.DataObject) -> None:
    lifecycles = [lc for p in policies for lc in p.lifecycles.values()]
    events = data.draw(event_stream(lifecycles))
    with Monitor(policies, engine="durable", sessions=2) as durable, \
            Monitor(policies, engine="python") as python:
        for event in events:
            assert outcome(durable, event) == outcome(python, event), event
        assert snapshot(durable) == snapshot(python)
