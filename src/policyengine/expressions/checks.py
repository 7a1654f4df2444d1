"""Type checks of written values: a literal against a fact's type, a value against an
outcome's declared type, and the type of a value that is one of two."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import did_you_mean
from ..facts import MOMENT, STRING, ValueType
from ..load import Path_
from .runtime import Expr
from .scope import Scope, fmt


def check_member(vt: ValueType, value: Any, path: Path_, scope: Scope, fact: str) -> None:
    """Check that a literal written in a test of ``fact`` is a value of its type."""
    if vt.kind == "enum":
        if not isinstance(value, str) or value not in vt.values:
            written = scope.loaded.written.get(path)
            if isinstance(value, bool):
                shown = written or fmt(value)
                hint = (f" (YAML read the unquoted {shown} as {fmt(value)}: write it in "
                        f"quotes, '{shown}')")
            else:
                hint = did_you_mean(str(value), list(vt.values))
            raise scope.fail(
                path,
                f"'{fmt(value)}' is not a value of {fact}; allowed: {', '.join(vt.values)}{hint}",
            )
    elif vt.kind == "bool":
        if not isinstance(value, bool):
            raise scope.fail(path, f"{fact} is true or false, not '{fmt(value)}'")
    elif vt.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise scope.fail(path, f"{fact} is a whole number, not '{fmt(value)}'")
    elif vt.kind == "string":
        if not isinstance(value, str):
            raise scope.fail(path, f"{fact} is a string, not '{fmt(value)}'")
    elif vt.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise scope.fail(path, f"{fact} is a date (YYYY-MM-DD), not '{fmt(value)}'")
    else:
        raise scope.fail(path, f"{fact} ({vt.kind}) cannot be compared with a literal")


def common_type(a: ValueType, b: ValueType) -> ValueType | None:
    """The type of a value that is one of two types, or None if they do not mix."""
    if a == b or b.kind == "any":
        return a
    if a.kind == "any":
        return b
    times = {"date", "datetime", "moment"}
    if a.kind in times and b.kind in times:
        return MOMENT
    if a.kind == b.kind and a.kind in ("string", "enum", "list"):
        return a if a.kind != "enum" else STRING
    if {a.kind, b.kind} == {"string", "enum"}:
        return STRING
    return None


def check_assignable(
    expr: Expr, target: ValueType, path: Path_, scope: Scope, outcome: str
) -> None:
    """Check that a computed value fits the declared type of an outcome."""
    got = expr.type
    if target.kind == "any" or got.kind == "any":
        return
    if target.kind == "enum":
        if got.kind not in ("string", "enum"):
            raise scope.fail(path, f"outcome '{outcome}' takes {target.describe()}, not {got.kind}")
        return
    if target.kind == "string" and got.kind in ("string", "enum"):
        return
    if target.kind == "moment" and got.kind in ("date", "datetime", "moment"):
        return
    if target.kind == "list" and got.kind == "list":
        return
    if target.kind != got.kind:
        raise scope.fail(
            path, f"outcome '{outcome}' is {target.describe()}, but this value is {got.describe()}"
        )


def check_literal_members(
    node: Any, target: ValueType, path: Path_, scope: Scope, name: str
) -> None:
    """Check enum literals written directly in a ``then`` value against the outcome's type."""
    if isinstance(node, dict):
        return
    if target.kind == "enum":
        check_member(target, node, path, scope, name)
    elif target.kind == "list" and target.of is not None and isinstance(node, list):
        for i, item in enumerate(node):
            check_literal_members(item, target.of, (*path, i), scope, name)
