"""Turn a validated policy file into a compiled policy: types resolved, expressions compiled,
names and enum values checked, and the static checks that need no facts run once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import __version__
from .calendars import WorkingCalendar, calendar_for
from .decision import DecisionContext, DecisionSummary
from .errors import PolicyError, Problem, did_you_mean
from .expressions import (
    CompileError,
    Cond,
    Expr,
    Scope,
    check_assignable,
    check_literal_members,
    compile_condition,
    compile_value,
)
from .facts import ALL_KINDS, MOMENT, FactsValidator, ValueType
from .load import LoadedYaml, Path_, read_yaml_file, read_yaml_text
from .ruleindex import RuleIndex, build_index
from .schema import Citation, FactType, Interpretation, PolicyFile, Rule, parse_policy
from .values import FrozenDict, freeze

#: Top-level sections a caller's section compiler compiles (the compiler imports none of them).
SECTIONS_COMPILED_ELSEWHERE = ("lifecycles",)
#: A compiler of one such section: run after the decisions, before the unused-name checks; it
#: reports problems through the compiler it is given and records its result on the policy.
SectionCompiler = Callable[["_Compiler", "CompiledPolicy"], None]

RESERVED_FACTS = ("as_of", "any", "all", "not", "holds", "always")
BUILTIN_DECISIONS = ("policy_status",)


@dataclass(frozen=True)
class CompiledCitation:
    source: str
    document: str
    clause: str
    section: str | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"document": self.document, "clause": self.clause}
        if self.section:
            out["section"] = self.section
        return out


@dataclass(frozen=True)
class CompiledNote:
    """A consideration or requirement attached to a rule."""

    id: str
    text: str
    cite: CompiledCitation | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.cite:
            out["cite"] = self.cite.to_dict()
        return out


@dataclass(frozen=True)
class CompiledRule:  # frozen, with cached views computed on first use
    id: str
    index: int
    line: int
    column: int
    condition: Cond
    then: tuple[tuple[str, Expr], ...]
    status: str | None
    considerations: tuple[CompiledNote, ...]
    requirements: tuple[CompiledNote, ...]
    because: str
    citations: tuple[CompiledCitation, ...]
    interpretations: tuple[str, ...]
    exception_to: str | None
    description: str | None

    @functools.cached_property
    def citation_dicts(self) -> tuple[FrozenDict[str, Any], ...]:
        return tuple(freeze(c.to_dict()) for c in self.citations)

    @functools.cached_property
    def consideration_dicts(self) -> tuple[FrozenDict[str, Any], ...]:
        return tuple(freeze(n.to_dict()) for n in self.considerations)

    @functools.cached_property
    def requirement_dicts(self) -> tuple[FrozenDict[str, Any], ...]:
        return tuple(freeze(n.to_dict()) for n in self.requirements)

    @functools.cached_property
    def outcome_fns(self) -> tuple[tuple[str, Any], ...]:
        """``(outcome name, compiled value)`` pairs, as the evaluator calls them."""
        return tuple((key, expr.fn) for key, expr in self.then)

    @functools.cached_property
    def note_citations(self) -> tuple[CompiledCitation, ...]:
        return tuple(n.cite for n in self.considerations + self.requirements if n.cite)


@dataclass(frozen=True)
class InterpretationNote:
    name: str
    value: Any
    note: str
    signed_off: bool
    signed_off_by: str | None = None
    signed_off_on: dt.date | None = None

    @classmethod
    def from_spec(cls, name: str, spec: Interpretation) -> InterpretationNote:
        signed = spec.signed_off or None
        return cls(name, freeze(spec.value), spec.note, signed is not None,
                   signed.by if signed else None, signed.on if signed else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _jsonable(self.value),
            "note": self.note,
            "signed_off": self.signed_off,
            "signed_off_by": self.signed_off_by,
            "signed_off_on": self.signed_off_on.isoformat() if self.signed_off_on else None,
        }


@dataclass(frozen=True)
class CompiledDecision:
    policy: CompiledPolicy
    name: str
    description: str
    facts: Mapping[str, ValueType]
    outcomes: Mapping[str, ValueType]
    hit_policy: str
    rules: tuple[CompiledRule, ...]
    validator: FactsValidator
    # indices of the rules that are exceptions to each rule
    exceptions: Mapping[int, tuple[int, ...]]
    # the order in which rules are settled: exceptions before the rules they override
    settle_order: tuple[int, ...]
    invariants: tuple[Any, ...] = ()
    line: int = 0
    fact_checks: tuple[tuple[Cond, str, str], ...] = ()
    # What follows is derived from the fields above, when first needed (so that a copy made
    # with dataclasses.replace derives its own).

    @functools.cached_property
    def where(self) -> str:
        return f"{self.policy.id}.{self.name}"

    @functools.cached_property
    def context(self) -> DecisionContext:
        """What every Decision of this decision shares (names, provenance)."""
        policy = self.policy
        return DecisionContext(policy.id, self.name, policy.about.version, policy.sha256,
                               policy.file_name, freeze(policy.calendar_record), __version__)

    @functools.cached_property
    def index(self) -> RuleIndex | None:
        """The rules by the facts they test for equality (large decisions only)."""
        return build_index([dict(r.condition.equality) for r in self.rules])

    @functools.cached_property
    def _summaries(self) -> dict[Any, DecisionSummary]:
        """The evaluator's cache: one summary (trace, citations, ...) per set of rules fired."""
        return {}

    @functools.cached_property
    def fact_check_fns(self) -> tuple[Any, ...]:
        """The fact checks' compiled conditions, in order."""
        return tuple(check.fn for check, _, _ in self.fact_checks)

    @functools.cached_property
    def conditions(self) -> tuple[Any, ...]:
        """The rules' compiled conditions, in order."""
        return tuple(rule.condition.fn for rule in self.rules)

    @functools.cached_property
    def overrides(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """``(rule, its exceptions)`` in the order rules are settled (exceptions first)."""
        return tuple((i, self.exceptions[i]) for i in self.settle_order if i in self.exceptions)

    @functools.cached_property
    def mode(self) -> str:
        """How the evaluator runs it: 'first', 'unique' or 'collect' rule by rule, or 'settle'
        (exceptions: every condition first)."""
        return "settle" if self.exceptions else self.hit_policy


@dataclass(frozen=True)
class PolicyAbout:
    """What decisions read of a policy's own description, taken when it is compiled."""

    organisation: str
    title: str
    version: str
    status: str
    status_note: str | None
    issued: dt.date | None
    review_due: dt.date | None
    review_note: str | None
    interpretations: tuple[str, ...]
    cite: tuple[CompiledCitation, ...]
    line: int


@dataclass(frozen=True)
class CompiledPolicy:
    id: str
    file: str
    text: str
    sha256: str
    spec: PolicyFile
    loaded: LoadedYaml
    calendar: WorkingCalendar
    closes_at: dt.time | None
    interpretations: Mapping[str, InterpretationNote]
    decisions: Mapping[str, CompiledDecision] = field(default_factory=dict)
    # case lifecycles by name, filled by the "lifecycles" section compiler that the loader
    # passes in (policyengine.lifecycle; typed there by lifecycles_of); run by policyengine.monitor
    lifecycles: Mapping[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> Any:
        return self.spec.policy

    @functools.cached_property
    def about(self) -> PolicyAbout:
        """The policy's description as decisions read it (taken when compiled)."""
        meta = self.spec.policy
        return PolicyAbout(
            meta.organisation, meta.title, meta.version, meta.status, meta.status_note,
            meta.issued, meta.review_due, meta.review_note, tuple(meta.interpretations),
            tuple(self.citation(c) for c in meta.cite), self.loaded.position(("policy",)).line,
        )

    @functools.cached_property
    def file_name(self) -> str:
        return Path(self.file).name

    @functools.cached_property
    def calendar_record(self) -> FrozenDict[str, Any]:
        """The calendar a decision used, as recorded in ``Decision.to_dict()``."""
        record: dict[str, Any] = {
            "nation": self.calendar.nation,
            "data_version": self.calendar.data_version,
        }
        spec = self.spec.calendar
        if spec.closure_days:
            record["closure_days"] = [d.isoformat() for d in spec.closure_days]
        if spec.open_days:
            record["open_days"] = [d.isoformat() for d in spec.open_days]
        if self.closes_at is not None:
            record["office_closes_at"] = self.closes_at.strftime("%H:%M")
        frozen: FrozenDict[str, Any] = freeze(record)
        return frozen

    @functools.cached_property
    def interpretation_dicts(self) -> FrozenDict[str, FrozenDict[str, Any]]:
        notes: FrozenDict[str, FrozenDict[str, Any]] = freeze(
            {name: note.to_dict() for name, note in self.interpretations.items()}
        )
        return notes

    @functools.cached_property
    def _warnings_cache(self) -> dict[dt.date, tuple[str, ...]]:
        """The evaluator's cache of the policy's warnings, by decision date."""
        return {}

    def citation(self, cite: Citation) -> CompiledCitation:
        return CompiledCitation(
            cite.source, self.spec.sources[cite.source].file, cite.quote, cite.section
        )

    @property
    def all_citations(self) -> list[tuple[Path_, CompiledCitation]]:
        """Every citation in the file with its path (for the source check)."""
        found: list[tuple[Path_, CompiledCitation]] = []
        for i, c in enumerate(self.spec.policy.cite):
            found.append((("policy", "cite", i, "quote"), self.citation(c)))
        for dname, d in self.spec.decisions.items():
            for ri, rule in enumerate(d.rules):
                base: Path_ = ("decisions", dname, "rules", ri)
                single = isinstance(self.loaded.data["decisions"][dname]["rules"][ri]["cite"], dict)
                for ci, c in enumerate(rule.cite):
                    where: Path_ = (
                        (*base, "cite", "quote") if single else (*base, "cite", ci, "quote")
                    )
                    found.append((where, self.citation(c)))
                for kind in ("considerations", "requirements"):
                    for ni, note in enumerate(getattr(rule, kind)):
                        if note.cite:
                            found.append(((*base, kind, ni, "cite", "quote"),
                                          self.citation(note.cite)))
        found.extend(self._raw_citations(self.loaded.data.get("lifecycles"), ("lifecycles",)))
        return found

    def _raw_citations(self, node: Any, path: Path_) -> list[tuple[Path_, CompiledCitation]]:
        """Citations anywhere under a section the compiler validated (e.g. lifecycles)."""
        found: list[tuple[Path_, CompiledCitation]] = []
        if isinstance(node, list):
            for i, value in enumerate(node):
                found.extend(self._raw_citations(value, (*path, i)))
        elif isinstance(node, dict):
            for key, value in node.items():
                if key != "cite":
                    found.extend(self._raw_citations(value, (*path, key)))
                elif isinstance(value, dict):
                    found.extend(self._one_citation(value, (*path, "cite", "quote")))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        found.extend(self._one_citation(item, (*path, "cite", i, "quote")))
        return found

    def _one_citation(self, item: Any, path: Path_) -> list[tuple[Path_, CompiledCitation]]:
        if isinstance(item, dict) and item.get("source") in self.spec.sources:
            return [(path, self.citation(Citation.model_validate(item)))]
        return []


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class _Compiler:
    def __init__(
        self, loaded: LoadedYaml, spec: PolicyFile,
        sections: Mapping[str, SectionCompiler] | None = None,
    ) -> None:
        self.loaded = loaded
        self.spec = spec
        self.sections: Mapping[str, SectionCompiler] = sections or {}
        self.problems: list[Problem] = []
        self.used_interpretations: set[str] = set()
        self.used_sources: set[str] = set()
        self.named_types: dict[str, ValueType] = {}

    def fail(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.problems.append(self.loaded.problem(path, message, key=key))

    # ---------------------------------------------------------------- types
    def resolve_type(self, ft: FactType, path: Path_, stack: tuple[str, ...] = ()) -> ValueType:
        kind = ft.type
        if kind not in ALL_KINDS:
            if kind in self.spec.types:
                if kind in stack:
                    raise CompileError(self.loaded.problem(path, f"type '{kind}' refers to itself"))
                base = self.resolve_type(
                    self.spec.types[kind], ("types", kind), (*stack, kind)
                )
                return ValueType(
                    base.kind, base.values, base.ordered, base.of, base.fields,
                    ft.optional or base.optional, kind, base.minimum, base.maximum,
                    base.max_items,
                )
            known = [*ALL_KINDS, *self.spec.types]
            hint = did_you_mean(kind, known)
            raise CompileError(
                self.loaded.problem((*path, "type"), f"unknown type '{kind}'{hint}; "
                                    f"known types: {', '.join(known)}")
            )
        if kind == "enum":
            if not ft.values:
                raise CompileError(self.loaded.problem(path, "an enum needs a list of 'values'"))
            if len(set(ft.values)) != len(ft.values):
                raise CompileError(self.loaded.problem((*path, "values"), "an enum value repeats"))
            return ValueType("enum", tuple(ft.values), ft.ordered, optional=ft.optional)
        if ft.values is not None or ft.ordered:
            raise CompileError(
                self.loaded.problem(path, f"'values' and 'ordered' belong to enums, not {kind}")
            )
        if kind == "list":
            if ft.of is None:
                raise CompileError(self.loaded.problem(path, "a list needs 'of': its item type"))
            of = self.resolve_type(ft.of, (*path, "of"), stack)
            return ValueType("list", of=of, optional=ft.optional, max_items=ft.max_items or 10_000)
        if kind == "record":
            if not ft.fields:
                raise CompileError(self.loaded.problem(path, "a record needs 'fields'"))
            fields = tuple(
                (name, self.resolve_type(sub, (*path, "fields", name), stack))
                for name, sub in ft.fields.items()
            )
            return ValueType("record", fields=fields, optional=ft.optional)
        return ValueType(kind, optional=ft.optional, minimum=ft.minimum, maximum=ft.maximum)

    # ------------------------------------------------------------ citations
    def check_citation(self, cite: Citation, path: Path_) -> None:
        if cite.source not in self.spec.sources:
            self.fail((*path, "source"),
                      f"unknown source '{cite.source}'; sources: {', '.join(self.spec.sources)}")
        else:
            self.used_sources.add(cite.source)
        if len(cite.quote.strip()) < 8:
            self.fail((*path, "quote"), "a citation quotes the clause it encodes (8+ characters)")

    # ------------------------------------------------------------- policy
    def compile(self, file: str, text: str, *, decisions_only: bool = False) -> CompiledPolicy:
        spec = self.spec
        for name, ft in spec.types.items():
            try:
                self.named_types[name] = self.resolve_type(ft, ("types", name), (name,))
            except CompileError as exc:
                self.problems.append(exc.problem)
        closes_at = None
        if spec.calendar.office_closes_at:
            hh, mm = spec.calendar.office_closes_at.split(":")
            closes_at = dt.time(int(hh), int(mm))
            if not spec.calendar.office_closes_at_interpretation:
                self.fail(("calendar", "office_closes_at"),
                          "an office closing time goes beyond the text: name the interpretation "
                          "that records it in 'office_closes_at_interpretation'")
        for key in ("office_closes_at_interpretation",):
            ref = getattr(spec.calendar, key)
            if ref:
                self._use_interpretation(ref, ("calendar", key))
        for i, c in enumerate(spec.policy.cite):
            self.check_citation(c, ("policy", "cite", i))
        for i, ref in enumerate(spec.policy.interpretations):
            self._use_interpretation(ref, ("policy", "interpretations", i))
        calendar = calendar_for(spec.policy.nation,
                                spec.calendar.closure_days, spec.calendar.open_days)
        interps = MappingProxyType({
            name: InterpretationNote.from_spec(name, i)
            for name, i in spec.interpretations.items()
        })
        policy = CompiledPolicy(
            id=spec.policy.id,
            file=file,
            text=text,
            sha256=self.loaded.sha256,
            spec=spec,
            loaded=self.loaded,
            calendar=calendar,
            closes_at=closes_at,
            interpretations=interps,
        )
        decisions: dict[str, CompiledDecision] = {}
        object.__setattr__(policy, "decisions", decisions)  # filled as each compiles
        for dname in spec.decisions:
            path: Path_ = ("decisions", dname)
            if dname in BUILTIN_DECISIONS:
                self.fail(path, f"'{dname}' is built in to every policy; choose another name",
                          key=True)
                continue
            compiled = self.compile_decision(policy, dname, path)
            if compiled is not None:
                decisions[dname] = compiled
        if not decisions_only:
            for compile_section in self.sections.values():
                compile_section(self, policy)
            for key in SECTIONS_COMPILED_ELSEWHERE:
                if self.loaded.data.get(key) and key not in self.sections:
                    self.fail((key,), f"the '{key}' section is compiled by "
                                      f"policyengine.{key[:-1]}: load this file with "
                                      "policyengine.load_policies or "
                                      "policyengine.policyset.compile_policy_file", key=True)
        if self.problems:  # unused names are only meaningful once everything else compiles
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise PolicyError(self.problems)
        object.__setattr__(policy, "decisions", MappingProxyType(decisions))
        # what decisions read of the file, taken now: later changes to the parsed file (spec,
        # loaded) change no decision
        for part in ("about", "calendar_record", "interpretation_dicts", "file_name"):
            getattr(policy, part)
        if decisions_only:  # names only the lifecycles use would look unused
            return policy
        for name in spec.interpretations:
            if name not in self.used_interpretations:
                self.fail(("interpretations", name),
                          f"interpretation '{name}' is not used by any rule", key=True)
        for name in spec.sources:
            if name not in self.used_sources:
                self.fail(("sources", name), f"source '{name}' is not cited by any rule", key=True)
        for name in spec.types:
            used = _mentions_type(spec.types, name, skip=name) or any(
                _mentions_type(d.facts, name)
                or _mentions_type({k: o.of for k, o in d.outcomes.items() if o.of}, name)
                or any(o.type == name for o in d.outcomes.values())
                for d in spec.decisions.values()
            )
            if not used:
                self.fail(("types", name), f"type '{name}' is not used by any fact", key=True)
        if self.problems:
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise PolicyError(self.problems)
        return policy

    def _use_interpretation(self, name: str, path: Path_) -> None:
        if name not in self.spec.interpretations:
            hint = did_you_mean(name, self.spec.interpretations)
            self.fail(path, f"unknown interpretation '{name}'{hint}")
        else:
            self.used_interpretations.add(name)

    def compile_decision(
        self, policy: CompiledPolicy, dname: str, path: Path_
    ) -> CompiledDecision | None:
        dspec = self.spec.decisions[dname]
        before = len(self.problems)
        facts: dict[str, ValueType] = {}
        for fname, ft in dspec.facts.items():
            fpath = (*path, "facts", fname)
            if fname in RESERVED_FACTS:
                self.fail(fpath, f"'{fname}' is a reserved word; name the fact otherwise", key=True)
                continue
            try:
                facts[fname] = self.resolve_type(ft, fpath)
            except CompileError as exc:
                self.problems.append(exc.problem)
        outcomes: dict[str, ValueType] = {}
        for oname, ospec in dspec.outcomes.items():
            opath = (*path, "outcomes", oname)
            if oname in ("status", "considerations", "requirements"):
                self.fail(opath, f"'{oname}' is set by the rules' own keys, not as an outcome",
                          key=True)
                continue
            if ospec.type == "moment":  # a date for some facts, a date-time for others
                outcomes[oname] = MOMENT
                continue
            try:
                outcomes[oname] = self.resolve_type(
                    FactType(type=ospec.type, values=ospec.values, of=ospec.of), opath
                )
            except CompileError as exc:
                self.problems.append(exc.problem)
        if len(self.problems) > before:
            return None
        scope = Scope(
            loaded=self.loaded,
            facts=facts,
            outcomes=outcomes,
            interpretations={k: freeze(v.value) for k, v in self.spec.interpretations.items()},
        )
        checks: list[tuple[Cond, str, str]] = []
        for ci, check in enumerate(dspec.fact_checks):
            cpath = (*path, "fact_checks", ci)
            if check.fact not in facts:
                self.fail((*cpath, "fact"), f"'{check.fact}' is not a fact of {dname}")
                continue
            try:
                checks.append(
                    (compile_condition(check.require, (*cpath, "require"), scope),
                     check.message, check.fact)
                )
            except CompileError as exc:
                self.problems.append(exc.problem)
        rules: list[CompiledRule] = []
        ids: dict[str, int] = {}
        for ri, rspec in enumerate(dspec.rules):
            rpath = (*path, "rules", ri)
            if rspec.id in ids:
                first = self.loaded.position((*path, "rules", ids[rspec.id], "id")).line
                self.fail((*rpath, "id"), f"rule id '{rspec.id}' is used twice in {dname} "
                                          f"(first at line {first}); give each rule its own id")
                continue
            ids[rspec.id] = ri
            scope.rule = rspec.id
            if dspec.hit_policy != "collect":
                scope.defined_outcomes = set()  # only one rule's outcomes are ever combined
            try:
                rules.append(self.compile_rule(policy, rspec, ri, rpath, scope))
            except CompileError as exc:
                self.problems.append(exc.problem)
        if len(self.problems) > before:
            return None
        exceptions: dict[int, list[int]] = {}
        for rule in rules:
            if rule.exception_to is None:
                continue
            target = ids.get(rule.exception_to)
            rpath = (*path, "rules", rule.index, "exception_to")
            if target is None:
                self.fail(rpath, f"'{rule.exception_to}' is not a rule of {dname}")
            elif target == rule.index:
                self.fail(rpath, "a rule cannot be an exception to itself")
            else:
                exceptions.setdefault(target, []).append(rule.index)
        for rule in rules:
            if rule.id in scope.outcomes_in_conditions and (
                dspec.hit_policy != "collect" or exceptions
            ):
                self.fail((*path, "rules", rule.index, "when"),
                          "a condition may read an outcome only in a 'collect' decision without "
                          "exceptions, where rules run in order")
        order = _settle_order(len(rules), exceptions)
        if order is None:
            self.fail((*path, "rules"), "exceptions in this decision form a cycle")
            return None
        if dspec.hit_policy == "first":
            for target, excs in exceptions.items():
                for e in excs:
                    if e > target:
                        self.fail((*path, "rules", e, "exception_to"),
                                  "under the 'first' hit policy an exception must come before "
                                  "the rule it overrides")
        line = self.loaded.position(path, key=True)
        # facts no expression reads value by value are converted only when a decision's facts
        # are read
        validator = FactsValidator(self.spec.policy.id, dname, facts,
                                   deferred=set(facts) - scope.read_facts)
        return CompiledDecision(
            policy=policy,
            name=dname,
            description=dspec.description,
            facts=MappingProxyType(facts),
            outcomes=MappingProxyType(outcomes),
            hit_policy=dspec.hit_policy,
            rules=tuple(rules),
            validator=validator,
            exceptions=MappingProxyType({k: tuple(v) for k, v in exceptions.items()}),
            settle_order=tuple(order),
            invariants=tuple(dspec.invariants),
            line=line.line,
            fact_checks=tuple(checks),
        )

    def compile_rule(
        self, policy: CompiledPolicy, rspec: Rule, index: int, path: Path_, scope: Scope
    ) -> CompiledRule:
        scope.in_condition = True
        try:
            cond = compile_condition(rspec.when, (*path, "when"), scope)
        finally:
            scope.in_condition = False
        then: list[tuple[str, Expr]] = []
        interps = set(cond.interpretations)
        for key, node in rspec.then.items():
            vpath = (*path, "then", key)
            if key not in scope.outcomes:
                hint = did_you_mean(key, scope.outcomes)
                raise scope.fail(
                    vpath,
                    f"unknown outcome '{key}'{hint}; declare it under this decision's 'outcomes'"
                    f" (declared: {', '.join(scope.outcomes) or 'none'})",
                    key=True,
                )
            target = scope.outcomes[key]
            check_literal_members(node, target, vpath, scope, key)
            expr = compile_value(node, vpath, scope)
            check_assignable(expr, target, vpath, scope, key)
            then.append((key, expr))
            interps |= expr.interpretations
            scope.defined_outcomes.add(key)
            if expr.uses_working_days_from_datetime and policy.closes_at is not None:
                ref = self.spec.calendar.office_closes_at_interpretation
                if ref:
                    interps.add(ref)
        for i, ref in enumerate(rspec.interpretations):
            self._use_interpretation(ref, (*path, "interpretations", i))
        interps |= set(rspec.interpretations)
        for name in interps:
            self.used_interpretations.add(name)
        if rspec.considerations and rspec.status != "needs_judgement":
            raise scope.fail((*path, "considerations"),
                             "considerations belong to a rule whose status is needs_judgement")
        if rspec.status == "needs_judgement" and not rspec.considerations:
            raise scope.fail((*path, "status"),
                             "a needs_judgement rule lists the considerations a person must weigh")
        for i, c in enumerate(rspec.cite):
            self.check_citation(c, (*path, "cite", i))
        notes: dict[str, list[CompiledNote]] = {"considerations": [], "requirements": []}
        for kind in notes:
            for ni, note in enumerate(getattr(rspec, kind)):
                if note.cite:
                    self.check_citation(note.cite, (*path, kind, ni, "cite"))
                notes[kind].append(CompiledNote(
                    note.id, note.text, policy.citation(note.cite) if note.cite and
                    note.cite.source in self.spec.sources else None))
        pos = self.loaded.position(path)
        cites = tuple(
            policy.citation(c) for c in rspec.cite if c.source in self.spec.sources
        )
        return CompiledRule(
            id=rspec.id,
            index=index,
            line=pos.line,
            column=pos.column,
            condition=cond,
            then=tuple(then),
            status=rspec.status,
            considerations=tuple(notes["considerations"]),
            requirements=tuple(notes["requirements"]),
            because=rspec.because or cond.text,
            citations=cites,
            interpretations=tuple(sorted(interps)),
            exception_to=rspec.exception_to,
            description=rspec.description,
        )


def _mentions_type(facts: Mapping[str, FactType], name: str, skip: str | None = None) -> bool:
    for key, ft in facts.items():
        if key == skip:
            continue
        if ft.type == name:
            return True
        if ft.of is not None and _mentions_type({"of": ft.of}, name):
            return True
        if ft.fields and _mentions_type(ft.fields, name):
            return True
    return False


def _settle_order(n: int, exceptions: Mapping[int, list[int]]) -> list[int] | None:
    """Rules in an order where every exception is settled before the rule it overrides."""
    order: list[int] = []
    state = [0] * n  # 0 new, 1 visiting, 2 done

    def visit(i: int) -> bool:
        if state[i] == 2:
            return True
        if state[i] == 1:
            return False
        state[i] = 1
        for e in exceptions.get(i, []):
            if not visit(e):
                return False
        state[i] = 2
        order.append(i)
        return True

    for i in range(n):
        if not visit(i):
            return None
    return order


def compile_policy_text(
    text: str, file: str, sections: Mapping[str, SectionCompiler] | None = None, *,
    sha256: str | None = None,
) -> CompiledPolicy:
    """The compiled policy in ``text``, its further ``sections`` compiled by the compilers given
    (policyengine.policyset.compile_policy_text gives them all). ``sha256`` is the digest to
    record for it (the file's bytes, when the text was read from a file elsewhere); by default
    that of the text's UTF-8."""
    loaded = read_yaml_text(text, file)
    if sha256 is not None:
        loaded.sha256 = sha256
    spec = parse_policy(loaded)
    return _Compiler(loaded, spec, sections).compile(file, text)


def compile_policy_file(
    path: Path, sections: Mapping[str, SectionCompiler] | None = None, *,
    decisions_only: bool = False,
) -> CompiledPolicy:
    """The compiled policy in ``path``, its further ``sections`` compiled by the compilers given.
    With ``decisions_only`` its case lifecycles are left out (and not checked), for a process
    that only takes decisions."""
    loaded = read_yaml_file(path)
    spec = parse_policy(loaded)
    return _Compiler(loaded, spec, sections).compile(str(path), loaded.text,
                                                     decisions_only=decisions_only)
