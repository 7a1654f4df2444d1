"""The shape of a policy file, as strict pydantic models.

Only the structure is checked here (known keys, their kinds of value). Conditions and value
expressions are free-form here and are checked, with positions, by the compiler.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .errors import PolicyError, Problem, did_you_mean
from .inputs import excerpt
from .load import LoadedYaml, Path_

IDENT = r"^[a-z][a-z0-9_]*$"
_IDENT = re.compile(IDENT)
#: Names a fact (or a record field, or an event's data field) may not have: facts become the
#: fields of a pydantic model, so pydantic's own attributes and namespace are reserved.
RESERVED_NAMES = frozenset(n for n in dir(BaseModel) if not n.startswith("_"))


def _fact_name(name: str) -> str:
    """A fact name: a lowercase identifier that neither pydantic nor Python reserves."""
    if not _IDENT.match(name):
        raise PydanticCustomError(
            "fact_name",
            "'{name}' cannot name a fact: use lowercase letters, digits and _, starting with a "
            "letter",
            {"name": excerpt(name)[1:-1]},
        )
    if keyword.iskeyword(name):
        raise PydanticCustomError(
            "fact_name", "'{name}' is a Python keyword and cannot name a fact; choose another "
            "name (for example '{name}_date')", {"name": excerpt(name)[1:-1]})
    if name in RESERVED_NAMES or name.startswith("model_"):
        raise PydanticCustomError(
            "fact_name", "'{name}' is reserved (names beginning model_ and the names of "
            "pydantic's own methods, such as copy, dict, json, schema and validate); choose "
            "another name", {"name": excerpt(name)[1:-1]})
    return name


#: The name of a fact, a record's field or an event's data field.
FactName = Annotated[str, AfterValidator(_fact_name)]


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




class FactType(Strict):
    type: str
    values: list[str] | None = None
    ordered: bool = False
    of: FactType | None = None
    fields: dict[FactName, FactType] | None = None
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
    facts: dict[FactName, FactType] = {}
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
    """A pydantic error as positioned problems in plain words, with "did you mean" for keys.

    Errors under a value the loader could not read are left out (the loader reported it), and
    the errors of a rule placed under ``invariants:`` (or the reverse) become one message.
    """
    problems: list[Problem] = []
    misplaced: set[Path_] = set()
    for err in exc.errors():
        at_key = "[key]" in err["loc"]
        loc = tuple(
            p for p in err["loc"]
            if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
        )
        path: Path_ = (*base, *loc)
        if loaded.within_invalid(path):
            continue
        item = _misplaced_item(loaded, path)
        if item is not None:
            if item[0] not in misplaced:
                misplaced.add(item[0])
                problems.append(loaded.problem(item[0], item[1]))
            continue
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            holder = _model_holding(model, loc[:-1])
            known = [f.alias or n for n, f in holder.model_fields.items()] if holder else []
            problems.append(loaded.problem(
                path, f"unknown key '{key}'{did_you_mean(key, known)}", key=True
            ))
        elif err["type"] == "missing":
            problems.append(loaded.problem(
                path[:-1], f"missing required key '{loc[-1]}'", key=True
            ))
        else:
            problems.append(loaded.problem(path, _wording(err, loaded, path), key=at_key))
    return problems


_KIND_WORDS = (
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (dt.datetime, "a date and time"),
    (dt.date, "a date"),
    (str, "text"),
    (list, "a list"),
    (dict, "a mapping"),
    (type(None), "empty"),
)


def _kind(value: Any) -> str:
    for cls, words in _KIND_WORDS:
        if isinstance(value, cls):
            return words
    return type(value).__name__


def _wording(err: Any, loaded: LoadedYaml, path: Path_) -> str:
    """What is wrong with one value, and how to write it instead."""
    where = ".".join(str(p) for p in path)
    kind = err["type"]
    got = err.get("input")
    written = loaded.written.get(path)
    if kind == "fact_name":
        return str(err["msg"])
    if kind == "value_error":
        return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"
    if kind in ("string_type", "literal_error") and written is not None:
        if isinstance(got, bool):
            read = f"as {'true' if got else 'false'}"
        elif isinstance(got, int) and ":" in written:
            read = f"as the number {got} (a time read in base 60)"
        elif isinstance(got, int | float):
            read = "as a number"
        elif isinstance(got, dt.date):
            read = "as a date"
        else:
            read = "as empty (null)" if got is None else f"as {_kind(got)}"
        return f"{where}: YAML read {written} {read}; write it in quotes: \"{written}\""
    if kind == "string_type":
        return f"{where}: must be text, not {_kind(got)}"
    if kind == "date_type":
        if isinstance(got, str):
            better = _iso_date(got)
            hint = f" ({better})" if better else ""
            return f"{where}: {excerpt(got)} is not a date; write dates as YYYY-MM-DD{hint}"
        if isinstance(got, dt.datetime):
            return f"{where}: a date (YYYY-MM-DD) without a time of day"
        return f"{where}: must be a date YYYY-MM-DD, not {_kind(got)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}: must be {expected}, not {_shown(got)}"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        if pattern == IDENT:
            return (f"{where}: {excerpt(got)} is not a valid name: use lowercase letters, "
                    "digits and _, starting with a letter")
        if ":" in pattern:
            return f"{where}: {excerpt(got)} is not a time: write it as \"HH:MM\" (24-hour)"
    if kind == "too_short":
        return f"{where}: must not be empty"
    simple = {"bool_type": "true or false", "int_type": "a whole number", "list_type": "a list",
              "dict_type": "a mapping of keys to values",
              "model_type": "a mapping of keys to values"}
    if kind in simple:
        return f"{where}: must be {simple[kind]}, not {_kind(got)}"
    return f"{where}: {err['msg']}"


def _shown(value: Any) -> str:
    return excerpt(value) if isinstance(value, str) else _kind(value)


_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\s*$")


def _iso_date(text: str) -> str | None:
    """The YYYY-MM-DD form of a date written 16/03/2014 or 2009-3-16, when it is one."""
    for pattern, order in ((_DMY, (2, 1, 0)), (_YMD, (0, 1, 2))):
        match = pattern.match(text)
        if match:
            parts = match.groups()
            try:
                day = dt.date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]))
            except ValueError:
                return None
            return day.isoformat()
    return None


def _misplaced_item(loaded: LoadedYaml, path: Path_) -> tuple[Path_, str] | None:
    """A rule listed under ``invariants:`` (or an invariant under ``rules:``), with a message."""
    if len(path) < 4 or path[0] != "decisions" or path[2] not in ("invariants", "rules"):
        return None
    try:
        item = loaded.data["decisions"][path[1]][path[2]][path[3]]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(item, dict):
        return None
    where: Path_ = tuple(path[:4])
    if path[2] == "invariants" and ("then" in item or "cite" in item) and "kind" not in item:
        return where, ("this looks like a rule (it has 'then' or 'cite'), but it is listed under "
                       "'invariants:'; move it under 'rules:' (an invariant is a check, with "
                       "'kind' and 'description')")
    if path[2] == "rules" and "kind" in item and "then" not in item:
        return where, ("this looks like an invariant (it has 'kind'), but it is listed under "
                       "'rules:'; move it under 'invariants:'")
    return None


def parse_policy(loaded: LoadedYaml) -> PolicyFile:
    """Validate a loaded YAML document against the policy schema.

    The values the loader could not read and the schema's own problems are reported together.
    """
    problems = list(loaded.problems)
    if not isinstance(loaded.data, dict):
        raise PolicyError(problems or [
            loaded.problem((), "a policy file must be a mapping of keys to values")])
    try:
        spec = PolicyFile.model_validate(loaded.data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, PolicyFile, loaded))
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        raise PolicyError(problems)
    return spec
