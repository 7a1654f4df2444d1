"""The full check of facts: every problem, with its path, stable code and allowed values.

It accepts what the fast check (:mod:`~policyengine.factcheck`) accepts and a little more (other
iterables as lists, other mappings as records, ``str``/``int`` subclasses), in the order pydantic
reported problems before it (undeclared names first), and is bounded whatever the input: values
are quoted with :func:`~policyengine.reprs.short_repr`, a list is read to at most its declared
number of items, long names are cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from .errors import FactProblem, did_you_mean
from .factdates import date_reason, datetime_reason
from .reprs import short_repr
from .values import frozen_dict, frozen_list
from .valuetypes import MAX_STRING_LENGTH, ValueType

#: Fact names longer than this are cut in paths and messages.
MAX_NAME_SHOWN = 100

#: What a check returns for a value it refuses.
BAD: Any = object()

Path = tuple[Any, ...]


def short_name(name: str) -> str:
    if not name.isprintable():  # a newline or control character in a key: shown escaped
        name = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)
    return name if len(name) <= MAX_NAME_SHOWN else name[: MAX_NAME_SHOWN - 3] + "..."


class Problems:
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
            out += ("." if out else "") + short_name(part)
        else:  # a mapping key that is not a string
            out += f"[{short_repr(part, 40)}]"
    return out


def _allowed(vt: ValueType) -> tuple[str, ...] | None:
    if vt.kind == "enum":
        return vt.values
    if vt.kind == "list" and vt.of is not None and vt.of.kind == "enum":
        return vt.of.values
    return None


def _invalid(vt: ValueType, value: Any, path: Path, out: Problems, reason: str = "",
             code: str = "invalid", expected: str | None = None) -> Any:
    message = f"fact '{path_text(path)}' must be {expected or vt.describe()}; got " + short_repr(
        value
    )
    if reason:
        message += f" ({reason})"
    out.add(path, message, code, _allowed(vt))
    return BAD


def _bounds(vt: ValueType) -> str:
    if vt.minimum is not None and vt.maximum is not None:
        return f"a whole number from {vt.minimum} to {vt.maximum}"
    if vt.minimum is not None:
        return f"a whole number of at least {vt.minimum}"
    return f"a whole number of at most {vt.maximum}"


def _full(vt: ValueType, value: Any, path: Path, out: Problems) -> Any:
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
        return full_fields(vt.fields, value, path, out, keep_absent=True)
    raise ValueError(f"no check for {kind}")


def _full_list(vt: ValueType, value: Any, path: Path, out: Problems) -> Any:
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
    return BAD if any(r is BAD for r in results) else frozen_list(results)


def full_fields(
    fields: tuple[tuple[str, ValueType], ...],
    given: Mapping[Any, Any],
    path: Path,
    out: Problems,
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
        if result is BAD:
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
    return BAD if bad else frozen_dict(values)
