"""Compiled fact checks: plain-Python validation of a decision's facts, fast when they are right.

Two checks are built from a decision's declared fact types, once:

* the **fast** check, one generated function per decision that accepts only the plain JSON shapes
  an app passes (``str``, ``bool``, ``int``, ``list``, ``dict``, ``date``, ``datetime``) and
  converts them; at the first thing it does not expect it gives up, and
* the **full** check (:mod:`~policyengine.factproblems`), which accepts exactly what the fast one
  does and a little more, and collects *every* problem with its path, stable code and allowed
  values before raising one :class:`~policyengine.errors.FactsError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any

from .durations import to_london
from .errors import FactsError
from .factdates import ISO_DATE, MAX_DATETIME_TEXT, london
from .factproblems import BAD, Problems, full_fields, path_text, short_name
from .values import FrozenDict, frozen_dict, frozen_list
from .valuetypes import MAX_STRING_LENGTH, ValueType

#: How many problems a FactsError's message lists (``.problems`` has them all).
MAX_PROBLEMS_SHOWN = 20

_BAD = BAD
_MISSING: Any = object()
_date_from = dt.date.fromisoformat
_datetime_from = dt.datetime.fromisoformat
_DATE, _DATETIME = dt.date, dt.datetime
_ISO_DATE = ISO_DATE

Fast = Callable[[Any], Any]


def _fast(vt: ValueType, convert: bool) -> Fast:
    kind = vt.kind
    if kind == "enum":
        allowed = frozenset(vt.values)

        def enum(v: Any) -> Any:
            return v if v.__class__ is str and v in allowed else _BAD

        return enum
    if kind == "bool":

        def boolean(v: Any) -> Any:
            return v if v is True or v is False else _BAD

        return boolean
    if kind == "int":
        lo = vt.minimum if vt.minimum is not None else None
        hi = vt.maximum if vt.maximum is not None else None

        def whole(v: Any) -> Any:
            if v.__class__ is not int or (lo is not None and v < lo) or (hi is not None and v > hi):
                return _BAD
            return v

        return whole
    if kind == "string":

        def string(v: Any) -> Any:
            return v if v.__class__ is str and len(v) <= MAX_STRING_LENGTH else _BAD

        return string
    if kind == "date":
        iso = _ISO_DATE.fullmatch

        def date(v: Any) -> Any:
            if v.__class__ is str:
                if len(v) != 10 or iso(v) is None:
                    return _BAD
                try:
                    return _date_from(v)
                except ValueError:
                    return _BAD
            return v if v.__class__ is _DATE else _BAD

        return date
    if kind == "datetime":

        def moment(v: Any) -> Any:
            if v.__class__ is str:
                if not 10 < len(v) <= MAX_DATETIME_TEXT:
                    return _BAD  # date-only forms are at most 10 characters: the full check
                try:
                    v = _datetime_from(v)
                except ValueError:
                    return _BAD
            elif v.__class__ is not _DATETIME:
                return _BAD
            if 1 < v.year < 9999:
                return london(v) if convert else v
            try:
                return to_london(v)
            except ValueError:
                return _BAD

        return moment
    if kind == "list":
        assert vt.of is not None
        item = _fast(vt.of, convert)
        most = vt.max_items if vt.max_items is not None else MAX_STRING_LENGTH

        def items(v: Any) -> Any:
            if (v.__class__ is not list and v.__class__ is not tuple) or len(v) > most:
                return _BAD
            out = []
            for x in v:
                r = item(x)
                if r is _BAD:
                    return _BAD
                out.append(r)
            return frozen_list(out)

        return items
    if kind == "record":
        fields = tuple((k, _fast(f, convert), f.optional) for k, f in vt.fields)

        def record(v: Any) -> Any:
            if v.__class__ is not dict:
                return _BAD
            out: dict[str, Any] = {}
            seen = 0
            for name, check, optional in fields:
                x = v.get(name, _MISSING)
                if x is _MISSING or x is None:
                    if x is None:
                        seen += 1
                    if not optional:
                        return _BAD
                    out[name] = None
                    continue
                seen += 1
                r = check(x)
                if r is _BAD:
                    return _BAD
                out[name] = r
            return frozen_dict(out) if seen == len(v) else _BAD

        return record
    raise ValueError(f"no check for {kind}")


def _has_datetime(vt: ValueType) -> bool:
    if vt.kind == "datetime":
        return True
    if vt.of is not None and _has_datetime(vt.of):
        return True
    return any(_has_datetime(f) for _, f in vt.fields)


def _finish(vt: ValueType, value: Any) -> Any:
    """Convert the date-times a deferred check left as parsed to London time."""
    if value is None:
        return None
    if vt.kind == "datetime":
        return london(value)
    if vt.kind == "list" and vt.of is not None:
        return frozen_list([_finish(vt.of, v) for v in value])
    if vt.kind == "record":
        return frozen_dict({k: _finish(f, value[k]) for k, f in vt.fields})
    return value


def _inline_test(vt: ValueType, i: int, env: dict[str, Any]) -> str | None:
    """A Python expression true when ``v`` is not a valid value of ``vt`` (which is then kept
    as it is), or None when the kind needs its closure."""
    if vt.kind == "enum":
        env[f"A{i}"] = frozenset(vt.values)
        return f"v.__class__ is not str or v not in A{i}"
    if vt.kind == "bool":
        return "v is not True and v is not False"
    if vt.kind == "int":
        test = "v.__class__ is not int"
        if vt.minimum is not None:
            test += f" or v < {int(vt.minimum)}"
        if vt.maximum is not None:
            test += f" or v > {int(vt.maximum)}"
        return test
    if vt.kind == "string":
        return "v.__class__ is not str or len(v) > MAX_STRING"
    return None


class Checks:
    """The fast and the full check of one decision's facts."""

    def __init__(
        self,
        policy: str,
        decision: str,
        types: Mapping[str, ValueType],
        deferred: Collection[str],
    ) -> None:
        self.policy = policy
        self.decision = decision
        self.where = f"{policy}.{decision}"
        self.types: Mapping[str, ValueType] = MappingProxyType(dict(types))
        self.names = tuple(types)
        self.deferred = frozenset(n for n in deferred if n in types and _has_datetime(types[n]))
        self.fields = tuple(
            (name, _fast(vt, name not in self.deferred), vt.optional)
            for name, vt in types.items()
        )
        self.source = ""
        self._compiled: Callable[[Any], tuple[FrozenDict[str, Any], Any] | None] | None = None
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError(f"the checks of {self.where} cannot be changed")
        object.__setattr__(self, name, value)

    @property
    def compiled(self) -> bool:
        """Whether the fast check has been generated (on the second call: a validator used
        once, as for a literal in a policy file, never pays for generating it)."""
        return self._compiled is not None

    def fast(self, facts: Any) -> tuple[FrozenDict[str, Any], Any] | None:
        """``(values, the decision's facts or a function building them)``, or None when these
        facts are not of the plain shapes the fast check takes (the full check then decides)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._fast()
            object.__setattr__(self, "_compiled", compiled)
        return compiled(facts)

    def _fast(self) -> Callable[[Any], tuple[FrozenDict[str, Any], Any] | None]:
        """The fast check as one generated function: a few lines of plain Python per fact
        (enums, booleans, whole numbers and strings inline; the other kinds call their closure),
        so that valid facts cost a dictionary look-up and a test or two each."""
        env: dict[str, Any] = {"MISSING": _MISSING, "BAD": _BAD, "frozen_dict": frozen_dict,
                               "MAX_STRING": MAX_STRING_LENGTH}
        lines = ["def fast(facts):",
                 "    if facts.__class__ is not dict:",
                 "        return None",
                 "    get = facts.get",
                 "    seen = 0",
                 "    out = {}"]
        for i, (name, check, optional) in enumerate(self.fields):
            vt = self.types[name]
            env[f"C{i}"] = check
            key = repr(name)
            lines.append(f"    v = get({key}, MISSING)")
            lines.append("    if v is MISSING or v is None:")
            lines.append("        if v is None:")
            lines.append("            seen += 1")
            lines.append("        " + ("pass" if optional else "return None"))
            lines.append("    else:")
            lines.append("        seen += 1")
            test = _inline_test(vt, i, env)
            if test is not None:
                lines.append(f"        if {test}:")
                lines.append("            return None")
                lines.append(f"        out[{key}] = v")
            else:
                lines.append(f"        r = C{i}(v)")
                lines.append("        if r is BAD:")
                lines.append("            return None")
                lines.append(f"        out[{key}] = r")
        lines.append("    if seen != len(facts):")
        lines.append("        return None")
        lines.append("    return frozen_dict(out)")
        source = "\n".join(lines) + "\n"
        object.__setattr__(self, "source", source)
        exec(compile(source, f"<fact checks of {self.where}>", "exec"), env)
        checked: Callable[[Any], FrozenDict[str, Any] | None] = env["fast"]
        deferred = self.deferred
        types = self.types
        if not deferred:

            def fast(facts: Any) -> tuple[FrozenDict[str, Any], Any] | None:
                out = checked(facts)
                return None if out is None else (out, out)

            return fast

        def fast_deferred(facts: Any) -> tuple[FrozenDict[str, Any], Any] | None:
            out = checked(facts)
            if out is None:
                return None

            def complete() -> FrozenDict[str, Any]:
                return frozen_dict(
                    {k: _finish(types[k], v) if k in deferred else v for k, v in out.items()}
                )

            return out, complete

        return fast_deferred

    def full(self, facts: Any) -> FrozenDict[str, Any]:
        """Every fact converted, or a FactsError with every problem."""
        if not isinstance(facts, Mapping):
            raise FactsError(
                f"{self.where}: facts must be a mapping of fact names to values; got "
                f"{type(facts).__name__}",
                policy=self.policy,
                decision=self.decision,
            )
        out = Problems()
        values = full_fields(tuple(self.types.items()), facts, (), out, keep_absent=False,
                              names_for_hint=self.names, where=self.where)
        if not out:
            return values  # type: ignore[no-any-return]
        found = out.ordered()
        problems = [p for _, p in found]
        head = found[0][0][0]
        return_fact = short_name(head) if isinstance(head, str) else path_text((head,))
        shown = "; ".join(p.message for p in problems[:MAX_PROBLEMS_SHOWN])
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown += (f"; and {len(problems) - MAX_PROBLEMS_SHOWN:,} more problems (every one is "
                      "in the error's .problems)")
        raise FactsError(
            f"{self.where}: " + shown,
            fact=return_fact,
            allowed=problems[0].allowed,
            policy=self.policy,
            decision=self.decision,
            problems=problems,
        )


def build_checks(
    policy: str, decision: str, types: Mapping[str, ValueType], deferred: Collection[str]
) -> Checks:
    return Checks(policy, decision, types, deferred)
