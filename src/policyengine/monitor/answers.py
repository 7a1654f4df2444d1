"""What the monitor answers: an event's effect, an obligation, a history entry, a case's state.

Every answer is immutable and has ``to_dict()`` (JSON-ready: dates ``YYYY-MM-DD``, date-times
ISO 8601 in London time with the offset).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..decision import Decision, TraceStep, to_json_value
from ..durations import format_moment

#: Statuses of an obligation that is still owed as of the moment asked.
OPEN_STATUSES = ("open", "overdue", "past_target", "awaiting_judgement")


@dataclass(frozen=True, slots=True)
class Posted:
    """What one event did to its case (``duplicate``: a redelivery, acknowledged again)."""

    case: str
    case_type: str
    event: str
    at: dt.datetime
    from_state: str | None
    to_state: str
    rule: str
    transition: str | None
    opened: tuple[str, ...]
    not_opened: tuple[dict[str, str], ...]
    discharged: tuple[str, ...]
    discharged_late: tuple[str, ...]
    cancelled: tuple[str, ...]
    lapsed: tuple[str, ...]
    closed: bool
    id: str | None = None
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "case_type": self.case_type,
            "event": self.event,
            "at": format_moment(self.at),
            "id": self.id,
            "duplicate": self.duplicate,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "rule": self.rule,
            "transition": self.transition,
            "opened": list(self.opened),
            "not_opened": [dict(n) for n in self.not_opened],
            "discharged": list(self.discharged),
            "discharged_late": list(self.discharged_late),
            "cancelled": list(self.cancelled),
            "lapsed": list(self.lapsed),
            "closed": self.closed,
        }


@dataclass(frozen=True)
class Explanation:
    """Why an obligation is owed: the decision that dated it, its trace and its clauses."""

    decision: Decision | None
    trace: tuple[TraceStep, ...]
    citations: tuple[dict[str, Any], ...]
    interpretations: tuple[dict[str, Any], ...]
    considerations: tuple[dict[str, Any], ...]
    requirements: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Obligation:
    """Something a case's events made owed, with its due date and why.

    ``status`` as of ``as_of``: ``open``; ``overdue`` (a duty past its due moment);
    ``past_target`` (a target, something "normally" done by then, past it: not a breach);
    ``expired`` (a window, such as an appeal period, that passed unused);
    ``awaiting_judgement`` (the policy leaves it to a person: see ``considerations``);
    ``discharged``; ``discharged_late``; ``cancelled``; ``lapsed`` (the case closed first).
    A date deadline is due by the end of that day (London); a date-time one at that instant.
    The decision, trace and citations are worked out when first asked for.
    """

    case: str
    case_type: str
    id: str
    name: str
    description: str
    kind: str
    status: str
    due: dt.date | dt.datetime | None
    for_judgement: bool
    opened_at: dt.datetime
    opened_by: str
    closed_at: dt.datetime | None
    closed_by: str | None
    late: bool
    as_of: dt.datetime | None
    explain: Callable[[], Explanation] = field(repr=False, compare=False)

    @functools.cached_property
    def _explained(self) -> Explanation:
        return self.explain()

    @property
    def decision(self) -> Decision | None:
        return self._explained.decision

    @property
    def trace(self) -> tuple[TraceStep, ...]:
        return self._explained.trace

    @property
    def citations(self) -> tuple[dict[str, Any], ...]:
        return self._explained.citations

    @property
    def interpretations(self) -> tuple[dict[str, Any], ...]:
        return self._explained.interpretations

    @property
    def considerations(self) -> tuple[dict[str, Any], ...]:
        return self._explained.considerations

    @property
    def requirements(self) -> tuple[dict[str, Any], ...]:
        return self._explained.requirements

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "case": self.case,
            "case_type": self.case_type,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "kind": self.kind,
            "status": self.status,
            "due": format_moment(self.due) if self.due is not None else None,
            "for_judgement": self.for_judgement,
            "opened_at": format_moment(self.opened_at),
            "opened_by": self.opened_by,
            "closed_at": format_moment(self.closed_at) if self.closed_at else None,
            "closed_by": self.closed_by,
            "late": self.late,
            "as_of": format_moment(self.as_of) if self.as_of else None,
        }
        if self.decision is not None:
            d = self.decision
            out["decision"] = {
                "policy": d.policy,
                "decision": d.decision,
                "status": d.status,
                "as_of": d.as_of.isoformat(),
                "facts": to_json_value(d.facts),
                "outcome": to_json_value(d.outcome),
                "warnings": list(d.warnings),
            }
        out["considerations"] = [dict(c) for c in self.considerations]
        out["requirements"] = [dict(r) for r in self.requirements]
        out["trace"] = [s.to_dict() for s in self.trace]
        out["citations"] = [dict(c) for c in self.citations]
        out["interpretations"] = [dict(i) for i in self.interpretations]
        return out


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a case and what it did."""

    index: int
    event: str
    at: dt.datetime
    data: dict[str, Any]
    ref: str | None
    from_state: str | None
    to_state: str
    rule: str
    transition: str | None
    because: str
    citations: tuple[dict[str, Any], ...]
    opened: tuple[str, ...]
    not_opened: tuple[dict[str, str], ...]
    discharged: tuple[str, ...]
    discharged_late: tuple[str, ...]
    cancelled: tuple[str, ...]
    lapsed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "event": self.event,
            "at": format_moment(self.at),
            "data": dict(self.data),
            "from_state": self.from_state,
            "to_state": self.to_state,
            "rule": self.rule,
            "transition": self.transition,
            "because": self.because,
            "citations": [dict(c) for c in self.citations],
        }
        if self.ref is not None:
            out["ref"] = self.ref
        for key in ("opened", "discharged", "discharged_late", "cancelled", "lapsed"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.not_opened:
            out["not_opened"] = [dict(n) for n in self.not_opened]
        return out


@dataclass(frozen=True)
class CaseState:
    """The state a case is in, how it got there (history and trace) and what it cites."""

    case: str
    case_type: str
    state: str
    description: str | None
    closed: bool
    opened_at: dt.datetime
    last_event_at: dt.datetime
    history: tuple[HistoryEntry, ...]
    trace: tuple[TraceStep, ...]
    citations: tuple[dict[str, Any], ...]
    interpretations: tuple[dict[str, Any], ...]
    open_obligations: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "case_type": self.case_type,
            "state": self.state,
            "description": self.description,
            "closed": self.closed,
            "opened_at": format_moment(self.opened_at),
            "last_event_at": format_moment(self.last_event_at),
            "open_obligations": list(self.open_obligations),
            "history": [h.to_dict() for h in self.history],
            "trace": [s.to_dict() for s in self.trace],
            "citations": [dict(c) for c in self.citations],
            "interpretations": [dict(i) for i in self.interpretations],
        }
