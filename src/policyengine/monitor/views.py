"""Answers built from what the store holds: obligations (with status as of a moment) and states.

An obligation's entry keeps the facts its due-date decision was given and the day it was
decided, so its :class:`Decision`, trace and clauses can be worked out from the entry alone,
when first asked for, without reading the case's events.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..decision import TraceStep
from ..durations import to_london
from ..lifecycle import NEW, CompiledLifecycle
from ..policyset import PolicySet
from .answers import CaseState, Explanation, HistoryEntry, Obligation
from .effects import Decisions
from .events import parse_due, past
from .store import StoredEvent

_LATE_STATUS = {"duty": "overdue", "target": "past_target", "window": "expired"}
_CLOSED_WORDS = {"discharged": "discharged", "discharged_late": "discharged after it was due",
                 "cancelled": "cancelled", "lapsed": "lapsed: the case closed first"}


@functools.lru_cache(maxsize=65536)
def _moment(text: str) -> dt.datetime:
    return to_london(dt.datetime.fromisoformat(text))


def status_as_of(kind: str, entry: Mapping[str, Any], as_of: dt.datetime | None) -> str:
    closed_at = entry.get("closed_at")
    if closed_at and (as_of is None or _moment(closed_at) <= as_of):
        return str(entry["status"])
    if entry.get("judgement"):
        return "awaiting_judgement"
    due = parse_due(entry.get("due"))
    if due is not None and as_of is not None and past(due, as_of):
        return _LATE_STATUS.get(kind, "overdue")
    return "open"


class Views:
    def __init__(self, policies: PolicySet, decisions: Decisions) -> None:
        self.policies = policies
        self.decisions = decisions

    def interpretation(self, lc: CompiledLifecycle, name: str) -> dict[str, Any] | None:
        note = lc.interpretations.get(name) or self.policies.policy(lc.policy) \
            .interpretations.get(name)
        return note.to_dict() if note is not None else None

    def obligation(self, case_id: str, lc: CompiledLifecycle, entry: Mapping[str, Any],
                   as_of: dt.datetime | None, status: str | None = None) -> Obligation:
        """An obligation as of ``as_of``; ``status`` when the index already says it."""
        spec = lc.obligations[entry["name"]]
        if status is None:
            status = status_as_of(spec.kind, entry, as_of)
        closed = entry.get("closed_at") is not None and status == entry["status"] \
            and status not in ("open", "awaiting_judgement")
        closed_at = _moment(entry["closed_at"]) if closed else None
        return Obligation(
            case=case_id, case_type=lc.case_type, id=entry["id"], name=spec.name,
            description=spec.description, kind=spec.kind, status=status,
            due=parse_due(entry.get("due")), for_judgement=bool(entry.get("judgement")),
            opened_at=_moment(entry["opened_at"]), opened_by=entry["opened_by"],
            closed_at=closed_at, closed_by=entry.get("closed_by") if closed else None,
            late=bool(entry.get("late")) if closed else False, as_of=as_of,
            explain=lambda: self.explain(lc, entry, closed, status),
        )

    def explain(self, lc: CompiledLifecycle, entry: Mapping[str, Any], closed: bool,
                status: str) -> Explanation:
        spec = lc.obligations[entry["name"]]
        decision = None
        if spec.due is not None and entry.get("facts") is not None:
            decision = self.decisions.decide(lc.policy, spec.due.decision, entry["facts"],
                                             entry["decided_on"])
        cites = [c.to_dict() for c in spec.citations]
        steps = [TraceStep(spec.name, True, spec.because, spec.line, tuple(cites),
                           note=f"opened by '{entry['opened_by']}' at {entry['opened_at']}")]
        interpretations: list[dict[str, Any]] = []
        considerations: tuple[dict[str, Any], ...] = ()
        requirements: tuple[dict[str, Any], ...] = ()
        if decision is not None:
            steps.extend(decision.trace)
            cites.extend(decision.citations)
            interpretations.extend(decision.interpretations)
            considerations = tuple(decision.outcome.get("considerations", ()))
            requirements = tuple(decision.outcome.get("requirements", ()))
        for name in spec.interpretations:
            note = self.interpretation(lc, name)
            if note is not None and note not in interpretations:
                interpretations.append(note)
        if closed:
            steps.append(TraceStep(spec.name, True, f"{_CLOSED_WORDS.get(status, status)} by "
                                   f"'{entry['closed_by']}' at {entry['closed_at']}", spec.line))
        return Explanation(decision, tuple(steps), dedupe(cites), tuple(interpretations),
                           considerations, requirements)

    def obligations(self, case_id: str, lc: CompiledLifecycle,
                    entries: Iterable[Mapping[str, Any]],
                    as_of: dt.datetime | None) -> list[Obligation]:
        """The case's obligations (its stored entries, in the order they opened) as of
        ``as_of``; those opened after it are left out."""
        out: list[Obligation] = []
        for entry in entries:
            if as_of is not None and _moment(entry["opened_at"]) > as_of:
                continue
            out.append(self.obligation(case_id, lc, entry, as_of))
        return out

    def case_state(self, case_id: str, lc: CompiledLifecycle, record: Mapping[str, Any],
                   events: Sequence[StoredEvent]) -> CaseState:
        rules = {r.name: r for r in lc.rules}
        history: list[HistoryEntry] = []
        trace: list[TraceStep] = []
        cites: list[dict[str, Any]] = [c.to_dict() for c in lc.citations]
        interpretations: list[dict[str, Any]] = []
        for stored in events:
            ev, step = stored.event, stored.step
            rule = rules[step["rule"]]
            t = rule.transition
            if t is not None:
                step_cites = tuple(c.to_dict() for c in t.citations)
                line = t.line
                for name in t.interpretations:
                    note = self.interpretation(lc, name)
                    if note is not None and note not in interpretations:
                        interpretations.append(note)
            else:
                step_cites = tuple(c.to_dict() for c in lc.events[ev["type"]].citations)
                line = lc.events[ev["type"]].line
            cites.extend(step_cites)
            history.append(HistoryEntry(
                index=step["event"], event=ev["type"], at=_moment(ev["at"]),
                data=dict(ev.get("data", {})), ref=ev.get("ref"), from_state=step["from"],
                to_state=step["to"], rule=step["rule"], transition=t.id if t else None,
                because=rule.because, citations=step_cites, opened=tuple(step["opened"]),
                not_opened=tuple(step["not_opened"]), discharged=tuple(step["discharged"]),
                discharged_late=tuple(step["discharged_late"]),
                cancelled=tuple(step["cancelled"]), lapsed=tuple(step["lapsed"]),
            ))
            moved = f"{step['from'] or NEW} -> {step['to']}"
            trace.append(TraceStep(t.id if t else step["rule"], True, rule.because, line,
                                   step_cites, note=f"'{ev['type']}' at {ev['at']}: {moved}"))
        state = lc.states[record["state"]]
        cites.extend(c.to_dict() for c in state.citations)
        return CaseState(
            case=case_id, case_type=lc.case_type, state=state.name,
            description=state.description, closed=bool(record.get("closed")),
            opened_at=_moment(record["opened_at"]), last_event_at=_moment(record["last_at"]),
            history=tuple(history), trace=tuple(trace), citations=dedupe(cites),
            interpretations=tuple(interpretations),
            open_obligations=tuple(o[0] for o in record.get("open", ())),
        )


def dedupe(citations: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for c in citations:
        key = (str(c.get("document")), str(c.get("clause")))
        if key not in seen:
            seen.add(key)
            out.append(dict(c))
    return tuple(out)
