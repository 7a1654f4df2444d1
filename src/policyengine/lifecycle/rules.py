"""The rules a compiled lifecycle becomes, and the limits within which durable_rules runs them.

One rule per transition (the event's type, the case's state before it, and the transition's
conditions on the event's data), one rule per event that opens a case without a transition of
its own, and one lower-priority rule per event for the states where it is accepted without
moving the case. Every rule matches one event: the current state travels in the event message
rather than through a join with the session state, because durable_rules 2.0.28 reads memory it
does not own when evaluating joins between patterns (see docs/monitor.md).

durable_rules 2.0.28 builds each ruleset's patterns into a network of condition nodes whose
children sit in a fixed table of 512 places: a node with 512 children makes every later event
loop forever at full CPU (ignoring Ctrl-C); 65 or more alternatives matching one event overflow
its fixed stack (error 303); 257 rules with the same pattern overflow another table (error 108).
:func:`durable_limits` finds, at load, every lifecycle that comes near those limits (measured:
see tests/monitor/test_durable_limits.py) so that no such policy ever reaches durable_rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from .model import (
    NEW,
    STAY_PRIORITY,
    CompiledEvent,
    CompiledLifecycle,
    CompiledTransition,
    Effect,
    Rule,
)

#: Children of one durable_rules condition node: 512 hang; with a margin of half.
MAX_BRANCHES = 256
#: Rules that may match one event message: 65 overflow durable's stack; half.
MAX_MATCHING = 32
#: The integers durable_rules holds exactly (it clamps others to these bounds).
INT64 = (-(2**63), 2**63 - 1)


def build_rules(lc: CompiledLifecycle) -> tuple[Rule, ...]:
    """The rules of a lifecycle, each with its effect in every state it fires in."""
    rules: list[Rule] = []

    def effect(event: str, transition: CompiledTransition | None, state: str) -> Effect:
        to = transition.to if transition is not None else (lc.initial if state == NEW else state)
        keys = {event} if transition is None else {event, f"t.{transition.id}"}
        discharges = tuple(o.name for o in lc.obligations.values() if keys & o.discharged_by)
        cancels = tuple(o.name for o in lc.obligations.values()
                        if keys & o.cancelled_by and o.name not in discharges)
        opens: list[str] = []
        for ob in lc.obligations.values():
            for op in ob.opened_by:
                if op.transition is not None:
                    hit = transition is not None and transition.id == op.transition
                else:
                    hit = op.event == event and (op.from_states is None or state in op.from_states)
                if hit and ob.name not in opens:
                    opens.append(ob.name)
        return Effect(to, discharges, cancels, tuple(opens))

    for t in lc.transitions:
        states = (NEW,) if t.from_states is None else t.from_states
        rules.append(Rule(
            name=f"t.{t.id}", event=t.event, transition=t, states=states,
            pattern=_pattern(t.event, states, t.when), priority=t.priority,
            effects={s: effect(t.event, t, s) for s in states}, because=t.because,
        ))
    for ename, ev in lc.events.items():
        if ev.opening and not any(t.event == ename and t.from_states is None
                                  for t in lc.transitions):
            rules.append(Rule(
                name=f"open.{ename}", event=ename, transition=None, states=(NEW,),
                pattern=_pattern(ename, (NEW,), ()), priority=len(lc.transitions) + 1,
                effects={NEW: effect(ename, None, NEW)},
                because=f"'{ename}' opens the case in its initial state '{lc.initial}'",
            ))
        stay = tuple(s for s in lc.states if s in ev.allowed_in and not _covered(lc, ev, s))
        if stay:
            rules.append(Rule(
                name=f"stay.{ename}", event=ename, transition=None, states=stay,
                pattern=_pattern(ename, stay, ()), priority=STAY_PRIORITY,
                effects={s: effect(ename, None, s) for s in stay},
                because=f"'{ename}' is recorded; the case stays in its state",
            ))
    return tuple(rules)


def _pattern(event: str, states: tuple[str, ...],
             when: tuple[tuple[str, tuple[Any, ...]], ...]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": event}, _one_of("state", states)]
    for fname, values in when:
        parts.append(_one_of(f"data.{fname}", values))
    return {"$and": parts}


def _one_of(key: str, values: tuple[Any, ...]) -> dict[str, Any]:
    if len(values) == 1:
        return {key: values[0]}
    return {"$or": [{key: v} for v in values]}


def _covered(lc: CompiledLifecycle, ev: CompiledEvent, state: str) -> bool:
    """Does some transition take every valid ``ev`` in ``state``? (Then no stay rule is needed.)"""
    ts = [t for t in lc.transitions if t.event == ev.name and state in (t.from_states or ())]
    if not ts:
        return False
    if any(not t.when for t in ts):
        return True
    fields = sorted({f for t in ts for f, _ in t.when})
    choices: list[tuple[Any, ...]] = []
    for name in fields:
        vt = ev.data[name]
        if vt.optional:
            return False  # an absent value matches no condition
        if vt.kind == "enum":
            choices.append(vt.values)
        elif vt.kind == "bool":
            choices.append((True, False))
        else:
            return False
    combos = 1
    for c in choices:
        combos *= len(c)
    if combos > 4096:
        return False
    return all(
        any(t.matches(dict(zip(fields, combo, strict=True))) for t in ts)
        for combo in itertools.product(*choices)
    )


def _alternatives(rule: Rule) -> Iterator[tuple[tuple[str, Any], ...]]:
    """Each alternative of a rule's pattern: the conditions along one path, in order."""
    when = rule.transition.when if rule.transition is not None else ()
    keys = ["type", "state", *(f"data.{f}" for f, _ in when)]
    for combo in itertools.product((rule.event,), rule.states, *(v for _, v in when)):
        yield tuple(zip(keys, combo, strict=True))


def durable_limits(lc: CompiledLifecycle) -> list[tuple[str, str]]:
    """Where a lifecycle's rules come near a limit of durable_rules: (what, message) pairs.

    ``what`` is ``transition:<id>``, ``event:<name>`` or ``lifecycle``, for the position.
    """
    found: list[tuple[str, str]] = []
    for rule in lc.rules:
        if rule.transition is None:
            continue
        n = len(rule.states)
        for _, values in rule.transition.when:
            n *= len(values)
            if n > MAX_BRANCHES:
                break
        if n > MAX_BRANCHES:
            found.append((f"transition:{rule.transition.id}",
                          f"this transition has more than {MAX_BRANCHES} alternatives (states "
                          "times values); durable_rules cannot run it safely: split it"))
    if found:
        return found
    children: dict[tuple[tuple[str, Any], ...], set[tuple[str, Any]]] = {}
    matching: dict[tuple[str, str], int] = {}
    for rule in lc.rules:
        for path in _alternatives(rule):
            for depth in range(len(path)):
                children.setdefault(path[:depth], set()).add(path[depth])
        # a message has one value per field, so at most one alternative of a rule matches it
        for state in rule.states:
            matching[(rule.event, state)] = matching.get((rule.event, state), 0) + 1
    for parent, kids in children.items():
        if len(kids) > MAX_BRANCHES:
            where = "lifecycle" if not parent else f"event:{parent[0][1]}"
            found.append((where, f"more than {MAX_BRANCHES} conditions follow "
                                 f"{_describe(parent)}; durable_rules cannot run it safely"))
    for (event, state), count in matching.items():
        if count > MAX_MATCHING:
            found.append((f"event:{event}",
                          f"{count} rules can match '{event}' in state '{state}' (at most "
                          f"{MAX_MATCHING}: durable_rules fails beyond 64)"))
    return found


def _describe(parent: tuple[tuple[str, Any], ...]) -> str:
    if not parent:
        return "the start of the ruleset (too many events)"
    return " and ".join(f"{k} = {v!r}" for k, v in parent)
