"""``decide_many`` equals ``decide`` on every day of the hard windows, at the hard times.

Where hypothesis samples, this sweeps: every day around Easter and the spring clock change,
Christmas and New Year, the autumn clock change and an ordinary June fortnight, at each time
that can move a deadline (just before, at and after the office closing time, the missing and
the repeated hour of a clock change, midnight), for every channel and stage, given as naive
London wall-clock times, as UTC instants and as ISO strings with offsets. DECISIONS.md: "a
date-time at or after [the closing time] on a working day D counts as received on D + 1 (the
next calendar day), and the count runs from there; on a non-working day it changes nothing";
"the day of X itself never counts, whatever day it is".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import policyengine
from policyengine import PolicySet

from .compare import expected_row, result_rows

BUNDLED = policyengine.load_policies()
WINDOWS = [
    (dt.date(2026, 3, 25), dt.date(2026, 4, 10)),
    (dt.date(2026, 6, 1), dt.date(2026, 6, 14)),
    (dt.date(2026, 10, 22), dt.date(2026, 10, 27)),
    (dt.date(2026, 12, 18), dt.date(2027, 1, 6)),
]
TIMES = [dt.time(0, 0), dt.time(1, 0), dt.time(1, 30), dt.time(2, 0), dt.time(16, 29),
         dt.time(16, 30), dt.time(16, 59, 59, 999_999), dt.time(17, 0), dt.time(17, 0, 0, 1),
         dt.time(23, 59, 59, 999_999)]
LONDON = policyengine.durations.LONDON


def _moments() -> list[dt.datetime]:
    out = []
    for first, last in WINDOWS:
        day = first
        while day <= last:
            out.extend(dt.datetime.combine(day, t) for t in TIMES)
            day += dt.timedelta(days=1)
    return out


def _check(policies: PolicySet, policy: str, decision: str, facts_rows: list[dict[str, Any]],
           table: Any) -> None:
    as_of = dt.date(2026, 6, 6)
    result = policies.decide_many(policy, decision, table, as_of=as_of)
    compiled = policies.compiled_decision(policy, decision)
    columns = list(result.column_names if isinstance(result, pa.Table) else result.columns)
    assert result_rows(result) == [
        expected_row(policies, policy, decision, f, as_of, compiled.outcomes, columns)
        for f in facts_rows
    ]
    meta = result.attrs["policyengine"] if isinstance(result, pd.DataFrame) else None
    if meta is not None:
        assert meta["vectorised"] and meta["rows_decided_one_by_one"] == 0


def _encodings(moments: list[dt.datetime]) -> dict[str, list[Any] | pd.Series]:
    aware = [m.replace(tzinfo=LONDON) for m in moments]
    return {
        "naive": pd.Series(pd.to_datetime(moments).as_unit("us")),
        "utc": pd.Series(pd.to_datetime([a.astimezone(dt.UTC) for a in aware]).as_unit("us")),
        "iso": pd.Series([a.isoformat() for a in aware], dtype="str"),
    }


@pytest.mark.parametrize("policies", ["bundled", "variants"])
@pytest.mark.parametrize("encoding", ["naive", "utc", "iso"])
def test_contact_and_complaint_deadlines_on_every_day_and_time(
    policies: str, encoding: str, variants: PolicySet
) -> None:
    ps = BUNDLED if policies == "bundled" else variants
    moments = _moments()
    column = _encodings(moments)[encoding]
    aware = [m.replace(tzinfo=LONDON) for m in moments]
    channels = ps.compiled_decision("platform_commitments", "contact_deadlines").facts[
        "channel"
    ].values
    for channel in channels:
        for resolved in (False, True):
            frame = pd.DataFrame({"channel": channel, "received_at": column,
                                  "resolved_at_first_contact": resolved})
            facts = [{"channel": channel, "received_at": a, "resolved_at_first_contact": resolved}
                     for a in aware]
            _check(ps, "platform_commitments", "contact_deadlines", facts, frame)
    for stage in ("quick_resolution", "formal", "final_review"):
        frame = pd.DataFrame({"stage": stage, "received_at": column})
        facts = [{"stage": stage, "received_at": a} for a in aware]
        _check(ps, "platform_commitments", "complaint_deadlines", facts, frame)
    for report in ("hate_crime", "domestic_abuse", "anti_social_behaviour"):
        frame = pd.DataFrame({"report_type": report, "reported_at": column})
        facts = [{"report_type": report, "reported_at": a} for a in aware]
        _check(ps, "platform_commitments", "asb_acknowledgement", facts, frame)


@pytest.mark.parametrize("policies", ["bundled", "variants"])
def test_appeal_deadline_on_every_day_of_two_years(policies: str, variants: PolicySet) -> None:
    ps = BUNDLED if policies == "bundled" else variants
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(730)]
    offsets = [None, 0, 1, 9, 14, 15, -1]
    facts = []
    for i, day in enumerate(days):
        offset = offsets[i % len(offsets)]
        row: dict[str, Any] = {"notification_received": day}
        if offset is not None:
            row["appeal_received"] = day + dt.timedelta(days=offset)
        facts.append(row)
    frame = pd.DataFrame({
        "notification_received": pd.Series(pd.to_datetime(days)),
        "appeal_received": pd.Series(pd.to_datetime([r.get("appeal_received") for r in facts])),
    })
    as_of = dt.date(2026, 6, 6)
    result = ps.decide_many("halton_conduct", "appeal_deadline", frame, as_of=as_of)
    compiled = ps.compiled_decision("halton_conduct", "appeal_deadline")
    columns = list(result.columns)
    assert result_rows(result) == [
        expected_row(ps, "halton_conduct", "appeal_deadline", f, as_of, compiled.outcomes,
                     columns)
        for f in facts
    ]
    # an appeal before the notification fails the decision's fact check, row by row
    assert result.attrs["policyengine"]["rows_decided_one_by_one"] == sum(
        1 for f in facts if f.get("appeal_received", f["notification_received"])
        < f["notification_received"]
    )


def test_a_closing_time_inside_the_missing_hour(tmp_path: Any) -> None:
    """A closing time of 01:30 on an open Sunday of the spring clock change: a naive 01:15 that
    day is read as 02:15 BST (the scalar path's fold=0 reading), which is after closing."""
    text = (policyengine.load_policies().policy("platform_commitments").text
            .replace('office_closes_at: "17:00"',
                     'open_days: [2026-03-29]\n  office_closes_at: "01:30"'))
    (tmp_path / "platform_commitments.yaml").write_text(text)
    ps = policyengine.load_policies(tmp_path)
    times = [dt.time(0, 59), dt.time(1, 0), dt.time(1, 15), dt.time(1, 29), dt.time(1, 30),
             dt.time(1, 45), dt.time(2, 0), dt.time(2, 15), dt.time(3, 0)]
    moments = [dt.datetime.combine(dt.date(2026, 3, 29), t) for t in times]
    frame = pd.DataFrame({"channel": "email", "received_at": pd.to_datetime(moments),
                          "resolved_at_first_contact": False})
    facts = [{"channel": "email", "received_at": m, "resolved_at_first_contact": False}
             for m in moments]
    _check(ps, "platform_commitments", "contact_deadlines", facts, frame)
    days = ps.decide_many("platform_commitments", "contact_deadlines", frame,
                          as_of="2026-03-29")["acknowledge_by"]
    assert days.iloc[2] == dt.date(2026, 4, 2)  # 01:15 is 02:15 BST: received Monday 30th
    assert days.iloc[0] == dt.date(2026, 4, 1)  # 00:59 GMT: received on the open Sunday
