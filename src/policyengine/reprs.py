"""A bounded ``repr`` for error messages: whatever a caller passes, quoting it is quick and short.

``repr()`` of hostile input can be slow (a 10 MB string), raise (a list nested 100,000 deep, an
integer of more than 4,300 digits) or run a caller's own code (a class's ``__repr__``).
:func:`short_repr` looks at no more than a few dozen items at a few levels, cuts strings before
quoting them, and names other objects by their type only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["short_repr"]

_MAX_ITEMS = 6
_MAX_DEPTH = 3


def short_repr(value: Any, limit: int = 60) -> str:
    """A repr of ``value`` of at most ``limit`` characters (``...`` marks a cut)."""
    text = _repr(value, _MAX_DEPTH, limit)
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _repr(value: Any, depth: int, limit: int) -> str:
    cls = value.__class__
    if value is None or cls is bool or cls is float:
        return repr(value)
    if isinstance(value, str):
        text = str.__str__(value)
        return repr(text[: limit + 1]) if len(text) > limit else repr(text)
    if isinstance(value, bool):
        return repr(bool(value))
    if isinstance(value, int):
        number = int.__int__(value)
        if number.bit_length() > 128:
            return f"<a whole number of about {int(number.bit_length() * 0.30103) + 1} digits>"
        return repr(number)
    if isinstance(value, bytes | bytearray):
        return repr(bytes(value[: limit + 1]))
    if cls in (dt.date, dt.datetime, dt.time, dt.timedelta):
        return repr(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        if depth <= 0:
            return "[...]" if isinstance(value, list) else f"<{type(value).__name__}>"
        return _container(value, depth, limit)
    return f"<{type(value).__name__}>"


def _container(value: Any, depth: int, limit: int) -> str:
    parts: list[str] = []
    budget = limit
    is_dict = isinstance(value, dict)
    base = next(b for b in (dict, list, tuple, set, frozenset) if isinstance(value, b))
    try:  # the base type's own methods: a subclass's overrides are never called
        size = base.__len__(value)
        items = iter(dict.items(value)) if is_dict else base.__iter__(value)
        for _ in range(min(size, _MAX_ITEMS)):
            item = next(items)
            if is_dict:
                key, val = item
                text = f"{_repr(key, depth - 1, budget)}: {_repr(val, depth - 1, budget)}"
            else:
                text = _repr(item, depth - 1, budget)
            parts.append(text)
            budget -= len(text) + 2
            if budget <= 0:
                break
    except Exception:  # a container that changes or fails while we look at it
        return f"<{type(value).__name__}>"
    more = ", ..." if len(parts) < size else ""
    inner = ", ".join(parts) + more
    if is_dict:
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + inner + "]"
    if isinstance(value, tuple):
        return "(" + inner + ("," if size == 1 else "") + ")"
    return "{" + inner + "}" if size else f"{type(value).__name__}()"
