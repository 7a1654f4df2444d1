"""Each fast path of the monitor's replay against the slow path it replaces (hypothesis).

* ``read_envelope``'s short path (and its table of London days) against ``read_envelope_checked``:
  the same envelope, or the same refusal with the same message;
* ``dumps`` (the C encoder made once) against ``dumps_checked`` (the standard encoder);
* ``data_of``'s table of parsed data against ``json.loads``, and never handing out a dict that
  another caller may change;
* ``_each``'s loops against the reading of every value through ``_value_of``;
* the whole replay: ``post_many`` on SQLite (the write-back batch, the due-date cache keyed by
  date, validated data kept by their value) against ``post`` one event at a time on a monitor
  whose due dates are decided afresh (as_of as text) and whose data are validated every time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import PolicySet
from policyengine.decision import to_json_value
from policyengine.lifecycle import CompiledDue, CompiledLifecycle, FactSource
from policyengine.monitor import Monitor
from policyengine.monitor.effects import DueAnswer, _each, _value_of, due_answer
from policyengine.monitor.events import (
    MAX_ID,
    Envelope,
    read_envelope,
    read_envelope_checked,
)
from policyengine.monitor.store.rows import data_of, dumps, dumps_checked

from .monitor_helpers import COMPLAINT, snapshot
from .test_engines_differential import event_stream

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- read_envelope
# moments around the clock changes (29 March and 25 October 2026) and across years
MOMENTS = st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 12, 31)) | st.sampled_from(
    [dt.datetime(2026, 3, 29, 0, 59), dt.datetime(2026, 3, 29, 1, 30),
     dt.datetime(2026, 3, 29, 2, 0), dt.datetime(2026, 10, 25, 1, 30),
     dt.datetime(2026, 10, 25, 0, 59, 59, 999999), dt.datetime(2026, 10, 25, 2, 0),
     dt.datetime(2026, 10, 24, 23, 59), dt.datetime(2026, 10, 26, 0, 0)])


@st.composite
def at_texts(draw: st.DrawFn) -> Any:
    moment = draw(MOMENTS)
    spelling = draw(st.sampled_from(["minutes", "seconds", "auto", "space", "offset", "zulu",
                                     "week", "date", "garbage", "hour", "not_text"]))
    if spelling == "minutes":
        return moment.isoformat(timespec="minutes")
    if spelling == "seconds":
        return moment.isoformat(timespec="seconds")
    if spelling == "auto":
        return moment.isoformat()
    if spelling == "space":
        return moment.isoformat(sep=" ", timespec="minutes")
    if spelling == "offset":
        return moment.isoformat(timespec="minutes") + draw(st.sampled_from(["+01:00", "-05:30",
                                                                           "+00:00"]))
    if spelling == "zulu":
        return moment.isoformat(timespec="seconds") + "Z"
    if spelling == "week":
        year, week, day = moment.isocalendar()
        return f"{year}-W{week:02d}-{day}T{moment:%H:%M}"
    if spelling == "date":
        return moment.date().isoformat()
    if spelling == "hour":
        return moment.isoformat(timespec="hours")
    if spelling == "not_text":
        return draw(st.sampled_from([None, 20260105, moment]))
    return draw(st.text(max_size=22))


TEXTS = st.text(max_size=8) | st.sampled_from(["case-1", "received", "\ud800", "é", "x" * 201, ""])
#: names at and just past the length the monitor takes (MAX_ID), and not ASCII
NAMES_AT_LIMITS = st.sampled_from(["n" * MAX_ID, "n" * (MAX_ID + 1), "é" * MAX_ID, "name"])
VALUES = (st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(allow_nan=False)
          | TEXTS | st.lists(st.integers(), max_size=2))


@st.composite
def raw_events(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([None, [], "event", 3]))
    event: dict[Any, Any] = {}
    if draw(st.integers(0, 20)):
        event["case"] = draw(NAMES_AT_LIMITS | TEXTS | st.integers()) \
            if draw(st.integers(0, 3)) == 0 else "case-1"
    if draw(st.integers(0, 20)):
        event["type"] = draw(NAMES_AT_LIMITS | TEXTS | st.none()) \
            if draw(st.integers(0, 3)) == 0 else "received"
    if draw(st.integers(0, 20)):
        event["at"] = draw(at_texts())
    if draw(st.booleans()):
        event["id"] = draw(NAMES_AT_LIMITS | TEXTS | st.integers())
    if draw(st.booleans()):
        event["case_type"] = draw(NAMES_AT_LIMITS | TEXTS | st.integers())
    if draw(st.booleans()):
        event["data"] = draw(st.dictionaries(TEXTS, VALUES, max_size=4)
                             | st.sampled_from([None, [], "data", {1: "x"}]))
    if draw(st.integers(0, 20)) == 0:
        event[draw(st.sampled_from(["extra", "\udfff", 7]))] = 1
    return event


def envelope_or_refusal(read: Any, event: Any) -> Any:
    try:
        env: Envelope = read(event)
    except Exception as exc:
        return ("refused", type(exc).__name__, str(exc))
    return (env.case_id, env.type, env.at, env.at.utcoffset(), env.at.fold, str(env.at.tzinfo),
            env.at_text, env.ref, env.case_type, env.data, env.at_us, env.data_text)


@SETTINGS
@given(event=raw_events())
def test_the_envelope_short_path_reads_every_event_as_the_full_path(event: Any) -> None:
    slow = envelope_or_refusal(read_envelope_checked, event)
    assert envelope_or_refusal(read_envelope, event) == slow
    assert envelope_or_refusal(read_envelope, event) == slow  # again: from the day table


# ---------------------------------------------------------------- JSON text
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(), inner, max_size=3), max_leaves=12)


@SETTINGS
@given(value=JSON)
def test_dumps_writes_the_text_the_standard_encoder_writes(value: Any) -> None:
    assert dumps(value) == dumps_checked(value)
    assert json.loads(dumps(value)) == json.loads(dumps_checked(value))


def test_dumps_refuses_what_json_cannot_hold_as_the_standard_encoder_does() -> None:
    for value in ({1, 2}, {"at": dt.date(2026, 1, 5)}, [object()]):
        try:
            dumps_checked(value)
        except TypeError as exc:
            expected = str(exc)
        try:
            dumps(value)
        except TypeError as exc:
            assert str(exc) == expected
        else:
            raise AssertionError(f"dumps wrote {value!r}")


FLAT = st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | st.integers()
                       | st.text(max_size=5), max_size=4)


@SETTINGS
@given(data=st.one_of(FLAT, st.dictionaries(st.text(max_size=3), JSON, max_size=3)))
def test_data_of_reads_the_text_as_json_and_never_hands_out_a_shared_dict(
        data: dict[str, Any]) -> None:
    text = dumps(data)
    first = data_of(text)
    assert first == json.loads(text)
    first["changed by a caller"] = True
    assert data_of(text) == json.loads(text)
    assert data_of(text, shared=True) == json.loads(text)


# ---------------------------------------------------------------- _each
def each_slow(source: FactSource, events: list[dict[str, Any]]) -> list[Any]:
    """Every value read through ``_value_of``, as ``_each`` did before its loops were made lean."""
    items: list[Any] = []
    for ev in events:
        if ev["type"] != source.event:
            continue
        if source.value is not None:
            present, v = _value_of(ev, source.value)
            if present:
                items.append(v)
        else:
            record: dict[str, Any] = {}
            for rname, vname in source.fields:
                present, v = _value_of(ev, vname)
                if present:
                    record[rname] = v
            items.append(record)
    return items


NAMES = st.sampled_from(["at", "date", "channel", "topic", "n"])
JOURNAL_EVENT = st.fixed_dictionaries({
    "type": st.sampled_from(["contact", "review"]),
    "at": MOMENTS.map(lambda m: m.replace(tzinfo=dt.UTC).isoformat()),
    "data": st.dictionaries(NAMES, st.integers(0, 3) | st.text(max_size=2), max_size=3)})


@SETTINGS
@given(events=st.lists(JOURNAL_EVENT, max_size=6), value=st.none() | NAMES,
       fields=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), NAMES), max_size=3,
                       unique_by=lambda f: f[0]))
def test_each_reads_what_reading_every_value_reads(events: list[dict[str, Any]],
                                                   value: str | None,
                                                   fields: list[tuple[str, str]]) -> None:
    source = FactSource(kind="each", event="contact", value=value,
                        fields=() if value is not None else tuple(fields))
    assert _each(source, events) == each_slow(source, events)


# ---------------------------------------------------------------- the whole replay
def afresh(policies: PolicySet) -> Any:
    """A ``Decisions.due`` that decides every time, with ``as_of`` as text."""

    def due(policy: str, spec: CompiledDue, facts: Any, as_of: dt.date, memo: Any) -> DueAnswer:
        return due_answer(spec, policies.decide(policy, spec.decision, facts, as_of.isoformat()))

    return due


def validated_each_time(monitor: Monitor) -> Any:
    def validated(lc: CompiledLifecycle, env: Envelope) -> dict[str, Any]:
        data: dict[str, Any] = to_json_value(lc.events[env.type].validator.validate(env.data))
        env.data_text = dumps(data) if data else None
        return data

    return validated


def dense(streams: list[list[dict[str, Any]]], squeeze: int) -> list[dict[str, Any]]:
    """The streams' events as one stream (each stream's cases its own, its ids shared), their
    moments drawn ``squeeze`` times closer together, so that many fall on the same day and ask
    the due-date cache the same questions, or nearly."""
    start = dt.datetime(2026, 3, 2, 9, 0)
    timed: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for number, events in enumerate(streams):
        for event in events:
            at = start + (dt.datetime.fromisoformat(event["at"]) - start) / squeeze
            timed.append((at, len(timed), {**event, "case": f"{number}{event['case']}",
                                           "at": at.isoformat()}))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in timed]


def batched(monitor: Monitor, events: list[dict[str, Any]], size: int) -> list[Any]:
    """post_many's answers: each event's Posted, or the refusal that ended a batch (the events
    after it are posted again from there)."""
    out: list[Any] = []
    i = 0
    while i < len(events):
        try:
            for posted in monitor.post_many(events[i:], batch=size):
                out.append(posted.to_dict())
                i += 1
        except Exception as exc:
            out.append((type(exc).__name__, str(exc)))
            i += 1
    return out


def one_by_one(monitor: Monitor, events: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        try:
            out.append(monitor.post(event).to_dict())
        except Exception as exc:
            out.append((type(exc).__name__, str(exc)))
    return out


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_batched_replay_with_its_caches_answers_as_deciding_everything_afresh(
        policies: PolicySet, tmp_path_factory: Any, data: st.DataObject) -> None:
    lifecycles = [lc for p in policies for lc in p.lifecycles.values()]
    events = dense(data.draw(st.lists(event_stream(lifecycles), min_size=1, max_size=3)),
                   data.draw(st.sampled_from([1, 30, 500])))
    size = data.draw(st.integers(1, 6))
    folder: Path = tmp_path_factory.mktemp("fast")
    with Monitor(policies, store=str(folder / "fast.db"), engine="python") as fast, \
            Monitor(policies, store=str(folder / "slow.db"), engine="python") as slow:
        slow._decisions.due = afresh(policies)  # type: ignore[method-assign]
        slow._checks.validated = validated_each_time(slow)  # type: ignore[method-assign]
        assert batched(fast, events, size) == one_by_one(slow, events)
        expected = snapshot(slow)
        assert snapshot(fast) == expected
    with Monitor(policies, store=str(folder / "fast.db"), engine="python") as reopened:
        assert snapshot(reopened)["cases"] == expected["cases"]


def test_the_due_cache_answers_a_repeated_question_without_deciding_again(
        policies: PolicySet) -> None:
    """The differential test above proves little unless the cache is hit: two complaints
    received at the same moment at the same stage ask the same due-date questions."""
    calls: list[str] = []

    class Counting:
        def decide(self, policy: str, decision: str, facts: Any, as_of: Any = None) -> Any:
            calls.append(decision)
            return policies.decide(policy, decision, facts, as_of)

    with Monitor(policies, engine="python") as m:
        m._decisions.policies = Counting()  # type: ignore[assignment]
        first = {"case_type": COMPLAINT, "type": "received", "data": {"stage": "formal"}}
        m.post({**first, "case": "a", "at": "2026-03-02T09:00"})
        asked = len(calls)
        m.post({**first, "case": "b", "at": "2026-03-02T09:00"})
        assert asked > 0 and len(calls) == asked
        assert [o.due for o in m.obligations("a")] == [o.due for o in m.obligations("b")]
