"""The fact space of a decision: a few representative values for each of its facts.

The values are the simplest of each type plus what the decision's own expressions compare its
facts with (harvested from its rules, fact checks and invariants): literals and their neighbours,
list counts, dates a duration apart, and keys in and out of a ``sample``. Optional facts may also
be left out (:data:`OMIT`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..calendars import WorkingCalendar
from ..compiler import CompiledDecision, CompiledPolicy
from ..durations import Duration, add_duration, parse_duration
from ..expressions import COMPARISONS, ORDER_TESTS, in_sample
from ..facts import ValueType

#: The decision date of the static checks, and the representative dates either side of it.
STATIC_AS_OF = dt.date(2026, 2, 2)
FIRST_DATE = dt.date(2026, 1, 12)
LATER_DATE = dt.date(2026, 4, 13)
EARLIER_DATE = dt.date(2025, 11, 10)

_MAX_INT_REPS = 9
_MAX_DURATIONS = 3


class _Omitted:
    """An optional fact left out of a fact set."""

    def __repr__(self) -> str:
        return "<omitted>"


OMIT = _Omitted()


def _json_literal(value: Any) -> Any:
    """Dates and date-times as ISO text, as given (a naive date-time stays naive: London time).
    Not :func:`~policyengine.decision.to_json_value`, which would add the London offset."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


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
class Dimension:
    """One fact of a decision and the representative values it takes in the fact space."""

    name: str
    values: tuple[Any, ...]  # JSON values, OMIT for a left-out optional fact
    optional: bool


def fact_dimensions(decision: CompiledDecision) -> list[Dimension]:
    """The decision's fact space: each fact with its representative values, simplest first."""
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
    dims: list[Dimension] = []
    calendar = decision.policy.calendar
    dates = _shifted(harvest.durations, calendar, moment=False)
    moments = _shifted(harvest.durations, calendar, moment=True)
    closes_at = decision.policy.closes_at
    if closes_at is not None:  # at or after closing on a working day: received the next day
        moments.append(dt.datetime.combine(FIRST_DATE, closes_at))
    for name, vt in decision.facts.items():
        shifted = dates if vt.kind == "date" else moments if vt.kind == "datetime" else []
        reps = _representatives(vt, harvest.literals.get(name, []), harvest.counts.get(name, ()),
                                shifted)
        values = ((OMIT,) if vt.optional else ()) + tuple(reps)
        dims.append(Dimension(name, values, vt.optional))
    return dims
