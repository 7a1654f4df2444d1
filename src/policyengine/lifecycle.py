"""Case lifecycles: declared under a policy file's top-level ``lifecycles:`` key, compiled at load.

A lifecycle describes one kind of case an app follows through time (a complaint, a conduct case,
a customer's contact history): the events that can happen to it, the states it moves through,
and the obligations those events open and discharge. Due dates are never computed here: each
obligation names a decision of the same policy, and the facts to give it, so that a due date is
exactly what :meth:`PolicySet.decide` answers for those facts.

This module only compiles (types resolved, names checked, every problem reported as
``file:line:column``) and describes the durable_rules rules each lifecycle becomes. Running them
is :mod:`policyengine.monitor`'s job; nothing here imports durable_rules.

The rules a lifecycle compiles to (see :meth:`CompiledLifecycle.ruleset_definition`): one rule
per transition (the event's type, the case's state before it, and the transition's conditions on
the event's data), one rule per event that opens a case without a transition of its own, and one
lower-priority rule per event for the states where it is accepted without moving the case. Every
rule matches one event: the current state travels in the event message rather than through a
join with the session state, because durable_rules 2.0.28 reads memory it does not own when
evaluating joins between patterns (see docs/monitor.md).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .compiler import CompiledCitation, CompiledPolicy, InterpretationNote
from .errors import FactsError, did_you_mean
from .expressions import CompileError
from .facts import DATE, DATETIME, FactsValidator, ValueType
from .load import Path_
from .schema import IDENT, Citation, FactType, Interpretation, validation_problems

if TYPE_CHECKING:
    from .compiler import _Compiler

#: The pseudo-state of a case that does not exist yet (what an opening event starts from).
NEW = "(new)"
#: Values an obligation's fact may take from an event besides its data fields.
EVENT_VALUES = ("at", "date")
#: Kinds of data field a transition's ``when`` may test (they travel in the durable message).
WHEN_KINDS = ("enum", "bool", "int")
STAY_PRIORITY = 100_000


# ----------------------------------------------------------------------------------- schema


_LIST_FIELDS = frozenset(
    {"cite", "allowed_in", "from_", "opened_by", "discharged_by", "cancelled_by"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )

    @field_validator("*", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any, info: ValidationInfo) -> Any:
        """A single citation, state or event may be written without the list around it."""
        if info.field_name in _LIST_FIELDS and isinstance(value, str | dict):
            return [value]
        return value


class StateSpec(_Strict):
    """A state a case can be in."""

    description: str | None = None
    """What the state means (optional)."""
    terminal: bool = False
    """true when a case in this state is finished."""
    cite: list[Citation] = []
    """The clause (or clauses) that name the state."""


class EventSpec(_Strict):
    """Something that can happen to a case, with the data it carries."""

    description: str | None = None
    """What the event is (optional)."""
    data: dict[str, FactType] = {}
    """The data the event carries: field name to its type."""
    allowed_in: list[str] | None = None
    """The states in which the event is accepted without a transition (a state or a list)."""
    cite: list[Citation] = []
    """The clause (or clauses) behind the event."""


class TransitionSpec(_Strict):
    """An event that moves a case from some states to another."""

    id: str = Field(pattern=IDENT)
    """The transition's name in lower_snake_case."""
    event: str
    """The event that takes it."""
    from_: list[str] | None = Field(default=None, alias="from")
    """The state (or states) it starts from; omitted means any state that is not terminal."""
    to: str
    """The state it moves the case to."""
    when: dict[str, Any] = {}
    """Tests on the event's data (enum, bool or int fields) that must hold."""
    because: str | None = None
    """The reason, in words."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) it encodes."""
    interpretations: list[str] = []
    """Names of the interpretations it relies on."""


class OpenedBySpec(_Strict):
    """What opens an obligation: an event (in some states) or a transition."""

    event: str | None = None
    """The event that opens it."""
    transition: str | None = None
    """The transition that opens it."""
    from_: list[str] | None = Field(default=None, alias="from")
    """Only when the case is in this state (or one of these states)."""

    @model_validator(mode="before")
    @classmethod
    def _event_name(cls, value: Any) -> Any:
        return {"event": value} if isinstance(value, str) else value


class ByTransition(_Strict):
    """A transition, named where an event name would otherwise go."""

    transition: str
    """The transition's id."""


class DueSpec(_Strict):
    """How an obligation's due date is decided: a decision of this policy and its facts."""

    decision: str
    """The decision of this policy that gives the due date."""
    facts: dict[str, Any] = {}
    """The facts to give it: fact name to a literal or to where in the events the value comes
    from.
    """
    outcome: str | None = None
    """The outcome that is the due date (default: the only date outcome)."""


class ObligationSpec(_Strict):
    """A duty or window an event opens and a later event discharges."""

    description: str
    """What must be done, in words."""
    kind: Literal["duty", "window"] = "duty"
    """duty (something to do by a date) or window (a period in which something may be done)."""
    opened_by: list[OpenedBySpec] = Field(min_length=1)
    """The event(s) or transition(s) that open it."""
    discharged_by: list[str | ByTransition] = Field(min_length=1)
    """The event(s) or {transition: ID} that discharge it."""
    cancelled_by: list[str | ByTransition] = []
    """The event(s) or {transition: ID} that cancel it."""
    due: DueSpec | None = None
    """How the due date is decided (optional)."""
    because: str | None = None
    """The reason, in words."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) it encodes."""
    interpretations: list[str] = []
    """Names of the interpretations it relies on."""


class LifecycleSpec(_Strict):
    """A kind of case an app follows through time, for `policyengine monitor`."""

    description: str
    """What kind of case this is."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) that describe the process."""
    opened_by: list[str] = Field(min_length=1)
    """The event(s) that open a case."""
    initial: str
    """The state a new case starts in."""
    states: dict[str, StateSpec] = Field(min_length=1)
    """The states, by name."""
    events: dict[str, EventSpec] = Field(min_length=1)
    """The events, by name."""
    transitions: list[TransitionSpec] = []
    """The transitions between states."""
    obligations: dict[str, ObligationSpec] = {}
    """The duties and windows, by name."""
    interpretations: dict[str, Interpretation] = {}
    """Interpretations that belong to this lifecycle only, for sign-off."""


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class FactSource:
    """Where one fact of a due-date decision comes from.

    ``literal``: a fixed value. ``value``: the triggering event's (or the latest ``event``'s)
    moment (``at``), London date (``date``) or data field. ``each``: a list built from every
    event of type ``event`` so far, either one value per event or a record of ``fields``.
    """

    kind: Literal["literal", "value", "each"]
    literal: Any = None
    event: str | None = None
    value: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CompiledDue:
    decision: str
    facts: tuple[tuple[str, FactSource], ...]
    outcome: str | None  # None: the decision only says whether (and how) the obligation arises
    line: int


@dataclass(frozen=True)
class CompiledState:
    name: str
    description: str | None
    terminal: bool
    citations: tuple[CompiledCitation, ...]
    line: int


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
        return all(name in data and data[name] in values for name, values in self.when)


@dataclass(frozen=True)
class CompiledOpening:
    event: str | None
    transition: str | None
    from_states: tuple[str, ...] | None


@dataclass(frozen=True)
class CompiledObligation:
    name: str
    description: str
    kind: str  # duty | window
    opened_by: tuple[CompiledOpening, ...]
    discharged_by: frozenset[str]  # event names and transition ids (a "t." prefix)
    cancelled_by: frozenset[str]
    due: CompiledDue | None
    because: str
    citations: tuple[CompiledCitation, ...]
    interpretations: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Effect:
    """What firing one rule does from one state: all of it is decided when the policy loads."""

    to: str
    discharges: tuple[str, ...]
    cancels: tuple[str, ...]
    opens: tuple[str, ...]


@dataclass(frozen=True)
class DurableRule:
    """One durable_rules rule of a lifecycle's ruleset, with what it does in each state."""

    name: str
    event: str
    transition: CompiledTransition | None
    states: tuple[str, ...]
    pattern: Mapping[str, Any]
    priority: int
    effects: Mapping[str, Effect]
    because: str


@dataclass
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
    rules: tuple[DurableRule, ...] = ()
    line: int = 0

    @property
    def case_type(self) -> str:
        """The qualified name events use: ``policy_id.lifecycle_name``."""
        return f"{self.policy}.{self.name}"

    def accepts(self, event: str, state: str, data: Mapping[str, Any] | None = None) -> bool:
        """Whether some rule of this lifecycle can take ``event`` in ``state`` (with ``data``,
        when given: a transition's ``when`` must hold, as its durable_rules pattern requires)."""
        return any(
            r.event == event
            and state in r.states
            and (data is None or r.transition is None or r.transition.matches(data))
            for r in self.rules
        )

    def states_accepting(self, event: str) -> list[str]:
        found: list[str] = []
        for rule in self.rules:
            if rule.event == event:
                found.extend(s for s in rule.states if s not in found)
        return found

    def ruleset_definition(
        self, action_for: Callable[[DurableRule], Callable[[Any], None]]
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


# ------------------------------------------------------------------------------ compiling


class _LifecycleCompiler:
    def __init__(self, compiler: _Compiler, policy: CompiledPolicy) -> None:
        self.c = compiler
        self.policy = policy
        self.loaded = compiler.loaded

    def fail(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.c.fail(path, message, key=key)

    # ------------------------------------------------------------------ structure
    def parse(self, name: str, raw: Any) -> LifecycleSpec | None:
        base: Path_ = ("lifecycles", name)
        if not isinstance(raw, dict):
            self.fail(base, "a lifecycle is a mapping (description, states, events, ...)")
            return None
        try:
            return LifecycleSpec.model_validate(raw)
        except ValidationError as exc:
            self.c.problems.extend(validation_problems(exc, LifecycleSpec, self.c.loaded, base))
            return None

    def citations(self, cites: list[Citation], path: Path_) -> tuple[CompiledCitation, ...]:
        out: list[CompiledCitation] = []
        for i, cite in enumerate(cites):
            self.c.check_citation(cite, (*path, "cite", i) if len(cites) > 1 else (*path, "cite"))
            if cite.source in self.c.spec.sources:
                out.append(self.policy.citation(cite))
        return tuple(out)

    def line(self, path: Path_) -> int:
        return self.loaded.position(path, key=True).line

    # ------------------------------------------------------------------ compile one
    def compile(self, name: str, raw: Any) -> CompiledLifecycle | None:
        base: Path_ = ("lifecycles", name)
        before = len(self.c.problems)
        if not isinstance(name, str) or not _is_ident(name):
            self.fail(base, f"lifecycle name '{name}' must be lower_snake_case", key=True)
            return None
        spec = self.parse(name, raw)
        if spec is None:
            return None
        local = {
            iname: InterpretationNote.from_spec(iname, i)
            for iname, i in spec.interpretations.items()
        }
        for iname in spec.interpretations:
            if iname in self.c.spec.interpretations:
                self.fail((*base, "interpretations", iname),
                          f"interpretation '{iname}' is already defined for the whole policy; "
                          "refer to it by name instead", key=True)
        used_local: set[str] = set()

        # states
        states: dict[str, CompiledState] = {}
        for sname, sspec in spec.states.items():
            spath = (*base, "states", sname)
            if not _is_ident(sname):
                self.fail(spath, f"state name '{sname}' must be lower_snake_case", key=True)
            states[sname] = CompiledState(
                sname, sspec.description, sspec.terminal,
                self.citations(sspec.cite, spath), self.line(spath),
            )
        live = [s for s, st in states.items() if not st.terminal]

        def check_states(names: list[str], path: Path_, *, allow_terminal: bool) -> None:
            for i, sname in enumerate(names):
                where = (*path, i) if len(names) > 1 else path
                if sname not in states:
                    self.fail(where, f"unknown state '{sname}'{did_you_mean(sname, list(states))}; "
                                     f"states: {', '.join(states)}")
                elif states[sname].terminal and not allow_terminal:
                    self.fail(where, f"'{sname}' is a terminal state: a closed case takes no "
                                     "more events")

        if spec.initial not in states:
            self.fail((*base, "initial"), f"unknown state '{spec.initial}'"
                                          f"{did_you_mean(spec.initial, list(states))}")
        elif states[spec.initial].terminal:
            self.fail((*base, "initial"), "the initial state cannot be terminal")

        # events
        for i, ename in enumerate(spec.opened_by):
            if ename not in spec.events:
                self.fail((*base, "opened_by", i) if len(spec.opened_by) > 1 else
                          (*base, "opened_by"),
                          f"unknown event '{ename}'{did_you_mean(ename, list(spec.events))}")
        event_types: dict[str, dict[str, ValueType]] = {}
        for ename, espec in spec.events.items():
            epath = (*base, "events", ename)
            if not _is_ident(ename):
                self.fail(epath, f"event name '{ename}' must be lower_snake_case", key=True)
            types: dict[str, ValueType] = {}
            for fname, ft in espec.data.items():
                fpath = (*epath, "data", fname)
                if not _is_ident(fname) or fname in EVENT_VALUES:
                    self.fail(fpath, f"data field '{fname}' must be lower_snake_case and not "
                                     f"{' or '.join(EVENT_VALUES)}", key=True)
                    continue
                try:
                    types[fname] = self.c.resolve_type(ft, fpath)
                except CompileError as exc:
                    self.c.problems.append(exc.problem)
            event_types[ename] = types
            if espec.allowed_in is not None:
                check_states(espec.allowed_in, (*epath, "allowed_in"), allow_terminal=False)

        # transitions
        transitions: list[CompiledTransition] = []
        seen_ids: set[str] = set()
        for ti, tspec in enumerate(spec.transitions):
            tpath = (*base, "transitions", ti)
            if tspec.id in seen_ids:
                self.fail((*tpath, "id"), f"transition id '{tspec.id}' is used twice")
                continue
            seen_ids.add(tspec.id)
            if tspec.event not in spec.events:
                self.fail((*tpath, "event"), f"unknown event '{tspec.event}'"
                                             f"{did_you_mean(tspec.event, list(spec.events))}")
                continue
            if tspec.from_ is None:
                if tspec.event not in spec.opened_by:
                    self.fail(tpath, f"a transition without 'from' starts a new case, but "
                                     f"'{tspec.event}' does not open one (opened_by: "
                                     f"{', '.join(spec.opened_by)}); say which states it "
                                     "leaves with 'from'")
            else:
                check_states(tspec.from_, (*tpath, "from"), allow_terminal=False)
                allowed = spec.events[tspec.event].allowed_in
                if allowed is not None:
                    for s in tspec.from_:
                        if s not in allowed:
                            self.fail((*tpath, "from"),
                                      f"'{tspec.event}' is only allowed in "
                                      f"{', '.join(allowed)}, not in '{s}'")
            check_states([tspec.to], (*tpath, "to"), allow_terminal=True)
            when = self.compile_when(tspec.when, event_types[tspec.event], (*tpath, "when"),
                                     tspec.event)
            for ii, iname in enumerate(tspec.interpretations):
                self.use_interpretation(iname, (*tpath, "interpretations", ii), local, used_local)
            transitions.append(CompiledTransition(
                id=tspec.id,
                event=tspec.event,
                from_states=tuple(tspec.from_) if tspec.from_ is not None else None,
                to=tspec.to,
                when=when,
                because=tspec.because or f"'{tspec.event}' moves the case to '{tspec.to}'",
                citations=self.citations(tspec.cite, tpath),
                interpretations=tuple(tspec.interpretations),
                line=self.line(tpath),
                priority=ti + 1,
            ))
        by_id = {t.id: t for t in transitions}

        # events, compiled (allowed states depend on the transitions)
        events: dict[str, CompiledEvent] = {}
        for ename, espec in spec.events.items():
            ts = [t for t in transitions if t.event == ename]
            accepted: frozenset[str]
            if espec.allowed_in is not None:
                accepted = frozenset(espec.allowed_in)
            elif any(t.from_states is not None for t in ts):
                accepted = frozenset(s for t in ts for s in (t.from_states or ()))
            elif ts or ename in spec.opened_by:
                accepted = frozenset()
            else:
                accepted = frozenset(live)
            when_fields = tuple(sorted({f for t in ts for f, _ in t.when}))
            events[ename] = CompiledEvent(
                name=ename,
                description=espec.description,
                data=event_types[ename],
                validator=FactsValidator(self.policy.id, f"{name}.{ename}", event_types[ename]),
                allowed_in=accepted,
                opening=ename in spec.opened_by,
                citations=self.citations(espec.cite, (*base, "events", ename)),
                when_fields=when_fields,
                line=self.line((*base, "events", ename)),
            )

        # obligations
        obligations: dict[str, CompiledObligation] = {}
        for oname, ospec in spec.obligations.items():
            opath = (*base, "obligations", oname)
            if not _is_ident(oname):
                self.fail(opath, f"obligation name '{oname}' must be lower_snake_case", key=True)
            openings: list[CompiledOpening] = []
            for oi, ob in enumerate(ospec.opened_by):
                bpath = (*opath, "opened_by", oi)
                if (ob.event is None) == (ob.transition is None):
                    self.fail(bpath, "give either 'event' or 'transition'")
                    continue
                if ob.transition is not None:
                    if ob.transition not in by_id:
                        self.fail((*bpath, "transition"),
                                  f"unknown transition '{ob.transition}'"
                                  f"{did_you_mean(ob.transition, list(by_id))}")
                    if ob.from_ is not None:
                        self.fail((*bpath, "from"), "'from' goes with 'event'; a transition "
                                                    "already says which states it leaves")
                    openings.append(CompiledOpening(None, ob.transition, None))
                    continue
                assert ob.event is not None
                if ob.event not in spec.events:
                    self.fail((*bpath, "event"), f"unknown event '{ob.event}'"
                                                 f"{did_you_mean(ob.event, list(spec.events))}")
                if ob.from_ is not None:
                    check_states(ob.from_, (*bpath, "from"), allow_terminal=False)
                openings.append(CompiledOpening(
                    ob.event, None, tuple(ob.from_) if ob.from_ is not None else None))
            closers: dict[str, frozenset[str]] = {}
            for key in ("discharged_by", "cancelled_by"):
                items: list[str | ByTransition] = getattr(ospec, key)
                found: set[str] = set()
                for ni, item in enumerate(items):
                    ipath = (*opath, key, ni) if len(items) > 1 else (*opath, key)
                    if isinstance(item, ByTransition):
                        if item.transition not in by_id:
                            self.fail(ipath, f"unknown transition '{item.transition}'"
                                             f"{did_you_mean(item.transition, list(by_id))}")
                        found.add(f"t.{item.transition}")
                    elif item not in spec.events:
                        self.fail(ipath, f"unknown event '{item}'"
                                         f"{did_you_mean(item, list(spec.events))}")
                    else:
                        found.add(item)
                closers[key] = frozenset(found)
            due = None
            if ospec.due is not None:
                triggers: list[str] = []
                for op in openings:
                    if op.event in event_types:
                        trigger: str | None = op.event
                    elif op.transition is not None and op.transition in by_id:
                        trigger = by_id[op.transition].event
                    else:
                        trigger = None
                    if trigger is not None and trigger not in triggers:
                        triggers.append(trigger)
                due = self.compile_due(ospec.due, (*opath, "due"), event_types, triggers)
            for ii, iname in enumerate(ospec.interpretations):
                self.use_interpretation(iname, (*opath, "interpretations", ii), local, used_local)
            obligations[oname] = CompiledObligation(
                name=oname,
                description=ospec.description,
                kind=ospec.kind,
                opened_by=tuple(openings),
                discharged_by=closers["discharged_by"],
                cancelled_by=closers["cancelled_by"],
                due=due,
                because=ospec.because or ospec.description,
                citations=self.citations(ospec.cite, opath),
                interpretations=tuple(ospec.interpretations),
                line=self.line(opath),
            )
        for iname in spec.interpretations:
            if iname not in used_local:
                self.fail((*base, "interpretations", iname),
                          f"interpretation '{iname}' is not used by any transition or "
                          "obligation", key=True)
        if len(self.c.problems) > before:
            return None
        lifecycle = CompiledLifecycle(
            name=name,
            policy=self.policy.id,
            description=spec.description,
            citations=self.citations(spec.cite, base),
            interpretations=local,
            initial=spec.initial,
            opened_by=tuple(spec.opened_by),
            states=states,
            events=events,
            transitions=tuple(transitions),
            obligations=obligations,
            line=self.line(base),
        )
        lifecycle.rules = _rules(lifecycle)
        for ename, event in events.items():
            if not event.opening and not lifecycle.states_accepting(ename):
                self.fail((*base, "events", ename),
                          f"event '{ename}' is accepted in no state: give it 'allowed_in' "
                          "or a transition", key=True)
        if len(self.c.problems) > before:
            return None
        return lifecycle

    def use_interpretation(
        self, name: str, path: Path_, local: Mapping[str, InterpretationNote], used: set[str]
    ) -> None:
        if name in local:
            used.add(name)
        elif name in self.c.spec.interpretations:
            self.c.used_interpretations.add(name)
        else:
            known = [*local, *self.c.spec.interpretations]
            self.fail(path, f"unknown interpretation '{name}'{did_you_mean(name, known)}")

    def compile_when(
        self, when: Mapping[str, Any], data: Mapping[str, ValueType], path: Path_, event: str
    ) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        out: list[tuple[str, tuple[Any, ...]]] = []
        for fname, expected in when.items():
            fpath = (*path, fname)
            vt = data.get(fname)
            if vt is None:
                self.fail(fpath, f"'{fname}' is not a data field of '{event}'"
                                 f"{did_you_mean(fname, list(data))}; its fields: "
                                 f"{', '.join(data) or '(none)'}", key=True)
                continue
            if vt.kind not in WHEN_KINDS:
                self.fail(fpath, f"a transition can test {', '.join(WHEN_KINDS)} fields, not "
                                 f"'{fname}' ({vt.describe()})", key=True)
                continue
            values = expected if isinstance(expected, list) else [expected]
            if not values:
                self.fail(fpath, "give at least one value")
                continue
            good = True
            for v in values:
                if vt.kind == "enum" and (not isinstance(v, str) or v not in vt.values):
                    self.fail(fpath, f"{v!r} is not one of {', '.join(vt.values)}")
                    good = False
                elif vt.kind == "bool" and not isinstance(v, bool):
                    self.fail(fpath, f"{v!r} is not true or false")
                    good = False
                elif vt.kind == "int" and (not isinstance(v, int) or isinstance(v, bool)):
                    self.fail(fpath, f"{v!r} is not a whole number")
                    good = False
            if good:
                out.append((fname, tuple(values)))
        return tuple(out)

    # ------------------------------------------------------------------ due dates
    def compile_due(
        self,
        due: DueSpec,
        path: Path_,
        event_types: Mapping[str, Mapping[str, ValueType]],
        triggers: list[str],
    ) -> CompiledDue | None:
        decision = self.policy.decisions.get(due.decision)
        if decision is None:
            if due.decision not in self.c.spec.decisions:  # else it failed to compile: reported
                self.fail((*path, "decision"),
                          f"unknown decision '{due.decision}'"
                          f"{did_you_mean(due.decision, self.c.spec.decisions)}; decisions of "
                          f"{self.policy.id}: {', '.join(self.c.spec.decisions)}")
            return None
        if due.outcome is None:
            pass
        elif due.outcome not in decision.outcomes:
            self.fail((*path, "outcome"),
                      f"'{due.outcome}' is not an outcome of {due.decision}"
                      f"{did_you_mean(due.outcome, list(decision.outcomes))}; its outcomes: "
                      f"{', '.join(decision.outcomes)}")
        elif decision.outcomes[due.outcome].kind not in ("date", "datetime", "moment"):
            self.fail((*path, "outcome"),
                      f"'{due.outcome}' is {decision.outcomes[due.outcome].describe()}, not a "
                      "date or date-time")
        facts: list[tuple[str, FactSource]] = []
        for fname, raw in due.facts.items():
            fpath = (*path, "facts", fname)
            target = decision.facts.get(fname)
            if target is None:
                self.fail(fpath, f"'{fname}' is not a fact of {due.decision}"
                                 f"{did_you_mean(fname, list(decision.facts))}; its facts: "
                                 f"{', '.join(decision.facts)}", key=True)
                continue
            source = self.fact_source(raw, target, fpath, event_types, triggers, fname,
                                      due.decision)
            if source is not None:
                facts.append((fname, source))
        given = {f for f, _ in facts}
        for fname, vt in decision.facts.items():
            if not vt.optional and fname not in given and fname not in due.facts:
                self.fail((*path, "facts"), f"{due.decision} needs the fact '{fname}' "
                                            f"({vt.describe()}); say where it comes from")
        return CompiledDue(due.decision, tuple(facts), due.outcome, self.line(path))

    def fact_source(
        self,
        raw: Any,
        target: ValueType,
        path: Path_,
        event_types: Mapping[str, Mapping[str, ValueType]],
        triggers: list[str],
        fname: str,
        decision: str,
    ) -> FactSource | None:
        if isinstance(raw, dict) and ("value" in raw or "each" in raw):
            keys = set(raw)
            if "each" in raw:
                extra = keys - {"each", "value", "fields"}
            else:
                extra = keys - {"value", "event"}
            if extra:
                self.fail(path, f"unknown key(s) {', '.join(sorted(extra))} in a fact source "
                                "({value: at|date|<field>, event: <event>} or {each: <event>, "
                                "value: ...} or {each: <event>, fields: {...}})")
                return None
            if "each" in raw:
                return self.each_source(raw, target, path, event_types, fname)
            ename = raw.get("event")
            if ename is not None and ename not in event_types:
                self.fail((*path, "event"), f"unknown event '{ename}'"
                                            f"{did_you_mean(str(ename), list(event_types))}")
                return None
            value = raw["value"]
            # without 'event', the value comes from whichever event opens the obligation
            candidates = triggers if ename is None else [ename]
            for cname in candidates:
                vt = self.value_type(value, event_types[cname], (*path, "value"), cname)
                if vt is None:
                    return None
                self.check_compatible(vt, target, path, fname, decision,
                                      f"'{value}' of '{cname}'")
            return FactSource("value", event=ename, value=value)
        # a literal
        try:
            FactsValidator("literal", "check", {fname: target}).validate({fname: raw})
        except FactsError as exc:
            self.fail(path, f"the value for {decision}'s fact '{fname}' is not "
                            f"{target.describe()}: {exc}")
            return None
        return FactSource("literal", literal=raw)

    def each_source(
        self,
        raw: Mapping[str, Any],
        target: ValueType,
        path: Path_,
        event_types: Mapping[str, Mapping[str, ValueType]],
        fname: str,
    ) -> FactSource | None:
        ename = raw["each"]
        if ename not in event_types:
            self.fail((*path, "each"), f"unknown event '{ename}'"
                                       f"{did_you_mean(str(ename), list(event_types))}")
            return None
        if target.kind != "list" or target.of is None:
            self.fail(path, f"'each' builds a list, but '{fname}' is {target.describe()}")
            return None
        types = event_types[ename]
        if ("value" in raw) == ("fields" in raw):
            self.fail(path, "'each' takes either 'value' (one value per event) or 'fields' "
                            "(a record per event)")
            return None
        if "value" in raw:
            vt = self.value_type(raw["value"], types, (*path, "value"), ename)
            if vt is None:
                return None
            self.check_compatible(vt, target.of, path, fname, "", f"'{raw['value']}'")
            return FactSource("each", event=ename, value=raw["value"])
        fields = raw["fields"]
        if not isinstance(fields, dict) or target.of.kind != "record":
            self.fail((*path, "fields"), f"'fields' builds records; '{fname}' is "
                                         f"{target.describe()}")
            return None
        pairs: list[tuple[str, str]] = []
        for rname, rtype in target.of.fields:
            if rname not in fields:
                if not rtype.optional:
                    self.fail((*path, "fields"), f"the record field '{rname}' is required")
                continue
            vt = self.value_type(fields[rname], types, (*path, "fields", rname), ename)
            if vt is not None:
                self.check_compatible(vt, rtype, (*path, "fields", rname), rname, "",
                                      f"'{fields[rname]}'")
                pairs.append((rname, str(fields[rname])))
        for rname in fields:
            if target.of.field(rname) is None:
                self.fail((*path, "fields", rname), f"'{rname}' is not a field of the record",
                          key=True)
        return FactSource("each", event=ename, fields=tuple(pairs))

    def value_type(
        self, value: Any, types: Mapping[str, ValueType], path: Path_, event: str
    ) -> ValueType | None:
        if value == "at":
            return DATETIME
        if value == "date":
            return DATE
        if isinstance(value, str) and value in types:
            return types[value]
        self.fail(path, f"'{value}' is not 'at', 'date' or a data field of '{event}'"
                        f"{did_you_mean(str(value), [*EVENT_VALUES, *types])}")
        return None

    def check_compatible(
        self, source: ValueType, target: ValueType, path: Path_, fname: str, decision: str,
        what: str,
    ) -> None:
        problem = _incompatible(source, target)
        if problem:
            of = f"{decision}'s fact " if decision else ""
            self.fail(path, f"{what} cannot be {of}'{fname}': {problem}")
        elif source.optional and not target.optional:
            of = f"{decision}'s fact " if decision else ""
            self.fail(path, f"{what} is optional but {of}'{fname}' is required")


def _incompatible(source: ValueType, target: ValueType) -> str | None:
    if source.kind != target.kind:
        return f"it is {source.describe()}, and {target.describe()} is needed"
    if source.kind == "enum":
        extra = [v for v in source.values if v not in target.values]
        if extra:
            return f"{', '.join(extra)} would not be accepted ({target.describe()})"
    if source.kind == "list" and source.of is not None and target.of is not None:
        return _incompatible(source.of, target.of)
    if source.kind == "record":
        for name, vt in target.fields:
            sub = source.field(name)
            if sub is None:
                if not vt.optional:
                    return f"the record lacks '{name}'"
            else:
                inner = _incompatible(sub, vt)
                if inner:
                    return f"{name}: {inner}"
    return None


def _is_ident(name: object) -> bool:
    return isinstance(name, str) and re.fullmatch(IDENT[1:-1], name) is not None


def _rules(lc: CompiledLifecycle) -> tuple[DurableRule, ...]:
    """The durable_rules rules of a lifecycle, each with its effect in every state it fires in."""
    rules: list[DurableRule] = []

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

    def pattern(event: str, states: tuple[str, ...], when: tuple[tuple[str, tuple[Any, ...]],
                ...]) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"type": event}, _one_of("state", states)]
        for fname, values in when:
            parts.append(_one_of(f"data.{fname}", values))
        return {"$and": parts}

    for t in lc.transitions:
        states = (NEW,) if t.from_states is None else t.from_states
        rules.append(DurableRule(
            name=f"t.{t.id}",
            event=t.event,
            transition=t,
            states=states,
            pattern=pattern(t.event, states, t.when),
            priority=t.priority,
            effects={s: effect(t.event, t, s) for s in states},
            because=t.because,
        ))
    for ename, ev in lc.events.items():
        if ev.opening and not any(t.event == ename and t.from_states is None
                                  for t in lc.transitions):
            rules.append(DurableRule(
                name=f"open.{ename}",
                event=ename,
                transition=None,
                states=(NEW,),
                pattern=pattern(ename, (NEW,), ()),
                priority=len(lc.transitions) + 1,
                effects={NEW: effect(ename, None, NEW)},
                because=f"'{ename}' opens the case in its initial state '{lc.initial}'",
            ))
        stay = tuple(s for s in lc.states if s in ev.allowed_in and not _covered(lc, ev, s))
        if stay:
            rules.append(DurableRule(
                name=f"stay.{ename}",
                event=ename,
                transition=None,
                states=stay,
                pattern=pattern(ename, stay, ()),
                priority=STAY_PRIORITY,
                effects={s: effect(ename, None, s) for s in stay},
                because=f"'{ename}' is recorded; the case stays in its state",
            ))
    return tuple(rules)


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


def _one_of(key: str, values: tuple[Any, ...]) -> dict[str, Any]:
    if len(values) == 1:
        return {key: values[0]}
    return {"$or": [{key: v} for v in values]}


def compile_lifecycles(compiler: _Compiler, policy: CompiledPolicy) -> dict[str, CompiledLifecycle]:
    """Compile every lifecycle of a policy; problems go to ``compiler.problems``."""
    raw = compiler.loaded.data.get("lifecycles") if isinstance(compiler.loaded.data, dict) else None
    if not raw:
        return {}
    lc = _LifecycleCompiler(compiler, policy)
    out: dict[str, CompiledLifecycle] = {}
    for name, body in raw.items():
        compiled = lc.compile(name, body)
        if compiled is not None:
            out[name] = compiled
    return out


__all__ = [
    "NEW",
    "CompiledDue",
    "CompiledEvent",
    "CompiledLifecycle",
    "CompiledObligation",
    "CompiledState",
    "CompiledTransition",
    "DurableRule",
    "Effect",
    "FactSource",
    "LifecycleSpec",
    "compile_lifecycles",
]
