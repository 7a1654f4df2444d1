"""Hostile Python facts (issue 9) and the facts error contract (issue 8 §5).

Whatever an app passes as facts, the answer is a Decision or a FactsError naming the fact, quickly:
error messages quote values with a bounded, truncated repr (a list nested 100,000 deep, 10,000
references to one 10 MB string), non-string keys and a facts value that is not a mapping are
FactsErrors, ``as_of`` is named when it is the cause, and the working-day functions refuse bad
dates and counts with a FactsError.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

import policyengine
from policyengine import FactProblem, FactsError, add_working_days, is_working_day
from policyengine.calendars import FIRST_YEAR, LAST_YEAR, calendar_for

POLICIES = policyengine.load_policies()
AS_OF = dt.date(2026, 6, 1)
CONTACTS = "citizen_persistent_contact"


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def refused(policy: str, decision: str, facts: Any, as_of: Any = AS_OF) -> FactsError:
    start = time.process_time()
    with pytest.raises(FactsError) as info:
        POLICIES.decide(policy, decision, facts, as_of)
    # generous for a shared machine; without the bounds these took minutes or crashed
    assert time.process_time() - start < 5
    error = info.value
    assert len(str(error)) < 20_000  # str() lists the first problems; .problems has them all
    assert all(isinstance(p, FactProblem) for p in error.problems)
    return error


def test_a_list_nested_100_000_deep_is_a_clean_error() -> None:
    error = refused(CONTACTS, "restriction_assessment", {
        "contacts": [], "service_failure_outstanding": False, "vulnerable": False,
        "behaviours": deep_list(100_000)})
    assert error.fact == "behaviours"
    assert error.problems[0].path == "behaviours[0]"
    assert "[[[" in error.problems[0].message and len(error.problems[0].message) < 400


def test_ten_thousand_references_to_one_10_mb_string_are_quick() -> None:
    huge = "x" * 10_000_000
    error = refused(CONTACTS, "restriction_assessment", {
        "contacts": [{"at": huge, "channel": huge, "topic": huge}] * 10_000,
        "service_failure_outstanding": False, "vulnerable": False, "behaviours": [huge] * 10_000})
    assert error.fact == "contacts"
    assert "and 39,980 more problems" in str(error)
    # every problem, each short: three fields of each contact and every behaviour
    assert len(error.problems) == 3 * 10_000 + 10_000
    assert max(len(p.message) for p in error.problems) < 400
    assert {p.code for p in error.problems} == {"invalid", "out_of_range"}


def test_a_huge_string_as_a_fact_name_gets_no_slow_suggestion() -> None:
    error = refused("halton_conduct", "in_scope", {"person_type": "tenant", "y" * 1_000_000: 1})
    assert error.problems[0].code == "unknown"
    assert len(error.problems[0].message) < 600


@pytest.mark.parametrize("key", [1, (1, 2), None, 2.5, frozenset({"a"}), b"person_type"])
def test_non_string_keys_are_a_facts_error(key: Any) -> None:
    error = refused("halton_conduct", "in_scope", {"person_type": "tenant", key: "x"})
    assert error.problems[0].code == "invalid"
    assert "fact names are strings" in error.problems[0].message


@pytest.mark.parametrize("facts", [["person_type"], "person_type=tenant", 5, object(),
                                   [("person_type", "tenant")]])
def test_facts_that_are_not_a_mapping_are_a_facts_error(facts: Any) -> None:
    error = refused("halton_conduct", "in_scope", facts)
    assert "facts must be a mapping" in str(error)


def test_huge_integers_and_odd_objects_are_quoted_briefly() -> None:
    from policyengine.facts import FactsValidator, ValueType

    validator = FactsValidator("p", "d", {"n": ValueType("int", minimum=1, maximum=12),
                                          "on": ValueType("date"), "s": ValueType("enum", ("a",))})
    with pytest.raises(FactsError) as info:
        validator.validate({"n": 10**5000, "on": object(), "s": 10**5000})
    messages = " ".join(p.message for p in info.value.problems)
    assert "digits" in messages and "<object>" in messages
    assert len(messages) < 1_000
    assert [p.code for p in info.value.problems] == ["out_of_range", "invalid", "invalid"]


def test_every_problem_is_reported_with_its_path_code_and_allowed_values() -> None:
    error = refused(CONTACTS, "restriction_assessment", {
        "contacts": [{"at": "2026-05-01", "channel": "fax", "topic": "x", "extra": 1}],
        "vulnerable": "yes", "behaviours": ["shouting"], "colour": "red"})
    got = [(p.path, p.code) for p in error.problems]
    assert got == [("contacts[0].extra", "unknown"), ("colour", "unknown"),
                   ("contacts[0].at", "invalid"), ("contacts[0].channel", "invalid"),
                   ("service_failure_outstanding", "missing"), ("vulnerable", "invalid"),
                   ("behaviours[0]", "invalid")]
    assert error.fact == "contacts"
    channel = error.problems[3]
    assert channel.allowed is not None and "email" in channel.allowed
    assert error.problems[3].to_dict()["allowed"] == list(channel.allowed)


def test_messages_say_date_and_time_not_python_function_names() -> None:
    for value in ("2026-06-02", "tomorrow", 5, "2026-02-30T10:00"):
        error = refused("platform_commitments", "contact_deadlines", {
            "channel": "email", "received_at": value, "resolved_at_first_contact": True})
        message = error.problems[0].message
        assert "date and time" in message, message
        for name in ("parse_date", "parse_datetime", "fromisoformat", "received_day", "date-time"):
            assert name not in message, message


@pytest.mark.parametrize("as_of", [dt.date(9999, 12, 31), dt.date(9999, 10, 15)])
def test_as_of_is_named_when_it_is_the_cause(as_of: dt.date) -> None:
    # Halton's review date is three months after the decision date (as_of): past the last date
    facts = {"severity": "medium", "prior_warning_given": True, "corrected_immediately": False,
             "channel": "telephone", "posted_on_social_media": False,
             "in_involved_groups": False, "vexatious_or_persistent": False}
    with pytest.raises(FactsError) as info:
        POLICIES.decide("halton_conduct", "sanction", facts, as_of)
    assert info.value.fact == "as_of"


@pytest.mark.parametrize("as_of", ["2026-02-30", "June", 20260601,
                                   dt.datetime(2026, 6, 1, 12)])
def test_a_bad_as_of_is_a_facts_error_naming_it(as_of: Any) -> None:
    with pytest.raises(FactsError) as info:
        POLICIES.decide("halton_conduct", "in_scope", {"person_type": "tenant"}, as_of)
    assert info.value.fact == "as_of"


# ------------------------------------------------------------------ the working-day functions


@pytest.mark.parametrize("day", ["2026-02-30", "2026-1-1", "next monday", "", 20260101, None,
                                 dt.datetime(2026, 1, 5, 9), "2026-01-05T09:00"])
def test_working_day_functions_refuse_a_bad_date_with_a_facts_error(day: Any) -> None:
    with pytest.raises(FactsError) as info:
        is_working_day(day)
    assert info.value.fact == "day"
    with pytest.raises(FactsError) as info:
        add_working_days(day, 3)
    assert info.value.fact == "start"


@pytest.mark.parametrize("n", [1.5, "3", None, True, [3]])
def test_add_working_days_refuses_a_count_that_is_not_a_whole_number(n: Any) -> None:
    with pytest.raises(FactsError) as info:
        add_working_days("2026-01-05", n)
    assert info.value.fact == "n"
    assert isinstance(info.value, TypeError)  # what it raised before, still caught as before


def test_dates_outside_the_holiday_data_are_facts_errors_that_are_value_errors() -> None:
    for call in (lambda: is_working_day(dt.date(LAST_YEAR + 1, 1, 5)),
                 lambda: add_working_days(dt.date(FIRST_YEAR - 1, 6, 1), 1),
                 lambda: add_working_days(dt.date(LAST_YEAR, 12, 20), 30),
                 lambda: calendar_for("england-and-wales").add_working_days(
                     dt.date(FIRST_YEAR, 1, 10), -400)):
        with pytest.raises(FactsError) as info:
            call()
        assert isinstance(info.value, ValueError)
        assert "no bank-holiday data" in str(info.value)
    with pytest.raises(FactsError) as info:
        add_working_days("2026-01-05", 3, nation="wales")
    assert info.value.fact == "nation" and info.value.allowed == list(policyengine.NATIONS)
