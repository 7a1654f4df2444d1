"""What refuses an event before its effect is worked out: an unknown case, case type or event
type, data the event's fields do not allow, an event the case's state does not take, and an id
already used by a different event (a redelivery of the same event is answered as the first
time). Every refusal is an error naming the case and the event; nothing is changed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..decision import to_json_value
from ..lifecycle import NEW, CompiledLifecycle
from ..reprs import short_repr
from .answers import Posted
from .effects import posted_from
from .errors import (
    DuplicateEventError,
    EventError,
    EventNotAllowedError,
    UnknownCaseError,
    UnknownCaseTypeError,
    UnknownEventTypeError,
)
from .events import Envelope
from .matcher import Table
from .store import Store, StoredCase, StoredEvent
from .store.rows import dumps

_SEEN_DATA = 50_000  # kinds of flat data kept validated


class Checks:
    """The lifecycles by case type, their matcher tables, and the data already validated."""

    def __init__(self, lifecycles: dict[str, CompiledLifecycle]) -> None:
        self.lifecycles = lifecycles
        self.tables = {ct: Table(lc) for ct, lc in lifecycles.items()}
        self.seen_data: dict[tuple[Any, ...], tuple[dict[str, Any], str | None]] = {}

    def lifecycle(self, case_type: str) -> CompiledLifecycle:
        try:
            return self.lifecycles[case_type]
        except KeyError:
            raise UnknownCaseTypeError(
                f"unknown case type '{case_type}'; case types: "
                f"{', '.join(sorted(self.lifecycles)) or '(none: no policy declares lifecycles)'}"
            ) from None

    def validated(self, lc: CompiledLifecycle, env: Envelope) -> dict[str, Any]:
        """The event's data, validated, as JSON (and ``env.data_text``, their JSON text); the
        same flat data are validated once."""
        key = _data_key(lc.case_type, env.type, env.data) if env.data else (lc.case_type,
                                                                             env.type)
        found = self.seen_data.get(key) if key is not None else None
        if found is None:
            data: dict[str, Any] = to_json_value(lc.events[env.type].validator.validate(env.data))
            found = (data, dumps(data) if data else None)
            if key is not None:
                if len(self.seen_data) > _SEEN_DATA:
                    self.seen_data.clear()
                self.seen_data[key] = found
        env.data_text = found[1]
        return found[0]

    def resolve(self, env: Envelope, stored: StoredCase | None) -> CompiledLifecycle:
        """The event's lifecycle, or the error saying why it has none."""
        if stored is not None:
            found = self.lifecycles.get(stored.case_type)
            lc = found if found is not None else self.lifecycle(stored.case_type)
            if env.case_type is not None and env.case_type != lc.case_type:
                raise EventError(f"case {env.case_id} is a {lc.case_type} case, not "
                                 f"{env.case_type}", case=env.case_id, event=env.type)
        else:
            if env.case_type is None:
                raise UnknownCaseError(
                    f"no case {env.case_id}: give 'case_type' on the event that opens it (case "
                    f"types: {', '.join(sorted(self.lifecycles)) or 'none'})", case=env.case_id)
            try:
                lc = self.lifecycle(env.case_type)
            except UnknownCaseTypeError as exc:
                raise UnknownCaseTypeError(f"case {env.case_id}: {exc}", case=env.case_id,
                                           event=env.type) from None
        if env.type not in lc.events:
            raise UnknownEventTypeError(
                f"case {env.case_id}: '{env.type}' is not an event of {lc.case_type}; its "
                f"events: {', '.join(lc.events)}", case=env.case_id, event=env.type)
        if stored is None and not lc.events[env.type].opening:
            raise UnknownCaseError(
                f"no case {env.case_id}: a '{env.type}' event does not open a {lc.case_type} "
                f"case (these do: {', '.join(lc.opened_by)})", case=env.case_id)
        return lc

    def redelivered(self, store: Store, env: Envelope, first: StoredEvent) -> Posted:
        """A redelivery answered as the first time; a different event with a used id refused."""
        stored = store.case(first.case_id)
        assert stored is not None
        lc = self.lifecycle(stored.case_type)
        same = env.case_id == first.case_id and env.type == first.event["type"] \
            and env.at_text == first.event["at"]
        if same:
            try:
                data = to_json_value(lc.events[env.type].validator.validate(env.data))
            except Exception:
                same = False
            else:
                same = data == first.event.get("data", {})
        if not same:
            raise DuplicateEventError(
                f"event id {env.ref!r} was already used by a different event (case "
                f"{first.case_id}, '{first.event['type']}' at {first.event['at']}); a "
                "redelivered event must be identical, and a new event needs a new id",
                case=env.case_id, event=env.type)
        closed = lc.states[first.step["to"]].terminal
        return posted_from(first.step, first.event, first.case_id, lc.case_type, closed)


def not_allowed(lc: CompiledLifecycle, env: Envelope, state: str) -> EventNotAllowedError:
    where = lc.states_accepting(env.type)
    why = lc.states[state].description if state in lc.states else None
    return EventNotAllowedError(
        f"case {env.case_id}: '{env.type}' is not allowed while the case is '{state}'"
        + (f" ({why})" if why else "")
        + (f"; it is allowed in: {', '.join(where)}" if where else
           "; it only opens a case"), case=env.case_id, event=env.type)


def no_rule(lc: CompiledLifecycle, env: Envelope, state: str,
            data: Mapping[str, Any]) -> EventNotAllowedError:
    options = [t for t in lc.transitions if t.event == env.type and
               (t.from_states is None if state == NEW else state in (t.from_states or ()))]
    wanted = "; ".join(
        f"{t.id}: " + ", ".join(f"{k} in [{', '.join(map(str, v))}]" for k, v in t.when)
        for t in options if t.when)
    where = "a new case" if state == NEW else f"state '{state}'"
    try:
        shown = json.dumps(dict(data), sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        shown = ""
    if not shown or len(shown) > 300:  # hostile data is quoted short
        shown = short_repr(dict(data), 300)
    return EventNotAllowedError(
        f"case {env.case_id}: no transition of {lc.case_type} takes '{env.type}' with data "
        f"{shown} from {where}"
        + (f" (they need: {wanted})" if wanted else ""), case=env.case_id, event=env.type)


def _data_key(case_type: str, event: str, data: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A key equal for equal flat data only: each field as (name, type, value), so that 1 and
    True, or 1 and 1.0, never share a validation; None (validate each time) for data with
    anything but text, whole numbers, true-or-false and nulls, or with keys that are not text."""
    items: list[tuple[str, type, Any]] = []
    for name, value in data.items():
        kind = type(value)
        if type(name) is not str or not (kind is str or kind is int or kind is bool
                                         or value is None):
            return None
        items.append((name, kind, value))
    items.sort()
    return (case_type, event, *items)
