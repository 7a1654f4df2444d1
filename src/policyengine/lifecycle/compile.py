"""Compile one lifecycle: states, events, transitions and obligations, every name checked.

Every problem is reported as ``file:line:column`` through the policy compiler it runs in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..compiler import CompiledPolicy, InterpretationNote
from ..errors import did_you_mean
from ..expressions import CompileError
from ..facts import FactsValidator, ValueType
from ..load import Path_
from ..policy_cache import validated_section
from ..schema import IDENT, validation_problems
from .model import (
    EVENT_VALUES,
    WHEN_KINDS,
    CompiledEvent,
    CompiledLifecycle,
    CompiledObligation,
    CompiledOpening,
    CompiledState,
    CompiledTransition,
)
from .rules import INT64, build_rules, durable_limits
from .sources import SourceCompiler
from .spec import ByTransition, LifecycleSpec

if TYPE_CHECKING:
    from ..compiler import _Compiler


class LifecycleCompiler(SourceCompiler):
    def __init__(self, compiler: _Compiler, policy: CompiledPolicy) -> None:
        self.c = compiler
        self.policy = policy

    # ------------------------------------------------------------------ structure
    def parse(self, name: str, raw: Any) -> LifecycleSpec | None:
        base: Path_ = ("lifecycles", name)
        if not isinstance(raw, dict):
            self.fail(base, "a lifecycle is a mapping (description, states, events, ...)")
            return None

        def validate() -> LifecycleSpec | None:
            try:
                return LifecycleSpec.model_validate(raw)
            except ValidationError as exc:
                self.c.problems.extend(
                    validation_problems(exc, LifecycleSpec, self.c.loaded, base))
                return None

        # once a file: a file read from the policy cache brings its lifecycles validated
        return validated_section(self.c.loaded, f"lifecycles/{name}", validate)

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
            ecites = self.citations(espec.cite, (*base, "events", ename))
            requires = None
            if espec.requires is not None:
                requires = self.compile_requires(espec.requires, (*base, "events", ename,
                                                 "requires"), ename, event_types, ecites)
            events[ename] = CompiledEvent(
                name=ename,
                description=espec.description,
                data=event_types[ename],
                validator=FactsValidator(self.policy.id, f"{name}.{ename}", event_types[ename]),
                allowed_in=accepted,
                opening=ename in spec.opened_by,
                citations=ecites,
                when_fields=when_fields,
                line=self.line((*base, "events", ename)),
                requires=requires,
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
        lifecycle.rules = build_rules(lifecycle)
        self.check_limits(lifecycle, base, spec)
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
                elif vt.kind == "int" and not INT64[0] <= v <= INT64[1]:
                    self.fail(fpath, f"{v} is outside the 64-bit range the case monitor holds "
                                     f"exactly ({INT64[0]} to {INT64[1]})")
                    good = False
            if good:
                out.append((fname, tuple(values)))
        return tuple(out)

    def check_limits(self, lc: CompiledLifecycle, base: Path_, spec: LifecycleSpec) -> None:
        """Refuse, with a position, a lifecycle durable_rules cannot run safely."""
        index = {t.id: i for i, t in enumerate(spec.transitions)}
        for what, message in durable_limits(lc):
            kind, _, name = what.partition(":")
            if kind == "transition":
                path: Path_ = (*base, "transitions", index[name])
            elif kind == "event":
                path = (*base, "events", name)
            else:
                path = (*base, "events")
            self.fail(path, message, key=kind == "event")


def _is_ident(name: object) -> bool:
    return isinstance(name, str) and re.fullmatch(IDENT[1:-1], name) is not None


def compile_lifecycles(compiler: _Compiler, policy: CompiledPolicy) -> dict[str, CompiledLifecycle]:
    """Compile every lifecycle of a policy; problems go to ``compiler.problems``."""
    raw = compiler.loaded.data.get("lifecycles") if isinstance(compiler.loaded.data, dict) else None
    if not raw:
        return {}
    lc = LifecycleCompiler(compiler, policy)
    out: dict[str, CompiledLifecycle] = {}
    for name, body in raw.items():
        compiled = lc.compile(name, body)
        if compiled is not None:
            out[name] = compiled
    return out
