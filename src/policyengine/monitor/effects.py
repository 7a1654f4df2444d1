"""One event's effect on a case, computed without changing anything.

Given a case's lean record, the rule the matcher chose and the event, :func:`apply_effect`
works out the new record, what the event did (:class:`Posted`), the history step, and the
obligations it opened and closed (:class:`.store.base.Change`, what the store writes). Due dates
come from the policy's own decisions, called here with the facts the lifecycle names: a due date
is exactly what :meth:`PolicySet.decide` answers for those facts on the day of the event.

The lean record (JSON, so that a durable_rules session can hold it)::

    {"state": ..., "closed": false, "opened_at": ..., "last_at": ..., "events": 3,
     "counts": {"respond_formal": 1},
     "open": [["respond_formal.1", "respond_formal", "2026-04-01"]]}

``counts`` numbers each obligation's openings; ``open`` lists what is still open (id, name, due),
in the order it opened. Closed obligations live in the store's obligation rows only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..decision import Decision
from ..durations import format_moment, to_london
from ..lifecycle import (
    CompiledDue,
    CompiledLifecycle,
    CompiledRequires,
    Effect,
    FactSource,
    Rule,
)
from ..lifecycle.model import EVENT_VALUES
from ..policyset import PolicySet
from .answers import Posted
from .errors import EventNotAllowedError
from .events import Envelope, due_us
from .store.base import Change
from .store.rows import step_effects

Journal = Callable[[], Sequence[Mapping[str, Any]]]
_DECISION_CACHE = 4096
#: What a due-date decision says about one obligation: whether it opens, its due date (as
#: text), whether a person must judge it, and why it does not open.
DueAnswer = tuple[bool, str | None, bool, str | None]


class Decisions:
    """Decisions computed once per (decision, facts, as_of) and reused by later answers.

    Two caches. :meth:`due` keeps only what an obligation's due date needs, as a tuple of text,
    dates and flags, which Python's garbage collector never has to look at, so that a replay
    deciding many different facts does not fill the old generation with decisions and their
    traces; :meth:`decide` keeps whole decisions (for explanations and ``requires``).
    """

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self.cache: OrderedDict[tuple[str, str, str, Any], Decision] = OrderedDict()
        self.dues: dict[tuple[str, str, str | None, dt.date, Any], DueAnswer] = {}

    def due(self, policy: str, due: CompiledDue, facts: Mapping[str, Any], as_of: dt.date,
            memo: dict[tuple[str, Any], Decision]) -> DueAnswer:
        """What ``due``'s decision says for these facts on ``as_of`` (see :data:`DueAnswer`).
        ``memo`` keeps whole decisions for one event (whose obligations often ask the same
        decision for the same facts, each for another outcome)."""
        fkey = flat_key(facts)
        if fkey is None:  # lists or records: such facts seldom repeat; kept for this event only
            mkey: tuple[str, Any] = (due.decision, id(due.facts))
            result = memo.get(mkey)
            if result is None:
                result = memo[mkey] = self.policies.decide(policy, due.decision, facts, as_of)
            return due_answer(due, result)
        key = (policy, due.decision, due.outcome, as_of, fkey)
        found = self.dues.get(key)
        if found is not None:
            return found
        result = memo.get((due.decision, fkey))
        if result is None:
            result = memo[(due.decision, fkey)] = self.policies.decide(policy, due.decision,
                                                                       facts, as_of)
        found = due_answer(due, result)
        if len(self.dues) >= _DECISION_CACHE:
            del self.dues[next(iter(self.dues))]
        self.dues[key] = found
        return found

    def decide(self, policy: str, decision: str, facts: Mapping[str, Any], as_of: str) -> Decision:
        key = (policy, decision, as_of, facts_key(facts))
        found = self.cache.get(key)
        if found is not None:
            self.cache.move_to_end(key)
            return found
        result = self.policies.decide(policy, decision, facts, as_of)
        self.cache[key] = result
        if len(self.cache) > _DECISION_CACHE:
            self.cache.popitem(last=False)
        return result


def due_answer(due: CompiledDue, result: Decision) -> DueAnswer:
    """What a due-date decision's answer means for its obligation."""
    if result.status == "not_applicable":
        reason = "; ".join(s.because for s in result.trace) or "not applicable"
        return (False, None, False, f"{due.decision} does not apply to these facts: {reason}")
    judgement = result.status == "needs_judgement"
    value = result.outcome.get(due.outcome) if due.outcome else None
    if due.outcome and value is None and not judgement:
        return (False, None, False, f"{due.decision} sets no {due.outcome} for these facts")
    return (True, format_moment(value) if isinstance(value, dt.date) else None, judgement, None)


def flat_key(facts: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A key equal for equal flat facts only: text, whole-number, true-or-false and null facts
    as (name, type, value) in order (so 1 and True, or 1 and 1.0, never meet); None for facts
    holding anything else."""
    items: list[tuple[str, type, Any]] = []
    for name, value in facts.items():
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            items.append((name, kind, value))
        else:
            return None
    return tuple(items)


def facts_key(facts: Mapping[str, Any]) -> tuple[Any, ...] | str:
    """:func:`flat_key`, or for other facts their JSON text with sorted keys."""
    found = flat_key(facts)
    return found if found is not None else json.dumps(facts, sort_keys=True)


@dataclass(slots=True)
class Applied:
    """An event's whole effect, ready to be stored (and, until then, nothing has changed)."""

    posted: Posted
    change: Change  # what the store writes
    event: dict[str, Any]  # the event's entry (type, at, data, ref)

    @property
    def record(self) -> dict[str, Any]:
        """The case's lean record after the event."""
        return self.change.record


def event_entry(env: Envelope, data_json: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": env.type, "at": env.at_text, "data": dict(data_json)}
    if env.ref is not None:
        entry["ref"] = env.ref
    return entry


def _value_of(ev: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name == "at":
        return True, ev["at"]
    if name == "date":
        return True, to_london(dt.datetime.fromisoformat(ev["at"])).date().isoformat()
    data = ev.get("data", {})
    return (name in data), data.get(name)


def decision_facts(
    facts: tuple[tuple[str, FactSource], ...],
    current: Mapping[str, Any],
    journal: Journal,
    case: str,
) -> dict[str, Any]:
    """The facts a decision gets from a case's events (``current`` is the triggering one)."""
    out: dict[str, Any] = {}
    for fname, source in facts:
        if source.kind == "literal":
            out[fname] = source.literal
            continue
        assert source.event is not None or source.kind == "value"
        if source.kind == "value" and (source.event is None or source.event == current["type"]):
            assert source.value is not None
            present, value = _value_of(current, source.value)
        elif source.kind == "value":
            assert source.value is not None
            for ev in reversed(journal()):
                if ev["type"] == source.event:
                    present, value = _value_of(ev, source.value)
                    break
            else:
                raise EventNotAllowedError(
                    f"case {case}: this needs an earlier '{source.event}' event (for its "
                    f"'{source.value}'), and the case has none", case=case,
                    event=current["type"])
        else:
            present, value = True, _each(source, [*journal(), current])
        if present:
            out[fname] = value
    return out


def _each(source: FactSource, events: Sequence[Mapping[str, Any]]) -> list[Any]:
    """One value (``value``) or record (``fields``) per event of ``source.event``."""
    items: list[Any] = []
    wanted = source.event
    if source.value is not None:
        name = source.value
        for ev in events:
            if ev["type"] == wanted:
                present, v = _value_of(ev, name)
                if present:
                    items.append(v)
        return items
    fields = source.fields
    plain = all(vname not in EVENT_VALUES for _, vname in fields)
    for ev in events:
        if ev["type"] != wanted:
            continue
        data = ev["data"]
        record: dict[str, Any] = {}
        if plain:  # data fields only
            for rname, vname in fields:
                if vname in data:
                    record[rname] = data[vname]
        else:
            for rname, vname in fields:
                if vname == "at":
                    record[rname] = ev["at"]
                elif vname in data or vname == "date":
                    record[rname] = _value_of(ev, vname)[1]
        items.append(record)
    return items


def _day(at_text: str) -> str:
    return to_london(dt.datetime.fromisoformat(at_text)).date().isoformat()


def check_requires(
    decisions: Decisions, lc: CompiledLifecycle, req: CompiledRequires,
    current: Mapping[str, Any], journal: Journal, case: str,
) -> None:
    """Refuse the event unless the decision it requires answers true for its facts."""
    facts = decision_facts(req.facts, current, journal, case)
    result = decisions.decide(lc.policy, req.decision, facts, _day(current["at"]))
    if result.outcome.get(req.outcome) is True:
        return
    fired = "; ".join(s.because for s in result.trace if s.fired) or result.status
    clause = f" (\"{req.citations[0].clause}\", {req.citations[0].document})" \
        if req.citations else ""
    raise EventNotAllowedError(
        f"case {case}: '{current['type']}' is refused: {req.because}{clause}, and "
        f"{req.decision} for these facts answers {req.outcome}: "
        f"{json.dumps(result.outcome.get(req.outcome))} ({fired})",
        case=case, event=str(current["type"]))


def apply_effect(
    decisions: Decisions,
    lc: CompiledLifecycle,
    rule: Rule,
    effect: Effect,
    record: Mapping[str, Any],
    env: Envelope,
    current: dict[str, Any],
    journal: Journal,
) -> Applied:
    """One event's effect on a case's lean record; nothing is changed (see the module
    docstring). The record given is never changed: the new one shares what did not change."""
    n = record.get("events", 0)
    counts: dict[str, int] = record.get("counts") or {}
    open_now = record.get("open", ())
    to_state = effect.to
    closing = lc.states[to_state].terminal
    still: list[list[Any]] = list(open_now)  # [id, name, due] of what stays open, in order
    closed: list[tuple[str, str, bool]] = []
    discharged: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    if open_now and (effect.discharges or effect.cancels):
        closed, still, discharged, late, cancelled = _close(effect, open_now, env)
    opened: list[list[Any]] = []
    opened_ids: tuple[str, ...] = ()
    not_opened: tuple[dict[str, str], ...] = ()
    if effect.opens:
        counts = dict(counts)
        opened, not_opened = _open(decisions, lc, effect, counts, n, env, current, journal)
        opened_ids = tuple(item[1]["id"] for item in opened)
        still.extend([item[1]["id"], item[1]["name"], item[1]["due"]] for item in opened)
    lapsed: tuple[str, ...] = ()
    if closing and still:
        new = {item[1]["id"]: item for item in opened}
        for ob in still:
            is_late = ob[2] is not None and env.at_us > due_us(ob[2])
            item = new.get(ob[0])
            if item is None:
                closed.append((ob[0], "lapsed", is_late))
            else:  # opened by this very event
                item[2:4] = ["lapsed", is_late]
        lapsed = tuple(ob[0] for ob in still)
        still = []
    from_state = record.get("state")
    new_record: dict[str, Any] = {
        "state": to_state, "closed": closing, "opened_at": record.get("opened_at", env.at_text),
        "last_at": env.at_text, "events": n + 1, "counts": counts, "open": still,
    }
    transition = rule.transition
    posted = Posted(
        case=env.case_id, case_type=lc.case_type, event=env.type, at=env.at,
        from_state=from_state, to_state=to_state, rule=rule.name,
        transition=transition.id if transition is not None else None, opened=opened_ids,
        not_opened=not_opened, discharged=discharged, discharged_late=late, cancelled=cancelled,
        lapsed=lapsed, closed=closing, id=env.ref,
    )
    did = None
    if opened_ids or not_opened or discharged or late or cancelled or lapsed:
        did = step_effects({"opened": opened_ids, "not_opened": not_opened,
                            "discharged": discharged, "discharged_late": late,
                            "cancelled": cancelled, "lapsed": lapsed})
    change = Change(new_record, env.at_us, env.type, env.at_text, env.data_text, env.ref, n,
                    rule.name, from_state, to_state, did, opened, closed)
    return Applied(posted, change, current)


def _close(effect: Effect, open_now: Sequence[list[Any]], env: Envelope
           ) -> tuple[list[tuple[str, str, bool]], list[list[Any]], tuple[str, ...],
                      tuple[str, ...], tuple[str, ...]]:
    """What the event discharges (late or not) and cancels of what is open; what stays open."""
    closed: list[tuple[str, str, bool]] = []
    still: list[list[Any]] = []
    discharged: list[str] = []
    late: list[str] = []
    cancelled: list[str] = []
    for ob in open_now:
        name = ob[1]
        if name in effect.discharges:
            is_late = ob[2] is not None and env.at_us > due_us(ob[2])
            closed.append((ob[0], "discharged_late" if is_late else "discharged", is_late))
            (late if is_late else discharged).append(ob[0])
        elif name in effect.cancels:
            closed.append((ob[0], "cancelled", False))
            cancelled.append(ob[0])
        else:
            still.append(ob)
    return closed, still, tuple(discharged), tuple(late), tuple(cancelled)


def _open(decisions: Decisions, lc: CompiledLifecycle, effect: Effect, counts: dict[str, int],
          n: int, env: Envelope, current: Mapping[str, Any], journal: Journal
          ) -> tuple[list[list[Any]], tuple[dict[str, str], ...]]:
    """The obligations the event opens, each [ordinal in the case, what it says from the
    moment it opens, status, late] (``counts`` is updated); and those it does not, and why."""
    opened: list[list[Any]] = []
    not_opened: list[dict[str, str]] = []
    ordinal = sum(counts.values())
    day = env.at.date()  # the London date of the event (env.at is London time)
    decided_on = day.isoformat()
    memo: dict[tuple[str, Any], Decision] = {}
    for name in effect.opens:
        spec = lc.obligations[name]
        due_text: str | None = None
        judgement = False
        facts: dict[str, Any] | None = None
        if spec.due is not None:
            facts = decision_facts(spec.due.facts, current, journal, env.case_id)
            opens, due_text, judgement, reason = decisions.due(lc.policy, spec.due, facts, day,
                                                               memo)
            if not opens:
                not_opened.append({"obligation": name, "reason": str(reason)})
                continue
        counts[name] = counts.get(name, 0) + 1
        opened.append([ordinal, {
            "id": f"{name}.{counts[name]}", "name": name, "kind": spec.kind, "opened": n,
            "opened_at": env.at_text, "opened_by": env.type, "due": due_text,
            "judgement": judgement, "facts": facts, "decided_on": decided_on,
        }, "open", False])
        ordinal += 1
    return opened, tuple(not_opened)


def posted_from(step: Mapping[str, Any], event: Mapping[str, Any], case: str,
                case_type: str, closed: bool) -> Posted:
    """A stored event's Posted again (what a redelivery of it is answered with)."""
    return Posted(
        case=case, case_type=case_type, event=event["type"],
        at=to_london(dt.datetime.fromisoformat(event["at"])), from_state=step["from"],
        to_state=step["to"], rule=step["rule"],
        transition=step["rule"][2:] if step["rule"].startswith("t.") else None,
        opened=tuple(step["opened"]), not_opened=tuple(step["not_opened"]),
        discharged=tuple(step["discharged"]), discharged_late=tuple(step["discharged_late"]),
        cancelled=tuple(step["cancelled"]), lapsed=tuple(step["lapsed"]), closed=closed,
        id=event.get("ref"), duplicate=True,
    )
