"""Generators of case event streams for every lifecycle of the bundled and fixture policies.

A stream follows a few cases of one case type: each event is of one of the lifecycle's event
types (now and then one it does not have), at a moment that usually moves forward (hours to
months; now and then backwards, or given in a hostile form), with data drawn from the event's
declared data types (:func:`gen_facts.valid_value`) or hostile values, and now and then a
hostile case id, case type, extra key, or an event that is not a mapping at all. Only the
public :class:`~policyengine.monitor.Monitor` API is used (``post`` with events as mappings).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from gen_facts import policy_sets, valid_value
from hostile import PYTHON_VALUES
from hypothesis import strategies as st

from policyengine import PolicySet


@functools.cache
def lifecycles() -> tuple[tuple[PolicySet, Any], ...]:
    """(policy set, compiled lifecycle) for every lifecycle the loaded policies declare."""
    return tuple((policies, lc) for policies in policy_sets() for policy in policies
                 for lc in policy.lifecycles.values())


_HOSTILE = st.sampled_from(PYTHON_VALUES)
_CASE_IDS = st.one_of(
    st.sampled_from(["C1", "C1", "C1", "C2", "C2", "C3"]),
    st.sampled_from(["", "x" * 201, "é", "C1\n", " ", "\udcff"]),
    _HOSTILE,
)
_MOMENT_FORMS = ("iso", "iso", "iso", "iso_offset", "date", "python", "hostile")
_STEPS = st.one_of(
    st.integers(0, 72).map(lambda h: dt.timedelta(hours=h)),
    st.integers(0, 120).map(lambda d: dt.timedelta(days=d)),
    st.integers(-48, -1).map(lambda h: dt.timedelta(hours=h)),
)


@st.composite
def _moment(draw: st.DrawFn, when: dt.datetime) -> Any:
    form = draw(st.sampled_from(_MOMENT_FORMS))
    if form == "iso":
        return when.isoformat(timespec="minutes")
    if form == "iso_offset":
        return when.isoformat(timespec="seconds") + draw(st.sampled_from(["Z", "+01:00", "-04:00"]))
    if form == "date":
        return when.date().isoformat()
    if form == "python":
        return when
    return draw(st.one_of(_HOSTILE, st.sampled_from(
        ["2026-02-30T10:00", "soon", "2026-03-29T01:30", "2026-10-25T01:30", "+99:00"])))


@st.composite
def _data(draw: st.DrawFn, declared: dict[str, Any]) -> Any:
    if draw(st.integers(0, 29)) == 0:
        return draw(st.one_of(_HOSTILE, st.none()))
    data: dict[Any, Any] = {}
    for name, vt in declared.items():
        pick = draw(st.integers(0, 9))
        if pick == 0:
            continue
        data[name] = draw(_HOSTILE) if pick == 1 else draw(valid_value(vt))
    if draw(st.integers(0, 19)) == 0:
        data[draw(st.one_of(st.text(max_size=8), st.integers()))] = draw(_HOSTILE)
    return data


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[PolicySet, str, list[Any]]:
    """A lifecycle, its case type, and a stream of events for a few cases of it."""
    policies, lc = draw(st.sampled_from(lifecycles()), label="lifecycle")
    names = sorted(lc.events)
    when = draw(st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))
    events: list[Any] = []
    for _ in range(draw(st.integers(1, 12))):
        when = max(dt.datetime(2000, 1, 1), min(dt.datetime(2100, 1, 1), when + draw(_STEPS)))
        if draw(st.integers(0, 39)) == 0:
            events.append(draw(st.one_of(_HOSTILE, st.dictionaries(st.text(max_size=6),
                                                                   _HOSTILE, max_size=3))))
            continue
        etype = draw(st.one_of(st.sampled_from(names), st.sampled_from(names),
                               st.sampled_from(names), st.sampled_from(["", "nope", "received"]),
                               _HOSTILE)) if draw(st.integers(0, 9)) == 0 else draw(
            st.sampled_from(names))
        event: dict[Any, Any] = {"case": draw(_CASE_IDS) if draw(st.integers(0, 14)) == 0
                                 else draw(st.sampled_from(["C1", "C1", "C2", "C3"])),
                                 "type": etype, "at": draw(_moment(when))}
        if draw(st.integers(0, 2)) == 0 or not events:
            event["case_type"] = lc.case_type if draw(st.integers(0, 14)) else draw(
                st.one_of(_HOSTILE, st.sampled_from(["nope", "mini", f"{lc.case_type}x"])))
        spec = lc.events.get(etype) if isinstance(etype, str) else None
        if spec is not None and (spec.data or draw(st.integers(0, 9)) == 0):
            event["data"] = draw(_data(dict(spec.data)))
        if draw(st.integers(0, 9)) == 0:
            event["id"] = draw(st.one_of(st.text(max_size=8), _HOSTILE))
        if draw(st.integers(0, 29)) == 0:
            event[draw(st.one_of(st.text(max_size=6), st.integers()))] = draw(_HOSTILE)
        events.append(event)
    return policies, lc.case_type, events
