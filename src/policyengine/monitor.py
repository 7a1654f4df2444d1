"""Follow live cases through time: events in, what is owed, overdue and in which state, out.

A :class:`Monitor` takes a stream of case events (a complaint received, acknowledged, escalated;
a code of conduct implemented, reviewed, appealed; a customer's contacts) and follows each case
with the lifecycle its policy declares under ``lifecycles:`` (see :mod:`policyengine.lifecycle`
and docs/monitor.md). At any moment it answers, for a case, the state it is in and its history,
and the obligations its events opened, with their due dates; across all cases, what is overdue.

How the work is shared:

* **durable_rules** (an optional extra: ``pip install 'housing-policyengine[monitor]'``) holds
  each case's record in its own session (one session per case) and does the matching: each
  lifecycle is compiled into a ruleset whose rules match an event's type, the case's state and
  conditions on the event's data; the rule that fires decides the transition and which
  obligations open, are discharged or are cancelled. durable_rules keeps at most 1024 live
  sessions per ruleset, so each lifecycle's cases are spread over as many copies of its ruleset
  (shards) as needed; a closed case's session is deleted.
* **Python** validates every event fully before it reaches durable_rules (case, type, time
  order, data types, whether the state allows it), and computes due dates by calling the
  policy's own decisions (:meth:`PolicySet.decide`), so a due date is exactly the stateless
  decision's answer for the same facts. A rule's action changes nothing until its whole effect
  has been computed without error; a rejected event leaves no trace.

Time is logical: event timestamps and :meth:`Monitor.advance_to` drive it, never the wall clock,
so replaying the same events always gives the same answers. Importing this module does not
import durable_rules (it is imported when a Monitor is made), starts no thread, and a Monitor
starts none either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import json
import sys
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, overload

from .decision import Decision, TraceStep, to_json_value
from .durations import LONDON, format_moment, parse_date, parse_datetime, to_london
from .errors import PolicyEngineError
from .lifecycle import NEW, CompiledLifecycle, CompiledObligation, DurableRule, Effect, FactSource
from .policyset import PolicySet

__all__ = [
    "INSTALL_HINT",
    "CaseClosedError",
    "CaseState",
    "ClockError",
    "EventError",
    "EventNotAllowedError",
    "EventOrderError",
    "EventsFileError",
    "HistoryEntry",
    "Monitor",
    "MonitorClosedError",
    "MonitorError",
    "MonitorUnavailableError",
    "Obligation",
    "Posted",
    "UnknownCaseError",
    "UnknownCaseTypeError",
    "UnknownEventTypeError",
    "add_cli",
]

INSTALL_HINT = "pip install 'housing-policyengine[monitor]'"
#: Cases per ruleset copy: durable_rules 2.0.28 keeps at most 1024 live sessions per ruleset.
SHARD_SIZE = 1000
EVENT_KEYS = ("case", "case_type", "type", "at", "data", "id")
_DECISION_CACHE = 4096


# ------------------------------------------------------------------------------------ errors


class MonitorError(PolicyEngineError):
    """Something the case monitor cannot do, with the reason."""


class MonitorUnavailableError(MonitorError):
    """durable_rules (the ``monitor`` extra) is not installed or does not import."""


class MonitorClosedError(MonitorError):
    """The monitor was closed; make a new one."""


class UnknownCaseError(MonitorError):
    """No case with this id has been opened."""

    def __init__(self, message: str, *, case: str) -> None:
        self.case = case
        super().__init__(message)


class EventError(MonitorError):
    """An event that cannot be applied; nothing was changed."""

    def __init__(self, message: str, *, case: str | None = None, event: str | None = None) -> None:
        self.case = case
        self.event = event
        super().__init__(message)


class UnknownCaseTypeError(EventError):
    """The event names a case type no loaded policy declares."""


class UnknownEventTypeError(EventError):
    """The event's type is not one of its case type's events."""


class EventOrderError(EventError):
    """The event is earlier than its case's last event or than the monitor's clock."""


class EventNotAllowedError(EventError):
    """The case's state (or the event's data) admits no rule for this event."""


class CaseClosedError(EventNotAllowedError):
    """The case has reached a terminal state and takes no more events."""


class ClockError(MonitorError):
    """The logical clock only moves forward."""


class EventsFileError(MonitorError):
    """A line of an events file (JSON lines) that cannot be read or applied."""

    def __init__(self, message: str, *, file: str, line: int) -> None:
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")


# ------------------------------------------------------------------------------ durable glue

_HOSTS: dict[int, type] = {}


def _load_durable() -> tuple[Any, Any]:
    """durable_rules' engine module and its C extension, or a clear error saying how to install."""
    try:
        from durable import engine

        dre = importlib.import_module("durable_rules_engine")
    except ImportError as exc:
        raise MonitorUnavailableError(
            "the case monitor needs durable_rules, which is not installed here "
            f"({exc}); install the 'monitor' extra: {INSTALL_HINT}"
        ) from None
    return engine, dre


def _host_class(engine: Any) -> type:
    """A durable Host that starts no threads (one Host per monitor; durable.lang is never used)."""
    cls = _HOSTS.get(id(engine))
    if cls is None:

        class _QuietHost(engine.Host):  # type: ignore[misc]
            def _run(self) -> None:
                # the stock Host starts two self-rescheduling Timer threads to dispatch timers;
                # the monitor uses no durable timers (time is logical), so none are started
                pass

            # Closure.post(ruleset, message) calls host.assert_event, which Host lacks upstream
            assert_event = engine.Host.post

        cls = _QuietHost
        _HOSTS[id(engine)] = cls
    return cls


def _release(host: Any, dre: Any, live: dict[str, str], lock: threading.RLock) -> None:
    """Free a monitor's durable memory: every live session, then every ruleset."""
    with lock:
        for sid, ruleset in list(live.items()):
            with contextlib.suppress(Exception):
                host.delete_state(ruleset, sid)
        live.clear()
        for ruleset in list(host._ruleset_list):
            with contextlib.suppress(Exception):
                dre.delete_ruleset(ruleset._handle)
        host._ruleset_list.clear()
        host._ruleset_directory.clear()


# --------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Posted:
    """What one event did to its case."""

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "case_type": self.case_type,
            "event": self.event,
            "at": format_moment(self.at),
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
class Obligation:
    """Something a case's events made owed, with its due date and why.

    ``status`` as of ``as_of``: ``open``; ``overdue`` (a duty past its due moment);
    ``expired`` (a window, such as an appeal period, that passed unused);
    ``awaiting_judgement`` (the policy leaves it to a person: see ``considerations``);
    ``discharged``; ``discharged_late``; ``cancelled``; ``lapsed`` (the case closed first).
    A date deadline is due by the end of that day (London); a date-time one at that instant.
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
    decision: Decision | None
    trace: tuple[TraceStep, ...]
    citations: tuple[dict[str, Any], ...]
    interpretations: tuple[dict[str, Any], ...]
    considerations: tuple[dict[str, Any], ...]
    requirements: tuple[dict[str, Any], ...]
    as_of: dt.datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "overdue", "awaiting_judgement")

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


# ------------------------------------------------------------------------------- internals


@dataclass
class _Shard:
    name: str
    live: int = 0


@dataclass
class _Case:
    case_id: str
    lifecycle: CompiledLifecycle
    sid: str
    shard: _Shard | None
    state: str
    last_at: dt.datetime
    # the case's journal: every event applied (type, at, data) and what each did
    events: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    archive: dict[str, Any] | None = None  # the final durable record, once closed and freed


@dataclass
class _Incoming:
    """A validated event on its way through durable_rules."""

    msg_id: str
    case_id: str
    lifecycle: CompiledLifecycle
    type: str
    at: dt.datetime
    data_json: dict[str, Any]
    ref: str | None
    journal: Sequence[Mapping[str, Any]]  # the case's events before this one
    posted: Posted | None = None
    event: dict[str, Any] | None = None
    step: dict[str, Any] | None = None
    error: BaseException | None = None


def parse_moment(value: Any, what: str) -> dt.datetime:
    """An aware London date-time from a datetime, an ISO date-time, or a date (its start)."""
    if isinstance(value, dt.datetime):
        return to_london(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), LONDON)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            try:
                day = parse_date(value)
            except ValueError:
                raise MonitorError(
                    f"{what} must be an ISO 8601 date-time such as 2026-03-30T09:15 (naive = "
                    f"Europe/London) or a date YYYY-MM-DD (the start of that day); got {value!r}"
                ) from None
            return dt.datetime.combine(day, dt.time(), LONDON)
    raise MonitorError(f"{what} must be a date-time; got {value!r}")


def _event_moment(value: Any, case: str, event: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return to_london(value)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise EventError(f"case {case}: the '{event}' event's 'at' must be a date and time "
                             f"(ISO 8601, naive = Europe/London): {exc}", case=case,
                             event=event) from None
    raise EventError(f"case {case}: the '{event}' event's 'at' must be an ISO 8601 date and "
                     f"time; got {value!r}", case=case, event=event)


def _parse_due(text: str | None) -> dt.date | dt.datetime | None:
    if text is None:
        return None
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return to_london(dt.datetime.fromisoformat(text))


def _past(due: dt.date | dt.datetime, moment: dt.datetime) -> bool:
    """Is ``moment`` after the due moment (the end of a due date; a due date-time itself)?"""
    if isinstance(due, dt.datetime):
        return moment > due
    return to_london(moment).date() > due


def _dedupe(citations: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for c in citations:
        key = (str(c.get("document")), str(c.get("clause")))
        if key not in seen:
            seen.add(key)
            out.append(dict(c))
    return tuple(out)


class _Decisions:
    """Due-date decisions, computed once per (decision, facts, as_of) and reused by answers."""

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self.cache: OrderedDict[tuple[str, str, str, str], Decision] = OrderedDict()

    def decide(self, policy: str, decision: str, facts: Mapping[str, Any], as_of: str) -> Decision:
        key = (policy, decision, json.dumps(facts, sort_keys=True), as_of)
        found = self.cache.get(key)
        if found is not None:
            self.cache.move_to_end(key)
            return found
        result = self.policies.decide(policy, decision, facts, as_of)
        self.cache[key] = result
        if len(self.cache) > _DECISION_CACHE:
            self.cache.popitem(last=False)
        return result


def _source_value(
    source: FactSource, events: Sequence[Mapping[str, Any]], current: int, case: str
) -> tuple[bool, Any]:
    """The value of a fact source over a case's events (``current`` is the triggering one)."""

    def value_of(ev: Mapping[str, Any], name: str) -> tuple[bool, Any]:
        if name == "at":
            return True, ev["at"]
        if name == "date":
            return True, to_london(dt.datetime.fromisoformat(ev["at"])).date().isoformat()
        data = ev.get("data", {})
        return (name in data), data.get(name)

    if source.kind == "literal":
        return True, source.literal
    if source.kind == "value":
        assert source.value is not None
        if source.event is None:
            return value_of(events[current], source.value)
        for i in range(current, -1, -1):
            if events[i]["type"] == source.event:
                return value_of(events[i], source.value)
        raise EventNotAllowedError(
            f"case {case}: this needs an earlier '{source.event}' event (for its "
            f"'{source.value}'), and the case has none",
            case=case, event=events[current]["type"],
        )
    items: list[Any] = []
    for i in range(current + 1):
        ev = events[i]
        if ev["type"] != source.event:
            continue
        if source.value is not None:
            present, v = value_of(ev, source.value)
            if present:
                items.append(v)
        else:
            record: dict[str, Any] = {}
            for rname, vname in source.fields:
                present, v = value_of(ev, vname)
                if present:
                    record[rname] = v
            items.append(record)
    return True, items


class _Chain(Sequence[Mapping[str, Any]]):
    """A case's journal with one more event at its end, without copying the journal."""

    def __init__(self, journal: Sequence[Mapping[str, Any]], last: Mapping[str, Any]) -> None:
        self.journal = journal
        self.last = last

    def __len__(self) -> int:
        return len(self.journal) + 1

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [*self.journal, self.last][index]
        if index == len(self.journal) or index == -1:
            return self.last
        return self.journal[index]


def due_decision(
    decisions: _Decisions,
    lc: CompiledLifecycle,
    spec: CompiledObligation,
    events: Sequence[Mapping[str, Any]],
    opened: int,
    case: str,
) -> Decision | None:
    """The decision that dates an obligation opened by ``events[opened]`` (None: undated)."""
    if spec.due is None:
        return None
    facts: dict[str, Any] = {}
    for fname, source in spec.due.facts:
        present, value = _source_value(source, events, opened, case)
        if present:
            facts[fname] = value
    day = to_london(dt.datetime.fromisoformat(events[opened]["at"])).date().isoformat()
    return decisions.decide(lc.policy, spec.due.decision, facts, day)


def apply_effect(
    decisions: _Decisions,
    lc: CompiledLifecycle,
    rule: DurableRule,
    effect: Effect,
    record: Mapping[str, Any],
    incoming: _Incoming,
) -> tuple[dict[str, Any], Posted, dict[str, Any], dict[str, Any]]:
    """One event's effect on a case, computed without changing anything.

    Returns the case's new durable record, what the event did, and the journal entries (the
    event and its step) to append once durable_rules has stored the record.
    """
    at_text = format_moment(incoming.at)
    ev: dict[str, Any] = {"type": incoming.type, "at": at_text, "data": incoming.data_json}
    if incoming.ref is not None:
        ev["ref"] = incoming.ref
    events = _Chain(incoming.journal, ev)
    n = len(events) - 1
    from_state = record.get("state")
    obligations = [dict(o) for o in record.get("obligations", ())]
    counts = dict(record.get("counts", {}))
    discharged: list[str] = []
    late: list[str] = []
    cancelled: list[str] = []
    lapsed: list[str] = []
    for ob in obligations:
        if ob["status"] != "open":
            continue
        if ob["name"] in effect.discharges:
            due = _parse_due(ob.get("due"))
            is_late = due is not None and _past(due, incoming.at)
            ob.update(status="discharged_late" if is_late else "discharged", closed=n,
                      closed_at=at_text, late=is_late)
            (late if is_late else discharged).append(ob["id"])
        elif ob["name"] in effect.cancels:
            ob.update(status="cancelled", closed=n, closed_at=at_text)
            cancelled.append(ob["id"])
    opened: list[str] = []
    not_opened: list[dict[str, str]] = []
    for name in effect.opens:
        spec = lc.obligations[name]
        due_text: str | None = None
        judgement = False
        result = due_decision(decisions, lc, spec, events, n, incoming.case_id)
        if result is not None and spec.due is not None:
            if result.status == "not_applicable":
                reason = "; ".join(s.because for s in result.trace) or "not applicable"
                not_opened.append({"obligation": name, "reason": f"{spec.due.decision} does "
                                   f"not apply to these facts: {reason}"})
                continue
            judgement = result.status == "needs_judgement"
            value = result.outcome.get(spec.due.outcome) if spec.due.outcome else None
            if spec.due.outcome and value is None and not judgement:
                not_opened.append({"obligation": name, "reason": f"{spec.due.decision} sets no "
                                   f"{spec.due.outcome} for these facts"})
                continue
            if isinstance(value, dt.date):
                due_text = format_moment(value)
        counts[name] = counts.get(name, 0) + 1
        ob_id = f"{name}.{counts[name]}"
        obligations.append({
            "id": ob_id, "name": name, "status": "open", "opened": n, "opened_at": at_text,
            "due": due_text, "judgement": judgement, "closed": None, "closed_at": None,
            "late": False,
        })
        opened.append(ob_id)
    to_state = effect.to
    closing = lc.states[to_state].terminal
    if closing:
        for ob in obligations:
            if ob["status"] == "open":
                due = _parse_due(ob.get("due"))
                ob.update(status="lapsed", closed=n, closed_at=at_text,
                          late=due is not None and _past(due, incoming.at))
                lapsed.append(ob["id"])
    step = {
        "event": n, "rule": rule.name, "from": from_state, "to": to_state,
        "opened": opened, "not_opened": not_opened, "discharged": discharged,
        "discharged_late": late, "cancelled": cancelled, "lapsed": lapsed,
    }
    updates: dict[str, Any] = {
        "case": incoming.case_id,
        "case_type": lc.case_type,
        "state": to_state,
        "closed": closing,
        "opened_at": record.get("opened_at", at_text),
        "last_at": at_text,
        "events": n + 1,
        "obligations": obligations,
        "counts": counts,
    }
    posted = Posted(
        case=incoming.case_id, case_type=lc.case_type, event=incoming.type, at=incoming.at,
        from_state=from_state, to_state=to_state, rule=rule.name,
        transition=rule.transition.id if rule.transition else None,
        opened=tuple(opened), not_opened=tuple(not_opened), discharged=tuple(discharged),
        discharged_late=tuple(late), cancelled=tuple(cancelled), lapsed=tuple(lapsed),
        closed=closing,
    )
    return updates, posted, ev, step


# ----------------------------------------------------------------------------------- monitor


class Monitor:
    """Follows cases through their lifecycles. Use it as a context manager, or call close().

    >>> with Monitor(load_policies()) as m:                         # doctest: +SKIP
    ...     m.post({"case": "C1", "case_type": "platform_commitments.complaint",
    ...             "type": "received", "at": "2026-03-02T10:00",
    ...             "data": {"stage": "formal"}})
    ...     m.obligations("C1")
    """

    def __init__(self, policies: PolicySet, *, shard_size: int = SHARD_SIZE) -> None:
        if not 1 <= shard_size <= 1000:
            raise MonitorError("shard_size must be between 1 and 1000 (durable_rules keeps at "
                               "most 1024 live sessions per ruleset)")
        engine, dre = _load_durable()
        self._engine = engine
        self._policies = policies
        self._lifecycles: dict[str, CompiledLifecycle] = {
            lc.case_type: lc for policy in policies for lc in policy.lifecycles.values()
        }
        self._lock = threading.RLock()
        self._host = _host_class(engine)()
        self._prefix = f"pe{uuid.uuid4().hex[:12]}"
        self._shard_size = shard_size
        self._shards: dict[str, list[_Shard]] = {}
        self._cases: dict[str, _Case] = {}
        self._live: dict[str, str] = {}  # sid -> ruleset name (what close() must free)
        self._ids = itertools.count(1)
        self._clock: dt.datetime | None = None
        self._latest: dt.datetime | None = None
        self._incoming: _Incoming | None = None
        self._decisions = _Decisions(policies)
        self._closed = False
        self._finalizer = weakref.finalize(self, _release, self._host, dre, self._live,
                                           self._lock)

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete every case's durable session and every ruleset. Idempotent."""
        with self._lock:
            self._closed = True
            self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise MonitorClosedError("this monitor is closed; make a new Monitor")

    # ------------------------------------------------------------------ reading
    @property
    def case_types(self) -> list[str]:
        """The case types the loaded policies declare (``policy.lifecycle``)."""
        return sorted(self._lifecycles)

    def lifecycle(self, case_type: str) -> CompiledLifecycle:
        try:
            return self._lifecycles[case_type]
        except KeyError:
            raise UnknownCaseTypeError(
                f"unknown case type '{case_type}'; case types: "
                f"{', '.join(sorted(self._lifecycles)) or '(none: no policy declares lifecycles)'}"
            ) from None

    @property
    def now(self) -> dt.datetime | None:
        """The logical clock: the later of the last advance_to() and the latest event posted."""
        moments = [m for m in (self._clock, self._latest) if m is not None]
        return max(moments) if moments else None

    def cases(self, *, include_closed: bool = True) -> list[str]:
        """Case ids in the order they were opened."""
        with self._lock:
            self._check_open()
            return [c for c, case in self._cases.items()
                    if include_closed or case.archive is None]

    # ------------------------------------------------------------------ time
    def advance_to(self, moment: dt.datetime | dt.date | str) -> dt.datetime:
        """Move the logical clock forward to ``moment`` (never back). Returns the clock."""
        with self._lock:
            self._check_open()
            when = parse_moment(moment, "advance_to's moment")
            now = self.now
            if now is not None and when < now:
                raise ClockError(
                    f"the clock only moves forward: it is at {format_moment(now)}, and "
                    f"{format_moment(when)} is earlier"
                )
            self._clock = when
            return when

    # ------------------------------------------------------------------ events
    def post(self, event: Mapping[str, Any]) -> Posted:
        """Apply one event; see docs/monitor.md for its JSON form. Nothing changes on error."""
        with self._lock:
            self._check_open()
            incoming, case = self._validate(event)
            return self._apply(incoming, case)

    def _validate(self, event: Mapping[str, Any]) -> tuple[_Incoming, _Case | None]:
        if not isinstance(event, Mapping):
            raise EventError("an event is a JSON object with 'case', 'type' and 'at' (and "
                             "'case_type' when it opens a case, 'data', 'id')")
        extra = [k for k in event if k not in EVENT_KEYS]
        if extra:
            raise EventError(f"unknown key(s) in the event: {', '.join(map(str, extra))}; an "
                             f"event has {', '.join(EVENT_KEYS)}")
        case_id = event.get("case")
        if not isinstance(case_id, str) or not case_id or len(case_id) > 200:
            raise EventError(f"the event's 'case' must be a non-empty string (the case id, at "
                             f"most 200 characters); got {case_id!r}")
        etype = event.get("type")
        if not isinstance(etype, str) or not etype:
            raise EventError(f"case {case_id}: the event's 'type' must be a string; got "
                             f"{etype!r}", case=case_id)
        ref = event.get("id")
        if ref is not None and not isinstance(ref, str):
            raise EventError(f"case {case_id}: the event's 'id' must be a string", case=case_id,
                             event=etype)
        if "at" not in event:
            raise EventError(f"case {case_id}: the '{etype}' event has no 'at' (when it "
                             "happened)", case=case_id, event=etype)
        at = _event_moment(event["at"], case_id, etype)
        case_type = event.get("case_type")
        if case_type is not None and not isinstance(case_type, str):
            raise EventError(f"case {case_id}: 'case_type' must be a string", case=case_id)
        case = self._cases.get(case_id)
        if case is not None:
            lc = case.lifecycle
            if case_type is not None and case_type != lc.case_type:
                raise EventError(f"case {case_id} is a {lc.case_type} case, not {case_type}",
                                 case=case_id, event=etype)
            if case.archive is not None:
                raise CaseClosedError(
                    f"case {case_id} is closed (state '{case.state}'); it takes no more events",
                    case=case_id, event=etype)
        else:
            if case_type is None:
                raise UnknownCaseError(
                    f"no case {case_id}: give 'case_type' on the event that opens it (case "
                    f"types: {', '.join(sorted(self._lifecycles)) or 'none'})", case=case_id)
            try:
                lc = self.lifecycle(case_type)
            except UnknownCaseTypeError as exc:
                raise UnknownCaseTypeError(f"case {case_id}: {exc}", case=case_id,
                                           event=etype) from None
        spec = lc.events.get(etype)
        if spec is None:
            raise UnknownEventTypeError(
                f"case {case_id}: '{etype}' is not an event of {lc.case_type}; its events: "
                f"{', '.join(lc.events)}", case=case_id, event=etype)
        if case is None and not spec.opening:
            raise UnknownCaseError(
                f"no case {case_id}: a '{etype}' event does not open a {lc.case_type} case "
                f"(these do: {', '.join(lc.opened_by)})", case=case_id)
        if case is not None and at < case.last_at:
            raise EventOrderError(
                f"case {case_id}: the '{etype}' event at {format_moment(at)} is earlier than "
                f"the case's last event ({format_moment(case.last_at)}); post a case's events "
                "in the order they happened", case=case_id, event=etype)
        if self._clock is not None and at < self._clock:
            raise EventOrderError(
                f"case {case_id}: the '{etype}' event at {format_moment(at)} is earlier than "
                f"the monitor's clock ({format_moment(self._clock)}, set by advance_to)",
                case=case_id, event=etype)
        data = event.get("data", {})
        if data is None:
            data = {}
        values = spec.validator.validate(data)  # FactsError naming the field
        state = case.state if case is not None else NEW
        if case is not None and not lc.accepts(etype, state):
            where = lc.states_accepting(etype)
            raise EventNotAllowedError(
                f"case {case_id}: '{etype}' is not allowed while the case is '{state}'"
                + (f"; it is allowed in: {', '.join(where)}" if where else
                   "; it only opens a case"), case=case_id, event=etype)
        incoming = _Incoming(
            msg_id=f"m{next(self._ids)}", case_id=case_id, lifecycle=lc, type=etype, at=at,
            data_json=to_json_value(values), ref=ref,
            journal=case.events if case is not None else (),
        )
        if not lc.accepts(etype, state, incoming.data_json):
            # Refused here, never posted: durable_rules 2.0.28 keeps a session for a message no
            # rule takes, and deleting that session crashes the process.
            raise self._no_rule(incoming, state)
        return incoming, case

    def _shard_for_new_case(self, lc: CompiledLifecycle) -> _Shard:
        shards = self._shards.setdefault(lc.case_type, [])
        for shard in shards:
            if shard.live < self._shard_size:
                return shard
        name = f"{self._prefix}.{lc.case_type}.{len(shards)}"
        self._host.register_rulesets({name: lc.ruleset_definition(self._action_maker(lc))})
        shard = _Shard(name)
        shards.append(shard)
        return shard

    def _action_maker(self, lc: CompiledLifecycle) -> Callable[[DurableRule], Callable[[Any],
                                                                                      None]]:
        ref = weakref.ref(self)

        def make(rule: DurableRule) -> Callable[[Any], None]:
            def action(c: Any) -> None:
                monitor = ref()
                if monitor is not None:
                    monitor._run_action(lc, rule, c)

            return action

        return make

    def _run_action(self, lc: CompiledLifecycle, rule: DurableRule, c: Any) -> None:
        """A durable rule fired: compute the whole effect, then (only then) change the record."""
        incoming = self._incoming
        if incoming is None:
            return
        try:
            message = c.m._d if c.m is not None else {}
            if message.get("id") != incoming.msg_id:
                raise MonitorError(f"internal: rule {rule.name} fired for message "
                                   f"{message.get('id')!r}, not {incoming.msg_id!r}")
            record = c.s._d
            state = message.get("state")
            held = record.get("state", NEW)
            if held != state or record.get("events", 0) != len(incoming.journal):
                raise MonitorError(f"internal: case {incoming.case_id} is '{held}' in "
                                   f"durable_rules but the event was matched as '{state}'")
            updates, posted, event, step = apply_effect(
                self._decisions, lc, rule, rule.effects[state], record, incoming)
        except BaseException as exc:  # durable would swallow it; re-raised after post()
            incoming.error = exc
            return
        record.update(updates)
        incoming.posted, incoming.event, incoming.step = posted, event, step

    def _apply(self, incoming: _Incoming, case: _Case | None) -> Posted:
        lc = incoming.lifecycle
        if case is None:
            shard = self._shard_for_new_case(lc)
            sid = f"c{next(self._ids)}"
        else:
            assert case.shard is not None
            shard, sid = case.shard, case.sid
        message: dict[str, Any] = {
            "sid": sid,
            "id": incoming.msg_id,
            "type": incoming.type,
            "state": case.state if case is not None else NEW,
            "data": {f: incoming.data_json[f]
                     for f in lc.events[incoming.type].when_fields if f in incoming.data_json},
        }
        failure: BaseException | None = None
        result: Any = None
        self._incoming = incoming
        if case is None:
            shard.live += 1
            self._live[sid] = shard.name
        handled = True
        try:
            result = self._host.post(shard.name, message)
        except self._engine.MessageNotHandledException:
            handled = False
            failure = MonitorError(f"internal: durable_rules took no rule for '{incoming.type}' "
                                   f"on case {incoming.case_id}, which the lifecycle accepts")
        except BaseException as exc:
            failure = exc
        finally:
            self._incoming = None
        if failure is None:
            failure = incoming.error
        if failure is None and (incoming.posted is None or not isinstance(result, dict)):
            failure = MonitorError(f"internal: no rule applied '{incoming.type}' to case "
                                   f"{incoming.case_id}")
        if failure is not None:
            if case is None:  # durable made a session for the message: undo it
                if handled:  # deleting the session of an unhandled message crashes durable
                    self._host.delete_state(shard.name, sid)
                shard.live -= 1
                self._live.pop(sid, None)
            raise failure
        posted = incoming.posted
        assert posted is not None and incoming.event is not None and incoming.step is not None
        if case is None:
            case = _Case(incoming.case_id, lc, sid, shard, posted.to_state, incoming.at)
            self._cases[incoming.case_id] = case
        case.events.append(incoming.event)
        case.steps.append(incoming.step)
        case.state = posted.to_state
        case.last_at = incoming.at
        if self._latest is None or incoming.at > self._latest:
            self._latest = incoming.at
        if posted.closed:
            case.archive = {k: v for k, v in result.items() if k not in ("sid", "id", "$s")}
            self._host.delete_state(shard.name, sid)
            shard.live -= 1
            self._live.pop(sid, None)
            case.shard = None
        return posted

    def _no_rule(self, incoming: _Incoming, state: str) -> EventNotAllowedError:
        lc = incoming.lifecycle
        options = [t for t in lc.transitions if t.event == incoming.type and
                   (t.from_states is None if state == NEW else state in (t.from_states or ()))]
        wanted = "; ".join(
            f"{t.id}: " + ", ".join(f"{k} in [{', '.join(map(str, v))}]" for k, v in t.when)
            for t in options if t.when)
        data = json.dumps(incoming.data_json, sort_keys=True)
        where = "a new case" if state == NEW else f"state '{state}'"
        return EventNotAllowedError(
            f"case {incoming.case_id}: no transition of {lc.case_type} takes '{incoming.type}' "
            f"with data {data} from {where}" + (f" (they need: {wanted})" if wanted else ""),
            case=incoming.case_id, event=incoming.type)

    # ------------------------------------------------------------------ answers
    def _record(self, case_id: str) -> tuple[_Case, dict[str, Any]]:
        case = self._cases.get(case_id)
        if case is None:
            raise UnknownCaseError(f"no case {case_id!r} has been opened", case=case_id)
        if case.archive is not None:
            return case, case.archive
        assert case.shard is not None
        record: dict[str, Any] = self._host.get_state(case.shard.name, case.sid)
        return case, record

    def state(self, case_id: str) -> CaseState:
        """The case's state, its history of events and transitions, with citations."""
        with self._lock:
            self._check_open()
            case, record = self._record(case_id)
            return self._case_state(case, record)

    def obligations(
        self, case_id: str, as_of: dt.datetime | dt.date | str | None = None
    ) -> list[Obligation]:
        """Every obligation the case's events opened, with its status as of ``as_of``.

        ``as_of`` defaults to :attr:`now`; obligations opened after ``as_of`` are left out.
        """
        with self._lock:
            self._check_open()
            moment = self._as_of(as_of)
            case, record = self._record(case_id)
            return self._obligations(case, record, moment)

    def overdue(self, as_of: dt.datetime | dt.date | str | None = None) -> list[Obligation]:
        """Every duty, across all cases, whose due moment had passed undischarged by ``as_of``."""
        with self._lock:
            self._check_open()
            moment = self._as_of(as_of)
            if moment is None:
                return []
            found: list[Obligation] = []
            for case_id in self._cases:
                case, record = self._record(case_id)
                if dt.datetime.fromisoformat(record["opened_at"]) > moment:
                    continue
                found.extend(o for o in self._obligations(case, record, moment)
                             if o.status == "overdue")
            found.sort(key=lambda o: (_due_key(o.due), o.case, o.id))
            return found

    def _as_of(self, as_of: dt.datetime | dt.date | str | None) -> dt.datetime | None:
        if as_of is None:
            return self.now
        return parse_moment(as_of, "as_of")

    def _obligations(
        self, case: _Case, record: Mapping[str, Any], as_of: dt.datetime | None
    ) -> list[Obligation]:
        lc = case.lifecycle
        events = case.events
        out: list[Obligation] = []
        for ob in record.get("obligations", []):
            opened_at = dt.datetime.fromisoformat(ob["opened_at"])
            if as_of is not None and opened_at > as_of:
                continue
            out.append(self._obligation(case, lc, ob, events, as_of))
        return out

    def _obligation(
        self,
        case: _Case,
        lc: CompiledLifecycle,
        ob: Mapping[str, Any],
        events: Sequence[Mapping[str, Any]],
        as_of: dt.datetime | None,
    ) -> Obligation:
        spec: CompiledObligation = lc.obligations[ob["name"]]
        due = _parse_due(ob.get("due"))
        closed_at = dt.datetime.fromisoformat(ob["closed_at"]) if ob.get("closed_at") else None
        if closed_at is not None and (as_of is None or closed_at <= as_of):
            status = ob["status"]
            late = bool(ob.get("late"))
        else:
            closed_at = None
            late = False
            if ob.get("judgement"):
                status = "awaiting_judgement"
            elif due is not None and as_of is not None and _past(due, as_of):
                status = "overdue" if spec.kind == "duty" else "expired"
            else:
                status = "open"
        opened_by = events[ob["opened"]]
        decision = due_decision(self._decisions, lc, spec, events, ob["opened"], case.case_id)
        cites = [c.to_dict() for c in spec.citations]
        steps = [TraceStep(
            spec.name, True, spec.because, spec.line, tuple(cites),
            note=f"opened by '{opened_by['type']}' at {opened_by['at']}",
        )]
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
            note = lc.interpretations.get(name) or self._policies.policy(lc.policy) \
                .interpretations.get(name)
            if note is not None and note.to_dict() not in interpretations:
                interpretations.append(note.to_dict())
        closed_by = None
        if closed_at is not None:
            closer = events[ob["closed"]]
            closed_by = closer["type"]
            words = {"discharged": "discharged", "discharged_late": "discharged after it was due",
                     "cancelled": "cancelled", "lapsed": "lapsed: the case closed first"}
            steps.append(TraceStep(spec.name, True, f"{words.get(status, status)} by "
                                   f"'{closer['type']}' at {closer['at']}", spec.line))
        return Obligation(
            case=case.case_id, case_type=lc.case_type, id=ob["id"], name=spec.name,
            description=spec.description, kind=spec.kind, status=status, due=due,
            for_judgement=bool(ob.get("judgement")),
            opened_at=dt.datetime.fromisoformat(ob["opened_at"]), opened_by=opened_by["type"],
            closed_at=closed_at, closed_by=closed_by, late=late, decision=decision,
            trace=tuple(steps), citations=_dedupe(cites), interpretations=tuple(interpretations),
            considerations=considerations, requirements=requirements, as_of=as_of,
        )

    def _case_state(self, case: _Case, record: Mapping[str, Any]) -> CaseState:
        lc = case.lifecycle
        rules = {r.name: r for r in lc.rules}
        events = case.events
        history: list[HistoryEntry] = []
        trace: list[TraceStep] = []
        cites: list[dict[str, Any]] = [c.to_dict() for c in lc.citations]
        interpretations: list[dict[str, Any]] = []
        for step in case.steps:
            ev = events[step["event"]]
            rule = rules[step["rule"]]
            t = rule.transition
            if t is not None:
                step_cites = tuple(c.to_dict() for c in t.citations)
                line = t.line
                for name in t.interpretations:
                    note = lc.interpretations.get(name) or self._policies.policy(lc.policy) \
                        .interpretations.get(name)
                    if note is not None and note.to_dict() not in interpretations:
                        interpretations.append(note.to_dict())
            else:
                step_cites = tuple(c.to_dict() for c in lc.events[ev["type"]].citations)
                line = lc.events[ev["type"]].line
            cites.extend(step_cites)
            history.append(HistoryEntry(
                index=step["event"], event=ev["type"],
                at=dt.datetime.fromisoformat(ev["at"]), data=dict(ev.get("data", {})),
                ref=ev.get("ref"), from_state=step["from"], to_state=step["to"],
                rule=step["rule"], transition=t.id if t else None, because=rule.because,
                citations=step_cites, opened=tuple(step["opened"]),
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
            case=case.case_id, case_type=lc.case_type, state=state.name,
            description=state.description, closed=bool(record.get("closed")),
            opened_at=dt.datetime.fromisoformat(record["opened_at"]),
            last_event_at=dt.datetime.fromisoformat(record["last_at"]),
            history=tuple(history), trace=tuple(trace), citations=_dedupe(cites),
            interpretations=tuple(interpretations),
            open_obligations=tuple(o["id"] for o in record.get("obligations", [])
                                   if o["status"] == "open"),
        )


def _due_key(due: dt.date | dt.datetime | None) -> str:
    if due is None:
        return "9999"
    if isinstance(due, dt.datetime):
        return to_london(due).astimezone(dt.UTC).isoformat()
    return dt.datetime.combine(due, dt.time(23, 59, 59), LONDON).astimezone(dt.UTC).isoformat()


# -------------------------------------------------------------------------------------- CLI


def read_events(path: str, stream: TextIO | None = None) -> list[tuple[int, dict[str, Any]]]:
    """The events of a JSON-lines file (blank lines skipped), each with its line number."""
    try:
        if path == "-":
            text = (stream or sys.stdin).read()
        else:
            text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MonitorError(f"cannot read the events file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise MonitorError(f"the events file {path} is not UTF-8 text") from None
    events: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EventsFileError(f"not valid JSON ({exc.msg}, column {exc.colno})",
                                  file=path, line=number) from None
        if not isinstance(value, dict):
            raise EventsFileError("each line is one event, a JSON object", file=path,
                                  line=number)
        events.append((number, value))
    return events


def replay(
    monitor: Monitor, events: Iterable[tuple[int, dict[str, Any]]], file: str,
    until: dt.datetime | None = None,
) -> tuple[int, int]:
    """Post events in file order; returns (applied, skipped because after ``until``)."""
    applied = skipped = 0
    for number, event in events:
        if until is not None and "at" in event:
            try:
                at = parse_moment(event["at"], "at")
            except MonitorError:
                at = None
            if at is not None and at > until:
                skipped += 1
                continue
        try:
            monitor.post(event)
        except PolicyEngineError as exc:
            raise EventsFileError(str(exc), file=file, line=number) from None
        applied += 1
    return applied, skipped


def _describe_due(ob: Obligation) -> str:
    if ob.for_judgement:
        return "for a person's judgement"
    if ob.due is None:
        return "no due date"
    return f"due {format_moment(ob.due)}"


def report_text(monitor: Monitor, as_of: dt.datetime | None, applied: int, skipped: int) -> str:
    lines: list[str] = []
    when = format_moment(as_of) if as_of else "(no events)"
    overdue = monitor.overdue(as_of) if as_of else []
    cases = monitor.cases()
    lines.append(f"as of {when}: {applied} events, {len(cases)} cases, "
                 f"{len(overdue)} overdue")
    if skipped:
        lines.append(f"({skipped} events after {when} were not applied)")
    for case_id in cases:
        st = monitor.state(case_id)
        obs = [o for o in monitor.obligations(case_id, as_of) if o.is_open]
        lines.append("")
        closed = " (closed)" if st.closed else ""
        lines.append(f"{case_id}  {st.case_type}  state: {st.state}{closed}")
        if not obs:
            lines.append("  nothing open")
        for o in obs:
            mark = {"overdue": "OVERDUE ", "awaiting_judgement": "JUDGE   "}.get(o.status,
                                                                           "open    ")
            lines.append(f"  {mark} {o.id:<28} {_describe_due(o):<34} {o.description}")
            if o.decision is not None:
                fired = ", ".join(s.rule for s in o.decision.trace)
                lines.append(f"           from {o.decision.decision} ({fired})")
            if o.for_judgement and o.considerations:
                ids = ", ".join(str(c.get("id")) for c in o.considerations)
                lines.append(f"           weigh: {ids}")
            for cite in o.citations[:2]:
                clause = str(cite.get("clause", ""))
                short = clause if len(clause) <= 90 else clause[:87] + "..."
                lines.append(f"           \"{short}\" ({cite.get('document')})")
    if overdue:
        lines.append("")
        lines.append("overdue:")
        for o in overdue:
            lines.append(f"  {o.case}  {o.id}  {_describe_due(o)}  {o.description}")
    return "\n".join(lines) + "\n"


def report_json(monitor: Monitor, as_of: dt.datetime | None, applied: int,
                skipped: int) -> dict[str, Any]:
    cases = []
    for case_id in monitor.cases():
        st = monitor.state(case_id)
        cases.append({
            "case": case_id,
            "case_type": st.case_type,
            "state": st.state,
            "closed": st.closed,
            "obligations": [o.to_dict() for o in monitor.obligations(case_id, as_of)
                            if o.is_open],
        })
    return {
        "as_of": format_moment(as_of) if as_of else None,
        "events_applied": applied,
        "events_after_as_of": skipped,
        "cases": cases,
        "overdue": [o.to_dict() for o in (monitor.overdue(as_of) if as_of else [])],
    }


def _cmd_monitor(args: Any) -> int:
    from .policyset import load_policies

    policies = load_policies(args.policies)
    as_of = parse_moment(args.as_of, "--as-of") if args.as_of else None
    events = read_events(args.events)
    with Monitor(policies) as monitor:
        applied, skipped = replay(monitor, events, args.events, as_of)
        if as_of is not None:
            monitor.advance_to(as_of)
        moment = monitor.now
        if args.json:
            print(json.dumps(report_json(monitor, moment, applied, skipped), indent=2,
                             ensure_ascii=False))
        else:
            print(report_text(monitor, moment, applied, skipped), end="")
    return 0


def add_cli(sub: Any, policies_option: Callable[[Any], None]) -> None:
    """Add ``policyengine monitor``; works without durable_rules (the command then says so)."""
    p = sub.add_parser(
        "monitor",
        help="replay case events (JSON lines) and print open and overdue obligations",
        description="Replay case events, one JSON object per line, through the policies' "
                    "lifecycles and print each case's open and overdue obligations. Needs the "
                    f"'monitor' extra: {INSTALL_HINT}",
    )
    p.add_argument("events", metavar="EVENTS.jsonl", help="events file ('-' = stdin)")
    p.add_argument("--as-of", metavar="MOMENT", default=None,
                   help="date-time (naive = London) or date (its start); events after it are "
                        "not applied (default: the latest event)")
    p.add_argument("--json", action="store_true", help="print JSON")
    policies_option(p)
    p.set_defaults(handler=_cmd_monitor)

