"""What the compiler produces: a compiled policy, its decisions and their rules.

These are the frozen objects the evaluator (:mod:`policyengine.evaluate`) reads: a
:class:`CompiledDecision`'s rules hold their compiled condition (``CompiledRule.condition``, a
:class:`~policyengine.expressions.Cond` whose ``fn`` is called with the facts) and ``then``
values. What depends only on these is derived once, when first read (cached properties).
Made by :mod:`policyengine.compiler`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._version import __version__
from .calendars import WorkingCalendar
from .decision import DecisionContext, DecisionSummary
from .expressions import Cond, Expr
from .facts import FactsValidator, ValueType
from .load import LoadedYaml, Path_
from .records import field, record
from .ruleindex import RuleIndex, build_index
from .schema import Citation, Interpretation, PolicyFile
from .values import FrozenDict, freeze


@record
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


@record
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


@record
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


@record
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


@record
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
    # with records.replace derives its own).

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


@record
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


@record
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
