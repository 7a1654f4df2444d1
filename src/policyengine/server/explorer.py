"""The decision explorer: a page for housing staff to take a decision and read why.

``GET /`` lists each organisation's policies and their decisions; ``GET /explore/{policy}/
{decision}`` shows the form generated from the decision's fact schema (:mod:`.forms`); posting
it either adds or removes a row of a list, or takes the decision and shows the answer in plain
English (:mod:`.wording`): the status, each outcome with its dates written out, what a person
must weigh or do, each rule that fired with the clause it quotes and the document named, the
interpretations relied on (marked where not yet signed off), warnings first, and the request
and decision as JSON to copy. Plain HTML forms: no script is needed to use it (a small one
only adds a copy button). Every decision taken here is logged like an API one.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..compiler import CompiledPolicy
from ..decision import Decision
from ..errors import FactsError, UnknownNameError
from ..policyset import today_in_london
from .errors import request_id
from .forms import FormData, apply_action, fields, read_object
from .registry import Snapshot
from .security import read_body
from .state import server_state
from .wording import STATUS_WORDS, humanise, long_date, schema_kind, words

TEMPLATES = Environment(
    loader=PackageLoader("policyengine.server", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
MAX_FORM_FIELDS = 5000
PAGE_HEADERS = {"Cache-Control": "no-store"}


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _not_found(message: str) -> HTMLResponse:
    return _page("not_found.html", 404, title="Not found", message=message)


async def index(request: Request) -> Response:
    snapshot = server_state(request).registry.current
    policies = []
    for policy in snapshot.policies:
        decisions = [
            {"name": name, "label": humanise(name),
             "description": snapshot.schemas[(policy.id, name)]["description"],
             "href": f"/explore/{policy.id}/{name}"}
            for name in snapshot.policies.decision_names(policy.id)
        ]
        policies.append({"policy": policy, "meta": policy.meta, "decisions": decisions})
    return _page("index.html", title="Decision explorer", policies=policies)


def _sources(policy: CompiledPolicy) -> dict[str, str]:
    return {source.file: source.title for source in policy.spec.sources.values()}


def _cite(cite: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    return {"clause": cite["clause"], "document": cite["document"],
            "title": sources.get(cite["document"], ""), "section": cite.get("section")}


def _interpretation_text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{humanise(str(k)).lower()}: {words(v)}" for k, v in value.items())
    return words(value, "enum" if isinstance(value, list) else None)


def result_view(decision: Decision, policy: CompiledPolicy, schema: dict[str, Any],
                request_record: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a decision, worded for a person."""
    record = decision.to_dict()
    sources = _sources(policy)
    outcome_schemas = schema.get("outcomes", {})
    outcomes = []
    for key, value in record["outcome"].items():
        if key in ("considerations", "requirements"):
            continue
        sub = outcome_schemas.get(key)
        outcomes.append({"key": key, "label": humanise(key),
                         "text": words(value, schema_kind(sub)),
                         "raw": value if schema_kind(sub) in ("date", "datetime", "moment")
                         else None,
                         "hint": (sub or {}).get("description")})
    notes = {
        kind: [{"text": item["text"],
                "cite": _cite(item["cite"], sources) if "cite" in item else None}
               for item in record["outcome"].get(kind) or []]
        for kind in ("considerations", "requirements")
    }
    rules = [
        {"rule": step["rule"], "label": humanise(step["rule"]), "because": step["because"],
         "note": step.get("note"),
         "citations": [_cite(c, sources) for c in step.get("citations", [])]}
        for step in record["trace"] if step["fired"]
    ]
    interpretations = [
        {"name": i["name"], "label": humanise(i["name"]),
         "value": _interpretation_text(i["value"]), "note": i["note"],
         "signed_off": i["signed_off"]}
        for i in record["interpretations"]
    ]
    return {
        "status": decision.status,
        "status_words": STATUS_WORDS.get(decision.status, decision.status),
        "as_of_words": long_date(decision.as_of),
        "outcomes": outcomes,
        "considerations": notes["considerations"],
        "requirements": notes["requirements"],
        "rules": rules,
        "interpretations": interpretations,
        "warnings": list(decision.warnings),
        "json": json.dumps({"request": request_record, "decision": record}, indent=2,
                           ensure_ascii=False),
    }


def _lookup(snapshot: Snapshot, policy: str, decision: str
            ) -> tuple[CompiledPolicy, dict[str, Any]] | None:
    try:
        compiled = snapshot.policies.policy(policy)
    except UnknownNameError:
        return None
    schema = snapshot.schemas.get((compiled.id, decision))
    return (compiled, schema) if schema is not None else None


def _form_page(policy: CompiledPolicy, schema: dict[str, Any], facts: dict[str, Any],
               as_of: str, errors: dict[str, str], summary: list[dict[str, str]],
               result: dict[str, Any] | None, status: int = 200) -> HTMLResponse:
    widgets = fields(schema["facts"], values=facts, errors=errors)
    return _page(
        "decision.html", status,
        title=f"{humanise(schema['decision'])}: {policy.meta.organisation}",
        policy=policy, meta=policy.meta, schema=schema, widgets=widgets, as_of=as_of,
        as_of_error=errors.get("as_of"), error_summary=summary, result=result,
        action=f"/explore/{policy.id}/{schema['decision']}",
    )


async def explore(request: Request) -> Response:
    state = server_state(request)
    snapshot = state.registry.current
    found = _lookup(snapshot, request.path_params["policy"], request.path_params["decision"])
    if found is None:
        return _not_found("There is no such policy or decision. Go back to the list.")
    policy, schema = found
    if request.method == "GET":
        return _form_page(policy, schema, _initial(schema), today_in_london().isoformat(),
                          {}, [], None)
    if not _same_origin(request):
        return _page("not_found.html", 403, title="Refused",
                     message="This form can only be sent from this site's own page.")
    body = await read_body(request, state.options.max_body_bytes)
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                   max_num_fields=MAX_FORM_FIELDS)
    form = FormData(pairs)
    facts = read_object(schema["facts"], form)
    as_of = form.get("as_of").strip()
    if apply_action(facts, form.get("action", "decide")):
        return _form_page(policy, schema, facts, as_of, {}, [], None)
    try:
        decision = snapshot.policies.decide(policy.id, schema["decision"], facts, as_of or None)
    except FactsError as exc:
        errors = {p.path or "as_of": p.message for p in exc.problems}
        summary = [{"path": p.path, "message": p.message,
                    "anchor": _anchor(p.path or "as_of")} for p in exc.problems]
        return _form_page(policy, schema, facts, as_of, errors, summary, None, 422)
    state.log_decision(decision, request_id(request), "explorer")
    record = {"policy": policy.id, "decision": schema["decision"], "facts": facts,
              "as_of": as_of or None}
    return _form_page(policy, schema, facts, as_of, {}, [],
                      result_view(decision, policy, schema, record))


def _anchor(path: str) -> str:
    """The id of the form control for a fact path (``contacts[0].at`` -> ``f-contacts-0-at``)."""
    if path == "as_of":
        return "as_of"
    return "f-" + path.replace("[", ".").replace("]", "").replace(".", "-")


def _initial(schema: dict[str, Any]) -> dict[str, Any]:
    """Start every list of records with one empty row to fill in."""
    facts: dict[str, Any] = {}
    for key, sub in schema["facts"].get("properties", {}).items():
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            facts[key] = [None]
    return facts


def _same_origin(request: Request) -> bool:
    """Refuse a form posted from another site: browsers say where a request comes from in
    Sec-Fetch-Site (or, older ones, Origin); a client that sends neither is not a browser."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")


ROUTES = [
    Route("/", index, methods=["GET"]),
    Route("/explore/{policy}/{decision}", explore, methods=["GET", "POST"]),
]
