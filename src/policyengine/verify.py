"""Verify policies: static checks of every decision's rules, and property-based checks.

``verify`` needs no code per policy. For each decision it:

1. **Static checks.** Enumerates the finite part of the decision's fact space (enum values,
   booleans, and the presence or absence of optional facts), exhaustively when the product is
   small (at most :data:`EXHAUSTIVE_LIMIT` combinations) and otherwise as a large deterministic
   sample, with dates, date-times, numbers, strings, lists and records filled with a few
   representative values (including the literals the policy's own conditions compare against).
   Every rule's compiled condition is evaluated on each combination, exceptions are applied as
   :mod:`~policyengine.evaluate` applies them, and it reports:

   * ``gap``: under ``first`` or ``unique``, facts that no rule answers (under ``collect``: facts
     for which no rule sets anything, so the decision would be "decided" with no outcome);
   * ``overlap``: under ``unique``, two rules that both apply; under ``collect``, two rules that
     both apply and set the same single-valued outcome to different values;
   * ``masked``: a rule that never fires because earlier rules (under ``first``) or its
     exceptions always take its cases; ``never_applies``: a rule whose condition never holds;
   * ``duplicate``: two rules with the same condition (truth table) and the same ``then``;
   * ``facts_error``: a rule whose ``then`` needs an optional fact the facts may leave out;
   * ``empty_outcome``: a chosen rule that leaves a "decided" decision with no outcome.

2. **Property checks** with hypothesis, from strategies built from each decision's declared fact
   types: every decision, run on generated facts and ``as_of`` dates, must raise nothing but a
   :class:`~policyengine.errors.FactsError` for facts its schema or ``fact_checks`` reject, and
   must return a well-formed :class:`~policyengine.decision.Decision` (kinds ``crash``,
   ``facts_error``, ``policy_error``, ``malformed``). An optional fact given as JSON ``null``
   (which the schema accepts) must decide as if it were left out (kind ``null_fact``).

3. **Invariants** declared under a decision's ``invariants``, checked over generated facts (kind
   ``invariant``):

   * ``monotone`` (``fact``, ``outcome``): raising the ordered enum ``fact`` one step, all else
     equal, never drops an item from the list ``outcome``;
   * ``always`` (``when``, ``require``): conditions over the facts and outcomes;
   * ``date_on_or_after`` (``outcome``, ``start``): the outcome is not before ``start`` (a date
     fact, a date outcome or ``as_of``), comparing London dates;
   * ``working_day`` (``outcome``): the outcome falls on a working day of the policy's calendar;
   * ``status_in`` (``statuses``): the decision's status is one of these.

   Every kind but ``monotone`` may have a ``when`` condition limiting where it applies. A bad
   invariant (an unknown name, a fact that is not ordered, ...) is a :class:`PolicyError` with
   its file, line and column.

Every finding names the file, line, decision and rules, with an example fact set as JSON that can
be pasted into ``policyengine decide POLICY DECISION --facts - --as-of DATE``; a failing property
gives hypothesis's shrunk counter-example.

Static findings that depend on representative values (``never_applies``, ``masked``,
``duplicate``) are dropped when the generated facts of the property checks show them false.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import shlex
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calendars import WorkingCalendar
from .compiler import STATUSES, CompiledDecision, CompiledPolicy, CompiledRule
from .decision import Decision, to_json_value
from .durations import LONDON, Duration, add_duration, parse_duration, to_london
from .errors import FactsError, PolicyEngineError, PolicyError, Problem
from .evaluate import evaluate
from .expressions import (
    COMPARISONS,
    ORDER_TESTS,
    Absent,
    CompileError,
    Cond,
    Env,
    Scope,
    compile_condition,
    in_sample,
)
from .facts import ValueType
from .load import Path_
from .policyset import BUNDLED_POLICIES, PolicySet, load_policies

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "DEFAULT_EFFORT",
    "EXHAUSTIVE_LIMIT",
    "Finding",
    "PropertyStat",
    "StaticStat",
    "VerifyReport",
    "add_cli",
    "verify_policies",
]

#: At most this many combinations of a decision's facts are enumerated exhaustively.
EXHAUSTIVE_LIMIT = 20_000
#: The default number of generated fact sets per property (``--effort``).
DEFAULT_EFFORT = 200
#: The decision date of the static checks, and the representative dates either side of it.
STATIC_AS_OF = dt.date(2026, 2, 2)
FIRST_DATE = dt.date(2026, 1, 12)
LATER_DATE = dt.date(2026, 4, 13)
EARLIER_DATE = dt.date(2025, 11, 10)
#: The range of generated dates and decision dates.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2090, 12, 31)
#: Most generated dates fall in a few years around the representative ones, so that facts and
#: ``as_of`` land close enough together for the comparisons between them to go either way.
NEAR_MIN = dt.date(2024, 1, 1)
NEAR_MAX = dt.date(2028, 12, 31)

_DATEISH = ("date", "datetime", "moment")
_STATUS_WEIGHT = {"decided": 0, "needs_judgement": 1, "not_applicable": 2}
_ENGINE_KEYS = ("considerations", "requirements")
_MAX_LIST = 6
_MAX_INT_REPS = 9
_MAX_DURATIONS = 3
_MAX_SEEDS = 500


class VerifyInputError(PolicyEngineError):
    """Bad input to ``verify`` that is not a policy problem (e.g. a bad ``--effort``)."""


# ----------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Finding:
    """One problem found in a decision, with an example fact set when there is one."""

    kind: str
    policy: str
    file: str
    line: int
    decision: str
    rules: tuple[str, ...]
    message: str
    facts: dict[str, Any] | None = None  # JSON values: pasteable into `policyengine decide`
    as_of: str | None = None
    check: str = "static"  # "static", "well_formed" or the id of the invariant

    @property
    def facts_json(self) -> str | None:
        """The example facts as a JSON object, or ``None`` when the finding has no example."""
        if self.facts is None:
            return None
        return json.dumps(self.facts, sort_keys=True, ensure_ascii=False)

    def command(self) -> str | None:
        """A shell command that replays the example with ``policyengine decide``."""
        text = self.facts_json
        if text is None:
            return None
        parts = ["policyengine", "decide", self.policy, self.decision, "--facts", "-"]
        if self.as_of:
            parts += ["--as-of", self.as_of]
        if not _is_bundled(self.file):
            parts += ["--policies", self.file]
        return f"echo {shlex.quote(text)} | " + " ".join(shlex.quote(p) for p in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "policy": self.policy,
            "file": self.file,
            "line": self.line,
            "decision": self.decision,
            "rules": list(self.rules),
            "message": self.message,
            "facts": self.facts,
            "as_of": self.as_of,
            "check": self.check,
        }

    def to_text(self) -> str:
        lines = [f"{self.file}:{self.line}: {self.kind}: {self.policy}.{self.decision}: "
                 f"{self.message}"]
        if self.rules:
            lines.append(f"    rules:  {', '.join(self.rules)}")
        if self.facts_json is not None:
            lines.append(f"    facts:  {self.facts_json}")
            if self.as_of:
                lines.append(f"    as_of:  {self.as_of}")
            lines.append(f"    replay: {self.command()}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StaticStat:
    """How much of one decision's fact space the static checks covered."""

    policy: str
    decision: str
    combinations: int  # fact sets evaluated
    space: int  # size of the (representative) fact space
    exhaustive: bool
    rejected: int  # combinations the schema or the fact checks reject


@dataclass(frozen=True)
class PropertyStat:
    """How many generated fact sets one property of one decision was run on."""

    policy: str
    decision: str
    property: str  # "well_formed" or an invariant's id
    kind: str  # "well_formed", "monotone", "always", "date_on_or_after", ...
    tried: int  # generated fact sets run (including hypothesis's shrinking)
    checked: int  # of those, the ones the property applied to
    rejected: int  # of those, the ones the schema or the fact checks rejected
    passed: bool


@dataclass
class VerifyReport:
    """Everything ``verify`` found, and how much it tried."""

    findings: list[Finding] = field(default_factory=list)
    static: list[StaticStat] = field(default_factory=list)
    properties: list[PropertyStat] = field(default_factory=list)
    elapsed: float = 0.0
    max_examples: int = DEFAULT_EFFORT
    seed: int | None = 0
    policies: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no finding and every property held."""
        return not self.findings and all(p.passed for p in self.properties)

    def tried(self, policy: str, decision: str) -> int:
        """Generated fact sets tried over all properties of one decision."""
        return sum(p.tried for p in self.properties
                   if p.policy == policy and p.decision == decision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "static": [vars(s) for s in self.static],
            "properties": [vars(p) for p in self.properties],
            "elapsed_seconds": round(self.elapsed, 3),
            "max_examples": self.max_examples,
            "seed": self.seed,
        }

    def to_text(self) -> str:
        out: list[str] = []
        for finding in self.findings:
            out.append(finding.to_text())
            out.append("")
        out.append("static checks (fact combinations evaluated)")
        for s in self.static:
            how = ("all combinations" if s.exhaustive
                   else f"a sample of {s.space} combinations")
            rej = f", {s.rejected} rejected by the fact checks" if s.rejected else ""
            out.append(f"  {s.policy}.{s.decision}: {s.combinations} ({how}{rej})")
        out.append("")
        seed = "random" if self.seed is None else str(self.seed)
        out.append(f"properties (fact sets tried; effort {self.max_examples}, seed {seed})")
        width = max((len(f"{p.policy}.{p.decision} {p.property}") for p in self.properties),
                    default=0)
        for p in self.properties:
            name = f"{p.policy}.{p.decision} {p.property}".ljust(width)
            extra: list[str] = []
            if p.kind != "well_formed":
                extra.append(f"{p.kind}, applied to {p.checked}")
            if p.rejected:
                extra.append(f"{p.rejected} rejected by the schema or fact checks")
            mark = "ok  " if p.passed else "FAIL"
            tail = f" ({'; '.join(extra)})" if extra else ""
            out.append(f"  {mark} {name} {p.tried:>6}{tail}")
        total = sum(p.tried for p in self.properties)
        combos = sum(s.combinations for s in self.static)
        out.append("")
        verdict = "all checks hold" if self.ok else f"{len(self.findings)} finding(s)"
        out.append(
            f"verify: {len(self.policies)} polic{'y' if len(self.policies) == 1 else 'ies'}, "
            f"{len(self.static)} decisions, {combos} static combinations, "
            f"{len(self.properties)} properties over {total} generated fact sets: {verdict} "
            f"({self.elapsed:.1f}s)"
        )
        return "\n".join(out) + "\n"


def _is_bundled(file: str) -> bool:
    try:
        return Path(file).resolve().parent == BUNDLED_POLICIES.resolve()
    except OSError:  # pragma: no cover
        return False


# ------------------------------------------------------------------------ value helpers


class _Omitted:
    """An optional fact left out of a fact set."""

    def __repr__(self) -> str:
        return "<omitted>"


OMIT = _Omitted()


def _json_literal(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _day(value: dt.date) -> dt.date:
    """A date, or a date-time's London date."""
    if isinstance(value, dt.datetime):
        return to_london(value).date()
    return value


def _type_problem(vt: ValueType, value: Any, where: str) -> str | None:
    """Why ``value`` does not fit ``vt`` (``None`` when it does)."""
    kind = vt.kind
    if kind in ("any", "duration"):
        return None
    ok: bool
    if kind == "enum":
        ok = isinstance(value, str) and value in vt.values
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "date":
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif kind == "datetime":
        ok = isinstance(value, dt.datetime) and value.tzinfo is not None
    elif kind == "moment":  # a date, or an aware date-time
        ok = isinstance(value, dt.date) and (
            not isinstance(value, dt.datetime) or value.tzinfo is not None)
    elif kind == "list":
        if not isinstance(value, list):
            ok = False
        else:
            if vt.of is not None:
                for i, item in enumerate(value):
                    problem = _type_problem(vt.of, item, f"{where}[{i}]")
                    if problem:
                        return problem
            return None
    elif kind == "record":
        if not isinstance(value, dict):
            ok = False
        else:
            names = {k for k, _ in vt.fields}
            extra = sorted(set(map(str, value)) - names)
            if extra:
                return f"{where} has fields that are not declared: {', '.join(extra)}"
            for fname, ftype in vt.fields:
                if fname not in value or value[fname] is None:
                    if not ftype.optional:
                        return f"{where} lacks the field '{fname}'"
                    continue
                problem = _type_problem(ftype, value[fname], f"{where}.{fname}")
                if problem:
                    return problem
            return None
    else:
        return None
    if ok:
        return None
    shown = repr(to_json_value(value))
    return f"{where} is {shown}, which is not {vt.describe()}"


# -------------------------------------------------------------- representative fact values


def _near(value: Any) -> list[Any]:
    """A literal and its neighbours (for ordered tests)."""
    if isinstance(value, bool):
        return [value]
    if isinstance(value, int):
        return [value - 1, value, value + 1]
    if isinstance(value, dt.datetime):
        step = dt.timedelta(minutes=1)
        return [value - step, value, value + step]
    if isinstance(value, dt.date):
        step = dt.timedelta(days=1)
        return [value - step, value, value + step]
    return [value]


def _is_literal(value: Any) -> bool:
    return isinstance(value, int | str | dt.date) and not isinstance(value, bool)


class _Harvest:
    """What a decision's expressions compare its facts with: literals (and their neighbours),
    list counts, the durations added to dates, and keys in and out of a ``sample``."""

    def __init__(self, facts: Mapping[str, ValueType], policy: CompiledPolicy) -> None:
        self.facts = facts
        self.policy = policy
        self.literals: dict[str, list[Any]] = {}
        self.counts: dict[str, set[int]] = {}
        self.durations: list[Duration] = []
        self.pending: list[tuple[str, str, bool]] = []

    def add(self, name: str, values: Iterable[Any]) -> None:
        bucket = self.literals.setdefault(name, [])
        for v in values:
            if v not in bucket:
                bucket.append(v)

    def walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item)
            return
        if not isinstance(node, dict):
            return
        keys = set(node)
        if keys in ({"add", "to"}, {"subtract", "from"}):
            self._duration(node.get("add", node.get("subtract")), "add" in keys)
        for key, spec in node.items():
            if isinstance(key, str) and key in self.facts:
                self._test(key, spec)
            if key == "sample" and isinstance(spec, dict):
                self._sample(spec)
            if key in COMPARISONS and isinstance(spec, list) and len(spec) == 2:
                for a, b in ((spec[0], spec[1]), (spec[1], spec[0])):
                    if (isinstance(a, dict) and set(a) == {"fact"} and a["fact"] in self.facts
                            and _is_literal(b)):
                        self.add(str(a["fact"]), _near(b))
            self.walk(spec)

    def _interpretation(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"interpretation"}:
            note = self.policy.interpretations.get(str(node["interpretation"]))
            return note.value if note is not None else None
        return node

    def _duration(self, node: Any, adding: bool) -> None:
        node = self._interpretation(node)
        if isinstance(node, dict) and len(node) == 1:
            ((unit, amount),) = node.items()
            amount = self._interpretation(amount)
            if isinstance(amount, dict) and set(amount) == {"fact"}:  # an amount from a fact
                self.pending.append((str(unit), str(amount["fact"]), adding))
                return
            node = {unit: amount}
        try:
            dur = parse_duration(node)
        except (ValueError, TypeError):
            return
        self._add_duration(dur, adding)

    def _add_duration(self, dur: Duration, adding: bool) -> None:
        if not adding:
            dur = Duration(-dur.amount, dur.unit)
        if dur not in self.durations:
            self.durations.append(dur)

    def resolve(self) -> None:
        """Durations whose amount is a fact take the whole numbers that fact is tested with."""
        for unit, name, adding in self.pending:
            vt = self.facts.get(name)
            amounts = [v for v in self.literals.get(name, [])
                       if isinstance(v, int) and not isinstance(v, bool)]
            if not amounts and vt is not None:
                amounts = [vt.minimum if vt.minimum is not None else 1]
            for amount in amounts[:_MAX_DURATIONS]:
                try:
                    self._add_duration(Duration(amount, unit), adding)
                except ValueError:
                    continue
        self.pending = []

    def _sample(self, spec: Mapping[str, Any]) -> None:
        """Keys that fall in and out of a ``sample``, so that both branches are tried."""
        of, salt = spec.get("of"), spec.get("salt")
        percent = self._interpretation(spec.get("percent"))
        if not (isinstance(of, dict) and set(of) == {"fact"} and of["fact"] in self.facts):
            return
        if not isinstance(percent, int | float) or isinstance(percent, bool) or salt is None:
            return
        name = str(of["fact"])
        kind = self.facts[name].kind
        if kind not in ("string", "int"):
            return
        threshold = int(percent * 100)
        found: dict[bool, Any] = {}
        for k in range(1, 2_000):
            key: Any = k if kind == "int" else f"{name}-{k}"
            inside = in_sample(str(key), str(salt), threshold)
            found.setdefault(inside, key)
            if len(found) == 2:
                break
        self.add(name, [found[b] for b in (True, False) if b in found])

    def _test(self, name: str, spec: Any) -> None:
        vt = self.facts[name]
        if vt.kind == "list":
            if isinstance(spec, dict):
                for op, arg in spec.items():
                    if op in ("count_at_least", "count_below") and isinstance(arg, int):
                        self.counts.setdefault(name, set()).update({arg - 1, arg})
            return
        if isinstance(spec, dict):
            for op, arg in spec.items():
                if op in ORDER_TESTS and _is_literal(arg):
                    self.add(name, _near(arg))
                elif op in ("in", "not_in") and isinstance(arg, list):
                    self.add(name, [a for a in arg if _is_literal(a)])
                elif op == "is" and _is_literal(arg):
                    self.add(name, [arg])
        elif isinstance(spec, list):
            self.add(name, [a for a in spec if _is_literal(a)])
        elif _is_literal(spec):
            self.add(name, [spec])


def _shifted(durations: Sequence[Duration], calendar: WorkingCalendar, moment: bool
             ) -> list[Any]:
    """Dates (or date-times) either side of each duration from the first representative date,
    so that comparisons between facts a duration apart go both ways."""
    out: list[Any] = []
    start: dt.date = FIRST_DATE
    if moment:
        start = dt.datetime.combine(FIRST_DATE, dt.time(10, 0))
    step = dt.timedelta(minutes=1) if moment else dt.timedelta(days=1)
    for dur in durations[:_MAX_DURATIONS]:
        if (dur.unit in ("hours", "minutes")) != moment:
            continue
        try:
            end = add_duration(start, dur, calendar)
        except (ValueError, OverflowError):
            continue
        if isinstance(end, dt.datetime):
            end = end.replace(tzinfo=None)
        out += [end - step, end, end + step]
    return out


def _representatives(vt: ValueType, literals: Sequence[Any], counts: Iterable[int],
                     shifted: Sequence[Any] = ()) -> list[Any]:
    """A few JSON values of type ``vt``, simplest first."""
    kind = vt.kind
    out: list[Any] = []

    def add(v: Any) -> None:
        v = _json_literal(v)
        if v not in out:
            out.append(v)

    if kind == "enum":
        return list(vt.values)
    if kind == "bool":
        return [False, True]
    if kind == "int":
        low = vt.minimum if vt.minimum is not None else None
        high = vt.maximum if vt.maximum is not None else None
        cands = [low if low is not None else 0, (low if low is not None else 0) + 1]
        cands += [v for v in literals if isinstance(v, int) and not isinstance(v, bool)]
        if high is not None:
            cands.append(high)
        for v in cands:
            if (low is None or v >= low) and (high is None or v <= high):
                add(v)
        head, tail = out[:2], sorted(out[2:])
        return (head + tail)[:_MAX_INT_REPS]
    if kind == "string":
        add("example")
        for v in literals:
            if isinstance(v, str):
                add(v)
        return out
    if kind == "date":
        add(FIRST_DATE)
        add(LATER_DATE)
        add(EARLIER_DATE)
        for v in [*literals, *shifted]:
            if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                add(v)
        return out
    if kind == "datetime":
        add(dt.datetime.combine(FIRST_DATE, dt.time(10, 0)))
        add(dt.datetime.combine(LATER_DATE, dt.time(16, 30)))
        add(dt.datetime.combine(EARLIER_DATE, dt.time(9, 0)))
        for v in [*literals, *shifted]:
            if isinstance(v, dt.datetime):
                add(v)
        return out
    if kind == "list":
        assert vt.of is not None
        limit = vt.max_items if vt.max_items is not None else 10_000
        items = _representatives(vt.of, (), ())
        out.append([])
        if vt.of.kind == "enum":
            for item in items:
                out.append([item])
            if len(items) > 1:
                out.append(list(items)[:limit])
        elif items:
            out.append([items[0]])
        for n in sorted(counts):
            if 1 < n <= limit:
                lst = (items * n)[:n] if vt.of.kind != "enum" else list(items[:n])
                if len(lst) == n and lst not in out:
                    out.append(lst)
        return [v for v in out if len(v) <= limit]
    if kind == "record":
        required = {k: _representatives(f, (), ())[0] for k, f in vt.fields if not f.optional}
        out.append(required)
        if any(f.optional for _, f in vt.fields):
            out.append({k: _representatives(f, (), ())[0] for k, f in vt.fields})
        return out
    return out


@dataclass(frozen=True)
class _Dim:
    name: str
    values: tuple[Any, ...]  # JSON values, OMIT for a left-out optional fact
    optional: bool


def _dimensions(decision: CompiledDecision) -> tuple[list[_Dim], _Harvest]:
    harvest = _Harvest(decision.facts, decision.policy)
    dspec = decision.policy.spec.decisions[decision.name]
    for rule in dspec.rules:
        harvest.walk(rule.when)
        harvest.walk(rule.then)
    for check in dspec.fact_checks:
        harvest.walk(check.require)
    for inv in dspec.invariants:
        harvest.walk(inv.when)
        harvest.walk(inv.require)
    harvest.resolve()
    dims: list[_Dim] = []
    calendar = decision.policy.calendar
    dates = _shifted(harvest.durations, calendar, moment=False)
    moments = _shifted(harvest.durations, calendar, moment=True)
    closes_at = decision.policy.closes_at
    if closes_at is not None:  # arriving at or after closing counts from the next working day
        moments.append(dt.datetime.combine(FIRST_DATE, closes_at))
    for name, vt in decision.facts.items():
        shifted = dates if vt.kind == "date" else moments if vt.kind == "datetime" else []
        reps = _representatives(vt, harvest.literals.get(name, []), harvest.counts.get(name, ()),
                                shifted)
        values = ((OMIT,) if vt.optional else ()) + tuple(reps)
        dims.append(_Dim(name, values, vt.optional))
    return dims, harvest


# -------------------------------------------------------------------------- static checks


@dataclass
class _Example:
    combo: tuple[int, ...]
    count: int = 1
    extra: Any = None


@dataclass
class _Tentative:
    """A static finding that generated facts may refute."""

    finding: Finding
    refute: tuple[str, int, int]  # ("matched", i, -1), ("chosen", i, -1), ("differ", i, j)


@dataclass
class _StaticResult:
    findings: list[Finding]
    tentative: list[_Tentative]
    stat: StaticStat
    examples: list[dict[str, Any]]  # accepted fact combinations, to seed the property checks


def _rule_ref(rule: CompiledRule) -> str:
    return f"'{rule.id}' (line {rule.line})"


class _StaticCheck:
    def __init__(self, decision: CompiledDecision, budget: int, seed: int | None) -> None:
        self.decision = decision
        self.policy = decision.policy
        self.rules = decision.rules
        self.dims, _ = _dimensions(decision)
        self.budget = budget
        self.seed = seed
        self.where = f"{self.policy.id}.{decision.name}"
        self.conflicts: dict[tuple[int, int, str], _Example] = {}
        self.needs: dict[tuple[int, str, str], _Example] = {}
        self.empties: dict[tuple[int, ...], _Example] = {}

    # -- the combinations, smallest first
    def combinations(self) -> tuple[list[tuple[int, ...]], int, bool]:
        sizes = [len(d.values) for d in self.dims]
        space = 1
        for s in sizes:
            space *= s
        if space <= EXHAUSTIVE_LIMIT:
            combos = list(itertools.product(*(range(s) for s in sizes)))
            exhaustive = True
        else:
            rng = random.Random(self.seed)
            zero = tuple(0 for _ in sizes)
            picked: set[tuple[int, ...]] = {zero}
            for k, size in enumerate(sizes):
                for v in range(size):
                    c = list(zero)
                    c[k] = v
                    picked.add(tuple(c))
            while len(picked) < min(self.budget, space):
                picked.add(tuple(rng.randrange(s) for s in sizes))
            combos = list(picked)
            exhaustive = False
        combos.sort(key=self.key)
        return combos, space, exhaustive

    def key(self, combo: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        present = sum(1 for d, i in zip(self.dims, combo, strict=True) if d.optional and i > 0)
        return present, combo

    def facts(self, combo: tuple[int, ...]) -> dict[str, Any]:
        return {
            d.name: d.values[i]
            for d, i in zip(self.dims, combo, strict=True)
            if d.values[i] is not OMIT
        }

    def finding(
        self,
        kind: str,
        line: int,
        rules: Sequence[CompiledRule],
        message: str,
        combo: tuple[int, ...] | None,
    ) -> Finding:
        return Finding(
            kind=kind,
            policy=self.policy.id,
            file=self.policy.file,
            line=line,
            decision=self.decision.name,
            rules=tuple(r.id for r in rules),
            message=message,
            facts=self.facts(combo) if combo is not None else None,
            as_of=STATIC_AS_OF.isoformat() if combo is not None else None,
        )

    def run(self) -> _StaticResult:
        decision, rules = self.decision, self.rules
        n = len(rules)
        combos, space, exhaustive = self.combinations()
        truth = [bytearray() for _ in rules]
        matched_count = [0] * n
        chosen_count = [0] * n
        fires_count = [0] * n
        first_matched: list[tuple[int, ...] | None] = [None] * n
        masked_by: list[set[int]] = [set() for _ in rules]
        gaps: _Example | None = None
        overlaps: dict[tuple[int, int], _Example] = {}
        conflicts = self.conflicts
        needs = self.needs
        empties = self.empties
        crashes: dict[tuple[int, str], _Example] = {}
        evaluated = rejected = 0
        accepted: list[tuple[int, ...]] = []
        hit = decision.hit_policy
        # as evaluate does: under collect (without exceptions) rules are taken in order, each
        # seeing the outcomes of the rules before it; otherwise all conditions come first
        sequential = hit == "collect" and not decision.exceptions
        for combo in combos:
            facts = self.facts(combo)
            try:
                values = decision.validator.validate(facts)
            except FactsError:
                rejected += 1
                continue
            env = Env(values, STATIC_AS_OF, self.policy.calendar, self.policy.closes_at,
                      self.where)
            try:
                if not all(check.fn(env) for check, _, _ in decision.fact_checks):
                    rejected += 1
                    continue
            except FactsError:
                rejected += 1
                continue
            except Exception as exc:  # a fact check that crashes is an engine or policy bug
                _count(crashes, (-1, f"{type(exc).__name__}: {exc}"), combo)
                continue
            evaluated += 1
            accepted.append(combo)
            matched: list[bool] = []
            broke = False
            sim = _Sim(self, env, combo)
            for i, rule in enumerate(rules):
                try:
                    matched.append(bool(rule.condition.fn(env)))
                except Exception as exc:
                    _count(crashes, (rule.index, f"{type(exc).__name__}: {exc}"), combo)
                    matched.append(False)
                    broke = True
                if sequential and matched[i]:
                    sim.apply(i)
            for i, m in enumerate(matched):
                truth[i].append(m)
                if m:
                    matched_count[i] += 1
                    if first_matched[i] is None:
                        first_matched[i] = combo
            if broke:
                continue
            fires = list(matched)
            if decision.exceptions:
                for i in decision.settle_order:
                    for e in decision.exceptions.get(i, ()):
                        if fires[e] and fires[i]:
                            fires[i] = False
            firing = [i for i in range(n) if fires[i]]
            for i in firing:
                fires_count[i] += 1
            chosen = firing[:1] if hit == "first" else firing
            if hit == "unique" and len(firing) > 1:
                for pair in itertools.combinations(firing, 2):
                    _count(overlaps, pair, combo)
                continue
            if not chosen and hit != "collect":
                if gaps is None:
                    gaps = _Example(combo, 0)
                gaps.count += 1
                continue
            for i in chosen:
                chosen_count[i] += 1
            for i in range(n):
                if matched[i] and i not in chosen:
                    masked_by[i].update(chosen)
            if not sequential:
                for i in chosen:
                    sim.apply(i)
            sim.finish()

        findings: list[Finding] = []
        tentative: list[_Tentative] = []
        tried = f"{evaluated} fact combinations tried"
        if not exhaustive:
            tried += " (a sample)"
        for (ri, what), ex in sorted(crashes.items(), key=lambda kv: self.key(kv[1].combo)):
            rule_list = [rules[ri]] if ri >= 0 else []
            place = f"rule {_rule_ref(rules[ri])}" if ri >= 0 else "a fact check"
            findings.append(self.finding(
                "crash", rules[ri].line if ri >= 0 else decision.line, rule_list,
                f"evaluating {place} raised {what} (in {ex.count} of {tried})", ex.combo))
        if gaps is not None:
            findings.append(self.finding(
                "gap", decision.line, [],
                f"no rule answers these facts: {gaps.count} of {tried} have no rule that "
                f"applies, but the hit policy '{hit}' needs one (the smallest is shown)",
                gaps.combo))
        for (a, b), ex in overlaps.items():
            findings.append(self.finding(
                "overlap", rules[b].line, [rules[a], rules[b]],
                f"rules {_rule_ref(rules[a])} and {_rule_ref(rules[b])} both apply to "
                f"{ex.count} of {tried}, but the hit policy is 'unique'",
                ex.combo))
        for (a, b, key), ex in conflicts.items():
            first, second = ex.extra
            findings.append(self.finding(
                "overlap", rules[b].line, [rules[a], rules[b]],
                f"rules {_rule_ref(rules[a])} and {_rule_ref(rules[b])} both apply and set "
                f"'{key}' differently ({_show(first)} and {_show(second)}) for {ex.count} of "
                f"{tried}; under 'collect' a single value cannot take both",
                ex.combo))
        for (ri, kind, name), ex in needs.items():
            rule = rules[ri]
            if kind == "fact":
                msg = (f"rule {_rule_ref(rule)} needs the optional fact '{name}', which these "
                       f"facts leave out ({ex.count} of {tried}): the decision raises a "
                       f"FactsError for facts its schema accepts (test '{name}: "
                       "{present: true}' in the rule, or make the fact required)")
            else:
                msg = (f"rule {_rule_ref(rule)} reads the outcome '{name}', which no rule "
                       f"before it set for these facts ({ex.count} of {tried})")
            findings.append(self.finding("facts_error", rule.line, [rule], msg, ex.combo))
        for chosen_rules, ex in empties.items():
            rl = [rules[i] for i in chosen_rules]
            if rl:
                names = ", ".join(_rule_ref(r) for r in rl)
                msg = (f"{names} {'is' if len(rl) == 1 else 'are'} chosen but set no outcome, "
                       f"so the decision is 'decided' with an empty outcome ({ex.count} of "
                       f"{tried})")
                findings.append(self.finding("empty_outcome", rl[0].line, rl, msg, ex.combo))
            else:
                msg = (f"no rule applies to {ex.count} of {tried}, so under 'collect' the "
                       "decision is 'decided' with an empty outcome (the smallest is shown)")
                findings.append(self.finding("gap", decision.line, [], msg, ex.combo))

        duplicates: set[int] = set()
        if evaluated:
            dspec = self.policy.spec.decisions[decision.name]
            groups: dict[tuple[bytes, str], list[int]] = {}
            for i, rule in enumerate(rules):
                if matched_count[i] == 0:
                    continue
                rspec = dspec.rules[rule.index]
                then = json.dumps(rspec.then, sort_keys=True, default=str)
                groups.setdefault((bytes(truth[i]), f"{then}|{rspec.status}"), []).append(i)
            for members in groups.values():
                for j in members[1:]:
                    orig, dup = rules[members[0]], rules[j]
                    duplicates.add(j)
                    tentative.append(_Tentative(self.finding(
                        "duplicate", dup.line, [orig, dup],
                        f"rule {_rule_ref(dup)} duplicates rule {_rule_ref(orig)}: the same "
                        f"condition (both apply to the same {matched_count[j]} of {tried}) "
                        "and the same outcome",
                        first_matched[j]), ("differ", members[0], j)))
            for i, rule in enumerate(rules):
                if matched_count[i] == 0:
                    tentative.append(_Tentative(self.finding(
                        "never_applies", rule.line, [rule],
                        f"rule {_rule_ref(rule)} never applies: its condition ({_short(rule)}) "
                        f"is false for all {tried}",
                        None), ("matched", i, -1)))
                elif chosen_count[i] == 0 and i not in duplicates:
                    by_exceptions = fires_count[i] == 0 and bool(decision.exceptions.get(i))
                    if hit != "first" and not by_exceptions:
                        continue  # under unique or collect a rule is not chosen only in overlaps
                    if by_exceptions:
                        excs = [rules[e] for e in decision.exceptions[i]]
                        msg = (f"rule {_rule_ref(rule)} never fires: whenever it applies "
                               f"({_n(matched_count[i], 'fact combination')}), it is "
                               "overridden by its exception(s) "
                               + ", ".join(_rule_ref(r) for r in excs))
                        others = excs
                    else:
                        others = [rules[k] for k in sorted(masked_by[i])]
                        msg = (f"rule {_rule_ref(rule)} never fires: whenever it applies "
                               f"({_n(matched_count[i], 'fact combination')}), an earlier "
                               "rule is chosen first under the 'first' hit policy "
                               f"({', '.join(_rule_ref(r) for r in others)})")
                    tentative.append(_Tentative(
                        self.finding("masked", rule.line, [rule, *others], msg,
                                     first_matched[i]),
                        ("chosen", i, -1)))
        stat = StaticStat(self.policy.id, decision.name, evaluated + rejected, space,
                          exhaustive, rejected)
        step = max(1, len(accepted) // _MAX_SEEDS)
        examples = [self.facts(c) for c in accepted[::step][:_MAX_SEEDS]]
        return _StaticResult(findings, tentative, stat, examples)



class _Sim:
    """The outcomes of one fact combination, computed as evaluate computes them, noting the
    conflicts, missing facts and empty outcomes on the way."""

    def __init__(self, check: _StaticCheck, env: Env, combo: tuple[int, ...]) -> None:
        self.check = check
        self.env = env
        self.combo = combo
        env.outcome = {}
        self.setter: dict[str, int] = {}
        self.status = "decided"
        self.notes = False
        self.stopped = False  # evaluate would have raised
        self.applied: list[int] = []

    def apply(self, i: int) -> None:
        if self.stopped:
            return
        rule = self.check.rules[i]
        env = self.env
        self.applied.append(i)
        for key, expr in rule.then:
            try:
                value = expr.fn(env)
            except Absent as missing:
                _count(self.check.needs, (i, missing.kind, missing.name), self.combo)
                self.stopped = True
                return
            except FactsError:
                self.stopped = True
                return
            if key not in env.outcome:
                env.outcome[key] = list(value) if isinstance(value, list) else value
                self.setter[key] = i
                continue
            current = env.outcome[key]
            if isinstance(current, list) and isinstance(value, list):
                for item in value:
                    if item not in current:
                        current.append(item)
            elif current != value:
                ex = _count(self.check.conflicts, (self.setter[key], i, key), self.combo)
                if ex.extra is None:
                    ex.extra = (current, value)
        if rule.status is not None and _STATUS_WEIGHT[rule.status] > _STATUS_WEIGHT[self.status]:
            self.status = rule.status
        self.notes = self.notes or bool(rule.considerations)

    def finish(self) -> None:
        if not self.stopped and self.status == "decided" and not self.notes \
                and not self.env.outcome:
            _count(self.check.empties, tuple(self.applied), self.combo)


def _count(table: dict[Any, _Example], key: Any, combo: tuple[int, ...]) -> _Example:
    ex = table.get(key)
    if ex is None:
        ex = table[key] = _Example(combo, 0)
    ex.count += 1
    return ex


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _show(value: Any) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False)


def _short(rule: CompiledRule) -> str:
    text = rule.condition.text
    return text if len(text) <= 120 else text[:117] + "..."


# ------------------------------------------------------------------------------ invariants


@dataclass
class _Outcome:
    """The result of one property on one generated fact set."""

    state: str  # "checked", "vacuous", "rejected", "skipped", "failed"
    kind: str = ""  # the finding kind when failed
    message: str = ""
    rules: tuple[str, ...] = ()


_CHECKED = _Outcome("checked")
_VACUOUS = _Outcome("vacuous")
_REJECTED = _Outcome("rejected")
_SKIPPED = _Outcome("skipped")


class _Case:
    """One generated fact set and ``as_of``, evaluated once for all the properties."""

    def __init__(self, decision: CompiledDecision, raw: dict[str, Any], as_of: dt.date) -> None:
        self.decision = decision
        self.raw = raw  # as generated: an optional fact may be given as JSON null
        self.facts = {k: v for k, v in raw.items() if v is not None}  # nulls left out
        self.as_of = as_of
        self._result: Decision | _Outcome | None = None

    def result(self) -> Decision | _Outcome:
        """The decision for ``facts``; ``_REJECTED`` for facts the schema or fact checks
        reject; a failed outcome for any other error."""
        if self._result is None:
            self._result = self._evaluate()
        return self._result

    def decided(self) -> Decision | _Outcome:
        """The decision, or how a property that needs one should count this case."""
        result = self.result()
        if isinstance(result, Decision) or result is _REJECTED:
            return result
        return _SKIPPED  # the well_formed property reports the error

    def _evaluate(self) -> Decision | _Outcome:
        decision, facts, as_of = self.decision, self.facts, self.as_of
        if not _accepted(decision, facts, as_of):
            return _REJECTED
        try:
            return evaluate(decision, facts, as_of, full_trace=True)
        except FactsError as exc:
            return _Outcome("failed", "facts_error",
                            f"facts the schema and the fact checks accept raised a FactsError: "
                            f"{exc}", _matched_ids(decision, facts, as_of))
        except PolicyError as exc:
            return _Outcome("failed", "policy_error", f"the decision raised a PolicyError: "
                            f"{'; '.join(p.message for p in exc.problems)}",
                            _matched_ids(decision, facts, as_of))
        except Exception as exc:
            return _Outcome("failed", "crash",
                            f"the decision raised {type(exc).__name__}: {exc}",
                            _matched_ids(decision, facts, as_of))


Check = Callable[[_Case], _Outcome]


@dataclass(frozen=True)
class _Invariant:
    id: str
    kind: str
    description: str
    index: int
    line: int
    check: Check


def _compile_invariants(decision: CompiledDecision) -> tuple[list[_Invariant], list[Problem]]:
    policy = decision.policy
    loaded = policy.loaded
    problems: list[Problem] = []
    compiled: list[_Invariant] = []
    seen: set[str] = set()
    facts, outcomes = decision.facts, decision.outcomes
    relevant = {
        "monotone": {"fact", "outcome"},
        "always": {"when", "require"},
        "date_on_or_after": {"when", "outcome", "start"},
        "working_day": {"when", "outcome"},
        "status_in": {"when", "statuses"},
    }
    scope: Scope | None = None
    for i, inv in enumerate(decision.invariants):
        base: Path_ = ("decisions", decision.name, "invariants", i)

        def fail(path: Path_, message: str, *, key: bool = False) -> None:
            problems.append(loaded.problem(path, message, key=key))

        before = len(problems)
        if inv.id in seen:
            fail((*base, "id"), f"invariant id '{inv.id}' is used twice in {decision.name}")
        seen.add(inv.id)
        for name in ("fact", "outcome", "when", "require", "start", "statuses"):
            given = getattr(inv, name)
            if given is not None and name not in relevant[inv.kind]:
                fail((*base, name), f"'{name}' does not belong to a {inv.kind} invariant",
                     key=True)
        for name in sorted(relevant[inv.kind] - {"when"}):
            if getattr(inv, name) is None:
                fail(base, f"a {inv.kind} invariant needs '{name}'")
        if len(problems) > before:
            continue
        guard: Cond | None = None
        require: Cond | None = None
        if inv.kind != "monotone":
            both = sorted(set(facts) & set(outcomes))
            if both and (inv.when is not None or inv.require is not None):
                fail(base, f"{', '.join(both)} {'is' if len(both) == 1 else 'are'} both a fact "
                     f"and an outcome of {decision.name}; the invariant cannot tell which is "
                     "meant")
                continue
            if scope is None:
                scope = Scope(
                    loaded=loaded,
                    facts={**facts, **outcomes},
                    outcomes=outcomes,
                    interpretations={k: v.value for k, v in policy.interpretations.items()},
                    rule=f"invariant {inv.id}",
                    defined_outcomes=set(outcomes),
                )
            try:
                if inv.when is not None:
                    guard = compile_condition(inv.when, (*base, "when"), scope)
                if inv.kind == "always":
                    require = compile_condition(inv.require, (*base, "require"), scope)
            except CompileError as exc:
                problems.append(exc.problem)
                continue
        pos = loaded.position(base)
        check: Callable[[Decision], _Outcome] | None = None
        monotone: Check | None = None
        if inv.kind == "monotone":
            assert inv.fact is not None and inv.outcome is not None
            vt = facts.get(inv.fact)
            ot = outcomes.get(inv.outcome)
            if vt is None:
                fail((*base, "fact"), f"unknown fact '{inv.fact}'; {decision.name}'s facts are: "
                     f"{', '.join(facts) or '(none)'}")
            elif not (vt.kind == "enum" and vt.ordered):
                fail((*base, "fact"), f"a monotone invariant needs an ordered enum fact; "
                     f"{inv.fact} is {vt.describe()}"
                     + ("" if vt.kind != "enum" else " (declare it with 'ordered: true')"))
            if ot is None:
                fail((*base, "outcome"), f"unknown outcome '{inv.outcome}'; {decision.name}'s "
                     f"outcomes are: {', '.join(outcomes) or '(none)'}")
            elif ot.kind != "list":
                fail((*base, "outcome"), f"a monotone invariant needs a list outcome; "
                     f"{inv.outcome} is {ot.describe()}")
            if len(problems) == before and vt is not None:
                monotone = _monotone(decision, inv.fact, vt, inv.outcome)
        elif inv.kind == "always":
            assert require is not None
            check = _always(decision, require)
        elif inv.kind == "date_on_or_after":
            assert inv.outcome is not None and inv.start is not None
            ot = outcomes.get(inv.outcome)
            if ot is None or ot.kind not in _DATEISH:
                fail((*base, "outcome"), _not_date_outcome(decision, inv.outcome, ot))
            start_type = facts.get(inv.start) or outcomes.get(inv.start)
            if inv.start != "as_of" and (start_type is None
                                         or start_type.kind not in _DATEISH):
                dates = [k for k, v in {**facts, **outcomes}.items() if v.kind in _DATEISH]
                what = "unknown name" if start_type is None else "not a date:"
                fail((*base, "start"), f"{what} '{inv.start}'; the start is as_of or one of "
                     f"{decision.name}'s date facts or outcomes: {', '.join(dates) or '(none)'}")
            if len(problems) == before:
                check = _on_or_after(decision, inv.outcome, inv.start)
        elif inv.kind == "working_day":
            assert inv.outcome is not None
            ot = outcomes.get(inv.outcome)
            if ot is None or ot.kind not in _DATEISH:
                fail((*base, "outcome"), _not_date_outcome(decision, inv.outcome, ot))
            else:
                check = _working_day(decision, inv.outcome)
        else:  # status_in
            assert inv.statuses is not None
            bad = [s for s in inv.statuses if s not in STATUSES]
            if not inv.statuses:
                fail((*base, "statuses"), "list at least one status")
            elif bad:
                fail((*base, "statuses"), f"unknown status '{bad[0]}'; statuses are: "
                     f"{', '.join(STATUSES)}")
            else:
                check = _status_in(tuple(inv.statuses))
        if check is not None:
            monotone = _guarded(decision, guard, check)
        if monotone is not None:
            compiled.append(_Invariant(inv.id, inv.kind, inv.description, i, pos.line, monotone))
    return compiled, problems


def _not_date_outcome(decision: CompiledDecision, name: str, ot: ValueType | None) -> str:
    if ot is None:
        return (f"unknown outcome '{name}'; {decision.name}'s outcomes are: "
                f"{', '.join(decision.outcomes) or '(none)'}")
    return f"the outcome '{name}' is {ot.describe()}, not a date"


def _decide(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date
            ) -> Decision | _Outcome:
    """Evaluate for an invariant: rejected facts and run-time errors are someone else's finding."""
    try:
        return evaluate(decision, facts, as_of)
    except FactsError:
        return _REJECTED
    except Exception:
        return _SKIPPED


def _fired(*decisions: Decision) -> tuple[str, ...]:
    out: list[str] = []
    for d in decisions:
        for r in d.fired_rules:
            if r not in out:
                out.append(r)
    return tuple(out)


def _monotone(decision: CompiledDecision, fact: str, vt: ValueType, outcome: str) -> Check:
    def check(case: _Case) -> _Outcome:
        value = case.facts.get(fact)
        if value not in vt.values or value == vt.values[-1]:
            return _VACUOUS
        higher_value = vt.values[vt.values.index(value) + 1]
        lower = case.decided()
        if isinstance(lower, _Outcome):
            return lower
        higher = _decide(decision, {**case.facts, fact: higher_value}, case.as_of)
        if isinstance(higher, _Outcome):
            return _SKIPPED if higher is _REJECTED else higher
        low = lower.outcome.get(outcome) or []
        high = higher.outcome.get(outcome) or []
        lost = [x for x in low if x not in high]
        if not lost:
            return _CHECKED
        return _Outcome(
            "failed", "invariant",
            f"raising {fact} from {value} to {higher_value} (all else equal) drops "
            f"{', '.join(_show(x) for x in lost)} from {outcome}: {_show(low)} becomes "
            f"{_show(high)}",
            _fired(lower, higher),
        )

    return check


def _outcome_env(decision: CompiledDecision, d: Decision) -> Env:
    outcomes = {k: v for k, v in d.outcome.items() if k in decision.outcomes}
    policy = decision.policy
    env = Env({**d.facts, **outcomes}, d.as_of, policy.calendar, policy.closes_at,
              f"{policy.id}.{decision.name}")
    env.outcome = outcomes
    return env


def _guarded(decision: CompiledDecision, guard: Cond | None,
             check: Callable[[Decision], _Outcome]) -> Check:
    """Evaluate, then check the decision when the invariant's ``when`` holds."""

    def run(case: _Case) -> _Outcome:
        d = case.decided()
        if isinstance(d, _Outcome):
            return d
        if guard is not None:
            try:
                if not guard.fn(_outcome_env(decision, d)):
                    return _VACUOUS
            except Exception as exc:
                return _Outcome("failed", "invariant",
                                f"evaluating 'when' raised {type(exc).__name__}: {exc}",
                                _fired(d))
        result = check(d)
        if result.state == "failed" and not result.rules:
            result.rules = _fired(d)
        if result.state == "failed" and guard is not None:
            result.message = f"when {guard.text}, {result.message}"
        return result

    return run


def _always(decision: CompiledDecision, require: Cond) -> Callable[[Decision], _Outcome]:
    def check(d: Decision) -> _Outcome:
        env = _outcome_env(decision, d)
        try:
            if require.fn(env):
                return _CHECKED
        except Exception as exc:
            return _Outcome("failed", "invariant",
                            f"evaluating 'require' raised {type(exc).__name__}: {exc}")
        shown = {k: to_json_value(v) for k, v in env.outcome.items()}
        return _Outcome(
            "failed", "invariant",
            f"{require.text} must hold; the decision gave "
            f"{json.dumps(shown, ensure_ascii=False, sort_keys=True)}",
        )

    return check


def _on_or_after(decision: CompiledDecision, outcome: str, start: str
                 ) -> Callable[[Decision], _Outcome]:
    def check(d: Decision) -> _Outcome:
        value = d.outcome.get(outcome)
        if start == "as_of":
            begin: Any = d.as_of
        elif start in decision.facts:
            begin = d.facts.get(start)
        else:
            begin = d.outcome.get(start)
        if not isinstance(value, dt.date) or not isinstance(begin, dt.date):
            return _VACUOUS
        if _day(value) >= _day(begin):
            return _CHECKED
        return _Outcome("failed", "invariant",
                        f"{outcome} {_show(value)} is before {start} {_show(begin)}")

    return check


def _working_day(decision: CompiledDecision, outcome: str) -> Callable[[Decision], _Outcome]:
    calendar = decision.policy.calendar

    def check(d: Decision) -> _Outcome:
        value = d.outcome.get(outcome)
        if not isinstance(value, dt.date):
            return _VACUOUS
        day = _day(value)
        try:
            working = calendar.is_working_day(day)
        except ValueError as exc:
            return _Outcome("failed", "invariant", f"{outcome} {day.isoformat()}: {exc}")
        if working:
            return _CHECKED
        why = calendar.holiday_name(day) or day.strftime("%A")
        return _Outcome(
            "failed", "invariant",
            f"{outcome} {day.isoformat()} ({why}) is not a working day in "
            f"{decision.policy.id}'s calendar ({calendar.nation})",
        )

    return check


def _status_in(statuses: tuple[str, ...]) -> Callable[[Decision], _Outcome]:
    def check(d: Decision) -> _Outcome:
        if d.status in statuses:
            return _CHECKED
        return _Outcome("failed", "invariant",
                        f"the status is {d.status}, not one of {', '.join(statuses)}")

    return check


# ---------------------------------------------------------------------------- well-formed


@dataclass
class _Observed:
    """What the generated facts showed about the rules (to refute static findings)."""

    matched: set[int] = field(default_factory=set)
    chosen: set[int] = field(default_factory=set)
    differ: set[tuple[int, int]] = field(default_factory=set)
    pairs: tuple[tuple[int, int], ...] = ()


def _matched(decision: CompiledDecision, values: dict[str, Any], as_of: dt.date) -> list[bool]:
    policy = decision.policy
    env = Env(values, as_of, policy.calendar, policy.closes_at, f"{policy.id}.{decision.name}")
    out: list[bool] = []
    for rule in decision.rules:
        try:
            out.append(bool(rule.condition.fn(env)))
        except Exception:
            out.append(False)
    return out


def _matched_ids(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date
                 ) -> tuple[str, ...]:
    try:
        values = decision.validator.validate(facts)
    except Exception:
        return ()
    flags = _matched(decision, values, as_of)
    return tuple(r.id for r, m in zip(decision.rules, flags, strict=True) if m)


def _accepted(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date) -> bool:
    """Whether the schema and the fact checks accept these facts."""
    policy = decision.policy
    try:
        values = decision.validator.validate(facts)
        env = Env(values, as_of, policy.calendar, policy.closes_at,
                  f"{policy.id}.{decision.name}")
        return all(check.fn(env) for check, _, _ in decision.fact_checks)
    except FactsError:
        return False
    except Exception:
        return True  # let evaluate show the crash


def _well_formed(decision: CompiledDecision, observed: _Observed) -> Check:
    ids = {r.id: r.index for r in decision.rules}

    def check(case: _Case) -> _Outcome:
        d = case.result()
        if isinstance(d, _Outcome):
            return d
        if decision.hit_policy == "collect" and not decision.exceptions:
            fired = set(d.fired_rules)  # conditions there see the outcomes before them
            flags = [r.id in fired for r in decision.rules]
        else:
            flags = _matched(decision, d.facts, case.as_of)
        observed.matched.update(i for i, m in enumerate(flags) if m)
        observed.chosen.update(ids[r] for r in d.fired_rules if r in ids)
        for a, b in observed.pairs:
            if flags[a] != flags[b]:
                observed.differ.add((a, b))
        problems = _decision_problems(decision, d, case.as_of)
        if problems:
            return _Outcome("failed", "malformed", "; ".join(problems), _fired(d))
        return _CHECKED

    return check


def _null_is_absent(decision: CompiledDecision) -> Check:
    """An optional fact given as JSON null (which the schema accepts) means it is left out."""

    def check(case: _Case) -> _Outcome:
        nulls = sorted(k for k, v in case.raw.items() if v is None)
        if not nulls:
            return _VACUOUS
        plain = case.decided()
        if isinstance(plain, _Outcome):
            return plain
        names = ", ".join(nulls)
        try:
            given = evaluate(decision, case.raw, case.as_of)
        except Exception as exc:
            return _Outcome("failed", "null_fact",
                            f"giving {names} as null (the schema accepts it for an optional "
                            f"fact) raises {type(exc).__name__}: {exc}; leaving "
                            f"{'it' if len(nulls) == 1 else 'them'} out does not",
                            _fired(plain))
        if given.status != plain.status or given.outcome != plain.outcome:
            return _Outcome("failed", "null_fact",
                            f"giving {names} as null decides {given.status} "
                            f"{_show(given.outcome)}, but leaving "
                            f"{'it' if len(nulls) == 1 else 'them'} out decides {plain.status} "
                            f"{_show(plain.outcome)}",
                            _fired(plain, given))
        return _CHECKED

    return check


def _decision_problems(decision: CompiledDecision, d: Decision, as_of: dt.date) -> list[str]:
    problems: list[str] = []
    if d.status not in STATUSES:
        problems.append(f"the status '{d.status}' is not one of {', '.join(STATUSES)}")
    if d.status == "decided" and not d.outcome:
        problems.append("the decision is 'decided' but its outcome is empty (no rule set "
                        "anything)")
    if d.policy != decision.policy.id or d.decision != decision.name or d.as_of != as_of:
        problems.append("the decision does not name its policy, decision and date")
    try:
        json.dumps(d.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"to_dict() is not JSON-serialisable: {exc}")
    for key, value in d.outcome.items():
        vt = decision.outcomes.get(key)
        if vt is None:
            if key not in _ENGINE_KEYS:
                problems.append(f"the outcome '{key}' is not declared")
            continue
        problem = _type_problem(vt, value, f"the outcome '{key}'")
        if problem:
            problems.append(problem)
    return problems


# ----------------------------------------------------------------------------- strategies


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def _strategy(vt: ValueType, reps: Sequence[Any]) -> SearchStrategy[Any]:
    """Generated JSON values of type ``vt`` (dates as ISO strings), mixed with ``reps``."""
    from hypothesis import strategies as st

    kind = vt.kind
    base: SearchStrategy[Any]
    if kind == "enum":
        return st.sampled_from(vt.values)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        base = st.integers(min_value=vt.minimum, max_value=vt.maximum)
    elif kind == "string":
        base = st.text(max_size=40)
    elif kind == "date":
        base = st.one_of(st.dates(NEAR_MIN, NEAR_MAX), st.dates(MIN_DATE, MAX_DATE)
                         ).map(dt.date.isoformat)
    elif kind == "datetime":
        low = dt.datetime.combine(MIN_DATE, dt.time())
        high = dt.datetime.combine(MAX_DATE, dt.time(23, 59, 59))
        aware = st.datetimes(low, high, timezones=st.just(LONDON), allow_imaginary=False)
        naive = st.datetimes(dt.datetime.combine(NEAR_MIN, dt.time()),
                             dt.datetime.combine(NEAR_MAX, dt.time(23, 59, 59)))

        def near_change(year: int, month: int, minute: int, suffix: str) -> str:
            day = _last_sunday(year, month)
            return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{suffix}"

        clock = st.builds(
            near_change,
            st.integers(MIN_DATE.year, MAX_DATE.year),
            st.sampled_from([3, 10]),
            st.integers(0, 4 * 60 - 1),
            st.sampled_from(["", "+00:00", "+01:00", "Z"]),
        )
        base = st.one_of(aware.map(dt.datetime.isoformat), naive.map(dt.datetime.isoformat),
                         clock)
    elif kind == "list":
        assert vt.of is not None
        limit = min(vt.max_items if vt.max_items is not None else _MAX_LIST, _MAX_LIST)
        base = st.lists(_strategy(vt.of, ()), max_size=limit)
    elif kind == "record":
        required = {k: _strategy(f, ()) for k, f in vt.fields if not f.optional}
        optional = {k: _optional(_strategy(f, ())) for k, f in vt.fields if f.optional}
        base = st.fixed_dictionaries(required, optional=optional)
    else:  # pragma: no cover - the compiler admits no other fact kinds
        return st.none()
    if reps:
        return st.one_of(st.sampled_from(list(reps)), base)
    return base


def _optional(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """An optional fact's value: given, or given as JSON null (which the schema accepts)."""
    from hypothesis import strategies as st

    return st.one_of(strategy, st.none())


def _case_strategy(decision: CompiledDecision, examples: Sequence[dict[str, Any]] = ()
                   ) -> SearchStrategy[tuple[dict[str, Any], dt.date]]:
    """Generated facts and ``as_of``; some drawn from the static checks' accepted
    combinations (with their decision date), so that the corners the conditions name and the
    facts the fact checks accept come up often."""
    from hypothesis import strategies as st

    dims, _ = _dimensions(decision)
    required: dict[str, SearchStrategy[Any]] = {}
    optional: dict[str, SearchStrategy[Any]] = {}
    for d in dims:
        vt = decision.facts[d.name]
        reps = [v for v in d.values if v is not OMIT] if vt.kind not in ("enum", "bool") else []
        strategy = _strategy(vt, reps)
        if vt.optional:
            optional[d.name] = _optional(strategy)
        else:
            required[d.name] = strategy
    facts = st.fixed_dictionaries(required, optional=optional)
    as_of = st.one_of(st.just(STATIC_AS_OF), st.dates(NEAR_MIN, NEAR_MAX),
                      st.dates(MIN_DATE, MAX_DATE))
    generated = st.tuples(facts, as_of)
    if not examples:
        return generated
    seeds = st.tuples(st.sampled_from(list(examples)).map(dict), st.just(STATIC_AS_OF))
    return st.one_of(seeds, generated)


class _PropertyFailed(Exception):
    pass


@dataclass
class _Property:
    name: str  # "well_formed", "null_is_absent" or an invariant's id
    kind: str
    line: int
    check: Check
    description: str = ""


@dataclass
class _Run:
    tried: int = 0
    checked: int = 0
    rejected: int = 0
    failure: tuple[dict[str, Any], dt.date, _Outcome] | None = None


def _run_properties(
    decision: CompiledDecision,
    properties: Sequence[_Property],
    max_examples: int,
    seed: int | None,
    examples: Sequence[dict[str, Any]] = (),
) -> dict[str, _Run]:
    """Run all of a decision's properties over the same generated fact sets.

    One hypothesis run checks every property on each fact set. When one fails, hypothesis shrinks
    the fact set; the property that fails on the shrunk one is retired with it as its
    counter-example, and the others are run again without it.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as use_seed
    from hypothesis.errors import Flaky

    strategy = _case_strategy(decision, examples)
    runs = {p.name: _Run() for p in properties}
    active = list(properties)
    while active:
        for p in active:
            runs[p.name] = _Run()
        last: list[str] = []
        body = _body(decision, list(active), runs, last)
        test = settings(
            max_examples=max_examples,
            database=None,
            derandomize=seed is not None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )(given(strategy)(body))
        if seed is not None:
            test = use_seed(seed)(test)
        try:
            test()
        except _PropertyFailed:
            pass
        except Flaky as exc:  # a failure that did not happen again when replayed
            if not last:
                runs[active[0].name].failure = ({}, STATIC_AS_OF, _Outcome(
                    "failed", "crash", f"a flaky failure: {type(exc).__name__}: {exc}"))
                last[:] = [active[0].name]
        if not last:
            break
        active = [p for p in active if p.name != last[0]]
    return runs


def _body(
    decision: CompiledDecision, properties: list[_Property], runs: dict[str, _Run],
    last: list[str],
) -> Callable[[tuple[dict[str, Any], dt.date]], None]:
    """The test hypothesis runs: every property on one generated case."""

    def body(case: tuple[dict[str, Any], dt.date]) -> None:
        raw, as_of = case
        shared = _Case(decision, raw, as_of)
        for prop in properties:
            run = runs[prop.name]
            run.tried += 1
            try:
                result = prop.check(shared)
            except Exception as exc:  # a bug in a check is still a failure to report
                result = _Outcome("failed", "crash",
                                  f"the check raised {type(exc).__name__}: {exc}")
            if result.state == "checked":
                run.checked += 1
            elif result.state == "rejected":
                run.rejected += 1
            elif result.state == "failed":
                run.failure = (dict(raw), as_of, result)
                last[:] = [prop.name]
                raise _PropertyFailed(result.message)

    return body


def _property_seed(seed: int | None, *names: str) -> int | None:
    if seed is None:
        return None
    return (seed * 1_000_003 + zlib.crc32(".".join(names).encode())) % (2**32)


# ------------------------------------------------------------------------------ the API


def verify_policies(
    policies: PolicySet, *, max_examples: int = DEFAULT_EFFORT, seed: int | None = 0
) -> VerifyReport:
    """Run the static checks, the well-formedness property and the declared invariants.

    ``max_examples`` is the number of generated fact sets per property; ``seed`` makes the run
    reproducible (``None`` draws fresh random examples). Raises :class:`PolicyError` (with file,
    line and column) when an invariant is itself bad, e.g. names an unknown fact.
    """
    if max_examples < 1:
        raise VerifyInputError("max_examples must be at least 1")
    started = time.perf_counter()
    decisions = [d for policy in policies for d in policy.decisions.values()]
    invariants: dict[tuple[str, str], list[_Invariant]] = {}
    problems: list[Problem] = []
    for d in decisions:
        compiled, found = _compile_invariants(d)
        invariants[(d.policy.id, d.name)] = compiled
        problems.extend(found)
    if problems:
        raise PolicyError(problems)
    report = VerifyReport(max_examples=max_examples, seed=seed,
                          policies=tuple(p.id for p in policies))
    budget = min(EXHAUSTIVE_LIMIT, max(2_000, 25 * max_examples))
    for d in decisions:
        _verify_decision(d, invariants[(d.policy.id, d.name)], report, max_examples, seed,
                         budget)
    report.elapsed = time.perf_counter() - started
    return report


def _verify_decision(
    decision: CompiledDecision,
    invariants: list[_Invariant],
    report: VerifyReport,
    max_examples: int,
    seed: int | None,
    budget: int,
) -> None:
    policy = decision.policy
    static = _StaticCheck(decision, budget, seed).run()
    report.static.append(static.stat)
    observed = _Observed(pairs=tuple(
        (t.refute[1], t.refute[2]) for t in static.tentative if t.refute[0] == "differ"))
    properties = [_Property("well_formed", "well_formed", decision.line,
                            _well_formed(decision, observed))]
    if any(vt.optional for vt in decision.facts.values()):
        properties.append(_Property("null_is_absent", "null_is_absent", decision.line,
                                    _null_is_absent(decision)))
    properties += [_Property(inv.id, inv.kind, inv.line, inv.check, inv.description)
                   for inv in invariants]
    runs = _run_properties(decision, properties, max_examples,
                           _property_seed(seed, policy.id, decision.name), static.examples)
    static_kinds = {f.kind for f in static.findings}
    findings: list[Finding] = []
    for prop in properties:
        run = runs[prop.name]
        report.properties.append(PropertyStat(
            policy.id, decision.name, prop.name, prop.kind, run.tried, run.checked,
            run.rejected, run.failure is None))
        if run.failure is None:
            continue
        facts, as_of, outcome = run.failure
        same = outcome.kind
        if outcome.kind == "policy_error":
            same = "gap" if "no rule applies" in outcome.message else "overlap"
        if same in static_kinds:
            continue  # the static checks already report it, with a smaller example
        message = outcome.message
        if prop.description:
            message = (f"invariant '{prop.name}' ({prop.description.strip().rstrip('.')}) "
                       f"fails: {message}")
        findings.append(Finding(
            kind=outcome.kind,
            policy=policy.id,
            file=policy.file,
            line=prop.line,
            decision=decision.name,
            rules=outcome.rules,
            message=message,
            facts=facts,
            as_of=as_of.isoformat(),
            check=prop.name,
        ))
    kept = list(static.findings)
    for t in static.tentative:
        what, a, b = t.refute
        refuted = ((what == "matched" and a in observed.matched)
                   or (what == "chosen" and a in observed.chosen)
                   or (what == "differ" and (a, b) in observed.differ))
        if not refuted:
            kept.append(t.finding)
    kept.sort(key=lambda f: f.line)
    report.findings.extend(kept)
    report.findings.extend(findings)


# ----------------------------------------------------------------------------------- CLI


def _effort(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--effort takes a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--effort must be at least 1")
    return value


def _seed(text: str) -> int | None:
    if text == "random":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed takes a whole number or 'random', not {text!r}") from None


def _load(paths: Sequence[str]) -> PolicySet:
    if not paths:
        return load_policies(None)
    merged: dict[str, CompiledPolicy] = {}
    problems: list[Problem] = []
    for path in paths:
        for policy in load_policies(path):
            if policy.id in merged:
                if Path(merged[policy.id].file).resolve() == Path(policy.file).resolve():
                    continue
                pos = policy.loaded.position(("policy", "id"))
                problems.append(Problem(policy.file, pos.line, pos.column,
                                        f"policy id '{policy.id}' is also used by "
                                        f"{merged[policy.id].file}"))
                continue
            merged[policy.id] = policy
    if problems:
        raise PolicyError(problems)
    return PolicySet(merged)


def cmd_verify(args: argparse.Namespace) -> int:
    paths: list[str] = list(args.paths) or ([args.policies] if args.policies else [])
    policies = _load(paths)
    report = verify_policies(policies, max_examples=args.effort, seed=args.seed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.to_text(), end="")
    return 0 if report.ok else 1


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``verify`` command to the ``policyengine`` parser."""
    p = sub.add_parser(
        "verify",
        help="find gaps, overlaps, masked and duplicate rules; check decisions and invariants "
             "over generated facts",
    )
    p.add_argument("paths", nargs="*", help="policy files or directories (default: the bundled "
                                            "policies/, or --policies)")
    p.add_argument("--effort", type=_effort, default=DEFAULT_EFFORT, metavar="N",
                   help=f"generated fact sets per property (default {DEFAULT_EFFORT})")
    p.add_argument("--seed", type=_seed, default=0, metavar="S",
                   help="seed for the generated facts (default 0; 'random' for a fresh draw)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    policies_option(p)
    p.set_defaults(handler=cmd_verify)
