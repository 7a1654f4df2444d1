"""The shape of a lifecycle as a policy author writes it under ``lifecycles:`` (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..schema import IDENT, Citation, FactName, FactType, Interpretation, fact_names

_LIST_FIELDS = frozenset(
    {"cite", "allowed_in", "from_", "opened_by", "discharged_by", "cancelled_by"}
)


class _Strict(BaseModel):
    #: The field docstrings are for the JSON Schema export, which reads them itself
    #: (:func:`~policyengine.jsonschema_export.field_docstrings`); each model's validator is
    #: built when it is first used.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any, info: ValidationInfo) -> Any:
        """A single citation, state or event may be written without the list around it."""
        if info.field_name in _LIST_FIELDS and isinstance(value, str | dict):
            return [value]
        return value


#: A fact source's names are single names (what :func:`_fact_sources` checks, for editors).
_FACT_SOURCE_SCHEMA: dict[str, Any] = {
    "if": {"type": "object", "anyOf": [{"required": ["value"]}, {"required": ["each"]}]},
    "then": {"properties": {
        "value": {"type": "string", "description": "at, date or a data field of the event"},
        "event": {"type": "string", "description": "the event the value comes from"},
        "each": {"type": "string", "description": "build a list from every event of this type"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "record field to the data field it comes from"}}},
}


def _fact_sources(facts: dict[str, Any]) -> dict[str, Any]:
    """A fact source's names (value, event, each, fields) are single names, not lists or
    mappings (the compiler looks them up by name)."""
    for name, source in facts.items():
        if not isinstance(source, dict) or not {"value", "each"} & set(map(str, source)):
            continue
        for key, given in source.items():
            if not isinstance(key, str):
                raise ValueError(f"the fact source for '{name}' has a key that is not a name")
            if key in ("value", "event", "each") and not isinstance(given, str):
                raise ValueError(f"'{key}' of the fact source for '{name}' is one name, not a "
                                 "list or mapping")
            if key == "fields" and not (isinstance(given, dict) and all(
                    isinstance(k, str) and isinstance(v, str) for k, v in given.items())):
                raise ValueError(f"'fields' of the fact source for '{name}' maps record fields "
                                 "to data field names")
    return facts


def fact_sources(default: Any) -> Any:
    """A field of facts for a decision, from the events: with its rule in the JSON Schema."""
    return Field(default=default, json_schema_extra={"additionalProperties": _FACT_SOURCE_SCHEMA})


class StateSpec(_Strict):
    """A state a case can be in."""

    description: str | None = None
    """What the state means (optional)."""
    terminal: bool = False
    """true when a case in this state is finished."""
    cite: list[Citation] = []
    """The clause (or clauses) that name the state."""


class RequiresSpec(_Strict):
    """A decision of the same policy that must answer true before the event is accepted."""

    decision: str
    """The decision of this policy to ask."""
    facts: dict[str, Any] = fact_sources({})
    """The facts to give it, from the event as for a due date."""
    outcome: str
    """Its true-or-false outcome that must be true."""
    because: str | None = None
    """Why, in words: said when the event is refused."""

    _sources = field_validator("facts")(classmethod(lambda cls, v: _fact_sources(v)))


class EventSpec(_Strict):
    """Something that can happen to a case, with the data it carries."""

    description: str | None = None
    """What the event is (optional)."""
    data: dict[FactName, FactType] = fact_names({})
    """The data the event carries: field name to its type."""
    allowed_in: list[str] | None = None
    """The states in which the event is accepted without a transition (a state or a list)."""
    requires: RequiresSpec | None = None
    """A decision that must answer true for the event to be accepted (optional)."""
    cite: list[Citation] = []
    """The clause (or clauses) behind the event."""


class TransitionSpec(_Strict):
    """An event that moves a case from some states to another."""

    id: str = Field(pattern=IDENT)
    """The transition's name in lower_snake_case."""
    event: str
    """The event that takes it."""
    from_: list[str] | None = Field(default=None, alias="from")
    """The state (or states) it starts from; omitted means any state that is not terminal."""
    to: str
    """The state it moves the case to."""
    when: dict[str, Any] = {}
    """Tests on the event's data (enum, bool or int fields) that must hold."""
    because: str | None = None
    """The reason, in words."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) it encodes."""
    interpretations: list[str] = []
    """Names of the interpretations it relies on."""


class OpenedBySpec(_Strict):
    """What opens an obligation: an event (in some states) or a transition."""

    event: str | None = None
    """The event that opens it."""
    transition: str | None = None
    """The transition that opens it."""
    from_: list[str] | None = Field(default=None, alias="from")
    """Only when the case is in this state (or one of these states)."""

    @model_validator(mode="before")
    @classmethod
    def _event_name(cls, value: Any) -> Any:
        return {"event": value} if isinstance(value, str) else value


class ByTransition(_Strict):
    """A transition, named where an event name would otherwise go."""

    transition: str
    """The transition's id."""


class DueSpec(_Strict):
    """How an obligation's due date is decided: a decision of this policy and its facts."""

    decision: str
    """The decision of this policy that gives the due date."""
    facts: dict[str, Any] = fact_sources({})
    """The facts to give it: fact name to a literal or to where in the events the value comes
    from.
    """
    outcome: str | None = None
    """The outcome that is the due date (default: the only date outcome)."""

    _sources = field_validator("facts")(classmethod(lambda cls, v: _fact_sources(v)))


class ObligationSpec(_Strict):
    """A duty or window an event opens and a later event discharges."""

    description: str
    """What must be done, in words."""
    kind: Literal["duty", "target", "window"] = "duty"
    """duty (something to do by a date: overdue once past it), target (what is normally done by
    a date: past_target once past it, never overdue) or window (a period in which the customer
    may do something: expired once past it)."""
    opened_by: list[OpenedBySpec] = Field(min_length=1)
    """The event(s) or transition(s) that open it."""
    discharged_by: list[str | ByTransition] = Field(min_length=1)
    """The event(s) or {transition: ID} that discharge it."""
    cancelled_by: list[str | ByTransition] = []
    """The event(s) or {transition: ID} that cancel it."""
    due: DueSpec | None = None
    """How the due date is decided (optional)."""
    because: str | None = None
    """The reason, in words."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) it encodes."""
    interpretations: list[str] = []
    """Names of the interpretations it relies on."""


class LifecycleSpec(_Strict):
    """A kind of case an app follows through time, for `policyengine monitor`."""

    description: str
    """What kind of case this is."""
    cite: list[Citation] = Field(min_length=1)
    """The clause (or clauses) that describe the process."""
    opened_by: list[str] = Field(min_length=1)
    """The event(s) that open a case."""
    initial: str
    """The state a new case starts in."""
    states: dict[str, StateSpec] = Field(min_length=1)
    """The states, by name."""
    events: dict[str, EventSpec] = Field(min_length=1)
    """The events, by name."""
    transitions: list[TransitionSpec] = []
    """The transitions between states."""
    obligations: dict[str, ObligationSpec] = {}
    """The duties and windows, by name."""
    interpretations: dict[str, Interpretation] = {}
    """Interpretations that belong to this lifecycle only, for sign-off."""
