"""The ``/v1`` endpoints: health, the policies and their decisions, fact schemas, decide, explain.

A stable contract (docs/server.md; ``/openapi.json`` describes it for client generators):

* ``GET /v1/health``: status, engine and data versions, each policy's version and sha256;
* ``GET /v1/policies`` and ``GET /v1/policies/{policy}``: policies, decisions, metadata;
* ``GET /v1/policies/{policy}/decisions/{decision}/schema``: the facts' JSON Schema, outcome keys;
* ``POST /v1/policies/{policy}/decisions/{decision}`` with ``{"facts": {...}, "as_of": "..."}``:
  :meth:`Decision.to_dict`; ``POST .../explain``: the same plus ``explanation``, the reasoning as
  text. ``"full_trace": true`` lists every rule considered, not only those that fired.

Every decision served is appended to the decision log, when one is configured, before it is
answered; its request id is in the ``X-Request-ID`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..compiler import CompiledPolicy
from ..decision import Decision
from ..runtime import engine_version, runtime_versions
from .errors import REQUEST_ID_HEADER, ApiError, request_id
from .registry import Snapshot
from .security import parse_json, read_body
from .state import ServerState, server_state

REQUEST_KEYS = ("facts", "as_of", "full_trace")


def _json(request: Request, body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status,
                        headers={REQUEST_ID_HEADER: request_id(request),
                                 "Cache-Control": "no-store"})


def policy_summary(policy: CompiledPolicy, snapshot: Snapshot) -> dict[str, Any]:
    meta = policy.meta
    decisions = []
    for name in snapshot.policies.decision_names(policy.id):
        schema = snapshot.schemas[(policy.id, name)]
        decisions.append({"name": name, "description": schema["description"],
                          "facts": list(schema["facts"]["properties"]),
                          "outcome_keys": schema["outcome_keys"]})
    return {
        "id": policy.id,
        "organisation": meta.organisation,
        "title": meta.title,
        "version": meta.version,
        "nation": meta.nation,
        "status": meta.status,
        "issued": meta.issued.isoformat() if meta.issued else None,
        "review_due": meta.review_due.isoformat() if meta.review_due else None,
        "summary": " ".join(meta.summary.split()) if meta.summary else None,
        "file": PurePath(policy.file).name,
        "sha256": policy.sha256,
        "decisions": decisions,
    }


def policy_detail(policy: CompiledPolicy, snapshot: Snapshot) -> dict[str, Any]:
    out = policy_summary(policy, snapshot)
    out["calendar"] = dict(policy.calendar_record)
    out["sources"] = [{"id": key, "title": source.title, "file": source.file}
                      for key, source in policy.spec.sources.items()]
    out["interpretations"] = [dict(note) for note in policy.interpretation_dicts.values()]
    return out


async def health(request: Request) -> JSONResponse:
    state = server_state(request)
    snapshot = state.registry.current
    last = state.registry.last_reload
    return _json(request, {
        "status": "ok",
        "engine_version": engine_version(),
        **runtime_versions(),
        "policies": [{"id": p.id, "version": p.meta.version, "status": p.meta.status,
                      "sha256": p.sha256} for p in snapshot.policies],
        "generation": snapshot.generation,
        "loaded_at": snapshot.loaded_at,
        "last_reload": last.to_dict() if last else None,
        "decision_log": state.log_description(),
    })


async def list_policies(request: Request) -> JSONResponse:
    snapshot = server_state(request).registry.current
    return _json(request, {"policies": [policy_summary(p, snapshot)
                                        for p in snapshot.policies]})


def _policy(snapshot: Snapshot, request: Request) -> CompiledPolicy:
    return snapshot.policies.policy(request.path_params["policy"])


async def get_policy(request: Request) -> JSONResponse:
    snapshot = server_state(request).registry.current
    return _json(request, policy_detail(_policy(snapshot, request), snapshot))


def _decision_name(snapshot: Snapshot, request: Request) -> tuple[str, str]:
    policy = _policy(snapshot, request).id
    decision = request.path_params["decision"]
    if (policy, decision) not in snapshot.schemas:
        snapshot.policies.compiled_decision(policy, decision)  # raises UnknownNameError
    return policy, decision


async def get_schema(request: Request) -> JSONResponse:
    snapshot = server_state(request).registry.current
    return _json(request, snapshot.schemas[_decision_name(snapshot, request)])


def request_problem(path: str, code: str, message: str) -> dict[str, Any]:
    return {"path": path, "code": code, "message": message}


def decision_request(body: Any) -> tuple[Mapping[str, Any], str | None, bool]:
    """The facts, as_of and full_trace of a decide request body, or a 400 naming the problem."""
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the request body must be a JSON object with 'facts'",
                       [request_problem("", "invalid", "a JSON object with 'facts' and 'as_of'")])
    unknown = [k for k in body if k not in REQUEST_KEYS]
    if unknown:
        raise ApiError(400, "bad_request",
                       f"unknown key(s) in the request: {', '.join(map(str, unknown))}; a "
                       f"request has {', '.join(REQUEST_KEYS)}",
                       [request_problem(str(k), "unknown", f"'{k}' is not a request key")
                        for k in unknown])
    facts = body.get("facts", {})
    if facts is None:
        facts = {}
    if not isinstance(facts, dict):
        raise ApiError(422, "invalid_facts", "'facts' must be a JSON object of facts",
                       [request_problem("facts", "invalid", "a JSON object of fact names to "
                                        "values")])
    as_of = body.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise ApiError(422, "invalid_facts", "'as_of' must be a date YYYY-MM-DD",
                       [request_problem("as_of", "invalid", "a date YYYY-MM-DD")])
    full_trace = body.get("full_trace", False)
    if not isinstance(full_trace, bool):
        raise ApiError(400, "bad_request", "'full_trace' must be true or false",
                       [request_problem("full_trace", "invalid", "true or false")])
    return facts, as_of, full_trace


async def _decide(request: Request, *, explain: bool) -> tuple[ServerState, Snapshot, Decision]:
    state = server_state(request)
    snapshot = state.registry.current
    policy, decision = _decision_name(snapshot, request)
    body = parse_json(await read_body(request, state.options.max_body_bytes))
    facts, as_of, full_trace = decision_request(body)
    result = snapshot.policies.decide(policy, decision, facts, as_of,
                                      full_trace=full_trace or explain)
    state.log_decision(result, request_id(request), "api")
    return state, snapshot, result


async def decide(request: Request) -> JSONResponse:
    _, _, result = await _decide(request, explain=False)
    return _json(request, result.to_dict())


async def explain(request: Request) -> JSONResponse:
    from ..present import explain_text

    _, snapshot, result = await _decide(request, explain=True)
    text = explain_text(result, snapshot.policies.policy(result.policy))
    return _json(request, {**result.to_dict(), "explanation": text})


async def openapi(request: Request) -> JSONResponse:
    return _json(request, server_state(request).registry.current.openapi)


ROUTES = [
    Route("/v1/health", health, methods=["GET"]),
    Route("/v1/policies", list_policies, methods=["GET"]),
    Route("/v1/policies/{policy}", get_policy, methods=["GET"]),
    Route("/v1/policies/{policy}/decisions/{decision}/schema", get_schema, methods=["GET"]),
    Route("/v1/policies/{policy}/decisions/{decision}", decide, methods=["POST"]),
    Route("/v1/policies/{policy}/decisions/{decision}/explain", explain, methods=["POST"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
