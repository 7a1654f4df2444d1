"""The shape of a lifecycle as a policy author writes it under ``lifecycles:`` (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..schema import IDENT, Citation, FactType, Interpretation

_LIST_FIELDS = frozenset(
    {"cite", "allowed_in", "from_", "opened_by", "discharged_by", "cancelled_by"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any, info: ValidationInfo) -> Any:
        """A single citation, state or event may be written without the list around it."""
        if info.field_name in _LIST_FIELDS and isinstance(value, str | dict):
            return [value]
        return value


class StateSpec(_Strict):
    description: str | None = None
    terminal: bool = False
    cite: list[Citation] = []


class RequiresSpec(_Strict):
    """A decision of the same policy that must answer true before the event is accepted."""

    decision: str
    facts: dict[str, Any] = {}
    outcome: str
    because: str | None = None


class EventSpec(_Strict):
    description: str | None = None
    data: dict[str, FactType] = {}
    allowed_in: list[str] | None = None
    requires: RequiresSpec | None = None
    cite: list[Citation] = []


class TransitionSpec(_Strict):
    id: str = Field(pattern=IDENT)
    event: str
    from_: list[str] | None = Field(default=None, alias="from")
    to: str
    when: dict[str, Any] = {}
    because: str | None = None
    cite: list[Citation] = Field(min_length=1)
    interpretations: list[str] = []


class OpenedBySpec(_Strict):
    event: str | None = None
    transition: str | None = None
    from_: list[str] | None = Field(default=None, alias="from")

    @model_validator(mode="before")
    @classmethod
    def _event_name(cls, value: Any) -> Any:
        return {"event": value} if isinstance(value, str) else value


class ByTransition(_Strict):
    transition: str


class DueSpec(_Strict):
    decision: str
    facts: dict[str, Any] = {}
    outcome: str | None = None


class ObligationSpec(_Strict):
    description: str
    # duty: owed by the organisation (overdue once due); target: what it normally does
    # (past_target once due, never overdue); window: a period the customer has (expired)
    kind: Literal["duty", "target", "window"] = "duty"
    opened_by: list[OpenedBySpec] = Field(min_length=1)
    discharged_by: list[str | ByTransition] = Field(min_length=1)
    cancelled_by: list[str | ByTransition] = []
    due: DueSpec | None = None
    because: str | None = None
    cite: list[Citation] = Field(min_length=1)
    interpretations: list[str] = []


class LifecycleSpec(_Strict):
    description: str
    cite: list[Citation] = Field(min_length=1)
    opened_by: list[str] = Field(min_length=1)
    initial: str
    states: dict[str, StateSpec] = Field(min_length=1)
    events: dict[str, EventSpec] = Field(min_length=1)
    transitions: list[TransitionSpec] = []
    obligations: dict[str, ObligationSpec] = {}
    interpretations: dict[str, Interpretation] = {}
