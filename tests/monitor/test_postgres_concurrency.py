"""Two monitors sharing one PostgreSQL store (a real server the tests start): a transition from
a state is taken once, whoever posts; a durable session made stale by the other monitor is
restored from the store."""

from __future__ import annotations

import threading

import pytest

from policyengine import PolicySet
from policyengine.monitor import EventNotAllowedError, Monitor

from .monitor_helpers import ASB, COMPLAINT, ev, needs_durable, snapshot

CASES = 25


def race(monitors: list[Monitor], events: list[list[dict[str, object]]]) -> list[list[str]]:
    """Each monitor posts its own list at the same moments (a barrier before each event)."""
    barrier = threading.Barrier(len(monitors))
    outcomes: list[list[str]] = [[] for _ in monitors]

    def work(k: int) -> None:
        for event in events[k]:
            barrier.wait(timeout=30)
            try:
                monitors[k].post(event)
                outcomes[k].append("taken")
            except EventNotAllowedError:
                outcomes[k].append("refused")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(monitors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_two_monitors_never_both_take_a_transition_from_the_same_state(
    policies: PolicySet, pg_url: str
) -> None:
    with Monitor(policies, store=pg_url) as a, Monitor(policies, store=pg_url) as b:
        # both open the same cases at once: one opens each, the other is told it exists
        opening = [[ev(f"C{i}", "received", "2026-03-02T10:00", {"stage": "quick_resolution"},
                       COMPLAINT, f"{who}-open-{i}") for i in range(CASES)] for who in "ab"]
        opened = race([a, b], opening)
        # then both escalate each case at once: only from quick_resolution, so only once
        escalating = [[ev(f"C{i}", "escalated", "2026-03-03T10:00", id_=f"{who}-esc-{i}")
                       for i in range(CASES)] for who in "ab"]
        escalated = race([a, b], escalating)
        for outcome in (opened, escalated):
            for i in range(CASES):
                assert sorted([outcome[0][i], outcome[1][i]]) == ["refused", "taken"]
        for i in range(CASES):
            history = a.state(f"C{i}").history
            assert [(h.event, h.from_state, h.to_state) for h in history] == [
                ("received", None, "quick_resolution"),
                ("escalated", "quick_resolution", "formal")]
            assert [o.id for o in a.obligations(f"C{i}")] == [
                "quick_resolution.1", "acknowledge_formal.1", "respond_formal.1"]
        assert snapshot(a) == snapshot(b)


def test_the_same_id_from_two_monitors_at_once_is_applied_once(
    policies: PolicySet, pg_url: str
) -> None:
    with Monitor(policies, store=pg_url) as a, Monitor(policies, store=pg_url) as b:
        same = [ev(f"A{i}", "reported", "2026-03-02T10:00",
                   {"report_type": "anti_social_behaviour"}, ASB, f"id-{i}")
                for i in range(CASES)]
        outcomes = race([a, b], [same, same])
        assert all(o == "taken" for side in outcomes for o in side)  # both acknowledged
        assert len(a.cases()) == CASES
        assert all(len(a.state(f"A{i}").history) == 1 for i in range(CASES))


@needs_durable
def test_a_durable_session_made_stale_by_another_monitor_is_restored(
    policies: PolicySet, pg_url: str
) -> None:
    with Monitor(policies, store=pg_url, engine="durable") as a, \
            Monitor(policies, store=pg_url) as b:
        a.post(ev("C1", "received", "2026-03-02T10:00", {"stage": "quick_resolution"},
                  COMPLAINT))
        b.post(ev("C1", "escalated", "2026-03-03T10:00"))  # a's session is now behind
        with pytest.raises(EventNotAllowedError, match="'formal'"):
            a.post(ev("C1", "escalated", "2026-03-03T11:00"))
        posted = a.post(ev("C1", "acknowledged", "2026-03-04T10:00"))
        assert posted.from_state == "formal"
        assert posted.discharged == ("acknowledge_formal.1",)
        assert snapshot(a) == snapshot(b)
