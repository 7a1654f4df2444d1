"""Hostile values shared by the fuzz generators: YAML scalars, JSON texts and Python values.

Each list holds the inputs that broke, or were likely to break, the error contract: impossible
dates, malformed numbers, tags on the wrong kind of value, recursion, size, and the values a
program can pass that JSON cannot carry.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

#: YAML scalars (as written in a file) that the loader must either read or refuse with a position.
YAML_SCALARS: tuple[str, ...] = (
    "2026-02-30", "0000-01-01", "2026-12-32", "2014-02-29", "9999-12-31", "0001-01-01",
    "2026-01-01T10:00:00+99:00", "2026-03-29T01:30:00", "2026-10-25 01:30:00 +01:00",
    "0x_", "0b_", "0o_", "0x", "1_000", "0x1F", "0b101", "017", "190:20:30", "17:00", "-0",
    "!!int abc", "!!int", "!!int ''", "!!bool maybe", "!!timestamp soon", "!!float x",
    "!!null x", "!!str [1]", "!!map [1]", "!!seq {a: 1}", "!!binary aGk=", "!!set {a}",
    "!!python/object/apply:os.system ['true']", "!!omap [a: 1]", "!<tag:x> y", "!local y",
    "9" * 5000, "-" + "9" * 120, "1e999", "1.0e999", ".nan", "-.inf", ".inf", "1.5",
    "~", "null", "''", '""', "[]", "{}", "[[[[[[]]]]]]", "[a, [b, {c: d}]]",
    "yes", "no", "on", "off", "y", "n", "True", "FALSE",
    "&a [*a]", "*undefined", "&x 1", "<<: 1", "? a", "- a", ": a", "a: b: c",
    "'unterminated", '"unterminated', '"\\x"', '"\\ud800"', '"\\U0010FFFF"', '"\\0"',
    "@at", "`tick", "%percent", "|", ">", "|-\n  text", "#comment", "a #b",
    "x" * 300, "é—ü", "\u202e", "\ufeff", "\u00a0",
)

#: Text fragments inserted into a policy text at random places.
YAML_FRAGMENTS: tuple[str, ...] = (
    "\t", "\n", ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "&a ", "*a", "!!", "? ",
    "'", '"', "#", "|", ">", "%", "@", "`", "\\", "---\n", "...\n", "\x00", "\x7f", "\r",
    "<<: *a\n", "x: &a [*a]\n", "\u2028", "\udcff", "é",
)

#: JSON texts (whole documents) for facts and events.
JSON_TEXTS: tuple[str, ...] = (
    "{}", "[]", "null", "1", '"x"', "{", '{"a": }', "{a: 1}", "[" * 100_000 + "]" * 100_000,
    '{"x": ' + "9" * 5000 + "}", '{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}',
    '{"x": "\\udc80"}', '{"x": 1, "x": 2}', '{"x": 1e999}', '{"x": "\\u0000"}',
    '{"x": [' + ",".join(["1"] * 10_000) + "]}", "\ufeff{}", '{"\\ud800": 1}',
)

#: Bytes that are not UTF-8.
NOT_UTF8: tuple[bytes, ...] = (b"\xff\xfe", b"{\"a\": \"\xe9\"}", b"\xc3\x28", b"\xed\xa0\x80")


class _Opaque:
    """An object of a class the engine has never heard of."""

    def __repr__(self) -> str:
        return "<opaque>"


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


_BIG = "x" * 10_000_000

class Huge(list):  # type: ignore[type-arg]
    """A list too big or too deep to print: shown by its name in a failing case's report."""

    def __init__(self, name: str, items: list[Any]) -> None:
        super().__init__(items)
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


#: Values big or deep enough that a careless error message takes gigabytes or minutes: the
#: targets run a case holding one in a forked child with a memory cap (see sandbox.py).
HUGE: tuple[Any, ...] = (
    Huge("a list nested 100,000 deep", deep_list(100_000)),
    Huge("10,000 references to one 10 MB string", [_BIG] * 10_000),
    Huge("a list of 100,000 numbers", list(range(100_000))),
)


def holds_huge(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is, or directly holds, one of :data:`HUGE`."""
    if any(value is h for h in HUGE):
        return True
    if depth < 3 and isinstance(value, dict):
        return any(holds_huge(v, depth + 1) for v in value.values())
    if depth < 3 and isinstance(value, list) and len(value) < 100:
        return any(holds_huge(v, depth + 1) for v in value)
    return False

#: Python values an app might pass as a fact (or as the facts), that JSON cannot hold or that
#: are too big, too deep or of a type nobody declared.
PYTHON_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2**63, -(2**63), 10**100, 2**1000,
    math.nan, math.inf, -math.inf, 0.5, -0.0, 1e308,
    "", " ", "x" * 20_000, "\udc80", "\x00", "2026-02-30", "0000-01-01", "9999-12-31",
    "2026-03-29T01:30:00", "2026-10-25T01:30:00", "2026-01-01T00:00:00+99:00",
    "2026-01-01T00:00:00Z", "2026-01-01T00:00:00-23:59", "+002026-01-01", "2026-W01-1",
    "16/03/2014", "2026-1-1", "20260101", "now", "today",
    dt.date.min, dt.date.max, dt.datetime.min, dt.datetime.max,
    dt.datetime(2026, 3, 29, 1, 30), dt.datetime(2026, 10, 25, 1, 30),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59))),
    dt.time(12, 0), dt.timedelta(days=1),
    b"bytes", bytearray(b"x"), decimal.Decimal("1"), decimal.Decimal("NaN"), 1 + 2j,
    [], {}, set(), frozenset(), (), [None], [[]], {"": 1}, {1: 2}, {None: 1}, {(1,): 1},
    *HUGE, {str(i): i for i in range(1000)},
    _Opaque(), object(), type, print, Ellipsis, NotImplemented,
)
