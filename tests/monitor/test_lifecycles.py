"""The case monitor: the bundled lifecycles followed in logical time, on both engines.

Every test that takes the ``monitor`` fixture (or ``make``) runs once with the plain-Python
matcher and once with durable_rules (where installed), on the in-memory store.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import FactsError, PolicyError, PolicySet
from policyengine.cli import main
from policyengine.durations import LONDON
from policyengine.lifecycle import CompiledLifecycle
from policyengine.monitor import (
    CaseClosedError,
    ClockError,
    EventError,
    EventNotAllowedError,
    EventOrderError,
    Monitor,
    MonitorClosedError,
    UnknownCaseError,
    UnknownCaseTypeError,
    UnknownEventTypeError,
)
from policyengine.policyset import compile_policy_text
from policyengine.provenance import normalise

from .conftest_paths import POLICIES, SEEDS
from .monitor_helpers import snapshot

HAS_DURABLE = importlib.util.find_spec("durable") is not None
ENGINES = [
    "python",
    pytest.param("durable", marks=pytest.mark.skipif(
        not HAS_DURABLE, reason="durable_rules (the 'monitor' extra) is not installed")),
]

COMPLAINT = "platform_commitments.complaint"
CONTACT = "platform_commitments.contact"
ASB = "platform_commitments.asb_report"
CONDUCT = "halton_conduct.conduct_case"
HISTORY = "citizen_persistent_contact.contact_history"

SANCTION_FACTS = {
    "severity": "medium",
    "prior_warning_given": True,
    "corrected_immediately": False,
    "channel": "telephone",
    "posted_on_social_media": False,
    "in_involved_groups": False,
    "vexatious_or_persistent": False,
}


def ev(case: str, type_: str, at: str, data: dict[str, Any] | None = None,
       case_type: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"case": case, "type": type_, "at": at}
    if data is not None:
        out["data"] = data
    if case_type is not None:
        out["case_type"] = case_type
    return out


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def monitor(policies: PolicySet, engine: str) -> Iterator[Monitor]:
    with Monitor(policies, engine=engine) as m:
        yield m


def by_id(m: Monitor, case: str, as_of: Any = None) -> dict[str, Any]:
    return {o.id: o for o in m.obligations(case, as_of)}


# ------------------------------------------------------------------------ the policies' lifecycles


def test_every_lifecycle_the_issue_asks_for_is_declared(policies: PolicySet) -> None:
    declared = {lc.case_type for p in policies for lc in p.lifecycles.values()}
    assert {COMPLAINT, CONTACT, ASB, CONDUCT, HISTORY} <= declared


def _citations(lc: CompiledLifecycle) -> Iterator[Any]:
    yield from lc.citations
    for state in lc.states.values():
        yield from state.citations
    for event in lc.events.values():
        yield from event.citations
    for t in lc.transitions:
        yield from t.citations
    for o in lc.obligations.values():
        yield from o.citations


@pytest.mark.skipif(not SEEDS.exists(), reason="source documents not available")
def test_every_lifecycle_quote_occurs_in_its_document(policies: PolicySet) -> None:
    missing = []
    for policy in policies:
        for lc in policy.lifecycles.values():
            for cite in _citations(lc):
                text = normalise((SEEDS / cite.document).read_text(encoding="utf-8"))
                if normalise(cite.clause) not in text:
                    missing.append((lc.case_type, cite.clause))
    assert missing == []


def test_every_transition_and_obligation_cites_its_clause(policies: PolicySet) -> None:
    for policy in policies:
        for lc in policy.lifecycles.values():
            assert lc.citations
            assert all(t.citations for t in lc.transitions)
            assert all(o.citations for o in lc.obligations.values())


def test_lifecycles_compile_to_single_event_durable_rules(policies: PolicySet) -> None:
    lc = policies.policy("halton_conduct").lifecycles["conduct_case"]
    definition = lc.ruleset_definition(lambda rule: lambda c: None)
    assert set(definition) == {r.name for r in lc.rules}
    rule = definition["t.appeal_upheld"]
    assert rule["all"] == [{"m": {"$and": [{"type": "appeal_decided"},
                                            {"state": "under_appeal"},
                                            {"data.outcome": "upheld"}]}}]
    # a fresh definition each time: durable_rules deletes "run" from what it is given
    assert lc.ruleset_definition(lambda rule: lambda c: None)["t.appeal_upheld"] is not rule


# -------------------------------------------------------------------------------- complaints


def test_quick_resolution_resolved_in_time(monitor: Monitor, policies: PolicySet) -> None:
    posted = monitor.post(ev("C1", "received", "2026-03-02T10:00",
                             {"stage": "quick_resolution"}, COMPLAINT))
    assert posted.to_state == "quick_resolution"
    assert posted.opened == ("quick_resolution.1",)
    qr = by_id(monitor, "C1")["quick_resolution.1"]
    expected = policies.decide("platform_commitments", "complaint_deadlines",
                               {"stage": "quick_resolution",
                                "received_at": "2026-03-02T10:00"}, "2026-03-02")
    assert qr.due == expected.outcome["resolve_by"] == dt.date(2026, 3, 4)
    assert qr.status == "open"
    assert any("Aim to resolve all QRs within 2 working days." in c["clause"]
               for c in qr.citations)
    assert [s.rule for s in qr.trace][:2] == ["quick_resolution", "quick_resolution"]
    done = monitor.post(ev("C1", "resolved", "2026-03-04T16:00"))
    assert done.closed and done.discharged == ("quick_resolution.1",)
    state = monitor.state("C1")
    assert state.state == "closed" and state.closed
    assert [h.transition for h in state.history] == ["received_quick",
                                                      "quick_resolution_resolved"]
    assert by_id(monitor, "C1")["quick_resolution.1"].status == "discharged"
    with pytest.raises(CaseClosedError):
        monitor.post(ev("C1", "withdrawn", "2026-03-05T10:00"))


def test_escalation_late_then_formal_and_final_review(monitor: Monitor) -> None:
    monitor.post(ev("C2", "received", "2026-03-06T16:30", {"stage": "quick_resolution"},
                    COMPLAINT))
    # Friday 16:30 (before 17:00): 2 working days are Monday and Tuesday
    assert by_id(monitor, "C2")["quick_resolution.1"].due == dt.date(2026, 3, 10)
    posted = monitor.post(ev("C2", "escalated", "2026-03-12T10:00"))
    assert posted.discharged_late == ("quick_resolution.1",)
    assert posted.opened == ("acknowledge_formal.1", "respond_formal.1")
    obs = by_id(monitor, "C2")
    assert obs["quick_resolution.1"].status == "discharged_late"
    assert obs["quick_resolution.1"].late
    # the formal stage runs from the escalation
    assert obs["acknowledge_formal.1"].due == dt.date(2026, 3, 17)
    assert obs["respond_formal.1"].due == dt.date(2026, 4, 2)
    assert any(i["name"] == "escalation_starts_formal_stage"
               for i in obs["respond_formal.1"].interpretations)
    monitor.post(ev("C2", "acknowledged", "2026-03-13T09:00"))
    monitor.post(ev("C2", "responded", "2026-03-30T12:00"))
    assert monitor.state("C2").state == "formal_responded"
    monitor.post(ev("C2", "final_review_requested", "2026-04-01T18:30"))
    obs = by_id(monitor, "C2")
    assert obs["acknowledge_formal.1"].status == "discharged"
    assert obs["respond_formal.1"].status == "discharged"
    # 18:30 is after office hours: received on Thursday 2 April, Good Friday and Easter Monday
    # are bank holidays
    assert obs["acknowledge_final_review.1"].due == dt.date(2026, 4, 9)
    monitor.post(ev("C2", "responded", "2026-04-15T10:00"))
    final = by_id(monitor, "C2")
    # a response acknowledges too (here after the acknowledgement was due)
    assert final["acknowledge_final_review.1"].status == "discharged_late"
    assert final["respond_final_review.1"].status == "discharged"
    assert monitor.state("C2").closed


def test_withdrawn_complaint_cancels_its_deadlines(monitor: Monitor) -> None:
    monitor.post(ev("C3", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
    posted = monitor.post(ev("C3", "withdrawn", "2026-03-20T10:00"))
    assert set(posted.cancelled) == {"acknowledge_formal.1", "respond_formal.1"}
    assert monitor.overdue("2026-06-01") == []


def test_overdue_lists_undischarged_duties_across_cases(monitor: Monitor) -> None:
    monitor.post(ev("A", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
    monitor.post(ev("B", "received", "2026-03-02T11:00", {"stage": "formal"}, COMPLAINT))
    monitor.post(ev("B", "acknowledged", "2026-03-03T11:00"))
    due = by_id(monitor, "A")["acknowledge_formal.1"].due
    assert due == dt.date(2026, 3, 5)
    assert monitor.overdue("2026-03-05T23:59") == []  # due by the end of the day
    late = monitor.overdue("2026-03-06")
    assert [(o.case, o.id) for o in late] == [("A", "acknowledge_formal.1")]
    assert late[0].status == "overdue"
    assert late[0].to_dict()["decision"]["decision"] == "complaint_deadlines"
    # as of a moment before the acknowledgement, B's was still open, not overdue
    assert by_id(monitor, "B", "2026-03-02T12:00")["acknowledge_formal.1"].status == "open"
    # obligations opened after as_of do not exist yet
    assert by_id(monitor, "B", "2026-03-02T10:30") == {}


# ---------------------------------------------------------------------------------- contacts


def test_written_contact_gets_acknowledgement_update_and_full_response(
    monitor: Monitor, policies: PolicySet
) -> None:
    facts = {"channel": "email", "received_at": "2026-03-02T09:00",
             "resolved_at_first_contact": False}
    monitor.post(ev("Q1", "received", facts["received_at"],
                    {"channel": "email", "resolved_at_first_contact": False}, CONTACT))
    expected = policies.decide("platform_commitments", "contact_deadlines", facts, "2026-03-02")
    obs = by_id(monitor, "Q1")
    assert obs["acknowledge.1"].due == expected.outcome["acknowledge_by"]
    assert obs["update.1"].due == expected.outcome["update_by"]
    assert obs["full_response.1"].due == expected.outcome["full_response_by"]
    posted = monitor.post(ev("Q1", "responded", "2026-03-10T09:00"))
    assert posted.discharged == ("full_response.1",)
    assert set(posted.discharged_late) == {"acknowledge.1", "update.1"}
    assert posted.closed


def test_web_chat_acknowledgement_is_due_in_two_minutes(monitor: Monitor) -> None:
    monitor.post(ev("Q2", "received", "2026-03-29T00:59",
                    {"channel": "web_chat", "resolved_at_first_contact": False}, CONTACT))
    ack = by_id(monitor, "Q2")["acknowledge.1"]
    assert ack.due == dt.datetime(2026, 3, 29, 2, 1, tzinfo=LONDON)  # across the clock change
    monitor.post(ev("Q2", "acknowledged", "2026-03-29T02:05"))
    assert by_id(monitor, "Q2")["acknowledge.1"].status == "discharged_late"


def test_telephone_contacts(monitor: Monitor) -> None:
    resolved = monitor.post(ev("T1", "received", "2026-03-02T09:00",
                               {"channel": "telephone", "resolved_at_first_contact": True},
                               CONTACT))
    assert resolved.closed and resolved.opened == ()
    unresolved = monitor.post(ev("T2", "received", "2026-03-02T09:00",
                                 {"channel": "telephone", "resolved_at_first_contact": False},
                                 CONTACT))
    assert unresolved.opened == ("update.1",)
    assert {n["obligation"] for n in unresolved.not_opened} == {"acknowledge", "full_response"}
    assert monitor.state("T2").history[0].not_opened


# --------------------------------------------------------------------------------------- ASB


def test_asb_acknowledgement_24_hours_or_3_working_days(monitor: Monitor) -> None:
    monitor.post(ev("H1", "reported", "2026-03-06T18:00", {"report_type": "hate_crime"}, ASB))
    monitor.post(ev("S1", "reported", "2026-03-06T18:00",
                    {"report_type": "anti_social_behaviour"}, ASB))
    assert by_id(monitor, "H1")["acknowledge.1"].due == dt.datetime(2026, 3, 7, 18, 0,
                                                                     tzinfo=LONDON)
    # Fri 18:00 is after closing: received Sat 7 Mar; day one Mon 9; 3 working days: Wed 11
    assert by_id(monitor, "S1")["acknowledge.1"].due == dt.date(2026, 3, 11)
    monitor.advance_to("2026-03-08T09:00")
    assert [(o.case, o.status) for o in monitor.overdue()] == [("H1", "overdue")]
    monitor.post(ev("H1", "acknowledged", "2026-03-08T10:00"))
    assert monitor.state("H1").state == "investigating"
    assert by_id(monitor, "H1")["acknowledge.1"].status == "discharged_late"
    closed = monitor.post(ev("S1", "closed", "2026-03-20T10:00"))
    assert closed.lapsed == ("acknowledge.1",)
    lapsed = by_id(monitor, "S1")["acknowledge.1"]
    assert lapsed.status == "lapsed" and lapsed.late


# ------------------------------------------------------------------------------------ Halton


def implemented(m: Monitor, case: str = "K1") -> None:
    m.post(ev(case, "warning_given", "2026-03-02T10:00", case_type=CONDUCT))
    m.post(ev(case, "code_implemented", "2026-03-09T11:00", SANCTION_FACTS))


def test_conduct_case_warning_implementation_notice_and_review(
    monitor: Monitor, policies: PolicySet
) -> None:
    implemented(monitor)
    state = monitor.state("K1")
    assert state.state == "implemented"
    assert [h.transition for h in state.history] == ["warning", "implemented_after_warning"]
    obs = by_id(monitor, "K1")
    assert obs["written_notice.1"].due is None and obs["written_notice.1"].status == "open"
    review = policies.decide("halton_conduct", "sanction", SANCTION_FACTS, "2026-03-09")
    assert obs["review.1"].due == review.outcome["review_by"] == dt.date(2026, 6, 9)
    monitor.post(ev("K1", "notified", "2026-03-11T09:00"))
    obs = by_id(monitor, "K1")
    assert obs["written_notice.1"].status == "discharged"
    assert obs["appeal_window.1"].kind == "window"
    assert obs["appeal_window.1"].due == dt.date(2026, 3, 25)
    # the review continues the code: a second review from the date of the review
    posted = monitor.post(ev("K1", "reviewed", "2026-06-05T10:00", {"outcome": "continue"}))
    assert posted.discharged == ("review.1",) and posted.opened == ("review.2",)
    assert by_id(monitor, "K1")["review.2"].due == dt.date(2026, 9, 5)
    # the appeal window passed unused
    assert by_id(monitor, "K1")["appeal_window.1"].status == "expired"
    assert monitor.overdue() == []  # a window is not a duty
    lifted = monitor.post(ev("K1", "reviewed", "2026-09-01T10:00", {"outcome": "lift"}))
    assert lifted.closed and monitor.state("K1").state == "closed"


def test_appeal_within_10_working_days_makes_the_decision_due(
    monitor: Monitor, policies: PolicySet
) -> None:
    implemented(monitor)
    monitor.post(ev("K1", "notified", "2026-03-11T09:00"))
    posted = monitor.post(ev("K1", "appeal_lodged", "2026-03-24T15:00"))
    assert posted.discharged == ("appeal_window.1",)
    decision = by_id(monitor, "K1")["appeal_decision.1"]
    expected = policies.decide("halton_conduct", "appeal_deadline",
                               {"notification_received": "2026-03-11",
                                "appeal_received": "2026-03-24"}, "2026-03-24")
    assert decision.due == expected.outcome["decision_due"] == dt.date(2026, 4, 9)
    assert decision.decision is not None and decision.decision.outcome["appeal_in_time"]
    assert monitor.state("K1").state == "under_appeal"
    # 001: "a decision regarding the appeal will normally be sent to the appellant within 10
    # working days": a target, so past it the decision is past_target, never overdue
    monitor.advance_to("2026-04-10")
    assert monitor.overdue() == []
    assert [o.id for o in monitor.past_target()] == ["appeal_decision.1"]
    late = by_id(monitor, "K1")["appeal_decision.1"]
    assert late.kind == "target" and late.status == "past_target" and late.is_open
    monitor.post(ev("K1", "appeal_decided", "2026-04-13T10:00", {"outcome": "not_upheld"}))
    assert by_id(monitor, "K1")["appeal_decision.1"].status == "discharged_late"
    assert monitor.past_target() == []
    assert monitor.state("K1").state == "in_force"


def test_appeal_after_10_working_days_is_recorded_as_late(monitor: Monitor) -> None:
    implemented(monitor)
    monitor.post(ev("K1", "notified", "2026-03-11T09:00"))
    monitor.post(ev("K1", "appeal_lodged", "2026-03-26T09:00"))
    obs = by_id(monitor, "K1")
    assert obs["appeal_window.1"].status == "discharged_late"
    decision = obs["appeal_decision.1"].decision
    assert decision is not None and decision.outcome["appeal_in_time"] is False


def test_appeal_needs_the_notice_first(monitor: Monitor) -> None:
    implemented(monitor)
    with pytest.raises(EventNotAllowedError, match="allowed in: in_force"):
        monitor.post(ev("K1", "appeal_lodged", "2026-03-10T09:00"))


def test_severe_breach_implements_the_code_at_once(monitor: Monitor) -> None:
    posted = monitor.post(ev("K2", "code_implemented", "2026-03-09T11:00",
                             {**SANCTION_FACTS, "severity": "severe",
                              "prior_warning_given": False}, CONDUCT))
    assert posted.transition == "implemented_at_once"
    assert any(i["name"] == "severe_breach_acts_at_once"
               for i in monitor.state("K2").interpretations)


def test_a_first_low_corrected_breach_cannot_implement_the_code(
    monitor: Monitor, policies: PolicySet
) -> None:
    # 001: "In the first instance, highlight that their behaviour is unacceptable and unless
    # immediately corrected by the customer, that the code is likely to be the next step."
    facts = {**SANCTION_FACTS, "severity": "low", "prior_warning_given": False,
             "corrected_immediately": True}
    sanction = policies.decide("halton_conduct", "sanction", facts, "2026-03-09")
    assert sanction.outcome["code_implemented"] is False
    with pytest.raises(EventNotAllowedError, match=r"'code_implemented' is refused") as info:
        monitor.post(ev("K3", "code_implemented", "2026-03-09T11:00", facts, CONDUCT))
    assert "unless immediately corrected by the customer" in str(info.value)
    assert monitor.cases() == []
    # the same from a warned case: it stays warned, and never reaches in_force this way
    monitor.post(ev("K4", "warning_given", "2026-03-02T10:00", case_type=CONDUCT))
    with pytest.raises(EventNotAllowedError, match="sanction for these facts"):
        monitor.post(ev("K4", "code_implemented", "2026-03-09T11:00",
                        {**facts, "prior_warning_given": False}))
    assert monitor.state("K4").state == "warned"
    with pytest.raises(EventNotAllowedError):
        monitor.post(ev("K4", "notified", "2026-03-10T09:00"))


# ----------------------------------------------------------------------------------- Citizen


def persistent_contacts(m: Monitor, case: str = "Z1", n: int = 40) -> None:
    for i in range(n):
        day = dt.datetime(2026, 3, 2, 9, 0) + dt.timedelta(hours=7 * i)
        m.post(ev(case, "contact", day.isoformat(), {"channel": "telephone", "topic": "repair"},
                  HISTORY if i == 0 else None))
    m.post(ev(case, "behaviour_reported", "2026-04-01T10:00",
              {"behaviour": "threats_or_aggression"}))


def test_citizen_contact_is_flagged_for_judgement_never_restricted(monitor: Monitor) -> None:
    persistent_contacts(monitor)
    posted = monitor.post(ev("Z1", "review_requested", "2026-04-02T10:00",
                             {"service_failure_outstanding": False, "vulnerable": True}))
    assert posted.opened == ("assessment.1",)
    item = by_id(monitor, "Z1")["assessment.1"]
    assert item.for_judgement and item.status == "awaiting_judgement" and item.due is None
    considered = {c["id"] for c in item.considerations}
    assert {"individual_parameters", "vulnerability_and_disability",
            "behaviour_directed_at_staff"} <= considered
    assert {r["id"] for r in item.requirements} >= {"appeal_right_stated", "support_offered"}
    assert item.decision is not None and len(item.decision.facts["contacts"]) == 40
    # however long it waits and however many contacts follow, nothing restricts contact
    for i in range(20):
        monitor.post(ev("Z1", "contact", f"2026-05-{i + 1:02d}T09:00",
                        {"channel": "email", "topic": "repair"}))
    monitor.advance_to("2027-06-01")
    assert monitor.state("Z1").state == "open"
    assert all(h.to_state != "restricted" for h in monitor.state("Z1").history)
    assert monitor.overdue() == []
    assert by_id(monitor, "Z1")["assessment.1"].status == "awaiting_judgement"


def test_citizen_service_failure_means_no_judgement_item(monitor: Monitor) -> None:
    persistent_contacts(monitor, n=3)
    posted = monitor.post(ev("Z1", "review_requested", "2026-04-02T10:00",
                             {"service_failure_outstanding": True, "vulnerable": False}))
    assert posted.opened == ()
    assert "does not apply" in posted.not_opened[0]["reason"]


def test_citizen_restriction_is_refused_while_a_service_failure_is_outstanding(
    monitor: Monitor, policies: PolicySet
) -> None:
    # 004: "We have provided clarity within the policy that it relates to if we fall short of
    # service delivery standards." restriction_assessment then says the policy does not apply.
    persistent_contacts(monitor, n=5)
    assessment = policies.decide(
        "citizen_persistent_contact", "restriction_assessment",
        {"contacts": [], "behaviours": [], "service_failure_outstanding": True,
         "vulnerable": False}, "2026-04-02")
    assert assessment.status == "not_applicable"
    monitor.post(ev("Z1", "review_requested", "2026-04-01T12:00",
                    {"service_failure_outstanding": False, "vulnerable": False}))
    assert by_id(monitor, "Z1")["assessment.1"].status == "awaiting_judgement"
    found = monitor.post(ev("Z1", "review_requested", "2026-04-02T10:00",
                            {"service_failure_outstanding": True, "vulnerable": False}))
    assert found.to_state == "service_failure_first"
    assert found.cancelled == ("assessment.1",)  # nothing left for a person to weigh
    with pytest.raises(EventNotAllowedError, match="service failure outstanding") as info:
        monitor.post(ev("Z1", "restriction_decided", "2026-04-03T10:00",
                        {"decided_by": "Head of Customer Service"}))
    assert "'restriction_decided' is not allowed while the case is 'service_failure_first'" \
        in str(info.value)
    assert monitor.state("Z1").state == "service_failure_first"
    # contacts are still recorded; a later review finding no failure returns the case to open
    monitor.post(ev("Z1", "contact", "2026-04-04T10:00", {"channel": "email", "topic": "x"}))
    back = monitor.post(ev("Z1", "review_requested", "2026-04-20T10:00",
                           {"service_failure_outstanding": False, "vulnerable": False}))
    assert back.to_state == "open" and back.opened == ("assessment.2",)
    restricted = monitor.post(ev("Z1", "restriction_decided", "2026-04-21T10:00",
                                 {"decided_by": "Head of Customer Service"}))
    assert restricted.to_state == "restricted"


def test_citizen_restriction_only_by_a_persons_decision(
    monitor: Monitor, policies: PolicySet
) -> None:
    persistent_contacts(monitor, n=5)
    monitor.post(ev("Z1", "review_requested", "2026-04-02T10:00",
                    {"service_failure_outstanding": False, "vulnerable": False}))
    posted = monitor.post(ev("Z1", "restriction_decided", "2026-04-07T10:00",
                             {"decided_by": "Head of Customer Service"}))
    assert posted.to_state == "restricted"
    assert posted.discharged == ("assessment.1",)
    expected = policies.decide("citizen_persistent_contact", "restriction_appeal",
                               {"restriction_decided_on": "2026-04-07"}, "2026-04-07")
    obs = by_id(monitor, "Z1")
    assert obs["appeal_window.1"].due == expected.outcome["appeal_by"]
    assert obs["restriction_review.1"].due == expected.outcome["review_by"]
    monitor.post(ev("Z1", "appeal_received", "2026-04-10T10:00"))
    assert by_id(monitor, "Z1")["appeal_decision.1"].due is None
    upheld = monitor.post(ev("Z1", "appeal_decided", "2026-04-20T10:00", {"outcome": "upheld"}))
    assert upheld.to_state == "open"
    assert upheld.cancelled == ("restriction_review.1",)


# ------------------------------------------------------------------------- errors, no changes


def test_bad_events_get_clear_errors_and_change_nothing(monitor: Monitor) -> None:
    monitor.post(ev("C1", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
    monitor.post(ev("C1", "acknowledged", "2026-03-03T10:00"))
    before = snapshot(monitor)
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        (ev("X", "received", "2026-03-04T10:00", {"stage": "formal"}, "platform.nothing"),
         UnknownCaseTypeError, "unknown case type"),
        (ev("C1", "telephoned", "2026-03-04T10:00"), UnknownEventTypeError, "its events"),
        (ev("C9", "acknowledged", "2026-03-04T10:00", case_type=COMPLAINT), UnknownCaseError,
         "does not open"),
        (ev("C9", "acknowledged", "2026-03-04T10:00"), UnknownCaseError, "case_type"),
        (ev("C1", "responded", "2026-03-03T09:59"), EventOrderError, "earlier than the case"),
        (ev("C2", "received", "2026-03-04T10:00", {"stage": "urgent"}, COMPLAINT), FactsError,
         "stage"),
        (ev("C2", "received", "2026-03-04T10:00", {}, COMPLAINT), FactsError, "stage"),
        (ev("C2", "received", "2026-03-04", {"stage": "formal"}, COMPLAINT), EventError,
         "date and time"),
        (ev("C1", "final_review_requested", "2026-03-04T10:00"), EventNotAllowedError,
         "not allowed while the case is 'formal'"),
        (ev("C1", "acknowledged", "2026-03-04T10:00", case_type=CONTACT), EventError,
         "is a platform_commitments.complaint case"),
        ({"case": "C1", "type": "acknowledged", "at": "2026-03-04T10:00", "when": "now"},
         EventError, "unknown key"),
        ({"case": "C1", "type": "acknowledged"}, EventError, "no 'at'"),
        ({"case": "", "type": "acknowledged", "at": "2026-03-04T10:00"}, EventError, "case"),
    ]
    for event, error, words in bad:
        with pytest.raises(error, match=words):
            monitor.post(event)
        assert snapshot(monitor) == before, event
    monitor.advance_to("2026-03-10T00:00")
    before = snapshot(monitor)
    with pytest.raises(EventOrderError, match="monitor's clock"):
        monitor.post(ev("C2", "received", "2026-03-09T10:00", {"stage": "formal"}, COMPLAINT))
    with pytest.raises(ClockError):
        monitor.advance_to("2026-03-09")
    assert snapshot(monitor) == before
    with pytest.raises(UnknownCaseError):
        monitor.state("nobody")


def test_facts_errors_name_the_field(monitor: Monitor) -> None:
    with pytest.raises(FactsError) as info:
        monitor.post(ev("K1", "code_implemented", "2026-03-09T11:00",
                        {**SANCTION_FACTS, "severity": "awful"}, CONDUCT))
    assert info.value.fact == "severity"
    assert info.value.allowed == ["low", "medium", "high", "severe"]
    assert monitor.cases() == []


GATED = textwrap.dedent(
    """\
    policy:
      id: gated
      organisation: Test Org
      title: Gated
      version: "1"
      nation: england-and-wales
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


# ----------------------------------------------------------------------- determinism, isolation

REPLAY = [
    ev("C1", "received", "2026-03-02T10:00", {"stage": "quick_resolution"}, COMPLAINT),
    ev("Q1", "received", "2026-03-02T10:05", {"channel": "letter",
                                              "resolved_at_first_contact": False}, CONTACT),
    ev("K1", "warning_given", "2026-03-02T11:00", case_type=CONDUCT),
    ev("C1", "escalated", "2026-03-05T10:00"),
    ev("K1", "code_implemented", "2026-03-06T11:00", SANCTION_FACTS),
    ev("Q1", "acknowledged", "2026-03-06T12:00"),
    ev("Z1", "contact", "2026-03-06T13:00", {"channel": "email", "topic": "noise"}, HISTORY),
    ev("K1", "notified", "2026-03-09T09:00"),
    ev("Z1", "review_requested", "2026-03-09T10:00",
       {"service_failure_outstanding": False, "vulnerable": False}),
    ev("C1", "acknowledged", "2026-03-13T10:00"),
    ev("A1", "reported", "2026-03-13T22:00", {"report_type": "domestic_abuse"}, ASB),
]


def replay_all(policies: PolicySet, engine: str) -> dict[str, Any]:
    with Monitor(policies, engine=engine) as m:
        posted = [m.post(e).to_dict() for e in REPLAY]
        m.advance_to("2026-04-01")
        return {"posted": posted, **snapshot(m)}


def test_replaying_the_same_events_gives_identical_answers(policies: PolicySet,
                                                           engine: str) -> None:
    first = replay_all(policies, engine)
    second = replay_all(policies, engine)
    assert first == second
    assert json.dumps(first)  # every answer is JSON
    assert {o["id"] for o in first["overdue"]} >= {"respond_formal.1", "full_response.1"}


def test_with_closes_and_a_closed_monitor_refuses_work(policies: PolicySet, engine: str) -> None:
    with Monitor(policies, engine=engine) as m:
        m.post(ev("C1", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT))
    assert m.closed
    with pytest.raises(MonitorClosedError):
        m.post(ev("C1", "acknowledged", "2026-03-03T10:00"))
    with pytest.raises(MonitorClosedError):
        m.obligations("C1")
    m.close()  # idempotent


def test_no_threads_are_started(policies: PolicySet, engine: str) -> None:
    before = threading.active_count()
    m = Monitor(policies, engine=engine)
    assert threading.active_count() == before
    for event in REPLAY:
        m.post(event)
    m.overdue("2026-04-01")
    assert threading.active_count() == before
    m.close()
    assert threading.active_count() == before


# ------------------------------------------------------------------------------- property test

MOMENTS = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31))
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(at=MOMENTS, stage=st.sampled_from(["quick_resolution", "formal", "final_review"]))
def test_complaint_due_dates_equal_the_decisions(policies: PolicySet, at: dt.datetime,
                                                 stage: str, engine: str) -> None:
    text = at.isoformat()
    expected = policies.decide("platform_commitments", "complaint_deadlines",
                               {"stage": stage, "received_at": text}, at.date())
    with Monitor(policies, engine=engine) as m:
        m.post(ev("C", "received", text, {"stage": stage}, COMPLAINT))
        got = {o.name: o.due for o in m.obligations("C")}
    outcome = expected.outcome
    if stage == "quick_resolution":
        assert got == {"quick_resolution": outcome["resolve_by"]}
    else:
        suffix = "formal" if stage == "formal" else "final_review"
        assert got == {f"acknowledge_{suffix}": outcome["acknowledge_by"],
                       f"respond_{suffix}": outcome["respond_by"]}


@PROPERTY
@given(at=MOMENTS, channel=st.sampled_from(["telephone", "portal", "web_chat", "social_media",
                                            "email", "letter", "website", "office_visit"]))
def test_contact_due_dates_equal_the_decisions(policies: PolicySet, at: dt.datetime,
                                               channel: str, engine: str) -> None:
    facts = {"channel": channel, "received_at": at.isoformat(),
             "resolved_at_first_contact": False}
    expected = policies.decide("platform_commitments", "contact_deadlines", facts, at.date())
    with Monitor(policies, engine=engine) as m:
        m.post(ev("Q", "received", facts["received_at"],
                  {"channel": channel, "resolved_at_first_contact": False}, CONTACT))
        got = {o.name: o.due for o in m.obligations("Q")}
    names = {"acknowledge": "acknowledge_by", "update": "update_by",
             "full_response": "full_response_by"}
    assert got == {name: expected.outcome[key] for name, key in names.items()
                   if key in expected.outcome}


@PROPERTY
@given(at=MOMENTS, kind=st.sampled_from(["hate_crime", "domestic_abuse",
                                         "anti_social_behaviour"]))
def test_asb_due_dates_equal_the_decisions(policies: PolicySet, at: dt.datetime,
                                           kind: str, engine: str) -> None:
    expected = policies.decide("platform_commitments", "asb_acknowledgement",
                               {"report_type": kind, "reported_at": at.isoformat()}, at.date())
    with Monitor(policies, engine=engine) as m:
        m.post(ev("A", "reported", at.isoformat(), {"report_type": kind}, ASB))
        (ack,) = m.obligations("A")
    assert ack.due == expected.outcome["acknowledge_by"]


@PROPERTY
@given(
    implemented_at=MOMENTS,
    notice_after=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)),
    appeal_after=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)),
    severity=st.sampled_from(["low", "medium", "high", "severe"]),
    warned=st.booleans(),
    channel=st.sampled_from(["telephone", "live_chat", "meeting", "in_person", "letter",
                             "email", "social_media", "app"]),
)
def test_conduct_due_dates_equal_the_decisions(
    policies: PolicySet, implemented_at: dt.datetime, notice_after: dt.timedelta,
    appeal_after: dt.timedelta, severity: str, warned: bool, channel: str, engine: str,) -> None:
    facts = {**SANCTION_FACTS, "severity": severity, "prior_warning_given": warned,
             "channel": channel}
    notified = implemented_at + notice_after
    appealed = notified + appeal_after
    day = lambda moment: moment.replace(tzinfo=None).date()  # noqa: E731
    sanction = policies.decide("halton_conduct", "sanction", facts, day(implemented_at))
    with Monitor(policies, engine=engine) as m:
        if not sanction.outcome["code_implemented"]:
            # the lifecycle never contradicts the sanction decision for the same facts
            with pytest.raises(EventNotAllowedError, match="code_implemented: false"):
                m.post(ev("K", "code_implemented", implemented_at.isoformat(), facts, CONDUCT))
            assert m.cases() == []
            return
        m.post(ev("K", "code_implemented", implemented_at.isoformat(), facts, CONDUCT))
        m.post(ev("K", "notified", notified.isoformat()))
        m.post(ev("K", "appeal_lodged", appealed.isoformat()))
        got = {o.name: o.due for o in m.obligations("K")}
    appeal = policies.decide("halton_conduct", "appeal_deadline",
                             {"notification_received": day(notified).isoformat(),
                              "appeal_received": day(appealed).isoformat()}, day(appealed))
    assert got["review"] == sanction.outcome["review_by"]
    assert got["appeal_window"] == appeal.outcome["appeal_by"]
    assert got["appeal_decision"] == appeal.outcome["decision_due"]


# ------------------------------------------------------------------------------------------ CLI


def write_events(tmp_path: Path, events: list[Any]) -> str:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n")
    return str(path)


def test_cli_prints_open_and_overdue_obligations(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path, REPLAY)
    code = main(["monitor", path, "--as-of", "2026-04-01", "--policies", str(POLICIES)])
    out = capsys.readouterr().out
    assert code == 0
    assert "as of 2026-04-01T00:00:00+01:00: 11 events, 5 cases" in out
    assert "OVERDUE  respond_formal.1" in out
    assert "JUDGE" in out and "assessment.1" in out
    assert "Respond to all Formal Complaints" in out
    code = main(["monitor", path, "--as-of", "2026-03-06T00:00", "--json"])
    record = json.loads(capsys.readouterr().out)
    assert record["events_applied"] == 4 and record["events_after_as_of"] == 7
    assert {c["case"] for c in record["cases"]} == {"C1", "Q1", "K1"}


def test_cli_reports_the_line_of_a_bad_event(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path, [REPLAY[0], "", "{not json", REPLAY[1]])
    assert main(["monitor", path]) == 2
    assert f"{path}:3: not valid JSON" in capsys.readouterr().err
    path = write_events(tmp_path, [REPLAY[0], ev("C1", "escalated", "2026-03-01T10:00")])
    assert main(["monitor", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "earlier than the case's last event" in err
    assert main(["monitor", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


# ---------------------------------------------------------------------- lifecycle format errors


def bad_policy(lifecycle: str) -> list[str]:
    text = GATED.split("lifecycles:\n")[0] + "lifecycles:\n" + textwrap.indent(
        textwrap.dedent(lifecycle), "  ")
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "bad.yaml")
    return [str(p) for p in info.value.problems]


LIFECYCLE = """\
ticket:
  description: a ticket
  cite: {source: doc, quote: "tickets are followed up"}
  opened_by: raised
  initial: open
  states:
    open: {}
    done: {terminal: true}
  events:
    raised:
      data: {urgent: {type: bool}, tags: {type: list, of: {type: string}}}
    answered: {}
  transitions:
    - id: answered
      event: answered
      from: open
      to: done
      cite: {source: doc, quote: "tickets are answered"}
  obligations:
    answer:
      description: answer the ticket
      opened_by: raised
      discharged_by: answered
      due:
        decision: deadline
        facts: {received_at: {value: at}}
        outcome: due_by
      cite: {source: doc, quote: "within three working days"}
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
      ("to: done", "to: finished", "unknown state 'finished'"),
      ("event: answered\n", "event: answred\n",
       "unknown event 'answred' (did you mean 'answered'?)"),
      ("initial: open", "initial: done", "the initial state cannot be terminal"),
      ("      from: open\n", "", "a transition without 'from' starts a new case"),
      ("decision: deadline", "decision: dedline", "unknown decision 'dedline'"),
      ("outcome: due_by", "outcome: due", "'due' is not an outcome of deadline"),
      ("{received_at: {value: at}}", "{received_at: {value: date}}",
       "cannot be deadline's fact 'received_at'"),
      ("{received_at: {value: at}}", "{}", "deadline needs the fact 'received_at'"),
      ("{received_at: {value: at}}", "{received_at: {value: at}, colour: red}",
       "'colour' is not a fact of deadline"),
      ("discharged_by: answered", "discharged_by: answerd", "unknown event 'answerd'"),
      ("      to: done\n", "      to: done\n      when: {urgent: true}\n",
       "'urgent' is not a data field of 'answered'"),
      ("  initial: open", "  initial: open\n  inital: open", "unknown key 'inital'"),
      ("description: answer the ticket", "descripton: answer the ticket",
       "unknown key 'descripton' (did you mean 'description'?)"),
    ],
)
def test_lifecycle_problems_have_positions(old: str, new: str, message: str) -> None:
    assert old in LIFECYCLE
    problems = bad_policy(LIFECYCLE.replace(old, new, 1))
    assert any(message in p for p in problems), problems
    assert all(p.startswith("bad.yaml:") and p.split(":")[1].isdigit() for p in problems)


def test_the_minimal_lifecycle_compiles() -> None:
    text = GATED.split("lifecycles:\n")[0] + "lifecycles:\n" + textwrap.indent(LIFECYCLE, "  ")
    policy = compile_policy_text(text, "ok.yaml")
    lc = policy.lifecycles["ticket"]
    assert lc.case_type == "gated.ticket"
    assert lc.accepts("answered", "open") and not lc.accepts("raised", "open")


def test_a_when_on_a_list_field_is_refused() -> None:
    lifecycle = LIFECYCLE.replace(
        "      to: done\n", "      to: done\n", 1
    ).replace("    answered: {}", "    answered:\n      data: {tags: {type: list, of: {type: "
              "string}}}").replace("      to: done\n", "      to: done\n      when: {tags: x}\n")
    problems = bad_policy(lifecycle)
    assert any("a transition can test enum, bool, int fields" in p for p in problems), problems


def test_due_dates_are_moments_in_london(monitor: Monitor) -> None:
    monitor.post(ev("C1", "received", "2026-03-02T10:00:00+00:00", {"stage": "formal"},
                    COMPLAINT))
    ob = by_id(monitor, "C1")["acknowledge_formal.1"]
    assert ob.opened_at == dt.datetime(2026, 3, 2, 10, tzinfo=LONDON)
    assert ob.to_dict()["due"] == "2026-03-05"


def test_posting_from_several_threads_is_serialised(policies: PolicySet, engine: str) -> None:
    with Monitor(policies, engine=engine) as m:
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                for i in range(30):
                    case = f"T{k}-{i}"
                    m.post(ev(case, "reported", "2026-03-02T10:00",
                              {"report_type": "anti_social_behaviour"}, ASB))
                    m.post(ev(case, "acknowledged", "2026-03-03T10:00"))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(m.cases()) == 120
        assert all(m.state(c).state == "investigating" for c in m.cases())


