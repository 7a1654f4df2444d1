"""The event store: every accepted event committed before post returns, a refused one leaving no
trace, a reopened store resuming every case exactly, idempotent event ids; on memory, SQLite and a
real PostgreSQL server (started by the test in a temporary directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policyengine import PolicySet
from policyengine.monitor import (
    CaseClosedError,
    DuplicateEventError,
    EventNotAllowedError,
    EventOrderError,
    Monitor,
    StoreError,
)

from .monitor_helpers import (
    ASB,
    COMPLAINT,
    CONDUCT,
    CONTACT,
    ENGINES,
    HISTORY,
    SANCTION_FACTS,
    ev,
    snapshot,
)

EVENTS = [
    ev("C1", "received", "2026-03-02T10:00", {"stage": "quick_resolution"}, COMPLAINT, "e1"),
    ev("Q1", "received", "2026-03-02T10:05", {"channel": "letter",
                                              "resolved_at_first_contact": False}, CONTACT, "e2"),
    ev("K1", "warning_given", "2026-03-02T11:00", case_type=CONDUCT, id_="e3"),
    ev("C1", "escalated", "2026-03-05T10:00", id_="e4"),
    ev("K1", "code_implemented", "2026-03-06T11:00", SANCTION_FACTS, id_="e5"),
    ev("Q1", "acknowledged", "2026-03-06T12:00", id_="e6"),
    ev("Z1", "contact", "2026-03-06T13:00", {"channel": "email", "topic": "noise"}, HISTORY,
       "e7"),
    ev("K1", "notified", "2026-03-09T09:00", id_="e8"),
    ev("Z1", "review_requested", "2026-03-09T10:00",
       {"service_failure_outstanding": False, "vulnerable": False}, id_="e9"),
    ev("C1", "acknowledged", "2026-03-13T10:00", id_="e10"),
    ev("A1", "reported", "2026-03-13T22:00", {"report_type": "domestic_abuse"}, ASB, "e11"),
    ev("A1", "closed", "2026-03-20T10:00", id_="e12"),
]


def counts(m: Monitor) -> dict[str, int]:
    store: Any = m.store
    return {t: int(store.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in ("pe_cases", "pe_events", "pe_obligations")}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_reopened_store_resumes_every_case_exactly(
    policies: PolicySet, store_url: str, engine: str
) -> None:
    if store_url == ":memory:":
        pytest.skip("an in-memory store ends with its monitor")
    with Monitor(policies, store=store_url, engine=engine) as m:
        for e in EVENTS[:8]:
            m.post(e)
        m.advance_to("2026-03-09T09:30")
        before = snapshot(m)
    with Monitor(policies, store=store_url, engine=engine) as m:
        assert snapshot(m) == before
        for e in EVENTS[8:]:
            m.post(e)
        resumed = snapshot(m)
    with Monitor(policies, engine=engine) as whole:
        for e in EVENTS[:8]:
            whole.post(e)
        whole.advance_to("2026-03-09T09:30")
        for e in EVENTS[8:]:
            whole.post(e)
        assert snapshot(whole) == resumed


def test_a_refused_event_leaves_no_trace(policies: PolicySet, store_url: str) -> None:
    with Monitor(policies, store=store_url) as m:
        for e in EVENTS[:6]:
            m.post(e)
        rows, before = counts(m), snapshot(m)
        refused = [
            (ev("C1", "final_review_requested", "2026-03-14T10:00", id_="x1"),
             EventNotAllowedError),
            (ev("C1", "responded", "2026-03-01T10:00", id_="x2"), EventOrderError),
            (ev("A9", "reported", "2026-03-14T10:00", {"report_type": "nope"}, ASB, "x3"),
             Exception),
        ]
        for event, error in refused:
            with pytest.raises(error):
                m.post(event)
            assert counts(m) == rows and snapshot(m) == before
        # a refused event's id was not kept: it can be used for a corrected event
        assert m.post(ev("C1", "acknowledged", "2026-03-14T10:00", id_="x1")).duplicate is False


def test_the_same_id_is_acknowledged_once(policies: PolicySet, store_url: str) -> None:
    with Monitor(policies, store=store_url) as m:
        first = m.post(EVENTS[0])
        m.post(EVENTS[3])
        rows, before = counts(m), snapshot(m)
        again = m.post(dict(EVENTS[0]))
        assert again.duplicate and not first.duplicate
        assert {**again.to_dict(), "duplicate": False} == first.to_dict()
        assert counts(m) == rows and snapshot(m) == before
        # a redelivery is recognised even when the event would now be refused (out of order)
        assert m.post(EVENTS[3]).duplicate
        with pytest.raises(DuplicateEventError, match="already used by a different event"):
            m.post({**EVENTS[0], "at": "2026-03-02T10:01"})
        with pytest.raises(DuplicateEventError):
            m.post({**EVENTS[3], "case": "C2"})
        assert counts(m) == rows


def test_a_closed_case_still_acknowledges_its_redelivered_events(policies: PolicySet) -> None:
    with Monitor(policies) as m:
        m.post(EVENTS[10])
        closing = m.post(EVENTS[11])
        assert closing.closed
        again = m.post(EVENTS[11])
        assert again.duplicate and again.closed and again.lapsed == closing.lapsed
        with pytest.raises(CaseClosedError):
            m.post(ev("A1", "acknowledged", "2026-03-21T10:00", id_="e13"))


def test_a_failing_write_rolls_the_whole_event_back(
    policies: PolicySet, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Monitor(policies, store=store_url) as m:
        for e in EVENTS[:4]:
            m.post(e)
        rows, before = counts(m), snapshot(m)
        store: Any = m.store
        real = store.execute

        def failing(sql: str, params: Any = ()) -> Any:
            if sql.startswith(("INSERT INTO pe_obligations", "UPDATE pe_obligations")):
                raise StoreError("the disk is full (injected)")
            return real(sql, params)

        monkeypatch.setattr(store, "execute", failing)
        with pytest.raises(StoreError, match="injected"):
            m.post(ev("C1", "acknowledged", "2026-03-13T10:00", id_="e10"))
        monkeypatch.undo()
        assert counts(m) == rows and snapshot(m) == before
        assert m.post(ev("C1", "acknowledged", "2026-03-13T10:00", id_="e10")).discharged_late


def test_post_many_commits_in_batches_and_keeps_what_came_before_a_refusal(
    policies: PolicySet, tmp_path: Path
) -> None:
    path = tmp_path / "cases.db"
    bad = ev("C1", "final_review_requested", "2026-03-07T10:00", id_="bad")
    stream = [*EVENTS[:5], bad, *EVENTS[5:]]
    with Monitor(policies, store=path) as m:
        posted = []
        with pytest.raises(EventNotAllowedError):
            for p in m.post_many(stream, batch=2):
                posted.append(p.id)
        assert posted == ["e1", "e2", "e3", "e4", "e5"]
    with Monitor(policies, store=path) as m:
        assert len(m.store.history("C1")) == 2  # committed before the refusal
        assert [p.duplicate for p in m.post_many(EVENTS, batch=5)] == [True] * 5 + [False] * 7
    with Monitor(policies) as whole:
        for e in EVENTS:
            whole.post(e)
        with Monitor(policies, store=path) as m:
            assert snapshot(m) == snapshot(whole)


def test_an_unknown_store_is_a_clear_error(policies: PolicySet, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown store"):
        Monitor(policies, store="mysql://x")
    with pytest.raises(StoreError, match="cannot open the SQLite store"):
        Monitor(policies, store=tmp_path / "missing" / "cases.db")
    with pytest.raises(StoreError, match="cannot connect"):
        Monitor(policies, store="postgresql://nobody@127.0.0.1:1/none")


def test_without_psycopg_a_postgres_store_says_how_to_install(
    policies: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from policyengine.monitor import POSTGRES_HINT, MonitorUnavailableError

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MonitorUnavailableError) as info:
        Monitor(policies, store="postgresql://pe@127.0.0.1:1/none")
    assert POSTGRES_HINT in str(info.value)


def test_missing_postgres_binaries_fail_unless_a_developer_opts_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from . import pg_server

    monkeypatch.setattr(pg_server, "pg_bin", lambda: None)
    monkeypatch.delenv(pg_server.SKIP_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"), \
            pg_server.postgres_server():
        pass
    monkeypatch.setenv(pg_server.SKIP_ENV, "1")
    with pytest.raises(pytest.skip.Exception), pg_server.postgres_server():
        pass
