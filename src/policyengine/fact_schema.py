"""A decision's facts and outcomes as JSON Schema, generated from the types the policy declares.

The schema says what :class:`~policyengine.facts.FactsValidator` accepts, in the terms other
languages' tools read (JSON Schema 2020-12, as OpenAPI 3.1 embeds it):

* ``bool`` -> ``boolean``; ``int`` -> ``integer`` with its ``minimum``/``maximum``;
  ``string`` -> ``string`` (at most 10,000 characters);
* ``enum`` -> ``string`` with ``enum`` listing the values (``x-ordered: true`` when the policy
  ranks them, lowest first);
* ``date`` -> ``string``, ``format: date`` (``YYYY-MM-DD``); ``datetime`` -> ``string``,
  ``format: date-time`` (ISO 8601; without an offset a date-time is Europe/London local time);
* ``list`` -> ``array`` of its item type with ``maxItems``; ``record`` -> ``object`` with its
  fields, none other allowed;
* an optional fact or field is left out of ``required`` and may be ``null`` (meaning absent).

Descriptions come from the policy file (the fact's own, else its named type's). The schema is
built from the compiled decision, so it can never drift from what the validator enforces; the
tests check the two agree on generated facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compiler import BUILTIN_DECISIONS, CompiledDecision, CompiledPolicy
from .facts import ValueType
from .policyset import PolicySet
from .schema import FactType, OutcomeSpec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_STRING = 10_000  # as facts.py allows

#: The outcome keys of the built-in ``policy_status`` decision, with their types.
POLICY_STATUS_OUTCOMES: dict[str, dict[str, Any]] = {
    "in_force": {"type": "boolean", "description": "the policy is in force on as_of"},
    "document_status": {"type": "string", "enum": ["in_force", "draft", "withdrawn"],
                        "description": "the status the document gives itself"},
    "issued": {"type": ["string", "null"], "format": "date",
               "description": "when the policy was issued (null when the document has no date)"},
    "review_due": {"type": ["string", "null"], "format": "date",
                   "description": "when the policy is due for review (null when none is set)"},
    "review_overdue": {"type": "boolean",
                       "description": "as_of is after the review date"},
}

_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_NOTE = "ISO 8601 date and time; without an offset it is Europe/London local time"


def _named(policy: CompiledPolicy, ft: FactType | None) -> FactType | None:
    """The declaration behind a use of a named type (``{type: contact}``), if it is one."""
    if ft is not None and ft.type in policy.spec.types:
        return policy.spec.types[ft.type]
    return None


def value_schema(vt: ValueType, policy: CompiledPolicy | None = None,
                 declared: FactType | None = None) -> dict[str, Any]:
    """The JSON Schema of one declared type; ``declared`` (the policy's text) adds descriptions."""
    named = _named(policy, declared) if policy is not None else None
    out: dict[str, Any] = {}
    if vt.name:
        out["title"] = vt.name
    description = (declared.description if declared else None) or (
        named.description if named else None)
    if description:
        out["description"] = " ".join(description.split())
    inner = named or declared  # where this type's own parts (of, fields) are declared
    if vt.kind == "bool":
        out["type"] = "boolean"
    elif vt.kind == "int":
        out["type"] = "integer"
        if vt.minimum is not None:
            out["minimum"] = vt.minimum
        if vt.maximum is not None:
            out["maximum"] = vt.maximum
    elif vt.kind == "string":
        out.update(type="string", maxLength=MAX_STRING)
    elif vt.kind == "enum":
        out.update(type="string", enum=list(vt.values))
        if vt.ordered:
            out["x-ordered"] = True
    elif vt.kind == "date":
        out.update(type="string", format="date", pattern=_DATE_PATTERN)
    elif vt.kind == "datetime":
        out.update(type="string", format="date-time")
        out.setdefault("description", _DATETIME_NOTE)
    elif vt.kind == "moment":
        out["anyOf"] = [{"type": "string", "format": "date"},
                        {"type": "string", "format": "date-time"}]
    elif vt.kind == "list" and vt.of is not None:
        item_decl = inner.of if inner is not None else None
        out.update(type="array", items=value_schema(vt.of, policy, item_decl))
        if vt.max_items is not None:
            out["maxItems"] = vt.max_items
    elif vt.kind == "record":
        field_decls = (inner.fields or {}) if inner is not None else {}
        out.update(_object_schema(vt.fields, policy, field_decls))
    # "any" and "duration" (computed values only) are left open
    if vt.optional:
        _allow_null(out)
    return out


def _allow_null(schema: dict[str, Any]) -> None:
    """An optional value may be given as JSON null, meaning absent."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]


def _object_schema(fields: tuple[tuple[str, ValueType], ...], policy: CompiledPolicy | None,
                   declared: Mapping[str, FactType]) -> dict[str, Any]:
    properties = {name: value_schema(vt, policy, declared.get(name)) for name, vt in fields}
    required = [name for name, vt in fields if not vt.optional]
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def facts_schema(decision: CompiledDecision) -> dict[str, Any]:
    """The JSON Schema of the facts object one decision accepts."""
    policy = decision.policy
    spec = policy.spec.decisions.get(decision.name)
    declared = spec.facts if spec is not None else {}
    schema = {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"{policy.id}.{decision.name} facts",
        "description": " ".join(decision.description.split()),
        **_object_schema(tuple(decision.facts.items()), policy, declared),
    }
    return schema


def _outcome_schema(vt: ValueType, policy: CompiledPolicy, spec: OutcomeSpec | None
                    ) -> dict[str, Any]:
    declared = None
    if spec is not None:
        declared = FactType(type=spec.type, values=spec.values, of=spec.of,
                            description=spec.description)
    return value_schema(vt, policy, declared)


def outcomes_schema(decision: CompiledDecision) -> dict[str, dict[str, Any]]:
    """Each declared outcome key with the JSON Schema of its value."""
    policy = decision.policy
    spec = policy.spec.decisions.get(decision.name)
    declared = spec.outcomes if spec is not None else {}
    return {
        key: _outcome_schema(vt, policy, declared.get(key))
        for key, vt in decision.outcomes.items()
    }


def decision_schema(policies: PolicySet, policy: str, decision: str) -> dict[str, Any]:
    """What ``GET .../decisions/{decision}/schema`` answers: the facts' JSON Schema and the
    outcome keys, for one decision (the built-in ``policy_status`` too)."""
    compiled_policy = policies.policy(policy)
    if decision in BUILTIN_DECISIONS:
        return {
            "policy": policy,
            "decision": decision,
            "description": "Is the policy in force, and is it past its review date?",
            "facts": {"$schema": JSON_SCHEMA_DIALECT, "title": f"{policy}.{decision} facts",
                      "type": "object", "properties": {}, "required": [],
                      "additionalProperties": False},
            "outcome_keys": list(POLICY_STATUS_OUTCOMES),
            "outcomes": dict(POLICY_STATUS_OUTCOMES),
        }
    compiled = policies.compiled_decision(policy, decision)
    return {
        "policy": compiled_policy.id,
        "decision": compiled.name,
        "description": " ".join(compiled.description.split()),
        "facts": facts_schema(compiled),
        "outcome_keys": list(compiled.outcomes),
        "outcomes": outcomes_schema(compiled),
    }
