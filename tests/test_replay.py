"""Replayable decision records, replay(), the decision log and ``policyengine replay LOG``."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import POLICIES
from hypothesis import HealthCheck, given, settings

import policyengine
from policyengine import PolicyEngineError, PolicySet
from policyengine.cli import main
from policyengine.decision_log import DecisionLogError, open_decision_log, read_decision_log
from policyengine.replay import PolicyChangedError, ReplayError, facts_digest
from policyengine.verify.properties import case_strategy

HALTON = POLICIES / "halton_conduct.yaml"
APPEAL = {"notification_received": "2026-12-24"}
KEY = b"a-redaction-key-of-32-bytes-long"


def _record(policies: PolicySet, **kw: Any) -> dict[str, Any]:
    return policies.decide("halton_conduct", "appeal_deadline", APPEAL, "2026-12-24",
                           **kw).to_dict()


def test_a_record_names_the_installed_engine_data_versions_and_full_trace(
        policies: PolicySet) -> None:
    provenance = _record(policies)["provenance"]
    assert provenance["engine_version"] == importlib.metadata.version("housing-policyengine")
    assert provenance["holidays"] == importlib.metadata.version("holidays")
    assert provenance["tzdata"] and provenance["tzdata"] != "unknown"
    assert provenance["full_trace"] is False
    assert _record(policies, full_trace=True)["provenance"]["full_trace"] is True


def test_the_sha256_is_of_the_file_bytes_as_loaded(tmp_path: Path) -> None:
    crlf = tmp_path / "halton_conduct.yaml"
    crlf.write_bytes(HALTON.read_bytes().replace(b"\n", b"\r\n"))
    loaded = policyengine.load_policies(crlf).policy("halton_conduct")
    assert loaded.sha256 == hashlib.sha256(crlf.read_bytes()).hexdigest()
    assert loaded.sha256 != policyengine.load_policies(HALTON).policy("halton_conduct").sha256


def test_replay_of_a_fresh_record_is_the_same(policies: PolicySet) -> None:
    import policyengine.replay  # the submodule import leaves the function in place

    result = policyengine.replay(_record(policies, full_trace=True), policies)
    assert callable(policyengine.replay)
    assert result.same and result.differences == () and result.changes == ()
    assert result.result.full_trace is True


def test_replay_names_each_difference_and_the_calendar_change(policies: PolicySet) -> None:
    record = _record(policies)
    record["outcome"]["appeal_by"] = "2027-01-13"
    record["provenance"]["calendar"]["data_version"] = "holidays 0.1"
    result = policyengine.replay(record, policies)
    assert [(d.path, d.recorded, d.now) for d in result.differences] == [
        ("outcome.appeal_by", "2027-01-13", _record(policies)["outcome"]["appeal_by"])]
    assert len(result.changes) == 1 and "calendar changed" in result.changes[0]
    assert "holidays 0.1" in result.changes[0]


def test_replay_refuses_a_record_of_another_policy_text(policies: PolicySet,
                                                        tmp_path: Path) -> None:
    changed = tmp_path / "halton_conduct.yaml"
    changed.write_bytes(HALTON.read_bytes() + b"# one comment more\n")
    with pytest.raises(PolicyChangedError) as caught:
        policyengine.replay(_record(policies), policyengine.load_policies(changed))
    assert "has changed since this decision was recorded" in str(caught.value)
    assert isinstance(caught.value, PolicyEngineError)


@pytest.mark.parametrize("record", [[], {"policy": "halton_conduct"},
                                    {"policy": "halton_conduct", "decision": "x",
                                     "as_of": "2026-01-01", "provenance": {}}])
def test_replay_refuses_a_malformed_record(policies: PolicySet, record: Any) -> None:
    with pytest.raises(ReplayError, match="not a decision record"):
        policyengine.replay(record, policies)


def test_a_redacted_record_replays_only_with_its_facts_and_key(policies: PolicySet) -> None:
    record = _record(policies)
    record["facts_redacted"] = {"algorithm": "hmac-sha256",
                                "digest": facts_digest(record["facts"], KEY)}
    record["facts"] = None
    with pytest.raises(ReplayError, match="redacted"):
        policyengine.replay(record, policies)
    assert policyengine.replay(record, policies, facts=APPEAL, redaction_key=KEY).same
    with pytest.raises(ReplayError, match="not the recorded ones"):
        policyengine.replay(record, policies, facts={"notification_received": "2026-12-23"},
                            redaction_key=KEY)
    with pytest.raises(ReplayError, match="not the recorded ones"):
        policyengine.replay(record, policies, facts=APPEAL, redaction_key=b"x" * 32)


_ALL = policyengine.load_policies(POLICIES)


@pytest.mark.parametrize("name", [(p.id, d) for p in _ALL for d in p.decisions],
                         ids=lambda n: ".".join(n))
def test_every_decision_replays_the_same_for_generated_facts(name: tuple[str, str]) -> None:
    policy, decision = name
    compiled = _ALL.compiled_decision(policy, decision)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case_strategy(compiled))
    def check(case: tuple[dict[str, Any], dt.date]) -> None:
        facts, as_of = case
        try:
            taken = _ALL.decide(policy, decision, facts, as_of)
        except PolicyEngineError:
            return
        record = json.loads(json.dumps(taken.to_dict()))  # as a log would keep it
        assert policyengine.replay(record, _ALL).same

    check()


# ------------------------------------------------------------------ the log
@pytest.mark.parametrize("name", ["log.sqlite", "log.jsonl"])
def test_log_is_private_and_reads_back(policies: PolicySet, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    log = open_decision_log(path)
    decision = policies.decide("halton_conduct", "appeal_deadline", APPEAL, "2026-12-24")
    log.append(decision, request_id="r1")
    log.append(decision, request_id="r2", source="explorer")
    log.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = list(read_decision_log(path))
    assert [(e.request_id, e.source) for e in entries] == [("r1", "api"), ("r2", "explorer")]
    assert entries[0].record == decision.to_dict()


def test_a_log_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "open.jsonl"
    path.write_text("")
    path.chmod(0o644)
    with pytest.raises(DecisionLogError, match="may be read by others"):
        open_decision_log(path)


@pytest.mark.parametrize("name", ["log.sqlite", "log.jsonl"])
def test_retention_deletes_entries_older_than_the_period(policies: PolicySet, tmp_path: Path,
                                                         name: str) -> None:
    now = [dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)]
    path = tmp_path / name
    log = open_decision_log(path, retention_days=30, clock=lambda: now[0])
    decision = policies.decide("halton_conduct", "policy_status", {}, "2026-01-01")
    log.append(decision, request_id="old")
    now[0] += dt.timedelta(days=20)
    log.append(decision, request_id="newer")
    now[0] += dt.timedelta(days=15)  # 'old' is 35 days old, 'newer' 15: an hour has passed
    log.append(decision, request_id="latest")
    assert [e.request_id for e in read_decision_log(path)] == ["newer", "latest"]
    log.close()
    now[0] += dt.timedelta(days=40)
    open_decision_log(path, retention_days=30, clock=lambda: now[0]).close()  # prunes on open
    assert list(read_decision_log(path)) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_redacted_log_keeps_no_facts(policies: PolicySet, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = open_decision_log(path, redaction_key=KEY)
    log.append(policies.decide("halton_conduct", "appeal_deadline", APPEAL, "2027-01-05"),
               request_id="r1")
    log.close()
    assert "2026-12-24" not in path.read_text()  # the fact's value is nowhere in the log
    record = next(read_decision_log(path)).record
    assert record["facts"] is None and record["facts_redacted"]["algorithm"] == "hmac-sha256"
    with pytest.raises(DecisionLogError, match="at least 16 bytes"):
        open_decision_log(tmp_path / "short.jsonl", redaction_key=b"short")


def test_replay_command_reports_what_now_differs_and_why(
        policies: PolicySet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.jsonl"
    log = open_decision_log(path)
    decision = policies.decide("halton_conduct", "appeal_deadline", APPEAL, "2026-12-24")
    log.append(decision, request_id="same-one")
    log.append(decision, request_id="tampered")
    log.close()
    lines = path.read_text().splitlines()
    tampered = json.loads(lines[1])
    tampered["decision"]["outcome"]["appeal_by"] = "2027-02-01"
    tampered["decision"]["provenance"]["calendar"]["data_version"] = "holidays 0.1"
    path.write_text(lines[0] + "\n" + json.dumps(tampered) + "\n")
    assert main(["replay", str(path), "--policies", str(HALTON)]) == 1
    out = capsys.readouterr().out
    assert "tampered  halton_conduct.appeal_deadline as of 2026-12-24: differs" in out
    assert 'outcome.appeal_by: recorded "2027-02-01"' in out
    assert "why: the calendar changed" in out
    assert "replayed 2 logged decision(s): 1 same, 1 differs" in out
    assert "same-one" not in out

    policy_dir = tmp_path / "p"
    policy_dir.mkdir()
    shutil.copy(HALTON, policy_dir / HALTON.name)
    with (policy_dir / HALTON.name).open("a") as stream:
        stream.write("# edited\n")
    assert main(["replay", str(path), "--policies", str(policy_dir), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["policy_changed"] == 2


def test_replay_command_with_redacted_facts(policies: PolicySet, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.sqlite"
    log = open_decision_log(path, redaction_key=KEY)
    log.append(policies.decide("halton_conduct", "appeal_deadline", APPEAL, "2026-12-24"),
               request_id="r1")
    log.close()
    assert main(["replay", str(path), "--policies", str(HALTON)]) == 1
    assert "its facts are redacted" in capsys.readouterr().out
    key = tmp_path / "key"
    key.write_bytes(KEY)
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps({"request_id": "r1", "facts": APPEAL}) + "\n")
    assert main(["replay", str(path), "--policies", str(HALTON), "--facts", str(facts),
                 "--redaction-key-file", str(key)]) == 0
    assert "1 same" in capsys.readouterr().out
    assert main(["replay", str(tmp_path / "missing.sqlite")]) == 2
    (tmp_path / "junk.jsonl").write_text("not json\n")
    assert main(["replay", str(tmp_path / "junk.jsonl")]) == 2
    assert "junk.jsonl:1: not a JSON object" in capsys.readouterr().err
