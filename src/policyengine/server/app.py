"""Build the ASGI application: routes, error handlers, token, CORS, reloads, security headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..policyset import PolicySet
from . import api, explorer
from .errors import EXCEPTION_HANDLERS
from .registry import PolicyRegistry
from .security import TokenAuth
from .state import ServerOptions, ServerState

log = logging.getLogger("policyengine.server")

__all__ = ["ServerOptions", "create_app"]

_HTML_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)


class SecurityHeaders:
    """Headers on every response: no sniffing, no framing, no referrer to other sites, a CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"),
                            (b"x-frame-options", b"DENY"),
                            (b"content-security-policy", _HTML_POLICY.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _watch(registry: PolicyRegistry, every: float) -> None:
    """Reload when a policy file changes (polled; a failed reload keeps the old set)."""
    seen = registry.files_signature()
    while True:
        await asyncio.sleep(every)
        now = await anyio.to_thread.run_sync(registry.files_signature)
        if now != seen:
            seen = now
            await anyio.to_thread.run_sync(registry.reload)


def create_app(
    policies: PolicySet | str | Path | Sequence[str | Path] | None = None,
    options: ServerOptions | None = None,
    **settings: Any,
) -> Starlette:
    """The decision service and explorer page as an ASGI app (Starlette).

    ``policies`` is a loaded :class:`PolicySet` (never reloaded from files), or the policy
    file(s) or directory to load (the bundled policies by default), which a reload reads again.
    ``options`` (or the same fields as keywords: ``token``, ``max_body_bytes``, ``cors_origins``,
    ``decision_log``, ``watch_seconds``, ``reload_on_sighup``) configure it; see
    :class:`ServerOptions`.
    """
    opts = options or ServerOptions(**settings)
    if isinstance(policies, PolicySet):
        registry = PolicyRegistry(None, policies)
    else:
        source = None if policies is None else (
            [Path(policies)] if isinstance(policies, str | Path) else [Path(p) for p in policies])
        registry = PolicyRegistry(source)
    fixed = registry.fixed
    state = ServerState(registry, opts)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        if opts.watch_seconds > 0 and not fixed:
            tasks.append(loop.create_task(_watch(registry, opts.watch_seconds)))
        if opts.reload_on_sighup and not fixed:
            def on_sighup() -> None:
                log.info("SIGHUP: reloading the policies")
                loop.run_in_executor(None, registry.reload)

            loop.add_signal_handler(signal.SIGHUP, on_sighup)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if opts.reload_on_sighup and not fixed:
                loop.remove_signal_handler(signal.SIGHUP)

    middleware = [Middleware(SecurityHeaders)]
    if opts.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(opts.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"], expose_headers=["X-Request-ID"]))
    if opts.token is not None:
        middleware.append(Middleware(TokenAuth, token=opts.token))
    static = StaticFiles(packages=[("policyengine.server", "static")])
    app = Starlette(
        routes=[*api.ROUTES, *explorer.ROUTES, Mount("/static", app=static, name="static")],
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.policyengine = state
    return app
