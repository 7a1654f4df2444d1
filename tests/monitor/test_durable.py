"""durable_rules behind its boundary: sessions in a bounded LRU restored from the store, shards,
isolation, and no durable_rules error (or hang) ever reaching a caller."""

from __future__ import annotations

import gc
import textwrap
from typing import Any

import pytest

from policyengine import FactsError, PolicyError, PolicySet
from policyengine.monitor import EngineError, EventNotAllowedError, Monitor
from policyengine.monitor.durable import DurableEngine
from policyengine.policyset import compile_policy_text

from .monitor_helpers import ASB, COMPLAINT, ev, needs_durable, snapshot

pytestmark = needs_durable

GATED = textwrap.dedent(
    """\
    policy: {id: gated, organisation: Test Org, title: Gated, version: "1",
             nation: england-and-wales}
    sources:
      doc: {file: doc.txt, title: Doc}
    decisions:
      deadline:
        description: when
        facts:
          received_at: {type: datetime}
        outcomes:
          due_by: {type: date}
        rules:
          - id: three_days
            then: {due_by: {add: {working_days: 3}, to: {fact: received_at}}}
            cite: {source: doc, quote: "within three working days"}
    lifecycles:
      ticket:
        description: a ticket that only opens when urgent
        cite: {source: doc, quote: "tickets are followed up"}
        opened_by: raised
        initial: open
        states:
          open: {}
          done: {terminal: true}
        events:
          raised:
            data:
              urgent: {type: bool}
              level: {type: int, optional: true}
              note: {type: string, optional: true}
          answered: {}
        transitions:
          - id: urgent_ticket
            event: raised
            when: {urgent: true}
            to: open
            cite: {source: doc, quote: "urgent tickets are followed up"}
          - id: answered
            event: answered
            from: open
            to: done
            cite: {source: doc, quote: "tickets are answered"}
        obligations:
          answer:
            description: answer the ticket
            opened_by: {transition: urgent_ticket}
            discharged_by: answered
            due:
              decision: deadline
              facts: {received_at: {value: at}}
              outcome: due_by
            cite: {source: doc, quote: "within three working days"}
    """
)


def engine_of(m: Monitor) -> DurableEngine:
    engine = m._engine
    assert isinstance(engine, DurableEngine)
    return engine


def gated() -> PolicySet:
    return PolicySet({"gated": compile_policy_text(GATED, "gated.yaml")})


def test_data_no_transition_takes_is_refused_before_durable_sees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Monitor(gated(), engine="durable") as m:
        engine = engine_of(m)
        # a session made by a message no rule takes crashes durable_rules 2.0.28 when deleted
        with monkeypatch.context() as patch:
            patch.setattr(engine.host, "post", lambda *a: pytest.fail("posted to durable_rules"))
            with pytest.raises(EventNotAllowedError, match=r"urgent_ticket: urgent in \[True\]"):
                m.post(ev("T", "raised", "2026-03-02T10:00", {"urgent": False}, "gated.ticket"))
        assert m.cases() == [] and dict(engine.live) == {}
        posted = m.post(ev("T", "raised", "2026-03-02T10:00",
                           {"urgent": True, "note": 'a "quoted" naïve'}, "gated.ticket"))
        assert posted.opened == ("answer.1",)
        assert m.state("T").history[0].data["note"] == 'a "quoted" naïve'


def test_no_durable_error_type_reaches_a_caller_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch, policies: PolicySet,
) -> None:
    import durable_rules_engine

    with Monitor(policies, engine="durable") as m:
        m.post(ev("C1", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
        before = snapshot(m)

        def broken(*args: Any) -> None:
            raise durable_rules_engine.error("Could not assert event, error code: 303")

        engine = engine_of(m)
        with monkeypatch.context() as patch:
            patch.setattr(engine.host, "post", broken)
            with pytest.raises(EngineError, match="durable_rules failed") as info:
                m.post(ev("C1", "acknowledged", "2026-03-03T10:00"))
            assert not isinstance(info.value, durable_rules_engine.error)
            assert info.value.__cause__ is None and info.value.__context__ is not None
        assert snapshot(m) == before
        assert "C1" not in engine.live  # dropped: restored from the store when next needed
        m.post(ev("C1", "acknowledged", "2026-03-03T10:00"))
        assert m.state("C1").history[-1].event == "acknowledged"


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_outside_64_bits_are_refused_at_post(value: int) -> None:
    with Monitor(gated(), engine="durable") as m:
        with pytest.raises(FactsError, match="outside the 64-bit range") as info:
            m.post(ev("T", "raised", "2026-03-02T10:00", {"urgent": True, "level": value},
                      "gated.ticket"))
        assert info.value.problems[0].path == "data.level"
        assert info.value.problems[0].code == "out_of_range"
        assert m.cases() == []
        m.post(ev("T", "raised", "2026-03-02T10:00", {"urgent": True, "level": 2**63 - 1},
                  "gated.ticket"))
        assert m.state("T").history[0].data["level"] == 2**63 - 1


@pytest.mark.parametrize("where", ["case", "id", "type", "note"])
def test_text_that_is_not_unicode_is_refused_at_post(where: str) -> None:
    event = ev("T", "raised", "2026-03-02T10:00", {"urgent": True}, "gated.ticket", "e-1")
    if where == "note":
        event["data"]["note"] = "bad \ud800 text"
    else:
        event[where] = "bad \udfff"
    with Monitor(gated(), engine="durable") as m:
        with pytest.raises(FactsError, match="not valid Unicode") as info:
            m.post(event)
        assert info.value.problems[0].path == ("data.note" if where == "note" else where)
        assert m.cases() == []


def test_when_with_an_integer_outside_64_bits_is_refused_at_load() -> None:
    text = GATED.replace("when: {urgent: true}", "when: {urgent: true, level: 9223372036854775808}")
    with pytest.raises(PolicyError, match="outside the 64-bit range") as info:
        compile_policy_text(text, "gated.yaml")
    problem = info.value.problems[0]
    line = text.splitlines()[problem.line - 1]
    assert "9223372036854775808" in line or "level" in line


def test_lru_keeps_at_most_sessions_live_and_restores_from_the_store(
    policies: PolicySet,
) -> None:
    with Monitor(policies, engine="durable", sessions=3, shard_size=2) as m:
        engine = engine_of(m)
        for i in range(8):
            m.post(ev(f"S{i}", "reported", "2026-03-02T10:00",
                      {"report_type": "anti_social_behaviour"}, ASB))
            assert len(engine.live) <= 3
        assert list(engine.live) == ["S5", "S6", "S7"]
        # S0's session was released; its next event restores it from the store
        posted = m.post(ev("S0", "acknowledged", "2026-03-03T10:00"))
        assert posted.from_state == "reported" and posted.to_state == "investigating"
        assert "S0" in engine.live and len(engine.live) == 3
        session = engine.live["S0"]
        held = engine.host.get_state(session.shard.name, session.sid)
        assert held["state"] == "investigating" and held["events"] == 2
        assert sum(s.live for shards in engine.shards.values() for s in shards) == 3
        closed = m.post(ev("S0", "closed", "2026-03-04T10:00"))
        assert closed.closed and "S0" not in engine.live  # a closed case's session is freed


def test_two_monitors_with_the_same_case_ids_do_not_interfere(policies: PolicySet) -> None:
    with Monitor(policies, engine="durable") as a, Monitor(policies, engine="durable") as b:
        a.post(ev("same", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
        b.post(ev("same", "reported", "2026-03-02T10:00", {"report_type": "hate_crime"}, ASB))
        a.post(ev("same", "acknowledged", "2026-03-03T10:00"))
        assert a.state("same").case_type == COMPLAINT
        assert b.state("same").state == "reported"
        ea, eb = engine_of(a), engine_of(b)
        assert ea.host is not eb.host
        assert not set(ea.host._ruleset_directory) & set(eb.host._ruleset_directory)
        b.close()
        a.post(ev("same", "responded", "2026-03-04T10:00"))
        assert a.state("same").state == "formal_responded"


def test_a_forgotten_monitor_frees_its_sessions_when_collected(policies: PolicySet) -> None:
    m = Monitor(policies, engine="durable")
    m.post(ev("C1", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
    engine = engine_of(m)
    finalizer, live, host = engine.finalizer, engine.live, engine.host
    assert finalizer.alive and live
    del m, engine
    gc.collect()
    assert not finalizer.alive
    assert dict(live) == {} and host._ruleset_list == []
