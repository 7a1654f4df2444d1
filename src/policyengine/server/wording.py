"""Decisions in plain English for the explorer page: dates written out, names made readable.

``Thursday 9 April 2026`` for a date; ``Thursday 9 April 2026 at 17:30 (BST)`` for a date-time
in London time. The names are spelt here, not taken from the machine's locale, so the page reads
the same on every server.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..durations import LONDON

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
STATUS_WORDS = {
    "decided": "Decided",
    "needs_judgement": "Needs a person's judgement",
    "not_applicable": "Not applicable: the facts fall outside the document's scope",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def long_date(day: dt.date) -> str:
    """``Thursday 9 April 2026``."""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def long_datetime(moment: dt.datetime) -> str:
    """``Thursday 9 April 2026 at 17:30 (BST)``, in London time."""
    local = moment.astimezone(LONDON) if moment.tzinfo else moment.replace(tzinfo=LONDON)
    return f"{long_date(local.date())} at {local:%H:%M} ({local.tzname()})"


def humanise(name: str) -> str:
    """``review_by`` -> ``Review by``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def words(value: Any, kind: str | None = None) -> str:
    """One JSON outcome value as text: dates written out, booleans yes/no, lists joined."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        if kind in ("date", "moment", None) and _DATE.match(value):
            return long_date(dt.date.fromisoformat(value))
        if kind in ("datetime", "moment", None) and _DATETIME.match(value):
            try:
                return long_datetime(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        if kind == "enum":
            return value.replace("_", " ")
        return value
    if isinstance(value, list):
        if not value:
            return "(none)"
        if all(isinstance(v, str) for v in value):
            return "; ".join(words(v, "enum" if kind == "enum" else None) for v in value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def schema_kind(schema: dict[str, Any] | None) -> str | None:
    """The value kind a JSON Schema describes (date, datetime, moment, enum, list-of-enum)."""
    if not schema:
        return None
    if "anyOf" in schema:
        return "moment"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "date-time":
        return "datetime"
    if "enum" in schema:
        return "enum"
    items = schema.get("items")
    if isinstance(items, dict) and "enum" in items:
        return "enum"
    return None
