"""``policyengine serve``: decisions over HTTP for apps in any language, and an explorer page.

An ASGI application on Starlette, served by uvicorn (the optional ``server`` extra:
``pip install 'housing-policyengine[server]'``). :func:`create_app` builds it for an app that
mounts it; ``policyengine serve`` runs it. The pieces, one job each:

* :mod:`.registry`: the loaded policies, swapped whole on a reload (a failed reload keeps them);
* :mod:`.api`: the ``/v1`` JSON endpoints; :mod:`.openapi`: their OpenAPI document, generated
  from each decision's fact schema (:mod:`policyengine.fact_schema`);
* :mod:`.errors`: every error as JSON with the problems' structure, never a traceback;
* :mod:`.security`: the optional bearer token (compared in constant time), request body limits;
* :mod:`.explorer`, :mod:`.forms`, :mod:`.wording`: the page for housing staff, server-rendered
  with Jinja2, no build step;
* the decision log itself is core (:mod:`policyengine.decision_log`), so ``policyengine replay``
  works without this extra.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'housing-policyengine[server]'"

try:
    from .app import ServerOptions, create_app
except ModuleNotFoundError as exc:  # pragma: no cover - exercised without the extra
    if exc.name not in ("starlette", "uvicorn", "jinja2", "anyio"):
        raise
    raise ModuleNotFoundError(
        f"policyengine.server needs the 'server' extra ({exc.name} is not installed): "
        f"{INSTALL_HINT}",
        name=exc.name,
    ) from exc

__all__ = ["INSTALL_HINT", "ServerOptions", "create_app"]
