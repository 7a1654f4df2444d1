"""Compiled fact checks: plain-Python validation of a decision's facts, fast when they are right.

Two checks are built from a decision's declared fact types, once:

* the **fast** check, a closure per fact that accepts only the plain JSON shapes an app passes
  (``str``, ``bool``, ``int``, ``list``, ``dict``, ``date``, ``datetime``) and converts them; at
  the first thing it does not expect it gives up, and
* the **full** check, which accepts exactly what the fast one does and a little more (other
  iterables as lists, other mappings as records, ``str``/``int`` subclasses), and collects
  *every* problem with its path, stable code and allowed values before raising one
  :class:`~policyengine.errors.FactsError`.

Both are bounded whatever the input: error messages quote values with
:func:`~policyengine.reprs.short_repr`, a list is read to at most its declared number of items,
and a date or date-time string longer than any real one is refused without being parsed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from itertools import islice
from types import MappingProxyType
from typing import Any

from .durations import LONDON, to_london
from .errors import FactProblem, FactsError, did_you_mean
from .reprs import short_repr
from .values import FrozenDict, frozen_dict, frozen_list
from .valuetypes import MAX_STRING_LENGTH, ValueType

#: The longest date-time string read (the longest ISO 8601 form has about 40 characters).
MAX_DATETIME_TEXT = 64
#: How many problems a FactsError's message lists (``.problems`` has them all).
MAX_PROBLEMS_SHOWN = 20
#: Fact names longer than this are cut in paths and messages.
MAX_NAME_SHOWN = 100


def _name(name: str) -> str:
    return name if len(name) <= MAX_NAME_SHOWN else name[: MAX_NAME_SHOWN - 3] + "..."

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_BAD: Any = object()
_MISSING: Any = object()
_date_from = dt.date.fromisoformat
_datetime_from = dt.datetime.fromisoformat
_DATE, _DATETIME = dt.date, dt.datetime

Path = tuple[Any, ...]
Fast = Callable[[Any], Any]


# ----------------------------------------------------------------------------- dates and times


def london(moment: dt.datetime) -> dt.datetime:
    """``durations.to_london(moment)``, quicker for the usual case: a naive London time that is
    not in an hour the clocks skip is the same wall-clock time marked as London time (an hour
    that happens twice is read as its first occurrence, fold 0, as ``to_london`` reads it)."""
    if moment.tzinfo is None and 1 < moment.year < 9999:
        gaps = _GAPS.get(moment.year)
        if gaps is None:
            gaps = _GAPS[moment.year] = _skipped_hours(moment.year)
        for start, end in gaps:
            if start <= moment < end:
                return to_london(moment)
        return moment.replace(tzinfo=LONDON, fold=0)
    return to_london(moment)  # another zone, or the edges of time: the general function


_GAPS: dict[int, tuple[tuple[dt.datetime, dt.datetime], ...]] = {}


def _skipped_hours(year: int) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The naive London wall-clock intervals of ``year`` that never happen (clocks going
    forward), found from the zone's own rules: day by day, then to the second."""

    def offset(instant: dt.datetime) -> dt.timedelta:
        found = instant.replace(tzinfo=dt.UTC).astimezone(LONDON).utcoffset()
        assert found is not None
        return found

    gaps = []
    day = dt.datetime(year, 1, 1) - dt.timedelta(days=1)
    last = dt.datetime(year, 12, 31) + dt.timedelta(days=1)
    before = offset(day)
    while day < last:
        following = day + dt.timedelta(days=1)
        after = offset(following)
        if after > before:  # the clocks went forward during this day: find the second
            low, high = day, following
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if offset(middle) == before:
                    low = middle
                else:
                    high = middle
            gaps.append((high + before, high + after))
        before, day = after, following
    return tuple(gaps)


def date_reason(value: Any) -> tuple[dt.date | None, str]:
    """``(the date, "")`` or ``(None, why it is not a date YYYY-MM-DD)``."""
    if isinstance(value, dt.datetime):
        return None, "expected a date YYYY-MM-DD, got a date and time"
    if isinstance(value, dt.date):
        return value, ""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            return None, f"{short_repr(value)} is not a date of the form YYYY-MM-DD"
        try:
            return _date_from(value), ""
        except ValueError:
            return None, f"{short_repr(value)} is not a real calendar date"
    return None, "expected a date YYYY-MM-DD"


def datetime_reason(value: Any, convert: bool = True) -> tuple[dt.datetime | None, str]:
    """``(the moment, "")`` or ``(None, why it is not a date and time)``.

    With ``convert`` the moment is an aware London datetime; without, it is as parsed (the
    conversion left for later) unless it lies where conversion could fail.
    """
    if isinstance(value, str):
        text = str.__str__(value)
        if len(text) > MAX_DATETIME_TEXT:
            return None, (f"{short_repr(text)} is not a date and time in ISO 8601 (it is longer "
                          f"than {MAX_DATETIME_TEXT} characters)")
        try:
            _date_from(text)
        except ValueError:
            pass
        else:
            return None, (f"{short_repr(text)} is a date without a time of day; give a date and "
                          "time such as 2026-03-28T12:00")
        try:
            value = _datetime_from(text)
        except ValueError:
            return None, (f"{short_repr(text)} is not a date and time in ISO 8601, such as "
                          "2026-03-28T12:00 or 2026-03-28T12:00:00+01:00")
    elif not isinstance(value, dt.datetime):
        return None, "expected a date and time in ISO 8601, e.g. 2026-03-30T09:15:00"
    if not convert and 1 < value.year < 9999:
        return value, ""
    try:
        return to_london(value), ""
    except ValueError:
        return None, f"{short_repr(value)} is outside the supported dates"


# --------------------------------------------------------------------------------- fast checks


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


# --------------------------------------------------------------------------------- full checks


class _Problems:
    """Problems in the order found, as pydantic reported them: undeclared names first."""

    def __init__(self) -> None:
        self.unknown: list[tuple[Path, FactProblem]] = []
        self.other: list[tuple[Path, FactProblem]] = []

    def add(self, path: Path, message: str, code: str, allowed: tuple[str, ...] | None) -> None:
        problem = FactProblem(path_text(path), message, allowed, code)
        (self.unknown if code == "unknown" else self.other).append((path, problem))

    def __bool__(self) -> bool:
        return bool(self.unknown or self.other)

    def ordered(self) -> list[tuple[Path, FactProblem]]:
        return self.unknown + self.other


def path_text(path: Path) -> str:
    """``contacts[0].channel`` for ``("contacts", 0, "channel")``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str):
            out += ("." if out else "") + _name(part)
        else:  # a mapping key that is not a string
            out += f"[{short_repr(part, 40)}]"
    return out


def _allowed(vt: ValueType) -> tuple[str, ...] | None:
    if vt.kind == "enum":
        return vt.values
    if vt.kind == "list" and vt.of is not None and vt.of.kind == "enum":
        return vt.of.values
    return None


def _invalid(vt: ValueType, value: Any, path: Path, out: _Problems, reason: str = "",
             code: str = "invalid", expected: str | None = None) -> Any:
    message = f"fact '{path_text(path)}' must be {expected or vt.describe()}; got " + short_repr(
        value
    )
    if reason:
        message += f" ({reason})"
    out.add(path, message, code, _allowed(vt))
    return _BAD


def _bounds(vt: ValueType) -> str:
    if vt.minimum is not None and vt.maximum is not None:
        return f"a whole number from {vt.minimum} to {vt.maximum}"
    if vt.minimum is not None:
        return f"a whole number of at least {vt.minimum}"
    return f"a whole number of at most {vt.maximum}"


def _full(vt: ValueType, value: Any, path: Path, out: _Problems) -> Any:
    kind = vt.kind
    if kind == "enum":
        if isinstance(value, str):
            text = str.__str__(value)
            if text in vt.values:
                return vt.values[vt.values.index(text)]
        return _invalid(vt, value, path, out)
    if kind == "bool":
        return value if value is True or value is False else _invalid(vt, value, path, out)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return _invalid(vt, value, path, out)
        number = int.__int__(value)
        if (vt.minimum is not None and number < vt.minimum) or (
            vt.maximum is not None and number > vt.maximum
        ):
            return _invalid(vt, number, path, out, code="out_of_range", expected=_bounds(vt))
        return number
    if kind == "string":
        if not isinstance(value, str):
            return _invalid(vt, value, path, out)
        text = str.__str__(value)
        if len(text) > MAX_STRING_LENGTH:
            return _invalid(vt, text, path, out, code="out_of_range",
                            expected=f"a string of at most {MAX_STRING_LENGTH:,} characters")
        return text
    if kind == "date":
        day, reason = date_reason(value)
        return day if day is not None else _invalid(vt, value, path, out, reason)
    if kind == "datetime":
        moment, reason = datetime_reason(value)
        return moment if moment is not None else _invalid(vt, value, path, out, reason)
    if kind == "list":
        return _full_list(vt, value, path, out)
    if kind == "record":
        if not isinstance(value, Mapping):
            return _invalid(vt, value, path, out)
        return _full_fields(vt.fields, value, path, out, keep_absent=True)
    raise ValueError(f"no check for {kind}")


def _full_list(vt: ValueType, value: Any, path: Path, out: _Problems) -> Any:
    assert vt.of is not None
    most = vt.max_items if vt.max_items is not None else MAX_STRING_LENGTH
    if isinstance(value, str | bytes | bytearray | Mapping):
        return _invalid(vt, value, path, out)
    if isinstance(value, list | tuple):
        items = list.__getitem__(value, slice(0, most + 1)) if isinstance(value, list) else (
            tuple.__getitem__(value, slice(0, most + 1))
        )
    else:
        try:
            items = list(islice(iter(value), most + 1))
        except Exception:  # not iterable, or it failed while we read it
            return _invalid(vt, value, path, out)
    if len(items) > most:
        return _invalid(vt, value, path, out, code="out_of_range",
                        expected=f"{vt.describe()} (at most {most:,} items)")
    results = [_full(vt.of, item, (*path, i), out) for i, item in enumerate(items)]
    return _BAD if any(r is _BAD for r in results) else frozen_list(results)


def _full_fields(
    fields: tuple[tuple[str, ValueType], ...],
    given: Mapping[Any, Any],
    path: Path,
    out: _Problems,
    *,
    keep_absent: bool,
    names_for_hint: tuple[str, ...] | None = None,
    where: str = "",
) -> Any:
    values: dict[str, Any] = {}
    bad = False
    try:
        keys = list(dict.keys(given)) if isinstance(given, dict) else list(given.keys())
    except Exception:
        return _invalid(ValueType("record", fields=fields), given, path, out)
    present = {k for k in keys if isinstance(k, str)}
    for name, vt in fields:
        if name not in present:
            if vt.optional:
                if keep_absent:
                    values[name] = None
                continue
            desc = f" ({vt.describe()})"
            out.add((*path, name), f"fact '{path_text((*path, name))}' is required{desc}",
                    "missing", _allowed(vt))
            bad = True
            continue
        raw = dict.__getitem__(given, name) if isinstance(given, dict) else given[name]
        if raw is None and vt.optional:
            if keep_absent:
                values[name] = None
            continue
        result = _full(vt, raw, (*path, name), out)
        if result is _BAD:
            bad = True
        else:
            values[name] = result
    declared = {name for name, _ in fields}
    for key in keys:
        if isinstance(key, str) and key in declared:
            continue
        bad = True
        where_key = (*path, key)
        if not isinstance(key, str):
            out.add(where_key, f"fact names are strings; got the key {short_repr(key, 40)} "
                               f"({type(key).__name__})", "invalid", None)
        elif names_for_hint is not None:
            hint = did_you_mean(key, names_for_hint) if len(key) <= 100 else ""
            out.add(where_key, f"fact '{path_text(where_key)}' is not a fact of {where}{hint}; "
                               f"its facts are: {', '.join(names_for_hint) or '(none)'}",
                    "unknown", None)
        else:
            out.add(where_key, f"fact '{path_text(where_key)}' is not a field of this record",
                    "unknown", None)
    return _BAD if bad else frozen_dict(values)


# -------------------------------------------------------------------------------- one decision


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
        return to_london(value)
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
        self.fast: Callable[[Any], tuple[FrozenDict[str, Any], Any] | None] = self._fast()
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError(f"the checks of {self.where} cannot be changed")
        object.__setattr__(self, name, value)

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
        self.source = "\n".join(lines) + "\n"
        exec(compile(self.source, f"<fact checks of {self.where}>", "exec"), env)
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
        out = _Problems()
        values = _full_fields(tuple(self.types.items()), facts, (), out, keep_absent=False,
                              names_for_hint=self.names, where=self.where)
        if not out:
            return values  # type: ignore[no-any-return]
        found = out.ordered()
        problems = [p for _, p in found]
        head = found[0][0][0]
        return_fact = _name(head) if isinstance(head, str) else path_text((head,))
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
