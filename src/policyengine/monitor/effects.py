"""One event's effect on a case, computed without changing anything.

Given a case's record (its state, its obligations and their counters), the rule the matcher
chose and the event, :func:`apply_effect` works out the new record, what the event did
(:class:`Posted`), the history step, and every obligation row that changed. Due dates come from
the policy's own decisions, called here with the facts the lifecycle names: a due date is
exactly what :meth:`PolicySet.decide` answers for those facts on the day of the event.
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
from ..lifecycle import CompiledLifecycle, CompiledRequires, Effect, FactSource, Rule
from ..policyset import PolicySet
from .answers import Posted
from .errors import EventNotAllowedError
from .events import Envelope, parse_due, past

Journal = Callable[[], Sequence[Mapping[str, Any]]]
_DECISION_CACHE = 4096


class Decisions:
    """Decisions computed once per (decision, facts, as_of) and reused by later answers."""

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


@dataclass(frozen=True)
class Applied:
    """An event's whole effect, ready to be stored (and, until then, nothing has changed)."""

    record: dict[str, Any]
    posted: Posted
    event: dict[str, Any]
    step: dict[str, Any]
    changed: tuple[dict[str, Any], ...]  # the obligation entries opened or closed


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
    items: list[Any] = []
    for ev in events:
        if ev["type"] != source.event:
            continue
        if source.value is not None:
            present, v = _value_of(ev, source.value)
            if present:
                items.append(v)
        else:
            record: dict[str, Any] = {}
            for rname, vname in source.fields:
                present, v = _value_of(ev, vname)
                if present:
                    record[rname] = v
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
    """One event's effect on a case's record; nothing is changed (see the module docstring)."""
    at_text = env.at_text
    day = env.at.date().isoformat()  # the London date of the event (env.at is London time)
    n = int(record.get("events", 0))
    from_state = record.get("state")
    # the record's entries are shared with the record given, never changed: a closed one is
    # replaced by a changed copy
    obligations: list[dict[str, Any]] = list(record.get("obligations", ()))
    counts = dict(record.get("counts", {}))
    changed: list[dict[str, Any]] = []
    discharged: list[str] = []
    late: list[str] = []
    cancelled: list[str] = []
    lapsed: list[str] = []

    def close(i: int, status: str, is_late: bool) -> None:
        ob = {**obligations[i], "status": status, "closed": n, "closed_at": at_text,
              "closed_by": env.type, "late": is_late}
        obligations[i] = ob
        changed.append(ob)

    closing_names = set(effect.discharges) | set(effect.cancels)
    for i, ob in enumerate(obligations):
        if ob["status"] != "open" or ob["name"] not in closing_names:
            continue
        if ob["name"] in effect.discharges:
            due = parse_due(ob.get("due"))
            is_late = due is not None and past(due, env.at)
            close(i, "discharged_late" if is_late else "discharged", is_late)
            (late if is_late else discharged).append(ob["id"])
        else:
            close(i, "cancelled", False)
            cancelled.append(ob["id"])
    opened: list[str] = []
    not_opened: list[dict[str, str]] = []
    for name in effect.opens:
        spec = lc.obligations[name]
        due_text: str | None = None
        judgement = False
        facts: dict[str, Any] | None = None
        if spec.due is not None:
            facts = decision_facts(spec.due.facts, current, journal, env.case_id)
            result = decisions.decide(lc.policy, spec.due.decision, facts, day)
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
        entry = {
            "id": ob_id, "name": name, "kind": spec.kind, "status": "open", "opened": n,
            "opened_at": at_text,
            "opened_by": env.type, "due": due_text, "judgement": judgement, "facts": facts,
            "decided_on": day, "closed": None, "closed_at": None, "closed_by": None,
            "late": False,
        }
        obligations.append(entry)
        changed.append(entry)
        opened.append(ob_id)
    to_state = effect.to
    closing = lc.states[to_state].terminal
    if closing:
        for i, ob in enumerate(obligations):
            if ob["status"] == "open":
                due = parse_due(ob.get("due"))
                close(i, "lapsed", due is not None and past(due, env.at))
                lapsed.append(ob["id"])
    step = {
        "event": n, "rule": rule.name, "from": from_state, "to": to_state,
        "opened": opened, "not_opened": not_opened, "discharged": discharged,
        "discharged_late": late, "cancelled": cancelled, "lapsed": lapsed,
    }
    new_record: dict[str, Any] = {
        "case": env.case_id,
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
        case=env.case_id, case_type=lc.case_type, event=env.type, at=env.at,
        from_state=from_state, to_state=to_state, rule=rule.name,
        transition=rule.transition.id if rule.transition else None,
        opened=tuple(opened), not_opened=tuple(not_opened), discharged=tuple(discharged),
        discharged_late=tuple(late), cancelled=tuple(cancelled), lapsed=tuple(lapsed),
        closed=closing, id=env.ref,
    )
    return Applied(new_record, posted, current, step, tuple(changed))


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
