"""What a YAML scalar's text means: its tag resolved, its value constructed, or why it cannot be.

PyYAML's safe constructors build the values; what they raise for text they cannot read (a
``ValueError`` for ``2026-02-30``, a ``KeyError`` for ``!!bool maybe``, ...) becomes
:class:`Unreadable`, with a reason a policy author can act on.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import yaml

from .inputs import Limits

_YAML = "tag:yaml.org,2002:"
STR_TAG = _YAML + "str"
INT_TAG = _YAML + "int"
MAP_TAG = _YAML + "map"
SEQ_TAG = _YAML + "seq"
MERGE_TAG = _YAML + "merge"
SCALAR_TAGS = frozenset(_YAML + n for n in ("str", "int", "float", "bool", "null", "timestamp"))
#: the tags a policy file may carry
ALLOWED_TAGS = SCALAR_TAGS | {MAP_TAG, SEQ_TAG}
RESOLVER = yaml.resolver.Resolver()


class Unreadable(Exception):
    """A scalar's text cannot be read as its tag says; ``reason`` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tag_text(tag: str) -> str:
    """A tag as written: ``!!int`` for YAML's own, else in full."""
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


def construct_scalar(constructor: Any, event: Any, tag: str, limits: Limits) -> Any:
    """The value of a scalar event of ``tag`` (not ``!!str``), or :class:`Unreadable`."""
    text = str(event.value)
    if tag == INT_TAG:
        digits = sum(ch.isdigit() for ch in text)
        if digits > limits.max_number_digits:
            raise Unreadable(f"a whole number of {digits:,} digits is too long (at most "
                             f"{limits.max_number_digits}); if it is text, put it in quotes")
    construct = constructor.yaml_constructors.get(tag)
    if construct is None:
        raise Unreadable(f"the YAML tag '{tag_text(tag)}' is not allowed in a policy file")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        value = construct(constructor, node)
    except Exception as exc:  # PyYAML raises ValueError, KeyError, IndexError, ...
        raise Unreadable(_unreadable(tag, event, exc)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Unreadable(f"'{text}' is {'not a number' if value != value else 'infinite'}: a "
                         "policy's numbers are finite (decisions are JSON); write a number, or "
                         "quote the value if it is text")
    return value


def _explicit(tag: str, event: Any) -> bool:
    """Whether a tag was written (``!!int x``) rather than resolved from a plain value."""
    if event.style:  # quoted ('' or None is plain: the C and Python parsers differ)
        return True
    resolved = RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))  # type: ignore[no-untyped-call]
    return bool(resolved != tag)


def _unreadable(tag: str, event: Any, exc: Exception) -> str:
    """Why a scalar could not be read, and what to write instead."""
    text = str(event.value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    kind = tag.removeprefix(_YAML)
    fix = (f"remove the tag {tag_text(tag)} or correct the value" if _explicit(tag, event)
           else "if it is text, put it in quotes")
    if kind == "timestamp":
        reason = str(exc) if isinstance(exc, ValueError) else "not in the form YYYY-MM-DD"
        if "offset" in reason:
            reason = "the UTC offset must be less than 24 hours"
        elif "year" in reason:
            reason = f"years run from {dt.MINYEAR} to {dt.MAXYEAR}"
        return (f"'{shown}' is not a real date or date-time ({reason}); write a date as "
                f"YYYY-MM-DD; {fix}")
    words = {"int": "a whole number", "float": "a number", "bool": "true or false",
             "null": "empty (null)"}.get(kind, kind)
    return f"'{shown}' cannot be read as {words}; {fix}"
