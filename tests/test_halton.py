"""Halton's Customer Code of Conduct: the API contract and proportionality over the fact space."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyengine
from policyengine import Decision, FactsError, PolicySet

SEVERITIES = ["low", "medium", "high", "severe"]
CHANNELS = ["telephone", "live_chat", "meeting", "in_person", "letter", "email",
            "social_media", "app"]

sanction_facts = st.fixed_dictionaries(
    {
        "severity": st.sampled_from(SEVERITIES),
        "prior_warning_given": st.booleans(),
        "corrected_immediately": st.booleans(),
        "channel": st.sampled_from(CHANNELS),
        "posted_on_social_media": st.booleans(),
        "in_involved_groups": st.booleans(),
        "vexatious_or_persistent": st.booleans(),
    },
    optional={"notified_on": st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)).map(str)},
)
as_of_dates = st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31))


def sanction(halton: PolicySet, facts: dict[str, Any], as_of: dt.date) -> Decision:
    return halton.decide("halton_conduct", "sanction", facts, as_of)


@settings(max_examples=300, deadline=None)
@given(facts=sanction_facts, as_of=as_of_dates)
def test_a_more_severe_breach_never_gets_fewer_actions(
    halton: PolicySet, facts: dict[str, Any], as_of: dt.date
) -> None:
    level = SEVERITIES.index(facts["severity"])
    milder = set(sanction(halton, facts, as_of).outcome["actions"])
    for higher in SEVERITIES[level + 1:]:
        harsher = set(sanction(halton, {**facts, "severity": higher}, as_of).outcome["actions"])
        assert milder <= harsher, (facts, higher)


@settings(max_examples=300, deadline=None)
@given(facts=sanction_facts, as_of=as_of_dates)
def test_every_sanction_is_reviewed_and_first_breaches_are_warned(
    halton: PolicySet, facts: dict[str, Any], as_of: dt.date
) -> None:
    decision = sanction(halton, facts, as_of)
    out = decision.outcome
    assert decision.status == "decided"
    assert out["review_by"] > as_of
    assert out["actions"], "a breach always gets at least one action"
    if not facts["prior_warning_given"]:
        assert out["actions"][0] == "first_warning"
    if facts["vexatious_or_persistent"]:
        assert "refer_to_complaints_procedure" in out["actions"]
    if "written_confirmation" in out["actions"]:
        assert out["code_implemented"] is True
        # 001: "If we provide a specific person to contact, we will provide details of what
        # that customer should do if/when that person is absent" (assumed when not given)
        assert out["written_notice_must_include"] == [
            "reasons", "how_to_contact", "next_review_date", "contact_when_named_person_absent"
        ]
    else:
        assert out["code_implemented"] is False
    if "notified_on" in facts:
        notified = dt.date.fromisoformat(facts["notified_on"])
        assert out["appeal_by"] == policyengine.add_working_days(notified, 10)
    else:
        assert "appeal_by" not in out


@settings(max_examples=200, deadline=None)
@given(notified=st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)),
       lag=st.integers(min_value=0, max_value=40))
def test_appeal_in_time_matches_the_working_day_count(
    halton: PolicySet, notified: dt.date, lag: int
) -> None:
    appeal = notified + dt.timedelta(days=lag)
    out = halton.decide(
        "halton_conduct", "appeal_deadline",
        {"notification_received": notified.isoformat(), "appeal_received": appeal.isoformat()},
        "2026-01-01",
    ).outcome
    calendar = policyengine.calendars.calendar_for("england-and-wales")
    # in time when the appeal arrives no later than the 10th working day itself: a weekend
    # or holiday after the 10th working day is already late
    counted = calendar.working_days_between(notified, appeal)
    in_time = counted < 10 or (counted == 10 and calendar.is_working_day(appeal))
    assert out["appeal_in_time"] == in_time
    assert calendar.is_working_day(out["decision_due"])


def test_decision_to_dict_is_json_and_reproducible(halton: PolicySet) -> None:
    facts = {"notification_received": "2026-12-24"}
    decision = halton.decide("halton_conduct", "appeal_deadline", facts, "2026-12-24")
    record = json.loads(json.dumps(decision.to_dict()))
    assert record["policy"] == "halton_conduct"
    assert record["decision"] == "appeal_deadline"
    assert record["status"] == "decided"
    assert record["outcome"]["appeal_by"] == "2027-01-12"
    assert record["as_of"] == "2026-12-24"
    assert record["facts"] == facts
    prov = record["provenance"]
    assert prov["policy_version"] == "2.1"
    assert len(prov["policy_sha256"]) == 64
    assert prov["calendar"]["nation"] == "england-and-wales"
    assert prov["calendar"]["data_version"].startswith("holidays ")
    assert record["citations"][0]["document"] == "001_213ea8107ce32abc.txt"
    assert record["trace"][0]["rule"] == "appeal_window"
    # the same facts on the same day give the same record
    again = halton.decide("halton_conduct", "appeal_deadline", facts, dt.date(2026, 12, 24))
    assert again.to_dict() == decision.to_dict()


def test_facts_error_names_the_fact_and_allowed_values(halton: PolicySet) -> None:
    with pytest.raises(FactsError) as info:
        halton.decide("halton_conduct", "in_scope", {"person_type": "lodger"})
    assert info.value.fact == "person_type"
    assert info.value.allowed is not None and "tenant" in info.value.allowed
    assert isinstance(info.value, policyengine.PolicyEngineError)


def test_undeclared_fact_is_refused(halton: PolicySet) -> None:
    with pytest.raises(FactsError) as info:
        halton.decide("halton_conduct", "in_scope", {"person_type": "tenant", "age": 40})
    assert info.value.fact == "age"


def test_unknown_policy_and_decision(halton: PolicySet) -> None:
    with pytest.raises(policyengine.UnknownNameError, match="loaded policies: halton_conduct"):
        halton.decide("halton", "in_scope", {})
    with pytest.raises(policyengine.UnknownNameError, match="its decisions: policy_status"):
        halton.decide("halton_conduct", "sanctions", {})


def test_as_of_defaults_to_today_and_accepts_strings(halton: PolicySet) -> None:
    decision = halton.decide("halton_conduct", "policy_status")
    assert decision.as_of == policyengine.policyset.today_in_london()
    with pytest.raises(FactsError, match="as_of"):
        halton.decide("halton_conduct", "policy_status", None, "27/11/2026")


def test_past_review_date_warns_on_every_decision(halton: PolicySet) -> None:
    old = halton.decide("halton_conduct", "in_scope", {"person_type": "tenant"}, "2024-01-01")
    new = halton.decide("halton_conduct", "in_scope", {"person_type": "tenant"}, "2026-01-01")
    assert old.warnings == ()
    assert new.warnings and "past its own review date" in new.warnings[0]


def test_working_day_api_per_nation() -> None:
    assert policyengine.is_working_day(dt.date(2026, 4, 6), "scotland")
    assert not policyengine.is_working_day(dt.date(2026, 4, 6), "england-and-wales")
    assert not policyengine.is_working_day(dt.date(2026, 11, 30), "scotland")
    assert policyengine.add_working_days(dt.date(2026, 12, 24), 1, "northern-ireland") == dt.date(
        2026, 12, 29
    )


def test_load_policies_reports_problems_of_every_file(tmp_path: Any) -> None:
    (tmp_path / "a.yaml").write_text("policy: {}\n")
    (tmp_path / "b.yaml").write_text("x: 1\nx: 2\n")
    with pytest.raises(policyengine.PolicyError) as info:
        policyengine.load_policies(tmp_path)
    files = {p.file.rsplit("/", 1)[-1] for p in info.value.problems}
    assert files == {"a.yaml", "b.yaml"}
