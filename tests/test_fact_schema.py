"""The JSON Schema of each decision's facts agrees with what the facts validator accepts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import FactsError, PolicySet
from policyengine.fact_schema import decision_schema, facts_schema
from policyengine.verify.properties import case_strategy

jsonschema = pytest.importorskip("jsonschema")

from conftest import POLICIES  # noqa: E402

import policyengine  # noqa: E402

_POLICIES = policyengine.load_policies(POLICIES)
DECISIONS = [(p.id, name) for p in _POLICIES for name in p.decisions]


def _validator(policy: str, decision: str) -> Any:
    schema = facts_schema(_POLICIES.compiled_decision(policy, decision))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _accepted(policy: str, decision: str, facts: dict[str, Any]) -> bool:
    try:
        _POLICIES.compiled_decision(policy, decision).validator.validate(facts)
    except FactsError:
        return False
    return True


def _has_offset(text: str) -> bool:
    tail = text[19:]
    return tail.endswith("Z") or "+" in tail or "-" in tail


def _mutate(facts: dict[str, Any], schema: dict[str, Any], choice: int) -> dict[str, Any]:
    """One change that makes facts invalid by the declared types."""
    out = copy.deepcopy(facts)
    props = schema["properties"]
    kind = choice % 4
    if kind == 0:
        out["not_a_declared_fact"] = True
        return out
    names = list(props)
    name = names[choice % len(names)]
    sub = props[name]
    if kind == 1 and name in schema["required"]:
        out.pop(name, None)
    elif "enum" in sub:
        out[name] = "no_such_value"
    elif sub.get("type") in ("boolean", ["boolean", "null"]):
        out[name] = "yes"
    elif sub.get("type") in ("array", ["array", "null"]):
        out[name] = {"not": "a list"}
    else:
        out[name] = [1, 2]
    return out


@pytest.mark.parametrize(("policy", "decision"), DECISIONS)
def test_generated_facts_fit_the_schema_and_mutants_fail_both(policy: str, decision: str
                                                              ) -> None:
    compiled = _POLICIES.compiled_decision(policy, decision)
    validator = _validator(policy, decision)
    schema = facts_schema(compiled)

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(case_strategy(compiled), st.integers(0, 1000))
    def check(case: tuple[dict[str, Any], Any], choice: int) -> None:
        facts, _ = case
        assert _accepted(policy, decision, facts)
        # the schema says RFC 3339 (with an offset), what a generated client sends; the engine
        # also takes a naive date-time as London time (DECISIONS.md), so that is the only
        # thing the schema may refuse of what the validator accepts
        errors = [e for e in validator.iter_errors(facts)
                  if not (e.validator == "format" and e.validator_value == "date-time"
                          and isinstance(e.instance, str) and not _has_offset(e.instance))]
        assert not errors, (facts, [e.message for e in errors])
        if not schema["properties"]:
            return
        bad = _mutate(facts, schema, choice)
        if bad != facts:
            assert not _accepted(policy, decision, bad)
            assert list(validator.iter_errors(bad)), bad

    check()


def test_schema_carries_types_enums_formats_lists_and_records(policies: PolicySet) -> None:
    body = decision_schema(policies, "citizen_persistent_contact", "restriction_assessment")
    facts = body["facts"]
    contacts = facts["properties"]["contacts"]
    assert contacts["type"] == "array" and contacts["maxItems"] == 10_000
    record = contacts["items"]
    assert record["type"] == "object" and record["additionalProperties"] is False
    assert record["properties"]["at"]["format"] == "date-time"
    assert "telephone" in record["properties"]["channel"]["enum"]
    assert record["required"] == ["at", "channel", "topic"]
    assert body["outcome_keys"] == list(policies.compiled_decision(
        "citizen_persistent_contact", "restriction_assessment").outcomes)
    sanction = decision_schema(policies, "halton_conduct", "sanction")["facts"]
    severity = sanction["properties"]["severity"]
    assert severity["enum"] == ["low", "medium", "high", "severe"]
    assert severity["x-ordered"] is True
    notified = sanction["properties"]["notified_on"]
    assert notified["format"] == "date" and notified["type"] == ["string", "null"]
    assert "notified_on" not in sanction["required"]
    status = decision_schema(policies, "halton_conduct", "policy_status")
    assert status["facts"]["properties"] == {} and "in_force" in status["outcome_keys"]
