"""Who may call the server, and how much it reads: the bearer token and request body limits.

With a token configured every request needs it, the ``/v1`` endpoints and the page alike:
``Authorization: Bearer <token>``, or HTTP Basic with the token as the password (so that a
browser can ask for it; any user name). The comparison is :func:`hmac.compare_digest` on bytes,
in constant time whatever the length or content of the guess. Request bodies are read up to a
limit (413 past it) and parsed as strict JSON: no NaN or Infinity, bounded nesting, and numbers
Python's integer limit accepts.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, error_response

DEFAULT_MAX_BODY = 1_000_000
MAX_JSON_DEPTH = 32
API_PREFIXES = ("/v1/", "/openapi.json")


def token_matches(authorization: str | None, token: bytes) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (Bearer, or Basic's password)."""
    if not authorization:
        return False
    scheme, _, credentials = authorization.strip().partition(" ")
    candidate: bytes
    if scheme.lower() == "bearer":
        candidate = credentials.strip().encode("utf-8", "surrogateescape")
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        candidate = decoded.partition(b":")[2]
    else:
        return False
    return hmac.compare_digest(candidate, token)


class TokenAuth:
    """ASGI middleware: refuse (401) any HTTP request that does not carry the token."""

    def __init__(self, app: ASGIApp, token: bytes) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if token_matches(Headers(scope=scope).get("authorization"), self.token):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response: Response
        if scope["path"].startswith(API_PREFIXES):
            response = error_response(
                request, 401, "unauthorized",
                "this server needs a bearer token: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="policyengine"'})
        else:
            response = HTMLResponse(
                "<!doctype html><html lang=\"en-GB\"><title>Sign-in needed</title>"
                "<h1>Sign-in needed</h1><p>This decision explorer needs the access token: "
                "give it as the password when your browser asks.</p></html>",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="policyengine", charset="UTF-8"',
                         "Cache-Control": "no-store"})
        await response(scope, receive, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) one over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    too_large = ApiError(413, "too_large", f"the request body is over the limit of {limit} "
                         "bytes", [{"path": "", "code": "too_large",
                                    "message": f"at most {limit} bytes"}])
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large
        except ValueError:
            raise ApiError(400, "bad_request", "the Content-Length header is not a number"
                           ) from None
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def malformed(message: str) -> ApiError:
    return ApiError(400, "malformed_json", message,
                    [{"path": "", "code": "malformed_json", "message": message}])


def parse_json(body: bytes) -> Any:
    """Strict JSON from a request body, or a 400 saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("the request body is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise malformed(f"the request body is not valid JSON (line {exc.lineno}, column "
                        f"{exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise malformed(f"the request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's digit limit
        raise malformed(f"the request body is not JSON the server accepts: "
                        f"{str(exc).split(':')[0]}") from None
    if _too_deep(value, MAX_JSON_DEPTH):
        raise malformed(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    return value
