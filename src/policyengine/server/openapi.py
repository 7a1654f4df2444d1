"""The OpenAPI 3.1 document of the ``/v1`` API, generated from the loaded policies.

Besides the generic paths (``/v1/policies/{policy}/decisions/{decision}``) every decision gets
its own concrete path whose request body names that decision's facts schema (the JSON Schema
of :mod:`policyengine.fact_schema`) and whose response names its outcome keys, so that a client
generated in C#, Java or PHP has one typed method per decision.
"""

from __future__ import annotations

from typing import Any

from ..fact_schema import decision_schema
from ..policyset import PolicySet
from ..runtime import engine_version

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$schema"}


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}

COMMON_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "One problem: for facts and requests path/code/message/allowed (as "
                       "FactsError.problems); for a policy defect file/line/column/message.",
        "properties": {
            "path": _STRING, "code": _STRING, "message": _STRING,
            "allowed": {"type": "array", "items": {}},
            "file": _STRING, "line": {"type": "integer"}, "column": {"type": "integer"},
        },
        "required": ["message"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "status": {"type": "integer"}, "error": _STRING, "message": _STRING,
            "problems": {"type": "array", "items": _ref("Problem")}, "request_id": _STRING,
        },
        "required": ["status", "error", "message", "problems", "request_id"],
    },
    "Citation": {
        "type": "object",
        "properties": {"document": _STRING, "clause": _STRING, "section": _STRING},
        "required": ["document", "clause"],
    },
    "TraceStep": {
        "type": "object",
        "properties": {
            "rule": _STRING, "fired": {"type": "boolean"}, "because": _STRING,
            "line": {"type": "integer"}, "sets": {"type": "array", "items": _STRING},
            "note": _STRING, "citations": {"type": "array", "items": _ref("Citation")},
        },
        "required": ["rule", "fired", "because", "line"],
    },
    "Interpretation": {
        "type": "object",
        "properties": {"name": _STRING, "value": {}, "note": _STRING,
                       "signed_off": {"type": "boolean"}},
        "required": ["name", "value", "note", "signed_off"],
    },
    "Provenance": {
        "type": "object",
        "properties": {
            "policy_file": _STRING, "policy_version": _STRING,
            "policy_sha256": {"type": "string", "description": "sha256 of the policy file's "
                              "bytes as loaded"},
            "calendar": {"type": "object"}, "engine_version": _STRING, "holidays": _STRING,
            "tzdata": _STRING, "full_trace": {"type": "boolean"},
        },
        "required": ["policy_file", "policy_version", "policy_sha256", "calendar",
                     "engine_version"],
    },
    "Decision": {
        "type": "object",
        "description": "Decision.to_dict(): dates YYYY-MM-DD, date-times London local time "
                       "with offset.",
        "properties": {
            "policy": _STRING, "decision": _STRING,
            "status": {"type": "string", "enum": ["decided", "needs_judgement",
                                                  "not_applicable"]},
            "outcome": {"type": "object"},
            "trace": {"type": "array", "items": _ref("TraceStep")},
            "citations": {"type": "array", "items": _ref("Citation")},
            "interpretations": {"type": "array", "items": _ref("Interpretation")},
            "warnings": {"type": "array", "items": _STRING},
            "as_of": {"type": "string", "format": "date"},
            "facts": {"type": "object"},
            "provenance": _ref("Provenance"),
        },
        "required": ["policy", "decision", "status", "outcome", "trace", "citations",
                     "interpretations", "warnings", "as_of", "facts", "provenance"],
    },
    "Explanation": {
        "allOf": [_ref("Decision"), {"type": "object", "properties": {
            "explanation": {"type": "string", "description": "the reasoning, for a person"}},
            "required": ["explanation"]}],
    },
    "DecideRequest": {
        "type": "object",
        "properties": {
            "facts": {"type": "object"},
            "as_of": {"type": ["string", "null"], "format": "date",
                      "description": "the date the decision is taken on (default: today in "
                                     "London)"},
            "full_trace": {"type": "boolean", "default": False},
        },
        "additionalProperties": False,
    },
    "Health": {"type": "object", "properties": {
        "status": _STRING, "engine_version": _STRING, "holidays": _STRING, "tzdata": _STRING,
        "policies": {"type": "array", "items": {"type": "object", "properties": {
            "id": _STRING, "version": _STRING, "status": _STRING, "sha256": _STRING}}},
        "generation": {"type": "integer"}, "loaded_at": _STRING,
        "last_reload": {"type": ["object", "null"]},
        "decision_log": {"type": ["object", "null"]}}},
    "PolicySummary": {"type": "object", "properties": {
        "id": _STRING, "organisation": _STRING, "title": _STRING, "version": _STRING,
        "nation": _STRING, "status": _STRING, "issued": _NULLABLE_STRING,
        "review_due": _NULLABLE_STRING, "summary": _NULLABLE_STRING, "file": _STRING,
        "sha256": _STRING, "decisions": {"type": "array", "items": {"type": "object"}}}},
    "PolicyList": {"type": "object", "properties": {
        "policies": {"type": "array", "items": _ref("PolicySummary")}}},
    "DecisionSchema": {"type": "object", "properties": {
        "policy": _STRING, "decision": _STRING, "description": _STRING,
        "facts": {"type": "object", "description": "JSON Schema of the facts"},
        "outcome_keys": {"type": "array", "items": _STRING},
        "outcomes": {"type": "object"}}},
}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "malformed JSON or request", 401: "no or wrong bearer token",
             404: "unknown policy or decision", 413: "request body too large",
             422: "bad facts (problems as FactsError.problems)", 500: "a policy defect",
             503: "the decision log cannot be written"}
    return {str(s): {"description": words[s], "content": {JSON: {"schema": _ref("Error")}}}
            for s in statuses}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": schema}}}}


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _STRING}


def _decide_op(op_id: str, summary: str, request: dict[str, Any], response: dict[str, Any],
               params: list[dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": op_id, "summary": summary,
        "requestBody": {"required": True, "content": {JSON: {"schema": request}}},
        "responses": {**_ok(response), **_errors(400, 401, 404, 413, 422, 500, 503)},
    }
    if params:
        op["parameters"] = params
    return op


def openapi_document(policies: PolicySet) -> dict[str, Any]:
    schemas: dict[str, Any] = dict(COMMON_SCHEMAS)
    pp = [_param("policy")]
    pd = [_param("policy"), _param("decision")]
    paths: dict[str, Any] = {
        "/v1/health": {"get": {"operationId": "health", "summary": "status and versions",
                               "responses": {**_ok(_ref("Health")), **_errors(401)}}},
        "/v1/policies": {"get": {"operationId": "list_policies", "summary": "the policies",
                                 "responses": {**_ok(_ref("PolicyList")), **_errors(401)}}},
        "/v1/policies/{policy}": {"get": {
            "operationId": "get_policy", "summary": "one policy with its decisions",
            "parameters": pp, "responses": {**_ok({"type": "object"}), **_errors(401, 404)}}},
        "/v1/policies/{policy}/decisions/{decision}/schema": {"get": {
            "operationId": "get_decision_schema", "summary": "a decision's fact schema",
            "parameters": pd,
            "responses": {**_ok(_ref("DecisionSchema")), **_errors(401, 404)}}},
        "/v1/policies/{policy}/decisions/{decision}": {"post": _decide_op(
            "decide", "take a decision", _ref("DecideRequest"), _ref("Decision"), pd)},
        "/v1/policies/{policy}/decisions/{decision}/explain": {"post": _decide_op(
            "explain", "take a decision and explain it", _ref("DecideRequest"),
            _ref("Explanation"), pd)},
    }
    for policy in policies:
        for name in policies.decision_names(policy.id):
            described = decision_schema(policies, policy.id, name)
            base = f"{policy.id}.{name}"
            schemas[f"{base}.Facts"] = _strip(described["facts"])
            schemas[f"{base}.Request"] = {
                "type": "object", "properties": {
                    "facts": _ref(f"{base}.Facts"),
                    "as_of": COMMON_SCHEMAS["DecideRequest"]["properties"]["as_of"],
                    "full_trace": {"type": "boolean", "default": False}},
                "required": ["facts"], "additionalProperties": False}
            schemas[f"{base}.Outcome"] = {"type": "object",
                                          "properties": described["outcomes"]}
            response = {"allOf": [_ref("Decision"), {"type": "object", "properties": {
                "outcome": _ref(f"{base}.Outcome")}}]}
            explained = {"allOf": [_ref("Explanation"), {"type": "object", "properties": {
                "outcome": _ref(f"{base}.Outcome")}}]}
            path = f"/v1/policies/{policy.id}/decisions/{name}"
            op = f"{policy.id}__{name}"
            paths[path] = {"post": _decide_op(f"decide__{op}", described["description"],
                                              _ref(f"{base}.Request"), response, [])}
            paths[f"{path}/explain"] = {"post": _decide_op(
                f"explain__{op}", f"explain: {described['description']}",
                _ref(f"{base}.Request"), explained, [])}
    return {
        "openapi": "3.1.0",
        "info": {"title": "policyengine decision service", "version": engine_version(),
                 "description": "Decisions from housing organisations' policies, traced to "
                                "the clauses they encode. Dates YYYY-MM-DD; date-times ISO "
                                "8601, naive = Europe/London."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{}, {"bearer": []}],
    }
