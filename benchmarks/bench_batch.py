"""Batch decisions: ``decide_many`` on a million cases beside plain ``numpy.busday_offset``.

For ``appeal_deadline`` (Halton), ``complaint_deadlines`` and ``contact_deadlines`` (Platform)
this prints, from one run: cases per second through ``PolicySet.decide_many`` (a pandas
DataFrame of typed columns in and out, and a pyarrow Table in and out), the same from ISO
strings (a CSV-like table), the floor (``numpy.busday_offset`` alone, once per case, on the same
dates and the policy's own holiday calendar; from strings it includes numpy's own date parsing),
the ratio of the two, ``decide`` row by row for scale, and zen-engine's ``evaluate_batch`` as a
peer where it is installed (``pip install housing-policyengine[bench]``; it has no UK working
days, so its table only picks the rules and the day counts). The machine is shared: every figure
is the least CPU time of several interleaved rounds, on one core.

    python benchmarks/bench_batch.py [--cases N] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import policyengine
from policyengine.batch.workdays import vector_calendar

AS_OF = dt.date(2026, 6, 6)
CHANNELS = ["telephone", "portal", "web_chat", "social_media", "email", "letter", "website",
            "office_visit"]
STAGES = ["quick_resolution", "formal", "final_review"]


def best(fn: Callable[[], Any], rounds: int) -> float:
    """Least CPU time of this process over ``rounds`` calls (other load on the machine shows
    far less in CPU time than in wall-clock time)."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def cases(n: int) -> dict[str, tuple[str, str, pd.DataFrame, np.ndarray, int]]:
    """Per decision: policy, decision, typed cases, the dates the floor counts from, and n."""
    rng = np.random.default_rng(7)
    days = np.datetime64("2024-01-01") + rng.integers(0, 3 * 365, n)
    moments = days.astype("datetime64[us]") + (rng.integers(0, 86_400, n) * 1_000_000).astype(
        "timedelta64[us]"
    )
    appeal = pd.Series((days + rng.integers(0, 20, n)).astype("datetime64[s]"))
    appeal_df = pd.DataFrame({
        "notification_received": days.astype("datetime64[s]"),
        "appeal_received": appeal.where(rng.random(n) < 0.5),
    })
    contact_df = pd.DataFrame({
        "channel": pd.Categorical.from_codes(rng.integers(0, 8, n), CHANNELS),
        "received_at": moments,
        "resolved_at_first_contact": rng.random(n) < 0.5,
    })
    complaint_df = pd.DataFrame({
        "stage": pd.Categorical.from_codes(rng.integers(0, 3, n), STAGES),
        "received_at": moments,
    })
    local_days = moments.astype("datetime64[D]")
    return {
        "appeal_deadline": ("halton_conduct", "appeal_deadline", appeal_df, days, 10),
        "complaint_deadlines": ("platform_commitments", "complaint_deadlines", complaint_df,
                                local_days, 3),
        "contact_deadlines": ("platform_commitments", "contact_deadlines", contact_df,
                              local_days, 3),
    }


def as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as a CSV reader gives it: ISO strings for dates and times."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            given = column.dropna()
            midnight = bool((given.dt.normalize() == given).all())
            text = column.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
            out[name] = text.astype("str")  # as pandas.read_csv gives text
        else:
            out[name] = column
    return pd.DataFrame(out)


def _plain_facts(row: dict[str, Any], decision: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for key, value in row.items():
        if pd.isna(value):
            continue
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
            if decision == "appeal_deadline":
                value = value.date()
        elif isinstance(value, np.generic):
            value = value.item()
        facts[key] = value
    return facts


def zen_rate(n: int, rounds: int) -> float | None:
    try:
        import zen
    except ImportError:
        return None
    table = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {"id": "rules", "type": "decisionTableNode", "name": "complaint",
             "position": {"x": 1, "y": 0},
             "content": {
                 "hitPolicy": "collect",
                 "inputs": [{"id": "stage", "name": "stage", "field": "stage"}],
                 "outputs": [{"id": "days", "name": "days", "field": "working_days"},
                             {"id": "what", "name": "what", "field": "deadline"}],
                 "rules": [
                     {"_id": "r1", "stage": '"quick_resolution"', "days": "2",
                      "what": '"resolve_by"'},
                     {"_id": "r2", "stage": '"formal","final_review"', "days": "3",
                      "what": '"acknowledge_by"'},
                     {"_id": "r3", "stage": '"formal","final_review"', "days": "15",
                      "what": '"respond_by"'},
                 ]}},
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                  {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}],
    }
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"complaint": table}}})
    requests = [{"key": "complaint", "context": {"stage": STAGES[i % 3]}} for i in range(n)]
    return n / best(lambda: engine.evaluate_batch(requests), rounds)


def measure(
    policies: policyengine.PolicySet, name: str, policy: str, decision: str,
    frame: pd.DataFrame, days: np.ndarray, count: int, rounds: int,
) -> None:
    """Print one decision's rows: the floors, decide_many three ways, decide row by row."""
    n = len(frame)
    calendar = vector_calendar(policies.policy(policy).calendar).busdays
    table = pa.Table.from_pandas(frame, preserve_index=False)
    strings = as_strings(frame)
    text_days = days.astype(str)
    policies.decide_many(policy, decision, frame.head(1000), as_of=AS_OF)  # warm up
    timings: dict[str, list[float]] = {k: [] for k in
                                       ("floor", "pandas", "arrow", "floor_s", "strings")}
    for _ in range(rounds):
        timings["floor"].append(best(lambda: np.busday_offset(
            days, count, roll="backward", busdaycal=calendar), 1))
        timings["pandas"].append(best(lambda: policies.decide_many(
            policy, decision, frame, as_of=AS_OF), 1))
        timings["arrow"].append(best(lambda: policies.decide_many(
            policy, decision, table, as_of=AS_OF), 1))
        timings["floor_s"].append(best(lambda: np.busday_offset(
            text_days.astype("datetime64[D]"), count, roll="backward",
            busdaycal=calendar), 1))
        timings["strings"].append(best(lambda: policies.decide_many(
            policy, decision, strings, as_of=AS_OF), 1))
    floor, floor_s = min(timings["floor"]), min(timings["floor_s"])
    result = policies.decide_many(policy, decision, frame, as_of=AS_OF)
    meta = result.attrs["policyengine"]
    rows = [
        ("numpy.busday_offset (floor)", floor, floor),
        ("decide_many, DataFrame", min(timings["pandas"]), floor),
        ("decide_many, pyarrow Table", min(timings["arrow"]), floor),
        ("numpy parse + busday_offset (floor)", floor_s, floor_s),
        ("decide_many, ISO strings", min(timings["strings"]), floor_s),
    ]
    facts = [_plain_facts(r, decision) for r in frame.head(2000).to_dict("records")]
    scalar = best(lambda: [policies.decide(policy, decision, f, AS_OF) for f in facts], 1)
    rows.append(("decide, row by row (2,000 cases)", scalar * n / len(facts), None))
    for label, seconds, base in rows:
        ratio = f"{seconds / base:8.2f}x" if base is not None else ""
        print(f"{name:22} {label:34} {n / seconds:12,.0f} {seconds * 1e3 * 1e6 / n:8.0f} "
              f"{ratio:>9}")
    assert meta["vectorised"] and meta["rows_decided_one_by_one"] == 0, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n, rounds = args.cases, args.rounds
    policies = policyengine.load_policies()
    print(f"{n:,} cases per decision, least CPU time of {rounds} interleaved rounds on one core; "
          "cases/s (higher is better) and ms per million")
    print(f"{'decision':22} {'path':34} {'cases/s':>12} {'ms/1M':>8} {'vs floor':>9}")
    for name, (policy, decision, frame, days, count) in cases(n).items():
        measure(policies, name, policy, decision, frame, days, count, rounds)
    rate = zen_rate(min(n, 100_000), max(1, rounds // 2))
    if rate is None:
        print("zen-engine not installed: pip install housing-policyengine[bench]")
    else:
        print(f"{'complaint (rules only)':22} {'zen-engine evaluate_batch':34} {rate:12,.0f} "
              f"{1e9 / rate:8.0f}")


if __name__ == "__main__":
    main()
