"""What one server holds: its options, the policy registry and the decision log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..decision import Decision
from ..decision_log import DecisionLog, DecisionLogError
from .errors import ApiError
from .registry import PolicyRegistry
from .security import DEFAULT_MAX_BODY

log = logging.getLogger("policyengine.server")


@dataclass(frozen=True)
class ServerOptions:
    """How a server behaves; every default is the safe one.

    ``token``: when set, every request needs it (bearer, or the password of HTTP Basic);
    ``max_body_bytes``: larger request bodies get 413; ``cors_origins``: origins allowed to call
    from a browser (none: CORS off); ``decision_log``: where every decision served is logged;
    ``watch_seconds``: poll the policy files this often and reload on a change (0: never);
    ``reload_on_sighup``: reload when the process gets SIGHUP (only where the server runs in
    the main thread, as ``policyengine serve`` does).
    """

    token: bytes | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    cors_origins: tuple[str, ...] = ()
    decision_log: DecisionLog | None = None
    watch_seconds: float = 0.0
    reload_on_sighup: bool = False


class ServerState:
    def __init__(self, registry: PolicyRegistry, options: ServerOptions) -> None:
        self.registry = registry
        self.options = options

    def log_decision(self, decision: Decision, request_id: str, source: str) -> None:
        """Append to the decision log; a decision that cannot be logged is not served."""
        if self.options.decision_log is None:
            return
        try:
            self.options.decision_log.append(decision, request_id=request_id, source=source)
        except DecisionLogError as exc:
            log.error("decision log: %s", exc)
            raise ApiError(503, "log_unavailable",
                           "the decision could not be logged, so it is not served; try again "
                           "later") from None

    def log_description(self) -> dict[str, Any] | None:
        store = self.options.decision_log
        if store is None:
            return None
        return {"format": store.format, "facts_redacted": store.redacts,
                "retention_days": store.retention_days}


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.policyengine
    return state
