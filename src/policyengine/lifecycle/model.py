"""A lifecycle once compiled: states, events, transitions, obligations and the rules they make.

Everything here is decided when the policy loads. A :class:`Rule` is one rule of the matcher
(durable_rules or the plain-Python one, see :mod:`policyengine.monitor`): the event it takes,
the states it fires in, the conditions on the event's data, its priority, and its whole effect
in each of those states (where the case goes; what it discharges, cancels and opens).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

from ..compiler import CompiledCitation, InterpretationNote
from ..facts import FactsValidator, ValueType
from ..records import record

#: The pseudo-state of a case that does not exist yet (what an opening event starts from).
NEW = "(new)"
#: Values an obligation's fact may take from an event besides its data fields.
EVENT_VALUES = ("at", "date")
#: Kinds of data field a transition's ``when`` may test (they travel in the durable message).
WHEN_KINDS = ("enum", "bool", "int")
STAY_PRIORITY = 100_000


@record
class FactSource:
    """Where one fact of a decision the lifecycle asks comes from.

    ``literal``: a fixed value. ``value``: the triggering event's (or the latest ``event``'s)
    moment (``at``), London date (``date``) or data field. ``each``: a list built from every
    event of type ``event`` so far, either one value per event or a record of ``fields``.
    """

    kind: Literal["literal", "value", "each"]
    literal: Any = None
    event: str | None = None
    value: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


@record
class CompiledDue:
    decision: str
    facts: tuple[tuple[str, FactSource], ...]
    outcome: str | None  # None: the decision only says whether (and how) the obligation arises
    line: int


@record
class CompiledRequires:
    """An event is refused unless this decision's boolean ``outcome`` is true for its facts."""

    decision: str
    facts: tuple[tuple[str, FactSource], ...]
    outcome: str
    because: str
    citations: tuple[CompiledCitation, ...]
    line: int


@record
class CompiledState:
    name: str
    description: str | None
    terminal: bool
    citations: tuple[CompiledCitation, ...]
    line: int


@record
class CompiledEvent:
    name: str
    description: str | None
    data: Mapping[str, ValueType]
    validator: FactsValidator
    allowed_in: frozenset[str]
    opening: bool
    citations: tuple[CompiledCitation, ...]
    when_fields: tuple[str, ...]
    line: int
    requires: CompiledRequires | None = None


@record
class CompiledTransition:
    id: str
    event: str
    from_states: tuple[str, ...] | None  # None: from a new case (the event opens it)
    to: str
    when: tuple[tuple[str, tuple[Any, ...]], ...]
    because: str
    citations: tuple[CompiledCitation, ...]
    interpretations: tuple[str, ...]
    line: int
    priority: int

    def matches(self, data: Mapping[str, Any]) -> bool:
        return all(name in data and _among(data[name], values) for name, values in self.when)


def _among(value: Any, values: tuple[Any, ...]) -> bool:
    """``value in values`` without Python's True == 1 (durable_rules tells them apart)."""
    return any(v == value and type(v) is type(value) for v in values)


@record
class CompiledOpening:
    event: str | None
    transition: str | None
    from_states: tuple[str, ...] | None


@record
class CompiledObligation:
    name: str
    description: str
    kind: str  # duty | target | window
    opened_by: tuple[CompiledOpening, ...]
    discharged_by: frozenset[str]  # event names and transition ids (a "t." prefix)
    cancelled_by: frozenset[str]
    due: CompiledDue | None
    because: str
    citations: tuple[CompiledCitation, ...]
    interpretations: tuple[str, ...]
    line: int


@record
class Effect:
    """What firing one rule does from one state: all of it is decided when the policy loads."""

    to: str
    discharges: tuple[str, ...]
    cancels: tuple[str, ...]
    opens: tuple[str, ...]


@record
class Rule:
    """One rule of a lifecycle, with what it does in each state it fires in."""

    name: str
    event: str
    transition: CompiledTransition | None
    states: tuple[str, ...]
    pattern: Mapping[str, Any]  # the durable_rules pattern of the event message
    priority: int
    effects: Mapping[str, Effect]
    because: str

    def takes(self, data: Mapping[str, Any]) -> bool:
        return self.transition is None or self.transition.matches(data)


DurableRule = Rule  # the name it had when only durable_rules ran the rules


@record(frozen=False)
class CompiledLifecycle:
    name: str
    policy: str
    description: str
    citations: tuple[CompiledCitation, ...]
    interpretations: dict[str, InterpretationNote]
    initial: str
    opened_by: tuple[str, ...]
    states: dict[str, CompiledState]
    events: dict[str, CompiledEvent]
    transitions: tuple[CompiledTransition, ...]
    obligations: dict[str, CompiledObligation]
    rules: tuple[Rule, ...] = ()
    line: int = 0

    @functools.cached_property
    def case_type(self) -> str:
        """The qualified name events use: ``policy_id.lifecycle_name``."""
        return f"{self.policy}.{self.name}"

    def accepts(self, event: str, state: str, data: Mapping[str, Any] | None = None) -> bool:
        """Whether some rule of this lifecycle can take ``event`` in ``state`` (with ``data``,
        when given: a transition's ``when`` must hold, as its durable_rules pattern requires)."""
        return any(
            r.event == event and state in r.states and (data is None or r.takes(data))
            for r in self.rules
        )

    def states_accepting(self, event: str) -> list[str]:
        found: list[str] = []
        for rule in self.rules:
            if rule.event == event:
                found.extend(s for s in rule.states if s not in found)
        return found

    def ruleset_definition(
        self, action_for: Callable[[Rule], Callable[[Any], None]]
    ) -> dict[str, dict[str, Any]]:
        """A fresh durable_rules ruleset definition (durable mutates the dict it is given)."""
        definition: dict[str, dict[str, Any]] = {}
        for rule in self.rules:
            definition[rule.name] = {
                "all": [{"m": copy.deepcopy(dict(rule.pattern))}],
                "pri": rule.priority,
                "run": action_for(rule),
            }
        return definition
