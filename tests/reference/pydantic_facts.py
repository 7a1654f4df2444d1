"""The pydantic fact validator the engine used before its compiled checks (a test reference).

Kept verbatim but for one change: a string over the length limit is "out_of_range", as a
list over its limit always was.

Fact types: what a decision accepts, and validation of the facts an app passes in.

A policy declares each decision's facts (enums, booleans, integers, dates, date-times, strings,
lists of those and lists of small records). From those declarations this module builds a
pydantic model per decision, so that a missing, mistyped, undeclared or out-of-range fact is a
:class:`FactsError` naming the fact and, for enums, the allowed values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from policyengine.durations import parse_date, parse_datetime, to_london
from policyengine.errors import FactProblem, FactsError, did_you_mean

SCALAR_KINDS = ("bool", "int", "string", "enum", "date", "datetime")
ALL_KINDS = (*SCALAR_KINDS, "list", "record")


@dataclass(frozen=True)
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
            "datetime": "a date-time (ISO 8601, naive = Europe/London)",
            "moment": "a date or a date-time",
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
            "datetime": "date-times",
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


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date YYYY-MM-DD, got a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError("expected a date YYYY-MM-DD")


def _as_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return to_london(value)
    if isinstance(value, str):
        return parse_datetime(value)
    raise ValueError("expected a date-time in ISO 8601, e.g. 2026-03-30T09:15:00")


StrictDate = Annotated[dt.date, BeforeValidator(_as_date)]
StrictDateTime = Annotated[dt.datetime, BeforeValidator(_as_datetime)]


def _annotation(vt: ValueType, where: str) -> Any:
    if vt.kind == "bool":
        return StrictBool
    if vt.kind == "int":
        return Annotated[StrictInt, Field(ge=vt.minimum, le=vt.maximum)]
    if vt.kind == "string":
        return Annotated[StrictStr, Field(max_length=10_000)]
    if vt.kind == "enum":
        return Literal[vt.values]
    if vt.kind == "date":
        return StrictDate
    if vt.kind == "datetime":
        return StrictDateTime
    if vt.kind == "list":
        assert vt.of is not None
        item = _annotation(vt.of, where)
        return Annotated[list[item], Field(max_length=vt.max_items)]  # type: ignore[valid-type]
    if vt.kind == "record":
        return _model(vt.fields, f"{where}_record")
    raise ValueError(f"no annotation for {vt.kind}")


def _model(fields: tuple[tuple[str, ValueType], ...], name: str) -> type[BaseModel]:
    spec: dict[str, Any] = {}
    for key, vt in fields:
        ann = _annotation(vt, f"{name}_{key}")
        spec[key] = (ann | None, None) if vt.optional else (ann, ...)
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid", frozen=True), **spec
    )
    return model


class FactsValidator:
    """Validates the facts for one decision; built once when the policy is compiled."""

    def __init__(self, policy: str, decision: str, facts: Mapping[str, ValueType]) -> None:
        self.policy = policy
        self.decision = decision
        self.types = dict(facts)
        self._model = _model(tuple(self.types.items()), f"{policy}__{decision}__facts")
        self._names = tuple(self.types)

    def validate(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Check the facts and return them as Python values (absent optional facts omitted)."""
        if not isinstance(facts, Mapping):
            raise FactsError(
                f"{self.policy}.{self.decision}: facts must be a mapping of fact names to values",
                policy=self.policy,
                decision=self.decision,
            )
        try:
            model = self._model.model_validate(facts)
        except ValidationError as exc:
            raise self._error(exc, facts) from None
        values = model.__dict__
        return {
            k: _plain(values[k]) for k in self._names if values[k] is not None
        }

    def _error(self, exc: ValidationError, facts: Mapping[str, Any]) -> FactsError:
        problems: list[FactProblem] = []
        first_fact: str | None = None
        # an undeclared fact first: it is usually a misspelling of the one reported missing
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        for err in errors:
            loc = err["loc"]
            path = _loc_text(loc)
            name = str(loc[0]) if loc else ""
            vt = self._type_at(loc)
            code = "invalid"
            if err["type"] == "extra_forbidden":
                code = "unknown"
                if len(loc) == 1:
                    hint = did_you_mean(name, self._names)
                    msg = (
                        f"fact '{path}' is not a fact of {self.policy}.{self.decision}{hint}; "
                        f"its facts are: {', '.join(self._names) or '(none)'}"
                    )
                else:
                    msg = f"fact '{path}' is not a field of this record"
            elif err["type"] == "missing":
                code = "missing"
                desc = f" ({vt.describe()})" if vt else ""
                msg = f"fact '{path}' is required{desc}"
            else:
                if err["type"] in ("greater_than_equal", "less_than_equal", "too_long",
                                   "string_too_long"):
                    code = "out_of_range"
                got = _short(err.get("input"))
                expected = vt.describe() if vt else err["msg"]
                msg = f"fact '{path}' must be {expected}; got {got}"
                simple = vt is not None and vt.kind not in ("enum", "list", "record")
                if simple and err["type"] == "value_error":
                    msg += f" ({err['msg'].removeprefix('Value error, ')})"
            allowed: tuple[str, ...] | None = None
            if vt is not None and vt.kind == "enum":
                allowed = vt.values
            elif vt is not None and vt.kind == "list" and vt.of and vt.of.kind == "enum":
                allowed = vt.of.values
            problems.append(FactProblem(path, msg, allowed, code))
            if first_fact is None:
                first_fact = name
        first = problems[0] if problems else None
        return FactsError(
            f"{self.policy}.{self.decision}: " + "; ".join(p.message for p in problems),
            fact=first_fact,
            allowed=first.allowed if first is not None else None,
            policy=self.policy,
            decision=self.decision,
            problems=problems,
        )

    def _type_at(self, loc: tuple[int | str, ...]) -> ValueType | None:
        """The declared type at a pydantic error location (steps pydantic adds are skipped)."""
        if not loc:
            return None
        vt = self.types.get(str(loc[0]))
        for part in loc[1:]:
            if vt is None:
                return None
            if vt.kind == "list" and isinstance(part, int):
                vt = vt.of
            elif vt.kind == "record":
                vt = vt.field(str(part))
        return vt


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.__dict__.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _loc_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part.startswith(("literal", "function")):
            continue
        else:
            out += ("." if out else "") + part
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
