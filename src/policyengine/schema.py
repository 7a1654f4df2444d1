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

from .errors import PolicyError
from .inputs import excerpt
from .load import LoadedYaml
from .schema_problems import IDENT as IDENT
from .schema_problems import validation_problems as validation_problems

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

#: The same rule for editors: the JSON Schema of a mapping keyed by fact names.
FACT_NAME_SCHEMA: dict[str, Any] = {
    "pattern": "^(?!model_)[a-z][a-z0-9_]*$",
    "not": {"enum": sorted(RESERVED_NAMES | {k for k in keyword.kwlist if k.islower()})},
}


def fact_names(default: Any) -> Any:
    """A field keyed by fact names, with that rule in its JSON Schema (``propertyNames``)."""
    return Field(default=default, json_schema_extra={"propertyNames": FACT_NAME_SCHEMA})


class Strict(BaseModel):
    #: The field docstrings are for the JSON Schema export, which reads them itself
    #: (:func:`~policyengine.jsonschema_export.field_docstrings`); each model's validator is
    #: built when it is first used.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class Source(Strict):
    """A document the policy encodes (a file in the sources directory)."""

    file: str
    """The document's file name in the sources directory (checked by `policyengine check --sources
    DIR`).
    """
    title: str
    """The document's title, as its owner would name it."""
    url: str | None = None
    """Where the document is published (optional)."""


class Citation(Strict):
    """A clause of a source document, quoted exactly as the document has it."""

    source: str
    """The key of the cited document under the top-level `sources:`."""
    quote: str
    """The clause, quoted exactly (8 characters or more); `check --sources` finds it in the
    document.
    """
    section: str | None = None
    """The section or paragraph it comes from (optional)."""


class Metadata(Strict):
    """Who the policy belongs to, which document it encodes and whether it is in force."""

    id: str = Field(pattern=IDENT)
    """The policy's name in lower_snake_case: what apps pass to `decide` and scenario files name.
    """
    organisation: str
    """The organisation whose document this is."""
    title: str
    """The document's title."""
    version: str
    """The document's version or issue, as text: quote it ("2.1"), YAML reads 2.1 as a number."""
    issued: dt.date | None = None
    """The date the document was issued (YYYY-MM-DD); decisions before it carry a warning."""
    review_due: dt.date | None = None
    """The date the document is due for review (YYYY-MM-DD); decisions after it carry a warning."""
    review_note: str | None = None
    """What the document says about its review (optional)."""
    nation: Literal["england-and-wales", "scotland", "northern-ireland"]
    """Whose bank holidays count as non-working days: england-and-wales, scotland or
    northern-ireland.
    """
    status: Literal["in_force", "draft", "withdrawn"] = "in_force"
    """in_force (default), draft or withdrawn; decisions on a draft or withdrawn policy carry a
    warning.
    """
    status_note: str | None = None
    """Why the policy has its status (optional)."""
    summary: str | None = None
    """A few sentences on what the policy covers (shown by `policyengine list`)."""
    cite: list[Citation] = []
    """The clauses that give the policy's dates and status."""
    interpretations: list[str] = []
    """Names of the interpretations the metadata relies on (e.g. dates read from a cover sheet)."""


class CalendarSpec(Strict):
    """The organisation's working days beyond its nation's bank holidays."""

    closure_days: list[dt.date] = []
    """The organisation's own closure days (YYYY-MM-DD): not working days."""
    open_days: list[dt.date] = []
    """Days declared working days even though they are bank holidays (YYYY-MM-DD)."""
    office_closes_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    """Office closing time "HH:MM" (quoted): a date-time at or after it counts as received the
    next day.
    """
    office_closes_at_interpretation: str | None = None
    """The interpretation that records the closing time (required with office_closes_at)."""


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
    """The value the encoding chose (any YAML value; a duration is {unit: amount}); rules read it
    as {interpretation: NAME}.
    """
    note: str
    """What the document says and does not say, and why this value: for the policy owner to agree.
    """
    signed_off: Literal[False] | SignOff = False
    """Who signed it off and when: {by: NAME, on: YYYY-MM-DD}; false or absent until the policy
    owner agrees.
    """

    @field_validator("signed_off", mode="before")
    @classmethod
    def _who_and_when(cls, value: Any) -> Any:
        if value is True:
            raise ValueError(f"signed_off: true does not say who signed it off or when; "
                             f"{SIGN_OFF_HINT}")
        return value




class FactType(Strict):
    """The type of a fact (or of a list item, a record field or a named type)."""

    type: str
    """enum, bool, int, date, datetime, string, list, record, or the name of a type under
    `types:`.
    """
    values: list[str] | None = None
    """An enum's values (lower_snake_case text; quote yes/no/on/off)."""
    ordered: bool = False
    """true when an enum's values are listed in rising order (allows at_least, above, ...)."""
    of: FactType | None = None
    """A list's item type."""
    fields: dict[FactName, FactType] | None = fact_names(None)
    """A record's fields and their types."""
    optional: bool = False
    """true when an app may leave the fact out; a test on a missing fact is false."""
    description: str | None = None
    """What the fact means, for the people who supply it."""
    minimum: int | None = None
    """The smallest whole number allowed (int)."""
    maximum: int | None = None
    """The largest whole number allowed (int)."""
    max_items: int | None = None
    """The most items a list may have."""


class Consideration(Strict):
    """Something a person must weigh (or a requirement that holds whatever they decide)."""

    id: str = Field(pattern=IDENT)
    """A lower_snake_case name, unique within the rule."""
    text: str
    """What must be weighed or done, in words a caseworker reads."""
    cite: Citation | None = None
    """The clause it comes from (optional)."""


class Rule(Strict):
    """One rule of a decision: when it applies, what it sets, and the clause it encodes."""

    id: str = Field(pattern=IDENT)
    """The rule's name in lower_snake_case, unique within the decision (shown in traces)."""
    description: str | None = None
    """A longer note on the rule for readers of the YAML (optional)."""
    when: Any = None
    """The condition: a mapping of tests that must all hold (fact: value, any:, all:, not:,
    holds:). Omitted means always.
    """
    then: dict[str, Any] = {}
    """The outcomes this rule sets: outcome name to a value (a literal, {fact: ...}, {add: ...,
    to: ...}, ...).
    """
    status: Literal["decided", "needs_judgement", "not_applicable"] | None = None
    """decided (default), needs_judgement (lists considerations) or not_applicable."""
    considerations: list[Consideration] = []
    """What a person must weigh (only with status needs_judgement)."""
    requirements: list[Consideration] = []
    """What holds whatever a person decides."""
    because: str | None = None
    """The reason, in words, shown in the trace (default: the condition in words)."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) the rule encodes: {source, quote} or a list of them."""
    interpretations: list[str] = []
    """Names of the interpretations this rule relies on beyond the text."""
    exception_to: str | None = None
    """The id of a rule this one overrides when both apply (under first: write the exception
    before it).
    """

    @field_validator("cite", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class OutcomeSpec(Strict):
    """An outcome a decision answers; rules may set only declared outcomes."""

    type: str
    """The outcome's type: as for facts, or moment (a date for some facts, a date-time for
    others).
    """
    values: list[str] | None = None
    """An enum outcome's values."""
    of: FactType | None = None
    """A list outcome's item type."""
    description: str | None = None
    """What the outcome means, for the apps that read it."""


class Invariant(Strict):
    """A property `policyengine verify` checks over generated facts."""

    id: str = Field(pattern=IDENT)
    """The invariant's name in lower_snake_case."""
    description: str
    """The property in words (shown when it fails)."""
    kind: Literal[
        "monotone",
        "always",
        "date_on_or_after",
        "working_day",
        "status_in",
    ]
    """monotone, always, date_on_or_after, working_day or status_in."""
    # monotone: as `fact` rises (an ordered enum), other facts equal, `outcome` (a list) only grows
    fact: str | None = None
    """monotone: the ordered enum fact that rises."""
    outcome: str | None = None
    """monotone: the list outcome that only grows; date_on_or_after, working_day: the date
    outcome.
    """
    # always: a condition over facts and outcomes that must hold whenever `when` holds
    when: Any = None
    """Where the invariant applies: a condition over facts and outcomes (optional; not for
    monotone).
    """
    require: Any = None
    """always: the condition over facts and outcomes that must hold."""
    # date_on_or_after: outcome >= a fact or as_of
    start: str | None = None
    """date_on_or_after: the date fact, date outcome or as_of the outcome is not before."""
    statuses: list[str] | None = None
    """status_in: the statuses the decision may have."""


class FactCheck(Strict):
    """A condition the facts must meet together (e.g. an appeal is not before its notice)."""

    require: Any
    """The condition the facts must meet (as a rule's `when`)."""
    message: str
    """The error message an app gets when they do not."""
    fact: str
    """The fact the error names."""


class DecisionSpec(Strict):
    """One decision an app can ask for: its facts, outcomes, rules and invariants."""

    description: str
    """The question the decision answers, in words."""
    facts: dict[FactName, FactType] = fact_names({})
    """What an app passes in: fact name to its type. Anything else is an error."""
    outcomes: dict[str, OutcomeSpec] = {}
    """What the decision answers: outcome name to its type."""
    hit_policy: Literal["first", "unique", "collect"] = "first"
    """first (the first rule that holds decides), unique (exactly one may hold) or collect (every
    rule that holds contributes).
    """
    fact_checks: list[FactCheck] = []
    """Conditions the facts must meet together, with the error to give otherwise."""
    rules: list[Rule] = Field(min_length=1)
    """The rules, in order."""
    invariants: list[Invariant] = []
    """Properties `policyengine verify` checks over generated facts."""


class PolicyFile(Strict):
    """A policy file: one organisation's document(s) as decisions made of rules."""

    policy: Metadata
    """Metadata: id, organisation, title, version, dates, nation and status."""
    sources: dict[str, Source] = Field(min_length=1)
    """The documents the policy encodes, by a short key that citations name."""
    # (the defaults, made without validating: CalendarSpec() would build its validator here)
    calendar: CalendarSpec = CalendarSpec.model_construct()
    """Closure days, extra open days and an office closing time (optional)."""
    types: dict[str, FactType] = {}
    """Named fact types reused by several decisions."""
    interpretations: dict[str, Interpretation] = {}
    """Every choice the encoding makes beyond the text, named, with its value and note, for
    sign-off.
    """
    decisions: dict[str, DecisionSpec] = Field(min_length=1)
    """The decisions, by name (lower_snake_case): what apps ask for."""
    lifecycles: dict[str, Any] = {}
    """Case lifecycles followed by `policyengine monitor`: states, events and obligations."""


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
