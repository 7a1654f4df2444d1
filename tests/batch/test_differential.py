"""``decide_many`` equals ``decide`` row by row, on every bundled decision.

For each decision hypothesis draws tables of cases from the decision's own fact types (weighted
towards weekends, bank holidays, closure and open days, clock changes, the office closing time
and the ends of the holiday data, with a share of bad values and missing facts) and checks
every row of the result against ``decide`` on the same facts: status, every outcome, the
considerations and requirements, the rules that fired, and the error (message, type and
problems) for a row ``decide`` refuses. Three inputs: the rows as a list of mappings (exactly
what ``decide`` gets), as typed DataFrame columns in varied encodings, and as a pyarrow Table.
The calendar variants (closure days, open days on a Saturday and a bank holiday, another
nation, another closing time) cover what the bundled files do not use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine
from policyengine import PolicySet
from policyengine.batch import plan_info
from policyengine.facts import ValueType

from . import cases
from .compare import expected_row, result_rows, without_nulls

BUNDLED = policyengine.load_policies()
DECISIONS = [(p.id, name) for p in BUNDLED for name in ["policy_status", *p.decisions]]
VARIANT_DECISIONS = [
    ("platform_commitments", "contact_deadlines"),
    ("platform_commitments", "complaint_deadlines"),
    ("platform_commitments", "asb_acknowledgement"),
    ("platform_commitments", "lettings_deadlines"),
    ("halton_conduct", "appeal_deadline"),
    ("halton_conduct", "sanction"),
]
AS_OF = st.one_of(
    st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)),
    st.sampled_from([dt.date(2026, 6, 6), dt.date(2020, 1, 1), dt.date(2100, 12, 20)]),
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _types(policies: PolicySet, policy: str, decision: str) -> tuple[
    dict[str, ValueType], dict[str, ValueType]
]:
    from policyengine.batch.run import POLICY_STATUS_OUTCOMES

    if decision == "policy_status":
        return {}, POLICY_STATUS_OUTCOMES
    compiled = policies.compiled_decision(policy, decision)
    return compiled.facts, compiled.outcomes


def _check(
    policies: PolicySet, policy: str, decision: str, result: Any, facts_rows: list[Any],
    as_of: dt.date, outcomes: dict[str, ValueType],
) -> None:
    got = result_rows(result)
    assert len(got) == len(facts_rows)
    columns = list(result.column_names if isinstance(result, pa.Table) else result.columns)
    for i, (facts, row) in enumerate(zip(facts_rows, got, strict=True)):
        want = expected_row(policies, policy, decision, facts, as_of, outcomes, columns)
        assert row == want, f"row {i}: facts {facts!r}"


def _arrow_ready(facts: dict[str, ValueType], frame: pd.DataFrame) -> bool:
    """Whether pyarrow's own conversion of this frame keeps every value as the fact it is."""
    for name in frame.columns:
        vt, series = facts[name], frame[name]
        if series.dtype != object:
            continue
        values = [v for v in series if v is not None]
        if not all(cases._clean(vt, v) for v in values):
            return False
        if vt.kind == "datetime" and len({v.tzinfo is None for v in values}) > 1:
            return False
    return True


def _run(policies: PolicySet, policy: str, decision: str, data: st.DataObject) -> None:
    facts, outcomes = _types(policies, policy, decision)
    as_of = data.draw(AS_OF, "as_of")
    messy = data.draw(st.booleans(), "messy")
    rows = data.draw(cases.rows(facts, messy=messy, extra_keys=messy), "rows")
    result = policies.decide_many(policy, decision, rows, as_of=as_of)
    _check(policies, policy, decision, result, rows, as_of, outcomes)

    clean_rows = [{k: v for k, v in r.items() if k in facts} for r in rows]
    encodings = {
        name: data.draw(st.sampled_from(cases.ENCODINGS[vt.kind]), f"encoding of {name}")
        for name, vt in facts.items()
    }
    frame = cases.frame(facts, clean_rows, encodings)
    table_facts = [without_nulls(r) for r in clean_rows]
    result = policies.decide_many(policy, decision, frame, as_of=as_of)
    _check(policies, policy, decision, result, table_facts, as_of, outcomes)
    assert list(result.index) == list(frame.index)

    if _arrow_ready(facts, frame) and len(frame.columns):  # arrow keeps no rows without columns
        table = pa.Table.from_pandas(frame, preserve_index=False)
        result = policies.decide_many(policy, decision, table, as_of=as_of)
        assert isinstance(result, pa.Table)
        _check(policies, policy, decision, result, table_facts, as_of, outcomes)


@pytest.mark.parametrize(("policy", "decision"), DECISIONS)
@SETTINGS
@given(data=st.data())
def test_decide_many_equals_decide(policy: str, decision: str, data: st.DataObject) -> None:
    _run(BUNDLED, policy, decision, data)


@pytest.mark.parametrize(("policy", "decision"), VARIANT_DECISIONS)
@SETTINGS
@given(data=st.data())
def test_decide_many_equals_decide_on_calendar_variants(
    variants: PolicySet, policy: str, decision: str, data: st.DataObject
) -> None:
    _run(variants, policy, decision, data)


def test_the_deadline_decisions_are_vectorised() -> None:
    """The decisions the batch path is for do not fall back to the per-row path."""
    for policy, decision in DECISIONS:
        info = plan_info(BUNDLED, policy, decision)
        if decision in ("appeal_deadline", "complaint_deadlines", "contact_deadlines"):
            assert info.vectorised, info.reason
    info = plan_info(BUNDLED, "citizen_persistent_contact", "restriction_assessment")
    assert not info.vectorised
    assert "contacts" in (info.reason or "")
