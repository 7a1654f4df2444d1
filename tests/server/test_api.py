"""The /v1 API over real HTTP on uvicorn: every endpoint, every error status, against decide."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from scenario_cases import ROOT, scenario_requests
from served import Response, Served, serve

import policyengine
from policyengine import FactsError, PolicyError, PolicySet, Problem
from policyengine.decision_log import open_decision_log, read_decision_log
from policyengine.present import explain_text
from policyengine.server import create_app

SCENARIOS = scenario_requests()
FORBIDDEN_IN_ERRORS = ("Traceback", 'File "', "site-packages", str(ROOT), "/work/", ".py")
SEEN_ERRORS: list[Response] = []


def _error(response: Response, status: int) -> dict[str, Any]:
    """The error body, checked for its structure and for leaks of the server's internals."""
    SEEN_ERRORS.append(response)
    assert response.status == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "error", "message", "problems", "request_id"}
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    for leak in FORBIDDEN_IN_ERRORS:
        assert leak not in response.text, (leak, response.text)
    return body


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log") / "decisions.sqlite"


@pytest.fixture(scope="module")
def server(policies: PolicySet, log_path: Path) -> Iterator[Served]:
    log = open_decision_log(log_path)
    app = create_app(policies, decision_log=log, max_body_bytes=20_000)
    with serve(app) as served:
        yield served
    log.close()


def _decide_path(policy: str, decision: str) -> str:
    return f"/v1/policies/{policy}/decisions/{decision}"


# ------------------------------------------------------------------ read-only endpoints
def test_health_names_engine_and_each_policy_with_the_sha256_of_its_file(
        server: Served, policies: PolicySet) -> None:
    response = server.get("/v1/health")
    assert response.status == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["engine_version"] == importlib.metadata.version("housing-policyengine")
    assert body["holidays"] == importlib.metadata.version("holidays")
    by_id = {p["id"]: p for p in body["policies"]}
    assert set(by_id) == set(policies.names)
    for policy in policies:
        digest = hashlib.sha256(Path(policy.file).read_bytes()).hexdigest()  # the file's bytes
        assert by_id[policy.id]["sha256"] == digest
        assert by_id[policy.id]["version"] == policy.meta.version
    assert body["decision_log"] == {"format": "sqlite", "facts_redacted": False,
                                    "retention_days": None}


def test_policies_list_and_detail(server: Served, policies: PolicySet) -> None:
    listed = server.get("/v1/policies").json()["policies"]
    assert [p["id"] for p in listed] == policies.names
    for summary in listed:
        names = [d["name"] for d in summary["decisions"]]
        assert names == policies.decision_names(summary["id"])
        detail = server.get(f"/v1/policies/{summary['id']}").json()
        compiled = policies.policy(summary["id"])
        assert detail["title"] == compiled.meta.title
        assert detail["calendar"] == compiled.calendar_record
        assert {i["name"] for i in detail["interpretations"]} == set(compiled.interpretations)
        assert "/" not in detail["file"]


def test_schema_of_every_decision_lists_its_facts_and_outcome_keys(
        server: Served, policies: PolicySet) -> None:
    for policy in policies:
        for name in policies.decision_names(policy.id):
            body = server.get(f"{_decide_path(policy.id, name)}/schema").json()
            if name == "policy_status":
                assert body["facts"]["properties"] == {}
                assert "review_overdue" in body["outcome_keys"]
                continue
            compiled = policies.compiled_decision(policy.id, name)
            assert list(body["facts"]["properties"]) == list(compiled.facts)
            assert body["outcome_keys"] == list(compiled.outcomes)
            required = {k for k, vt in compiled.facts.items() if not vt.optional}
            assert set(body["facts"]["required"]) == required


def test_openapi_document_is_valid_and_has_a_typed_path_per_decision(
        server: Served, policies: PolicySet) -> None:
    from openapi_spec_validator import validate

    document = server.get("/openapi.json").json()
    validate(document)  # raises on an invalid OpenAPI 3.1 document
    for policy in policies:
        for name in policies.decision_names(policy.id):
            op = document["paths"][_decide_path(policy.id, name)]["post"]
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            request_schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
            facts_ref = request_schema["properties"]["facts"]["$ref"].rsplit("/", 1)[1]
            served = server.get(f"{_decide_path(policy.id, name)}/schema").json()["facts"]
            served.pop("$schema")
            assert document["components"]["schemas"][facts_ref] == served


# ------------------------------------------------------------------ decide and explain
def test_every_scenario_decided_over_http_equals_decide_in_process(
        server: Served, policies: PolicySet) -> None:
    assert len(SCENARIOS) > 100
    for policy, decision, facts, as_of in SCENARIOS:
        response = server.post(_decide_path(policy, decision), {"facts": facts, "as_of": as_of})
        assert response.status == 200, response.text
        assert response.json() == policies.decide(policy, decision, facts, as_of).to_dict()


def test_explain_adds_the_reasoning_as_text(server: Served, policies: PolicySet) -> None:
    facts = {"notification_received": "2026-12-24", "appeal_received": "2027-01-08"}
    response = server.post(_decide_path("halton_conduct", "appeal_deadline") + "/explain",
                           {"facts": facts, "as_of": "2027-01-08"})
    assert response.status == 200
    body = response.json()
    expected = policies.decide("halton_conduct", "appeal_deadline", facts, "2027-01-08",
                               full_trace=True)
    assert body["explanation"] == explain_text(expected, policies.policy("halton_conduct"))
    assert {k: v for k, v in body.items() if k != "explanation"} == expected.to_dict()
    assert body["provenance"]["full_trace"] is True


def test_full_trace_is_asked_for_in_the_request(server: Served, policies: PolicySet) -> None:
    facts = {"severity": "low", "prior_warning_given": False, "corrected_immediately": True,
             "channel": "email", "posted_on_social_media": False, "in_involved_groups": False,
             "vexatious_or_persistent": False}
    body = server.post(_decide_path("halton_conduct", "sanction"),
                       {"facts": facts, "as_of": "2026-06-01", "full_trace": True}).json()
    assert body == policies.decide("halton_conduct", "sanction", facts, "2026-06-01",
                                   full_trace=True).to_dict()
    assert any(not step["fired"] for step in body["trace"])


def test_concurrent_clients_get_the_answers_decide_gives(server: Served,
                                                         policies: PolicySet) -> None:
    cases = SCENARIOS * 2

    def one(case: tuple[str, str, dict[str, Any], str]) -> bool:
        policy, decision, facts, as_of = case
        got = server.post(_decide_path(policy, decision), {"facts": facts, "as_of": as_of})
        return got.json() == policies.decide(policy, decision, facts, as_of).to_dict()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, cases, timeout=120))
    assert all(results) and len(results) == len(cases)


# ------------------------------------------------------------------ errors
def test_bad_facts_are_422_with_the_problems_of_facts_error(server: Served,
                                                            policies: PolicySet) -> None:
    facts = {"contacts": [{"at": "2026-02-30T10:00", "channel": "pigeon", "topic": "x"}],
             "service_failure_outstanding": "no", "vulnerable": True, "behaviour": []}
    response = server.post(_decide_path("citizen_persistent_contact", "restriction_assessment"),
                           {"facts": facts})
    body = _error(response, 422)
    with pytest.raises(FactsError) as caught:
        policies.decide("citizen_persistent_contact", "restriction_assessment", facts)
    assert body["problems"] == [p.to_dict() for p in caught.value.problems]
    paths = {p["path"] for p in body["problems"]}
    assert {"contacts[0].at", "contacts[0].channel", "behaviour"} <= paths
    channel = next(p for p in body["problems"] if p["path"] == "contacts[0].channel")
    assert "telephone" in channel["allowed"]


@pytest.mark.parametrize("as_of", ["2026-13-01", "tomorrow", "2026-04-09T10:00"])
def test_a_bad_as_of_is_422_naming_it(server: Served, as_of: str) -> None:
    body = _error(server.post(_decide_path("halton_conduct", "policy_status"),
                              {"facts": {}, "as_of": as_of}), 422)
    assert body["problems"][0]["path"] == "as_of"


def test_unknown_policy_or_decision_is_404_with_the_known_names(server: Served,
                                                                policies: PolicySet) -> None:
    body = _error(server.get("/v1/policies/halton"), 404)
    assert body["error"] == "unknown_policy"
    assert body["problems"][0]["allowed"] == policies.names
    body = _error(server.post(_decide_path("halton_conduct", "sanctions"), {"facts": {}}), 404)
    assert body["error"] == "unknown_decision"
    assert "sanction" in body["problems"][0]["allowed"]
    _error(server.get(_decide_path("nope", "sanction") + "/schema"), 404)
    _error(server.get("/v1/no/such/endpoint"), 404)
    assert _error(server.get(_decide_path("halton_conduct", "sanction")), 405)["error"] == (
        "method_not_allowed")


@pytest.mark.parametrize("body", [
    b"{", b"[1, 2", b"\xff\xfe", b'{"facts": NaN}', b'{"facts": {"x": Infinity}}',
    b'{"facts": {"n": ' + b"9" * 5000 + b"}}",
    b'{"facts": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"facts": ' + b"[" * 40 + b"]" * 40 + b"}",
])
def test_malformed_json_is_400(server: Served, body: bytes) -> None:
    got = _error(server.post(_decide_path("halton_conduct", "breach"), body), 400)
    assert got["error"] == "malformed_json"
    assert got["problems"][0]["code"] == "malformed_json"


@pytest.mark.parametrize(("body", "status", "path"), [
    ([1], 400, ""), ("facts", 400, ""), ({"facts": {}, "asof": "2026-01-01"}, 400, "asof"),
    ({"facts": [1]}, 422, "facts"), ({"facts": {}, "as_of": 20260101}, 422, "as_of"),
    ({"facts": {}, "full_trace": "yes"}, 400, "full_trace"),
])
def test_a_request_of_the_wrong_shape_names_the_problem(server: Served, body: Any,
                                                        status: int, path: str) -> None:
    got = _error(server.post(_decide_path("halton_conduct", "breach"), json.dumps(body)), status)
    assert got["problems"][0]["path"] == path


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(server: Served) -> None:
    big = json.dumps({"facts": {"behaviours": ["threats"] * 5000, "context": "meeting"}})
    assert len(big) > 20_000
    _error(server.post(_decide_path("halton_conduct", "breach"), big), 413)

    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=15)
    try:
        chunks = (big[i:i + 1000].encode() for i in range(0, len(big), 1000))
        conn.request("POST", _decide_path("halton_conduct", "breach"), body=chunks,
                     encode_chunked=True, headers={"Content-Type": "application/json"})
        raw = conn.getresponse()
        assert raw.status == 413
        assert json.loads(raw.read())["error"] == "too_large"
    finally:
        conn.close()


def test_an_unexpected_failure_is_a_500_without_trace_or_path(policies: PolicySet) -> None:
    class Broken(PolicySet):
        def decide(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"boom in {ROOT}/src/policyengine/secret.py")

    class Defective(PolicySet):
        def decide(self, *args: Any, **kwargs: Any) -> Any:
            raise PolicyError(Problem(f"{ROOT}/policies/halton_conduct.yaml", 12, 3, "clash"))

    facts = {"facts": {"behaviours": [], "context": "meeting"}}
    with serve(create_app(Broken(dict(zip(policies.names, policies, strict=True))))) as s:
        body = _error(s.post(_decide_path("halton_conduct", "breach"), facts), 500)
        assert body["error"] == "internal_error" and "boom" not in json.dumps(body)
    with serve(create_app(Defective(dict(zip(policies.names, policies, strict=True))))) as s:
        body = _error(s.post(_decide_path("halton_conduct", "breach"), facts), 500)
        assert body["problems"] == [{"file": "halton_conduct.yaml", "line": 12, "column": 3,
                                     "message": "clash"}]


def test_no_error_body_seen_leaked_a_trace_or_a_path() -> None:
    """Runs after the error tests above (pytest keeps file order): every body was checked."""
    assert len(SEEN_ERRORS) >= 20
    statuses = {r.status for r in SEEN_ERRORS}
    assert {400, 404, 405, 413, 422, 500} <= statuses


# ------------------------------------------------------------------ the decision log
def test_every_decision_served_is_logged_privately_and_replays_the_same(
        server: Served, log_path: Path, policies: PolicySet) -> None:
    facts = {"behaviours": ["threats"], "context": "day_to_day"}
    response = server.post(_decide_path("halton_conduct", "breach"),
                           {"facts": facts, "as_of": "2026-05-05"})
    rid = response.headers["x-request-id"]
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600
    entries = {e.request_id: e for e in read_decision_log(log_path)}
    assert entries[rid].record == response.json()
    assert entries[rid].source == "api"
    assert len(entries) >= len(SCENARIOS)
    assert all(policyengine.replay(e.record, policies).same for e in entries.values())


# ------------------------------------------------------------------ who may call
@pytest.fixture(scope="module")
def guarded(policies: PolicySet) -> Iterator[Served]:
    with serve(create_app(policies, token=b"s3cret-token-0123456789")) as served:
        yield served


@pytest.mark.parametrize("path", ["/v1/health", "/v1/policies", "/openapi.json",
                                  "/v1/policies/halton_conduct/decisions/breach/schema"])
def test_without_the_token_every_endpoint_is_401(guarded: Served, path: str) -> None:
    _error(guarded.get(path), 401)
    _error(guarded.get(path, headers={"Authorization": "Bearer wrong"}), 401)
    _error(guarded.get(path, headers={"Authorization": "Bearer s3cret-token-012345678"}), 401)
    _error(guarded.get(path, headers={"Authorization": "s3cret-token-0123456789"}), 401)
    ok = guarded.get(path, headers={"Authorization": "Bearer s3cret-token-0123456789"})
    assert ok.status == 200


def test_the_page_asks_a_browser_for_the_token_as_a_password(guarded: Served) -> None:
    import base64

    refused = guarded.get("/")
    assert refused.status == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert guarded.post("/explore/halton_conduct/policy_status", "action=decide").status == 401
    basic = base64.b64encode(b"officer:s3cret-token-0123456789").decode()
    assert guarded.get("/", headers={"Authorization": f"Basic {basic}"}).status == 200
    wrong = base64.b64encode(b"officer:guess").decode()
    assert guarded.get("/", headers={"Authorization": f"Basic {wrong}"}).status == 401


def test_the_token_is_compared_in_constant_time(guarded: Served,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    from policyengine.server import security

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    guarded.get("/v1/health", headers={"Authorization": "Bearer x"})
    guarded.get("/v1/health", headers={"Authorization": "Bearer s3cret-token-0123456789"})
    assert calls == [(b"x", b"s3cret-token-0123456789"),
                     (b"s3cret-token-0123456789", b"s3cret-token-0123456789")]


def test_cors_is_off_unless_origins_are_configured(server: Served,
                                                   policies: PolicySet) -> None:
    origin = {"Origin": "https://housing.example"}
    assert "access-control-allow-origin" not in server.get("/v1/health", headers=origin).headers
    with serve(create_app(policies, cors_origins=("https://housing.example",))) as s:
        allowed = s.get("/v1/health", headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://housing.example"
        other = s.get("/v1/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_form_posted_from_another_site_is_refused(server: Served) -> None:
    path = "/explore/halton_conduct/policy_status"
    assert server.post(path, "action=decide", headers={"Sec-Fetch-Site": "cross-site"}
                       ).status == 403
    assert server.post(path, "action=decide", headers={"Origin": "https://evil.example"}
                       ).status == 403
    assert server.post(path, "action=decide&as_of=2026-01-01",
                       headers={"Sec-Fetch-Site": "same-origin"}).status == 200
