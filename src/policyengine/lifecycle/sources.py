"""Compile where a lifecycle's decision facts come from (due dates and event requirements).

A fact source is a literal, a value of the triggering event (or of the latest event of a type),
or a list built from every event of a type; each is checked against the type of the decision's
fact it feeds, so a due date is always exactly what the decision answers for those facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..compiler import CompiledCitation, CompiledPolicy
from ..errors import FactsError, did_you_mean
from ..facts import DATE, DATETIME, FactsValidator, ValueType
from ..load import Path_
from ..schema import Citation
from .model import EVENT_VALUES, CompiledDue, CompiledRequires, FactSource
from .spec import DueSpec, RequiresSpec

if TYPE_CHECKING:
    from ..compiler import _Compiler


class SourceCompiler:
    """Compiles decision facts' sources; the lifecycle compiler builds on it."""

    c: _Compiler
    policy: CompiledPolicy

    def fail(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.c.fail(path, message, key=key)

    def line(self, path: Path_) -> int:
        return self.c.loaded.position(path, key=True).line

    def citations(self, cites: list[Citation], path: Path_) -> tuple[CompiledCitation, ...]:
        out: list[CompiledCitation] = []
        for i, cite in enumerate(cites):
            self.c.check_citation(cite, (*path, "cite", i) if len(cites) > 1 else (*path, "cite"))
            if cite.source in self.c.spec.sources:
                out.append(self.policy.citation(cite))
        return tuple(out)

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
        facts = self.decision_facts(due.decision, due.facts, path, event_types, triggers)
        return CompiledDue(due.decision, facts, due.outcome, self.line(path))

    def compile_requires(
        self,
        req: RequiresSpec,
        path: Path_,
        event: str,
        event_types: Mapping[str, Mapping[str, ValueType]],
        cites: tuple[CompiledCitation, ...],
    ) -> CompiledRequires | None:
        decision = self.policy.decisions.get(req.decision)
        if decision is None:
            if req.decision not in self.c.spec.decisions:
                self.fail((*path, "decision"),
                          f"unknown decision '{req.decision}'"
                          f"{did_you_mean(req.decision, self.c.spec.decisions)}")
            return None
        out = decision.outcomes.get(req.outcome)
        if out is None:
            self.fail((*path, "outcome"),
                      f"'{req.outcome}' is not an outcome of {req.decision}"
                      f"{did_you_mean(req.outcome, list(decision.outcomes))}")
            return None
        if out.kind != "bool":
            self.fail((*path, "outcome"), f"'{req.outcome}' is {out.describe()}; an event "
                                          "can only require a true-or-false outcome")
            return None
        facts = self.decision_facts(req.decision, req.facts, path, event_types, [event])
        because = req.because or f"{req.decision} must answer {req.outcome}: true"
        return CompiledRequires(req.decision, facts, req.outcome, because, cites,
                                self.line(path))

    def decision_facts(
        self,
        name: str,
        given: Mapping[str, Any],
        path: Path_,
        event_types: Mapping[str, Mapping[str, ValueType]],
        triggers: list[str],
    ) -> tuple[tuple[str, FactSource], ...]:
        decision = self.policy.decisions[name]
        facts: list[tuple[str, FactSource]] = []
        for fname, raw in given.items():
            fpath = (*path, "facts", fname)
            target = decision.facts.get(fname)
            if target is None:
                self.fail(fpath, f"'{fname}' is not a fact of {name}"
                                 f"{did_you_mean(fname, list(decision.facts))}; its facts: "
                                 f"{', '.join(decision.facts)}", key=True)
                continue
            source = self.fact_source(raw, target, fpath, event_types, triggers, fname, name)
            if source is not None:
                facts.append((fname, source))
        for fname, vt in decision.facts.items():
            if not vt.optional and fname not in given:
                self.fail((*path, "facts"), f"{name} needs the fact '{fname}' "
                                            f"({vt.describe()}); say where it comes from")
        return tuple(facts)

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
