"""The types of facts and of computed values, as the compiler resolves them from a policy."""

from __future__ import annotations

from .records import record

SCALAR_KINDS = ("bool", "int", "string", "enum", "date", "datetime")
ALL_KINDS = (*SCALAR_KINDS, "list", "record")

#: The longest string a string fact may be.
MAX_STRING_LENGTH = 10_000


@record
class ValueType:
    """The type of a fact or of a computed value."""

    kind: str  # one of ALL_KINDS, or "duration" / "any" for computed values
    values: tuple[str, ...] = ()
    ordered: bool = False
    of: ValueType | None = None
    fields: tuple[tuple[str, ValueType], ...] = ()
    optional: bool = False
    name: str | None = None  # the named type it came from, if any
    minimum: int | None = None
    maximum: int | None = None
    max_items: int | None = None

    def describe(self) -> str:
        if self.kind == "enum":
            return f"one of {', '.join(self.values)}"
        if self.kind == "list" and self.of is not None:
            return f"a list of {self.of.describe_plural()}"
        if self.kind == "record":
            inner = ", ".join(f"{k} ({v.describe()})" for k, v in self.fields)
            return f"a record with {inner}"
        return {
            "bool": "true or false",
            "int": "a whole number",
            "string": "a string",
            "date": "a date YYYY-MM-DD",
            "datetime": "a date and time (ISO 8601; without an offset it is London time)",
            "moment": "a date, or a date and time",
        }.get(self.kind, self.kind)

    def describe_plural(self) -> str:
        if self.kind == "enum":
            return f"values from {', '.join(self.values)}"
        if self.kind == "record":
            return "records with " + ", ".join(f"{k} ({v.describe()})" for k, v in self.fields)
        return {
            "bool": "booleans",
            "int": "whole numbers",
            "string": "strings",
            "date": "dates",
            "datetime": "dates and times",
        }.get(self.kind, self.kind)

    def field(self, name: str) -> ValueType | None:
        for k, v in self.fields:
            if k == name:
                return v
        return None

    @property
    def is_ordered(self) -> bool:
        return self.kind in ("int", "date", "datetime") or (self.kind == "enum" and self.ordered)

    def rank(self, value: str) -> int:
        return self.values.index(value)


BOOL = ValueType("bool")
INT = ValueType("int")
STRING = ValueType("string")
DATE = ValueType("date")
DATETIME = ValueType("datetime")
MOMENT = ValueType("moment")  # an outcome that is a date for some facts, a date-time for others
ANY = ValueType("any")
