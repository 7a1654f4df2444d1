"""The shape of a policy file, as strict pydantic models.

Only the structure is checked here (known keys, their kinds of value). Conditions and value
expressions are free-form here and are checked, with positions, by the compiler.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import PolicyError, Problem, did_you_mean
from .load import LoadedYaml

IDENT = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Source(Strict):
    """A document the policy encodes (a file in the sources directory)."""

    file: str
    title: str
    url: str | None = None


class Citation(Strict):
    source: str
    quote: str
    section: str | None = None


class Metadata(Strict):
    id: str = Field(pattern=IDENT)
    organisation: str
    title: str
    version: str
    issued: dt.date | None = None
    review_due: dt.date | None = None
    review_note: str | None = None
    nation: Literal["england-and-wales", "scotland", "northern-ireland"]
    status: Literal["in_force", "draft", "withdrawn"] = "in_force"
    status_note: str | None = None
    summary: str | None = None
    cite: list[Citation] = []
    interpretations: list[str] = []


class CalendarSpec(Strict):
    closure_days: list[dt.date] = []
    open_days: list[dt.date] = []
    office_closes_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    office_closes_at_interpretation: str | None = None


class Interpretation(Strict):
    """A place where the encoding goes beyond the text: named, with its value, for sign-off."""

    value: Any = None
    note: str
    signed_off: bool = False


FactTypeName = Literal["enum", "bool", "int", "date", "datetime", "string", "list", "record"]


class FactType(Strict):
    type: str
    values: list[str] | None = None
    ordered: bool = False
    of: FactType | None = None
    fields: dict[str, FactType] | None = None
    optional: bool = False
    description: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_items: int | None = None


class Consideration(Strict):
    id: str = Field(pattern=IDENT)
    text: str
    cite: Citation | None = None


class Rule(Strict):
    id: str = Field(pattern=IDENT)
    description: str | None = None
    when: Any = None
    then: dict[str, Any] = {}
    status: Literal["decided", "needs_judgement", "not_applicable"] | None = None
    considerations: list[Consideration] = []
    requirements: list[Consideration] = []
    because: str | None = None
    cite: list[Citation] = Field(min_length=1)
    interpretations: list[str] = []
    exception_to: str | None = None

    @field_validator("cite", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class OutcomeSpec(Strict):
    type: str
    values: list[str] | None = None
    of: FactType | None = None
    description: str | None = None


class Invariant(Strict):
    id: str = Field(pattern=IDENT)
    description: str
    kind: Literal[
        "monotone",
        "always",
        "date_on_or_after",
        "working_day",
        "status_in",
    ]
    # monotone: as `fact` rises (an ordered enum), other facts equal, `outcome` (a list) only grows
    fact: str | None = None
    outcome: str | None = None
    # always: a condition over facts and outcomes that must hold whenever `when` holds
    when: Any = None
    require: Any = None
    # date_on_or_after: outcome >= a fact or as_of
    start: str | None = None
    statuses: list[str] | None = None


class FactCheck(Strict):
    """A condition the facts must meet together (e.g. an appeal is not before its notice)."""

    require: Any
    message: str
    fact: str


class DecisionSpec(Strict):
    description: str
    facts: dict[str, FactType] = {}
    outcomes: dict[str, OutcomeSpec] = {}
    hit_policy: Literal["first", "unique", "collect"] = "first"
    fact_checks: list[FactCheck] = []
    rules: list[Rule] = Field(min_length=1)
    invariants: list[Invariant] = []


class PolicyFile(Strict):
    policy: Metadata
    sources: dict[str, Source] = Field(min_length=1)
    calendar: CalendarSpec = CalendarSpec()
    types: dict[str, FactType] = {}
    interpretations: dict[str, Interpretation] = {}
    decisions: dict[str, DecisionSpec] = Field(min_length=1)
    lifecycles: dict[str, Any] = {}


FactType.model_rebuild()

_MESSAGES = {
    "missing": "a required key is missing",
    "extra_forbidden": "unknown key",
}


def _suggest(model: type[BaseModel] | None, key: str) -> str:
    return did_you_mean(key, model.model_fields) if model is not None else ""


def _inner_model(annotation: Any) -> Any:
    """The BaseModel held by a field annotation (through list[], dict[str, ], | None)."""
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if args:
        for arg in args:
            found = _inner_model(arg)
            if found is not None:
                return _ContainerOf(found)
    return None


class _ContainerOf:
    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model


def _walk_model(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: Any = PolicyFile
    i = 0
    while i < len(loc):
        if isinstance(model, _ContainerOf):
            model = model.model  # skip the list index or dict key
            i += 1
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return None
        model = _inner_model(field.annotation)
        i += 1
    if isinstance(model, _ContainerOf):
        return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def parse_policy(loaded: LoadedYaml) -> PolicyFile:
    """Validate a loaded YAML document against the policy schema."""
    if not isinstance(loaded.data, dict):
        raise PolicyError(loaded.problem((), "a policy file must be a mapping of keys to values"))
    try:
        return PolicyFile.model_validate(loaded.data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            kind = err["type"]
            if kind == "extra_forbidden":
                key = str(loc[-1])
                msg = f"unknown key '{key}'{_suggest(_walk_model(loc[:-1]), key)}"
                problems.append(loaded.problem(loc, msg, key=True))
            elif kind == "missing":
                problems.append(
                    loaded.problem(loc[:-1], f"missing required key '{loc[-1]}'", key=True)
                )
            else:
                where = ".".join(str(p) for p in loc)
                problems.append(loaded.problem(loc, f"{where}: {err['msg']}"))
        problems.sort(key=lambda p: (p.line, p.column))
        raise PolicyError(problems) from None
