"""The answer to one decision: status, outcome, and everything needed to explain and replay it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .durations import format_moment
from .runtime import engine_version, runtime_versions

#: A decision's possible statuses, weakest first: when several rules set one, the strongest wins.
STATUSES = ("decided", "needs_judgement", "not_applicable")
STATUS_STRENGTH = {status: rank for rank, status in enumerate(STATUSES)}


def to_json_value(value: Any) -> Any:
    """Outcome values as JSON: dates 'YYYY-MM-DD', date-times London local time with offset."""
    if isinstance(value, dt.date):
        return format_moment(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class TraceStep:
    """One rule that was considered: whether it fired, why, and what it cites."""

    rule: str
    fired: bool
    because: str
    line: int
    citations: tuple[dict[str, Any], ...] = ()
    note: str | None = None
    sets: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "fired": self.fired,
            "because": self.because,
            "line": self.line,
        }
        if self.sets:
            out["sets"] = list(self.sets)
        if self.note:
            out["note"] = self.note
        if self.citations:
            out["citations"] = [dict(c) for c in self.citations]
        return out


@dataclass(frozen=True)
class Decision:
    """What a policy decided for a set of facts on a date."""

    policy: str
    decision: str
    status: str
    outcome: dict[str, Any]
    trace: tuple[TraceStep, ...]
    citations: tuple[dict[str, Any], ...]
    interpretations: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    as_of: dt.date
    facts: dict[str, Any] = field(default_factory=dict)
    policy_version: str = ""
    policy_sha256: str = ""
    policy_file: str = ""
    calendar: dict[str, Any] = field(default_factory=dict)
    engine_version: str = ""
    full_trace: bool = False  # whether every rule considered was asked for, not only those fired

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record of the decision, enough to reproduce it later."""
        return {
            "policy": self.policy,
            "decision": self.decision,
            "status": self.status,
            "outcome": to_json_value(self.outcome),
            "trace": [s.to_dict() for s in self.trace],
            "citations": [dict(c) for c in self.citations],
            "interpretations": [dict(i) for i in self.interpretations],
            "warnings": list(self.warnings),
            "as_of": self.as_of.isoformat(),
            "facts": to_json_value(self.facts),
            "provenance": {
                "policy_file": self.policy_file,
                "policy_version": self.policy_version,
                "policy_sha256": self.policy_sha256,
                "calendar": dict(self.calendar),
                "engine_version": engine_version(),
                **runtime_versions(),
                "full_trace": self.full_trace,
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @property
    def fired_rules(self) -> list[str]:
        return [s.rule for s in self.trace if s.fired]
