"""The plain-Python matcher: each lifecycle's rules compiled into a table, and the engine on it.

For every (event, state) the table holds the rules that can fire, best priority first, each
with its conditions on the event's data as sets of allowed values; matching an event is one
dictionary look-up and a few set tests. It chooses exactly the rule durable_rules chooses (the
highest-priority rule whose pattern holds: a differential test checks that on random event
streams), and holds nothing between events: the case's record comes from the store each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..lifecycle import CompiledLifecycle, Rule
from .effects import Applied, Decisions, Journal, apply_effect
from .events import Envelope


@dataclass(frozen=True)
class _Candidate:
    rule: Rule
    checks: tuple[tuple[str, frozenset[tuple[type, Any]]], ...]

    def holds(self, data: Mapping[str, Any]) -> bool:
        for name, allowed in self.checks:
            if name not in data:
                return False
            value = data[name]
            if (type(value), value) not in allowed:
                return False
        return True


class Table:
    """The rules of one lifecycle by (event, state), best first."""

    def __init__(self, lc: CompiledLifecycle) -> None:
        self.lc = lc
        table: dict[tuple[str, str], list[_Candidate]] = {}
        for rule in sorted(lc.rules, key=lambda r: r.priority):
            when = rule.transition.when if rule.transition is not None else ()
            checks = tuple((name, frozenset((type(v), v) for v in values))
                           for name, values in when)
            for state in rule.states:
                table.setdefault((rule.event, state), []).append(_Candidate(rule, checks))
        self.table = {key: tuple(c) for key, c in table.items()}

    def match(self, event: str, state: str, data: Mapping[str, Any]) -> Rule | None:
        for candidate in self.table.get((event, state), ()):
            if candidate.holds(data):
                return candidate.rule
        return None

    def takes(self, event: str, state: str) -> bool:
        return (event, state) in self.table


class Engine(Protocol):
    """Chooses the rule for an event and computes its effect; durable or plain Python."""

    name: str

    def apply(self, lc: CompiledLifecycle, table: Table, case_id: str, version: int,
              record: Mapping[str, Any], state: str, env: Envelope, current: dict[str, Any],
              journal: Journal, matched: Rule) -> Applied:
        """The event's effect; ``matched`` is the rule the plain-Python table chose (an engine
        that chooses for itself, as durable_rules does, does not use it)."""

    def forget(self, case_ids: list[str]) -> None: ...

    def close(self) -> None: ...


class PythonEngine:
    name = "python"

    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def apply(self, lc: CompiledLifecycle, table: Table, case_id: str, version: int,
              record: Mapping[str, Any], state: str, env: Envelope, current: dict[str, Any],
              journal: Journal, matched: Rule) -> Applied:
        return apply_effect(self.decisions, lc, matched, matched.effects[state], record, env,
                            current, journal)

    def forget(self, case_ids: list[str]) -> None:
        pass  # nothing is held between events

    def close(self) -> None:
        pass
