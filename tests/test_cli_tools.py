"""The command line for tools: --json on check, test, list and verify; test -k and --junit;
verify's progress on a terminal."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

from policyengine.cli import main
from policyengine.verify.cli import TerminalProgress

HALTON = str(POLICIES / "halton_conduct.yaml")
HALTON_SCENARIOS = str(POLICIES / "scenarios" / "halton_conduct.yaml")
BROKEN = ROOT / "tests" / "broken_policies"

#: A scenario that cannot pass: no deadline is in 1999 (no date computed by us is asserted).
FAILING = (
    "policy: halton_conduct\nscenarios:\n"
    "  - name: wrong on purpose\n    decision: appeal_deadline\n"
    "    facts: {notification_received: 2026-04-01}\n"
    "    expect: {outcome: {appeal_by: 1999-01-01}}\n"
    "  - name: in scope on purpose\n    decision: in_scope\n"
    "    facts: {person_type: tenant}\n"
    "    expect: {outcome: {in_scope: true}}\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", "--json", str(POLICIES))
    assert code == 0
    assert json.loads(out) == {"files": 4, "problems": [], "ok": True, "quotes_checked": False,
                               "strict": False}  # what was not checked is said, in JSON too
    bad = tmp_path / "bad.yaml"
    bad.write_text((BROKEN / "gap.yaml").read_text().replace("hit_policy: first",
                                                             "hit_policy: any"))
    code, out, err = run(capsys, "check", "--json", str(bad), str(tmp_path / "missing.yaml"))
    assert code == 2 and out == ""  # a path that is not there is bad input (issue 8)
    assert f"{tmp_path / 'missing.yaml'}: no such file or directory" in err
    code, out, _ = run(capsys, "check", "--json", str(bad))
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False and report["files"] == 1
    (first,) = report["problems"]
    assert (first["file"], first["line"], first["column"]) == (str(bad), 21, 17)
    assert "hit_policy" in first["message"]


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json", "--policies", HALTON)
    assert code == 0
    (halton,) = json.loads(out)
    assert halton["id"] == "halton_conduct" and halton["nation"] == "england-and-wales"
    decisions = {d["name"]: d for d in halton["decisions"]}
    assert decisions["policy_status"]["builtin"] is True
    sanction = decisions["sanction"]
    assert sanction["hit_policy"] == "collect"
    assert sanction["facts"]["severity"]["type"] == "enum"
    assert sanction["facts"]["severity"]["ordered"] is True
    assert "low" in sanction["facts"]["severity"]["values"]
    assert halton["case_types"][0]["case_type"] == "halton_conduct.conduct_case"


def test_test_json_counts_match_the_text_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON)
    assert code == 0
    text_passed = int(out.strip().splitlines()[-1].split()[0])
    code, out, _ = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON, "--json",
                       "--coverage")
    assert code == 0
    report = json.loads(out)
    assert report["passed"] == text_passed == len(report["results"])
    assert report["failed"] == 0 and report["ok"] is True
    assert all(r["passed"] and r["policy"] == "halton_conduct" for r in report["results"])
    assert report["coverage"][0]["rule_percent"] == 100.0


def test_test_k_runs_only_matching_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON, "--json",
                       "-k", "EASTER")
    assert code == 0
    names = [r["name"] for r in json.loads(out)["results"]]
    assert names and all("easter" in n.lower() for n in names)
    code, out, _ = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON, "--json",
                       "-k", "appeal_deadline:")
    decisions = {r["decision"] for r in json.loads(out)["results"]}
    assert decisions == {"appeal_deadline"}
    code, out, _ = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON, "-k", "zzzz")
    assert code == 1
    assert "no scenarios found" in out


def test_test_junit_and_json_report_a_failure(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(FAILING)
    junit = tmp_path / "out" / "junit.xml"
    junit.parent.mkdir()
    code, out, _ = run(capsys, "test", str(scenario), "--policies", HALTON, "--json",
                       "--junit", str(junit))
    assert code == 1
    report = json.loads(out)
    assert (report["passed"], report["failed"], report["ok"]) == (1, 1, False)
    failed = next(r for r in report["results"] if not r["passed"])
    assert failed["line"] == 3 and "expected '1999-01-01'" in failed["failures"][0]
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("halton_conduct.appeal_deadline", "wrong on purpose"),
        ("halton_conduct.in_scope", "in scope on purpose"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None and "1999-01-01" in (failure.get("message") or "")
    assert cases[1].find("failure") is None


def test_junit_records_an_unreadable_scenario_file(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("policy: halton_conduct\nscenarios: [\n")
    junit = tmp_path / "junit.xml"
    code, _, _ = run(capsys, "test", str(scenario), "--policies", HALTON, "--junit", str(junit))
    assert code == 1
    root = ET.parse(junit).getroot()
    assert root.get("errors") == "1"
    assert root.find("./testsuite/testcase/error") is not None


def test_junit_to_an_unwritable_place_is_bad_input(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, _, err = run(capsys, "test", HALTON_SCENARIOS, "--policies", HALTON, "--junit",
                       str(tmp_path / "no" / "such" / "dir" / "j.xml"))
    assert code == 2
    assert "cannot write" in err


def test_verify_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", str(BROKEN / "gap.yaml"), "--effort", "5", "--json")
    assert code == 1
    report = json.loads(out)
    assert any(f["kind"] == "gap" for f in report["findings"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_after_a_second() -> None:
    now = [0.0]
    tty = _Terminal()
    progress = TerminalProgress(tty, clock=lambda: now[0])
    progress(1, 3, "p.a")
    assert tty.getvalue() == ""  # under a second: nothing
    now[0] = 1.5
    progress(2, 3, "p.b")
    assert "verify: 2/3 decisions, p.b" in tty.getvalue()
    progress.finish()
    assert tty.getvalue().endswith("\r\x1b[K")
    pipe = io.StringIO()
    quiet = TerminalProgress(pipe, clock=lambda: now[0] + 10)
    quiet(1, 1, "p.a")
    quiet.finish()
    assert pipe.getvalue() == ""


def test_verify_writes_progress_to_a_terminal_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyengine.verify.cli as verify_cli

    ticks = iter(range(0, 1000, 2))
    monkeypatch.setattr(verify_cli.time, "monotonic", lambda: float(next(ticks)))
    tty = _Terminal()
    monkeypatch.setattr(verify_cli.sys, "stderr", tty)
    code = main(["verify", str(BROKEN / "gap.yaml"), "--effort", "5", "--json"])
    assert code == 1
    assert "verify: 1/1 decisions, broken_gap.repair_priority" in tty.getvalue()
    json.loads(capsys.readouterr().out)  # stdout stays pure JSON
