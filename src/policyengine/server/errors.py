"""Every error the server answers with, as JSON with the library's problems structure.

The body is always ``{"status", "error", "message", "problems", "request_id"}``; ``problems``
holds :meth:`FactProblem.to_dict` items (``path``, ``code``, ``message``, ``allowed``) for bad
facts and bad requests, and :class:`Problem` items (``file``, ``line``, ``column``, ``message``)
for a policy defect, with the policy's file name only. No error body carries a traceback or a
path on the server: an unexpected failure is logged in full and answered with a 500 that says
only that, with the request id to find it in the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import FactsError, PolicyError, UnknownNameError

log = logging.getLogger("policyengine.server")

REQUEST_ID_HEADER = "X-Request-ID"


class ApiError(Exception):
    """An error answered as JSON with ``status`` and problems."""

    def __init__(self, status: int, error: str, message: str,
                 problems: Sequence[Mapping[str, Any]] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.problems = [dict(p) for p in problems]
        self.headers = dict(headers or {})
        super().__init__(message)


def request_id(request: Request) -> str:
    """The id of this request (made on first use, kept in the request's state)."""
    rid: str | None = getattr(request.state, "request_id", None)
    if rid is None:
        rid = uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def error_response(request: Request, status: int, error: str, message: str,
                   problems: Sequence[Mapping[str, Any]] = (),
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    rid = request_id(request)
    body = {"status": status, "error": error, "message": message,
            "problems": [dict(p) for p in problems], "request_id": rid}
    return JSONResponse(body, status_code=status,
                        headers={REQUEST_ID_HEADER: rid, "Cache-Control": "no-store",
                                 **(headers or {})})


def facts_error_body(exc: FactsError) -> tuple[str, list[dict[str, Any]]]:
    return str(exc), [p.to_dict() for p in exc.problems]


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.error, exc.message, exc.problems,
                          exc.headers)


def _facts_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FactsError)
    message, problems = facts_error_body(exc)
    return error_response(request, 422, "invalid_facts", message, problems)


def unknown_name_problem(exc: UnknownNameError, what: str) -> dict[str, Any]:
    return {"path": what, "code": "unknown", "message": str(exc), "allowed": exc.known}


def _unknown_name(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnknownNameError)
    what = "decision" if "has no decision" in str(exc) else "policy"
    return error_response(request, 404, f"unknown_{what}", str(exc),
                          [unknown_name_problem(exc, what)])


def policy_problems(exc: PolicyError) -> list[dict[str, Any]]:
    """A policy error's problems, each naming the file by its name only."""
    return [{"file": PurePath(p.file).name, "line": p.line, "column": p.column,
             "message": p.message} for p in exc.problems]


def _policy_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PolicyError)
    log.error("policy defect on request %s: %s", request_id(request), exc)
    return error_response(request, 500, "policy_defect",
                          "the policy could not answer for these facts: a defect in the policy "
                          "file, reported to its owner", policy_problems(exc))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: "method not allowed for this endpoint"}
    status = exc.status_code
    error = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    return error_response(request, status, error, messages.get(status, str(exc.detail)),
                          headers=exc.headers)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on request %s", request_id(request), exc_info=exc)
    return error_response(request, 500, "internal_error",
                          "the server failed to answer this request; the request id finds the "
                          "details in the server log")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    FactsError: _facts_error,
    UnknownNameError: _unknown_name,
    PolicyError: _policy_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
