"""The answer to one decision: status, outcome, and everything needed to explain and replay it.

A :class:`Decision` is a value. Nothing in it can be changed: its attributes cannot be set, its
outcome and facts are :class:`~policyengine.values.FrozenDict` (lists in them are
:class:`~policyengine.values.FrozenList`), and its trace, citations and interpretations are tuples
of frozen records. What depends only on the rules that fired (trace, citations,
interpretations, status) is built once per set of rules and shared by every decision with that
set; what depends on the facts (outcome, facts, warnings) belongs to the decision alone.
``to_dict()`` gives a fresh plain copy to edit or serialise.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError
from typing import Any

from .durations import format_moment
from .records import record
from .runtime import engine_version, runtime_versions
from .values import FrozenDict, FrozenList, freeze

#: A decision's possible statuses, weakest first: when several rules set one, the strongest wins.
STATUSES = ("decided", "needs_judgement", "not_applicable")
STATUS_STRENGTH = {status: rank for rank, status in enumerate(STATUSES)}


def to_json_value(value: Any) -> Any:
    """Outcome values as JSON: dates 'YYYY-MM-DD', date-times London local time with offset."""
    if isinstance(value, dt.date):
        return format_moment(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """A plain (mutable) deep copy of frozen JSON-like data."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@record
class TraceStep:
    """One rule that was considered: whether it fired, why, and what it cites."""

    rule: str
    fired: bool
    because: str
    line: int
    citations: tuple[dict[str, Any], ...] = ()
    note: str | None = None
    sets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not all(type(c) is FrozenDict for c in self.citations):
            object.__setattr__(self, "citations", tuple(freeze(c) for c in self.citations))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "fired": self.fired,
            "because": self.because,
            "line": self.line,
        }
        if self.sets:
            out["sets"] = list(self.sets)
        if self.note:
            out["note"] = self.note
        if self.citations:
            out["citations"] = [_plain(c) for c in self.citations]
        return out


@record(eq=False)
class DecisionContext:
    """What every decision of one compiled decision shares: names and provenance."""

    policy: str
    decision: str
    policy_version: str
    policy_sha256: str
    policy_file: str
    calendar: FrozenDict[str, Any]
    engine_version: str


@record(eq=False)
class DecisionSummary:
    """What depends only on the rules that fired: built once per set of rules, then shared."""

    status: str
    trace: tuple[TraceStep, ...]
    citations: tuple[FrozenDict[str, Any], ...]
    interpretations: tuple[FrozenDict[str, Any], ...]
    #: the considerations and requirements lists put in the outcome, or None when not shown
    notes: tuple[FrozenList[Any], FrozenList[Any]] | None
    fired: tuple[str, ...]
    #: whether every rule considered was asked for, not only those fired
    full_trace: bool = False


LazyFacts = Callable[[], FrozenDict[str, Any]]

_FIELDS = (
    "policy", "decision", "status", "outcome", "trace", "citations", "interpretations",
    "warnings", "as_of", "facts", "policy_version", "policy_sha256", "policy_file", "calendar",
    "engine_version", "full_trace",
)


class Decision:
    """What a policy decided for a set of facts on a date. Immutable, all the way down."""

    # (context, summary, outcome, as_of, warnings, facts or a function that builds them): one
    # tuple, set once, so that making a Decision is one assignment
    __slots__ = ("_built_facts", "_v")

    _v: tuple[DecisionContext, DecisionSummary, FrozenDict[str, Any], dt.date, tuple[str, ...],
              FrozenDict[str, Any] | LazyFacts]
    _built_facts: FrozenDict[str, Any]

    def __init__(
        self,
        policy: str,
        decision: str,
        status: str,
        outcome: Mapping[str, Any],
        trace: tuple[TraceStep, ...],
        citations: tuple[Mapping[str, Any], ...],
        interpretations: tuple[Mapping[str, Any], ...],
        warnings: tuple[str, ...],
        as_of: dt.date,
        facts: Mapping[str, Any] | None = None,
        policy_version: str = "",
        policy_sha256: str = "",
        policy_file: str = "",
        calendar: Mapping[str, Any] | None = None,
        engine_version: str = "",
        full_trace: bool = False,
    ) -> None:
        trace = tuple(trace)
        context = DecisionContext(policy, decision, policy_version, policy_sha256, policy_file,
                                  freeze(dict(calendar or {})), engine_version)
        summary = DecisionSummary(
            status, trace, tuple(freeze(c) for c in citations),
            tuple(freeze(i) for i in interpretations), None,
            tuple(s.rule for s in trace if s.fired), bool(full_trace),
        )
        _init(self, context, summary, freeze(dict(outcome)), as_of, tuple(warnings),
              freeze(dict(facts or {})))

    # -- what a decision holds -----------------------------------------------------------------

    @property
    def _context(self) -> DecisionContext:
        return self._v[0]

    @property
    def _summary(self) -> DecisionSummary:
        return self._v[1]

    @property
    def policy(self) -> str:
        return self._v[0].policy

    @property
    def decision(self) -> str:
        return self._v[0].decision

    @property
    def status(self) -> str:
        return self._v[1].status

    @property
    def outcome(self) -> FrozenDict[str, Any]:
        return self._v[2]

    @property
    def trace(self) -> tuple[TraceStep, ...]:
        return self._v[1].trace

    @property
    def citations(self) -> tuple[FrozenDict[str, Any], ...]:
        return self._v[1].citations

    @property
    def interpretations(self) -> tuple[FrozenDict[str, Any], ...]:
        return self._v[1].interpretations

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._v[4]

    @property
    def as_of(self) -> dt.date:
        return self._v[3]

    @property
    def facts(self) -> FrozenDict[str, Any]:
        """The facts as validated (dates and date-times as Python values), built when read."""
        facts = self._v[5]
        if isinstance(facts, FrozenDict):
            return facts
        try:
            return self._built_facts
        except AttributeError:
            built = facts()
            object.__setattr__(self, "_built_facts", built)
            return built

    @property
    def policy_version(self) -> str:
        return self._v[0].policy_version

    @property
    def policy_sha256(self) -> str:
        return self._v[0].policy_sha256

    @property
    def policy_file(self) -> str:
        return self._v[0].policy_file

    @property
    def calendar(self) -> FrozenDict[str, Any]:
        return self._v[0].calendar

    @property
    def engine_version(self) -> str:
        return self._v[0].engine_version

    @property
    def full_trace(self) -> bool:
        """Whether every rule considered was asked for (``full_trace=True``), not only those
        that fired."""
        return self._v[1].full_trace

    @property
    def fired_rules(self) -> list[str]:
        return list(self._v[1].fired)

    # -- a value ---------------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field '{name}': a Decision is a value")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field '{name}': a Decision is a value")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self is other or self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Decision({inner})"

    def __reduce__(self) -> Any:
        return (_rebuild, (tuple(_plain_field(getattr(self, name)) for name in _FIELDS),))

    # -- records ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record of the decision, enough to reproduce it later."""
        context, summary, outcome, as_of, warnings, _ = self._v
        return {
            "policy": context.policy,
            "decision": context.decision,
            "status": summary.status,
            "outcome": to_json_value(outcome),
            "trace": [s.to_dict() for s in summary.trace],
            "citations": [_plain(c) for c in summary.citations],
            "interpretations": [_plain(i) for i in summary.interpretations],
            "warnings": list(warnings),
            "as_of": as_of.isoformat(),
            "facts": to_json_value(self.facts),
            "provenance": {
                "policy_file": context.policy_file,
                "policy_version": context.policy_version,
                "policy_sha256": context.policy_sha256,
                "calendar": _plain(context.calendar),
                "engine_version": engine_version(),
                **runtime_versions(),
                "full_trace": summary.full_trace,
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


_set_v = Decision._v.__set__  # type: ignore[attr-defined,misc]


def _init(
    self: Decision,
    context: DecisionContext,
    summary: DecisionSummary,
    outcome: FrozenDict[str, Any],
    as_of: dt.date,
    warnings: tuple[str, ...],
    facts: FrozenDict[str, Any] | LazyFacts,
) -> None:
    _set_v(self, (context, summary, outcome, as_of, warnings, facts))


_new = object.__new__


def make_decision(
    context: DecisionContext,
    summary: DecisionSummary,
    outcome: FrozenDict[str, Any],
    as_of: dt.date,
    warnings: tuple[str, ...],
    facts: FrozenDict[str, Any] | LazyFacts,
) -> Decision:
    """The evaluator's constructor: every part already frozen (or, for facts, built when read)."""
    self: Decision = _new(Decision)
    _set_v(self, (context, summary, outcome, as_of, warnings, facts))
    return self


def _plain_field(value: Any) -> Any:
    if isinstance(value, FrozenDict | FrozenList):
        return _plain(value)
    if isinstance(value, tuple) and value and isinstance(value[0], FrozenDict):
        return tuple(_plain(v) for v in value)
    return value


def _rebuild(values: tuple[Any, ...]) -> Decision:
    return Decision(**dict(zip(_FIELDS, values, strict=True)))
