"""The explorer's form, generated from a decision's fact schema, and the facts read back from it.

Each fact becomes a widget by its JSON Schema (:mod:`policyengine.fact_schema`): a drop-down for
an enum or a boolean (with "not given" where the fact is optional), a date or date-time picker,
a number or text box, a group of checkboxes for a list of enum values, and rows that can be
added and removed for any other list (a list of records such as Citizen's contacts). Field
names are the fact's path under ``f.`` (``f.contacts.0.at``); a list's row count travels in a
hidden ``rows.<path>`` field. Nothing is guessed: an empty field is a fact not given, which the
decision then reports as missing if it is required.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .wording import humanise

MAX_ROWS = 200


@dataclass
class Widget:
    """One form control (or a group of them) for a fact or a part of one."""

    kind: str  # select, date, datetime, number, text, checkboxes, rows, group
    name: str  # the form field name (f.contacts.0.at)
    path: str  # the fact's path as FactsError gives it (contacts[0].at)
    label: str
    hint: str | None = None
    required: bool = False
    value: Any = ""  # a string; a list of strings for checkboxes
    options: list[tuple[str, str]] = field(default_factory=list)
    children: list[Widget] = field(default_factory=list)
    error: str | None = None
    item_label: str = ""

    @property
    def id(self) -> str:
        return self.name.replace(".", "-")


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else ({kind} if isinstance(kind, str) else set())


def _singular(label: str) -> str:
    word = label.lower()
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        return value[:16]  # a datetime-local control shows minutes
    return str(value)


def widget(schema: Mapping[str, Any], name: str, path: str, label: str, required: bool,
           value: Any, errors: Mapping[str, str]) -> Widget:
    """The widget for one value of ``schema`` at ``path``, showing ``value`` and its error."""
    hint = schema.get("description")
    types = _types(schema)
    out = Widget("text", name, path, label, hint, required, error=errors.get(path))
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        out.kind = "select"
        out.options = [(v, v.replace("_", " ")) for v in values]
        out.value = _scalar_text(value)
    elif "boolean" in types:
        out.kind = "select"
        out.options = [("true", "Yes"), ("false", "No")]
        out.value = _scalar_text(value)
    elif "integer" in types:
        out.kind, out.value = "number", _scalar_text(value)
    elif schema.get("format") == "date":
        out.kind, out.value = "date", _scalar_text(value)
    elif schema.get("format") == "date-time":
        out.kind, out.value = "datetime", _scalar_text(value)
    elif "array" in types:
        items = schema.get("items", {})
        rows = value if isinstance(value, list) else []
        if "enum" in items:
            out.kind = "checkboxes"
            out.options = [(v, v.replace("_", " ")) for v in items["enum"] if v is not None]
            out.value = [str(v) for v in rows]
        else:
            out.kind = "rows"
            out.item_label = items.get("title") or _singular(label)
            out.children = [
                widget(items, f"{name}.{i}", f"{path}[{i}]",
                       f"{humanise(out.item_label)} {i + 1}", True, row, errors)
                for i, row in enumerate(rows)
            ]
    elif "object" in types:
        out.kind = "group"
        out.children = fields(schema, name, path, value if isinstance(value, dict) else {},
                              errors)
    else:
        out.value = _scalar_text(value)
    return out


def fields(schema: Mapping[str, Any], prefix: str = "f", base: str = "",
           values: Mapping[str, Any] | None = None,
           errors: Mapping[str, str] | None = None) -> list[Widget]:
    """The widgets of an object schema's properties (the form's top level: the facts)."""
    required = set(schema.get("required", []))
    values = values or {}
    found = errors or {}
    return [
        widget(sub, f"{prefix}.{key}", f"{base}.{key}" if base else key, humanise(key),
               key in required, values.get(key), found)
        for key, sub in schema.get("properties", {}).items()
    ]


class FormData:
    """The submitted form: its fields by name, repeated names kept in order."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(key, []).append(value)

    def get(self, name: str, default: str = "") -> str:
        found = self._values.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))


def _row_count(form: FormData, name: str) -> int:
    try:
        count = int(form.get(f"rows.{name}", "0"))
    except ValueError:
        return 0
    return max(0, min(count, MAX_ROWS))


def read_value(schema: Mapping[str, Any], form: FormData, name: str) -> tuple[bool, Any]:
    """(given, value) for the field(s) at ``name``; an empty scalar field is not given."""
    types = _types(schema)
    if "array" in types:
        items = schema.get("items", {})
        if "enum" in items:
            return True, form.getlist(name)
        rows = []
        for i in range(_row_count(form, name)):
            given, value = read_value(items, form, f"{name}.{i}")
            rows.append(value if given else "")
        return True, rows
    if "object" in types and "enum" not in schema:
        return True, read_object(schema, form, name)
    raw = form.get(name).strip()
    if raw == "":
        return False, None
    if "boolean" in types and "enum" not in schema:
        return True, {"true": True, "false": False}.get(raw, raw)
    if "integer" in types:
        try:
            return True, int(raw)
        except ValueError:
            return True, raw
    return True, raw


def read_object(schema: Mapping[str, Any], form: FormData, prefix: str = "f") -> dict[str, Any]:
    """The facts (or a record's fields) a submitted form gives, by the schema."""
    out: dict[str, Any] = {}
    for key, sub in schema.get("properties", {}).items():
        given, value = read_value(sub, form, f"{prefix}.{key}")
        if given:
            out[key] = value
    return out


def apply_action(facts: dict[str, Any], action: str) -> bool:
    """``add:f.contacts`` adds an empty row, ``remove:f.contacts:2`` removes row 2 (0-based);
    True when the action was one of these (the form is shown again, nothing decided)."""
    kind, _, rest = action.partition(":")
    if kind not in ("add", "remove"):
        return False
    target, _, index = rest.partition(":") if kind == "remove" else (rest, "", "")
    parts = target.split(".")[1:]  # past the "f" prefix
    holder: Any = facts
    for part in parts[:-1]:
        holder = holder[int(part)] if isinstance(holder, list) else holder.get(part)
        if holder is None:
            return True
    key: Any = parts[-1] if parts else None
    if isinstance(holder, list):
        key = int(key)
        rows = holder[key] if 0 <= key < len(holder) else None
    else:
        rows = holder.setdefault(key, []) if isinstance(holder, dict) else None
    if not isinstance(rows, list):
        return True
    if kind == "add" and len(rows) < MAX_ROWS:
        rows.append(None)  # shown as an empty row of whatever the list holds
    elif kind == "remove" and index.isdigit() and int(index) < len(rows):
        rows.pop(int(index))
    return True
