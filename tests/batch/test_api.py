"""PolicySet.decide_many as an API: inputs, typed outputs, metadata, table-level errors, the
per-row fallback and what it says."""

from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import policyengine
from policyengine import FactsError, UnknownNameError

POLICIES = policyengine.load_policies()
AS_OF = dt.date(2026, 6, 6)
CONTACTS = pd.DataFrame(
    {
        "channel": ["email", "web_chat", "telephone"],
        "received_at": pd.to_datetime(["2026-06-05 17:00", "2026-03-29 01:30",
                                       "2026-12-24 09:00"]),
        "resolved_at_first_contact": [False, True, True],
    },
    index=pd.Index(["PC-1", "PC-2", "PC-3"], name="case"),
)


def test_a_dataframe_gives_a_typed_dataframe_with_its_index() -> None:
    result = POLICIES.decide_many("platform_commitments", "contact_deadlines", CONTACTS,
                                  as_of=AS_OF)
    assert isinstance(result, pd.DataFrame)
    assert list(result.index) == ["PC-1", "PC-2", "PC-3"]
    assert list(result.columns) == [
        "status", "follow_up_needed", "update_by", "acknowledge_by", "acknowledge_by_at",
        "acknowledge_standard", "full_response_by", "fired_rules", "error", "error_type",
        "error_problems",
    ]
    assert isinstance(result["status"].dtype, pd.CategoricalDtype)
    assert list(result["status"].cat.categories) == ["decided", "needs_judgement",
                                                     "not_applicable"]
    assert list(result["acknowledge_standard"].cat.categories) == ["maximum", "aim"]
    assert str(result["follow_up_needed"].dtype) == "boolean"
    assert result["update_by"].dtype == pd.ArrowDtype(pa.date32())
    assert result["acknowledge_by_at"].dtype == pd.ArrowDtype(
        pa.timestamp("us", tz="Europe/London"))
    # Friday 17:00 is at closing time: counted from Saturday, day one Monday 8 June
    assert result.loc["PC-1", "update_by"] == dt.date(2026, 6, 10)
    assert result.loc["PC-1", "acknowledge_by"] == dt.date(2026, 6, 10)
    assert pd.isna(result.loc["PC-1", "acknowledge_by_at"])
    # a chat in the missing hour of the clock change: 01:30 is read as 02:30 BST, plus 2 min
    at = result.loc["PC-2", "acknowledge_by_at"]
    assert at.isoformat() == "2026-03-29T02:32:00+01:00"
    assert result.loc["PC-2", "acknowledge_by"] == dt.date(2026, 3, 29)
    assert result.loc["PC-3", "fired_rules"] == ["first_point_of_contact"]
    assert result["error"].isna().all()
    meta = result.attrs["policyengine"]
    assert meta["vectorised"] is True and meta["fallback_reason"] is None
    assert meta["rows"] == 3 and meta["rows_decided_one_by_one"] == 0
    assert meta["as_of"] == "2026-06-06" and meta["calendar"]["office_closes_at"] == "17:00"
    assert meta["policy_sha256"] == POLICIES.policy("platform_commitments").sha256


def test_a_pyarrow_table_gives_a_pyarrow_table_with_json_metadata() -> None:
    table = pa.Table.from_pandas(CONTACTS.reset_index(), preserve_index=False)
    result = POLICIES.decide_many("platform_commitments", "contact_deadlines", table,
                                  as_of=AS_OF, carry=["case"])
    assert isinstance(result, pa.Table)
    assert result.column_names[:2] == ["case", "status"]
    assert result.schema.field("update_by").type == pa.date32()
    assert result.column("case").to_pylist() == ["PC-1", "PC-2", "PC-3"]
    meta = json.loads(result.schema.metadata[b"policyengine"])
    assert meta["decision"] == "contact_deadlines"


def test_a_bad_row_is_reported_in_its_row_and_the_batch_goes_on() -> None:
    rows = [
        {"notification_received": "2026-04-02"},
        {"notification_received": "2026-04-02", "appeal_received": "2026-03-01"},
        {"notification_received": "02/04/2026"},
        {"notification_received": "2026-04-02", "appeal_received": None},
        {"notification_received": "2026-04-02", "apeal_received": "2026-04-03"},
    ]
    result = POLICIES.decide_many("halton_conduct", "appeal_deadline", rows, as_of=AS_OF)
    for i, row in enumerate(rows):
        try:
            POLICIES.decide("halton_conduct", "appeal_deadline", row, AS_OF)
        except FactsError as exc:
            assert result["error"].iloc[i] == str(exc)
            assert result["error_type"].iloc[i] == "FactsError"
            assert [p["path"] for p in result["error_problems"].iloc[i]] == [
                p.path for p in exc.problems
            ]
            assert pd.isna(result["status"].iloc[i])
        else:
            assert pd.isna(result["error"].iloc[i])
            assert result["status"].iloc[i] == "decided"
    assert result["error"].notna().tolist() == [False, True, True, False, True]
    assert "did you mean 'appeal_received'" in result["error"].iloc[4]


def test_table_level_mistakes_are_refused_before_any_row() -> None:
    frame = pd.DataFrame({"chanel": ["email"], "received_at": ["2026-06-06T10:00"]})
    with pytest.raises(FactsError) as caught:
        POLICIES.decide_many("platform_commitments", "contact_deadlines", frame, as_of=AS_OF)
    codes = {p.path: p.code for p in caught.value.problems}
    assert codes == {"chanel": "unknown", "channel": "missing",
                     "resolved_at_first_contact": "missing"}
    assert "did you mean 'channel'" in str(caught.value)
    with pytest.raises(FactsError, match="carry column 'id' is not in the table"):
        POLICIES.decide_many("platform_commitments", "contact_deadlines", CONTACTS,
                             carry=["id"])
    with pytest.raises(FactsError, match="has the name of a result column"):
        POLICIES.decide_many("halton_conduct", "appeal_deadline",
                             pd.DataFrame({"notification_received": ["2026-04-02"],
                                           "status": ["x"]}), carry=["status"])
    with pytest.raises(TypeError, match="pandas DataFrame, a pyarrow Table or a list"):
        POLICIES.decide_many("halton_conduct", "appeal_deadline", "cases.csv")
    with pytest.raises(UnknownNameError):
        POLICIES.decide_many("halton_conduct", "appeal_deadlines", [])
    with pytest.raises(FactsError, match="as_of"):
        POLICIES.decide_many("halton_conduct", "appeal_deadline", [], as_of="06/06/2026")


def test_an_empty_table_has_the_result_columns() -> None:
    empty = POLICIES.decide_many("halton_conduct", "appeal_deadline",
                                 pd.DataFrame({"notification_received": pd.Series(
                                     [], dtype="datetime64[s]")}), as_of=AS_OF)
    assert len(empty) == 0
    assert "appeal_by" in empty.columns and "fired_rules" in empty.columns
    assert POLICIES.decide_many("halton_conduct", "appeal_deadline", [], as_of=AS_OF).empty


def test_a_decision_the_vectoriser_cannot_compile_is_decided_row_by_row_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = [{"contacts": [{"at": "2026-06-01T10:00", "channel": "email", "topic": "rent"}],
             "service_failure_outstanding": False, "vulnerable": True,
             "behaviours": ["excessive_contact"]}]
    with caplog.at_level(logging.INFO, logger="policyengine.batch"):
        result = POLICIES.decide_many("citizen_persistent_contact", "restriction_assessment",
                                      rows, as_of=AS_OF)
    meta = result.attrs["policyengine"]
    assert meta["vectorised"] is False
    assert "fact 'contacts' is a list of records" in meta["fallback_reason"]
    assert meta["rows_decided_one_by_one"] == 1
    assert any("not vectorised" in r.getMessage() for r in caplog.records)
    info = policyengine.batch.plan_info(POLICIES, "citizen_persistent_contact",
                                        "restriction_assessment")
    assert not info.vectorised and info.reason == meta["fallback_reason"]
    answer = POLICIES.decide("citizen_persistent_contact", "restriction_assessment", rows[0],
                             AS_OF)
    assert result["status"].iloc[0] == answer.status == "needs_judgement"
    assert result["considerations"].iloc[0] == [c["id"] for c in
                                                answer.outcome["considerations"]]
    assert result["behaviours_reported"].iloc[0] == ["excessive_contact"]


def test_policy_status_answers_every_row() -> None:
    result = POLICIES.decide_many("halton_conduct", "policy_status", [{}, {}], as_of=AS_OF)
    answer = POLICIES.decide("halton_conduct", "policy_status", None, AS_OF)
    assert result["in_force"].tolist() == [answer.outcome["in_force"]] * 2
    bad = POLICIES.decide_many("halton_conduct", "policy_status", [{"x": 1}], as_of=AS_OF)
    assert "takes no facts" in bad["error"].iloc[0]


def test_list_outcomes_merge_in_rule_order_as_decide_does() -> None:
    rows = [{"severity": s, "prior_warning_given": p, "corrected_immediately": c,
             "channel": "telephone", "posted_on_social_media": True, "in_involved_groups": True,
             "vexatious_or_persistent": v}
            for s in ("low", "high", "severe") for p in (False, True) for c in (False, True)
            for v in (False, True)]
    result = POLICIES.decide_many("halton_conduct", "sanction", rows, as_of=AS_OF)
    assert result.attrs["policyengine"]["rows_decided_one_by_one"] == 0
    for i, row in enumerate(rows):
        answer = POLICIES.decide("halton_conduct", "sanction", row, AS_OF)
        assert result["actions"].iloc[i] == answer.outcome["actions"]
        assert result["fired_rules"].iloc[i] == answer.fired_rules
        assert result["review_by"].iloc[i] == answer.outcome["review_by"]


def test_the_vectorised_rows_do_not_touch_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is not the slow path in disguise: with decide broken, clean rows still
    come out (only rows that need the scalar path would call it)."""
    def broken(*args: object, **kwargs: object) -> None:
        raise AssertionError("decide called")

    n = 5000
    days = np.datetime64("2026-01-01") + np.arange(n) % 365
    frame = pd.DataFrame({"notification_received": days.astype("datetime64[s]")})
    policies = policyengine.load_policies()
    monkeypatch.setattr(policies, "decide", broken)
    result = policies.decide_many("halton_conduct", "appeal_deadline", frame, as_of=AS_OF)
    assert result["appeal_by"].notna().all()
