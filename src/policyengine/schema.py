"""The shape of a policy file, as strict pydantic models.

Only the structure is checked here (known keys, their kinds of value). Conditions and value
expressions are free-form here and are checked, with positions, by the compiler.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import PolicyError, Problem, did_you_mean
from .load import LoadedYaml, Path_

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


class SignOff(Strict):
    """Who signed an interpretation off for the policy owner, and when."""

    by: str = Field(min_length=1)
    """The name (and role) of the person who signed the interpretation off."""
    on: dt.date
    """The date it was signed off (YYYY-MM-DD)."""


SIGN_OFF_HINT = "write signed_off: {by: NAME, on: YYYY-MM-DD} (who signed it off, and when)"


class Interpretation(Strict):
    """A place where the encoding goes beyond the text: named, with its value, for sign-off."""

    value: Any = None
    note: str
    signed_off: Literal[False] | SignOff = False

    @field_validator("signed_off", mode="before")
    @classmethod
    def _who_and_when(cls, value: Any) -> Any:
        if value is True:
            raise ValueError(f"signed_off: true does not say who signed it off or when; "
                             f"{SIGN_OFF_HINT}")
        return value




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

def _model_holding(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose keys apply at ``loc`` (for "did you mean" on an unknown key)."""
    current: type[BaseModel] = model
    i = 0
    while i < len(loc):
        field = next(
            (f for n, f in current.model_fields.items() if (f.alias or n) == str(loc[i])), None
        )
        if field is None:
            return None
        inner = _inner_model(field.annotation)
        if inner is None:
            return None
        current, in_container = inner
        i += 2 if in_container else 1  # past the list index or dict key too
    return current if i == len(loc) else None


def _inner_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds, and whether it holds it in a list or dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            container = getattr(annotation, "__origin__", None) in (list, dict)
            return found[0], found[1] or container
    return None


def validation_problems(
    exc: ValidationError, model: type[BaseModel], loaded: LoadedYaml, base: Path_ = ()
) -> list[Problem]:
    """A pydantic error as positioned problems, with "did you mean" for unknown keys."""
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(
            p for p in err["loc"]
            if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
        )
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            holder = _model_holding(model, loc[:-1])
            known = [f.alias or n for n, f in holder.model_fields.items()] if holder else []
            problems.append(loaded.problem(
                (*base, *loc), f"unknown key '{key}'{did_you_mean(key, known)}", key=True
            ))
        elif err["type"] == "missing":
            problems.append(loaded.problem(
                (*base, *loc[:-1]), f"missing required key '{loc[-1]}'", key=True
            ))
        else:
            where = ".".join(str(p) for p in (*base, *loc))
            problems.append(loaded.problem((*base, *loc), f"{where}: {err['msg']}"))
    return problems


def parse_policy(loaded: LoadedYaml) -> PolicyFile:
    """Validate a loaded YAML document against the policy schema."""
    if not isinstance(loaded.data, dict):
        raise PolicyError(loaded.problem((), "a policy file must be a mapping of keys to values"))
    try:
        return PolicyFile.model_validate(loaded.data)
    except ValidationError as exc:
        problems = validation_problems(exc, PolicyFile, loaded)
        problems.sort(key=lambda p: (p.line, p.column))
        raise PolicyError(problems) from None
