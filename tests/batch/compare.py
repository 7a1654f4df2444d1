"""One row of a ``decide_many`` result, and what ``decide`` says for the same facts, as plain
comparable dicts (date-times as UTC instants, lists as lists, nulls as None)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from policyengine import FactsError, PolicyError, PolicySet
from policyengine.facts import ValueType


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def result_rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, pa.Table):
        return [{k: _plain(v) for k, v in row.items()} for row in result.to_pylist()]
    assert isinstance(result, pd.DataFrame)
    return [
        {str(k): _plain(v) for k, v in zip(result.columns, row, strict=True)}
        for row in result.itertuples(index=False, name=None)
    ]


def problems(exc: FactsError | PolicyError) -> list[dict[str, Any]]:
    if isinstance(exc, FactsError):
        return [{"path": p.path, "code": p.code, "message": p.message,
                 "allowed": list(p.allowed) if p.allowed is not None else None}
                for p in exc.problems]
    return [{"path": f"{p.file}:{p.line}:{p.column}", "code": "policy", "message": p.message,
             "allowed": None} for p in exc.problems]


def expected_row(
    policies: PolicySet, policy: str, decision: str, facts: Any, as_of: dt.date,
    outcomes: dict[str, ValueType], columns: list[str],
) -> dict[str, Any]:
    """The result row ``decide`` implies, in the result's column names."""
    row: dict[str, Any] = dict.fromkeys(columns)
    try:
        answer = policies.decide(policy, decision, facts, as_of)
    except (FactsError, PolicyError) as exc:
        row.update(error=str(exc), error_type=type(exc).__name__, error_problems=problems(exc))
        return row
    row["status"] = answer.status
    row["fired_rules"] = answer.fired_rules
    for name, vt in outcomes.items():
        value = answer.outcome.get(name)
        if vt.kind == "moment":
            if isinstance(value, dt.datetime):
                row[name] = value.date()
                row[f"{name}_at"] = value.astimezone(dt.UTC)
            else:
                row[name] = value
        else:
            row[name] = _plain(value)
    for name in ("considerations", "requirements"):
        if name in columns:
            notes = answer.outcome.get(name)
            row[name] = None if notes is None else [n["id"] for n in notes]
    return row


def without_nulls(row: dict[str, Any]) -> dict[str, Any]:
    """The facts a table row gives: a null cell is a fact not given."""
    return {k: v for k, v in row.items() if v is not None}
