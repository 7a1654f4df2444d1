"""Requests taken from the bundled YAML scenarios: real facts for every decision."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def scenario_requests() -> list[tuple[str, str, dict[str, Any], str]]:
    """(policy, decision, facts, as_of) of every bundled scenario that expects a decision."""
    found = []
    for path in sorted((ROOT / "policies" / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        default = data.get("as_of") or dt.date(2026, 6, 1)
        for case in data["scenarios"]:
            if "expect_error" in case:
                continue
            as_of = case.get("as_of") or default
            found.append((data["policy"], case["decision"], _plain(case.get("facts") or {}),
                          as_of.isoformat()))
    return found
