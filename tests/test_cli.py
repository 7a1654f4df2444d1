"""The policyengine command: output, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import POLICIES, SEEDS

from policyengine.cli import main

HALTON = str(POLICIES / "halton_conduct.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def facts_file(tmp_path: Path, facts: object) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    return str(path)


def test_decide_prints_the_decision_as_json(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    facts = facts_file(tmp_path, {"notification_received": "2026-04-01"})
    code, out, err = run(capsys, "decide", "halton_conduct", "appeal_deadline",
                         "--facts", facts, "--as-of", "2026-04-01", "--policies", HALTON)
    assert code == 0, err
    record = json.loads(out)
    assert record["outcome"] == {
        "appeal_by": "2026-04-17",
        "appeal_must_state":
            "why the customer believes the decision is unfair and/or disproportionate",
    }


def test_explain_names_rules_clauses_and_interpretations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = facts_file(tmp_path, {"notification_received": "2026-04-01",
                                  "appeal_received": "2026-04-20"})
    code, out, _ = run(capsys, "explain", "halton_conduct", "appeal_deadline", "--facts", facts,
                       "--as-of", "2026-04-20", "--policies", HALTON)
    assert code == 0
    assert "appeal_in_time: no" in out
    assert "[applied] appeal_lodged" in out
    assert "Any appeal must be submitted within 10 working days" in out
    assert "appeal_decision_normally" in out
    assert "past its own review date" in out


def test_bad_facts_exit_2_with_the_fact_named(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    facts = facts_file(tmp_path, {"person_type": "lodger"})
    code, out, err = run(capsys, "decide", "halton_conduct", "in_scope", "--facts", facts,
                         "--policies", HALTON)
    assert code == 2
    assert out == ""
    assert "fact 'person_type' must be one of tenant" in err
    assert "Traceback" not in err


def test_unreadable_facts_and_bad_json(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    code, _, err = run(capsys, "decide", "halton_conduct", "in_scope", "--facts",
                       str(tmp_path / "missing.json"), "--policies", HALTON)
    assert code == 2 and "the facts file" in err and "No such file or directory" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{person_type: tenant}")
    code, _, err = run(capsys, "decide", "halton_conduct", "in_scope", "--facts", str(bad),
                       "--policies", HALTON)
    assert code == 2 and "not valid JSON" in err and "(line 1, column 2)" in err


def test_unknown_policy_and_decision_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "decide", "nobody", "x", "--policies", HALTON)
    assert code == 2 and "unknown policy 'nobody'" in err
    code, _, err = run(capsys, "decide", "halton_conduct", "x", "--policies", HALTON)
    assert code == 2 and "has no decision 'x'" in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "decide")
    assert code == 2 and "the following arguments are required" in err


def test_check_prints_file_line_column(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((POLICIES / "halton_conduct.yaml").read_text().replace(
        "hit_policy: unique", "hit_polcy: unique"))
    code, out, _ = run(capsys, "check", str(bad))
    assert code == 1
    line = bad.read_text().splitlines().index("    hit_polcy: unique") + 1
    assert f"{bad}:{line}:5: unknown key 'hit_polcy' (did you mean 'hit_policy'?)" in out


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_check_sources_passes_on_the_bundled_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(POLICIES), "--sources", str(SEEDS))
    assert code == 0, out
    assert "0 problem(s)" in out


def test_list_shows_decisions_and_facts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--policies", HALTON)
    assert code == 0
    assert "halton_conduct: Halton Housing, Customer Code of Conduct" in out
    assert "sanction (collect, 14 rules)" in out
    assert "severity: one of low, medium, high, severe (in rising order)" in out
    assert "notified_on: a date YYYY-MM-DD (optional)" in out


def test_test_command_runs_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", str(POLICIES / "scenarios" / "halton_conduct.yaml"),
                       "--policies", HALTON, "--coverage")
    assert code == 0, out
    assert "coverage halton_conduct: rules 33/33 (100%)" in out
    assert out.strip().endswith("0 failed")


def test_test_command_reports_a_failing_scenario(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "policy: halton_conduct\nscenarios:\n"
        "  - name: wrong on purpose\n    decision: appeal_deadline\n"
        "    facts: {notification_received: 2026-04-01}\n"
        "    expect: {outcome: {appeal_by: 2026-04-16}}\n"
    )
    code, out, _ = run(capsys, "test", str(scenario), "--policies", HALTON)
    assert code == 1
    assert f"FAIL {scenario}:3: halton_conduct.appeal_deadline: wrong on purpose" in out
    assert "expected '2026-04-16', got '2026-04-17'" in out


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "policyengine", "decide", "halton_conduct", "policy_status",
         "--as-of", "2024-01-01", "--policies", HALTON],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"]["in_force"] is True


def test_the_wheel_carries_every_subpackage() -> None:
    """A package missing from pyproject's list would silently drop a command when installed."""
    import tomllib

    from conftest import ROOT

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    source = ROOT / "src"
    on_disk = {
        ".".join(p.parent.relative_to(source).parts)
        for p in source.rglob("__init__.py")
    }
    assert on_disk <= listed


def test_list_shows_case_types_for_the_monitor(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "case type platform_commitments.complaint (for policyengine monitor)" in out
    assert "case type halton_conduct.conduct_case" in out


def test_test_dir_uses_that_dirs_own_policies(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    """`policyengine test DIR` runs DIR's scenarios against DIR's policies, not the bundled ones:
    an edited copy that changes the appeal period must fail its scenarios."""
    import shutil

    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    halton = copy / "halton_conduct.yaml"
    text = halton.read_text()
    edited = text.replace("appeal_by: {add: {working_days: 10}, to: {fact: notification_received}}",
                          "appeal_by: {add: {working_days: 11}, to: {fact: notification_received}}")
    assert edited != text
    halton.write_text(edited)
    code, out, _ = run(capsys, "test", str(copy))
    assert code == 1, out
    assert "appeal_by" in out and " 0 failed" not in out
    # the unedited copy passes, and a scenario file inside it finds the same policies
    shutil.copy(POLICIES / "halton_conduct.yaml", halton)
    code, out, _ = run(capsys, "test", str(copy / "scenarios" / "halton_conduct.yaml"))
    assert code == 0, out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0  # argparse's exit is caught, so the output is flushed here
    assert capsys.readouterr().out.startswith("policyengine ")


# ------------------------------------------------------- check never reassures falsely

BROKEN = POLICIES.parent / "tests" / "broken_policies"


def test_check_says_what_it_did_not_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", HALTON)
    assert code == 0
    assert out.splitlines() == [
        "checked 1 policy file(s): 0 problem(s)",
        "the quotes were not checked against their documents: give --sources DIR to check them",
        "gaps, overlaps and masked rules were not looked for: give --strict to run the static "
        "verification",
    ]


def test_check_strict_finds_a_gap_before_an_app_meets_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gap = str(BROKEN / "gap.yaml")
    code, out, _ = run(capsys, "check", gap)
    assert code == 0  # the file is well formed: without --strict, check says so and no more
    code, out, _ = run(capsys, "check", "--strict", gap)
    assert code == 1
    (finding,) = [line for line in out.splitlines() if ": gap: " in line]
    assert finding.startswith(f"{gap}:13:1: gap: no rule answers these facts: 3 of 18 fact "
                              "combinations tried have no rule that applies")
    assert "gaps, overlaps and masked rules were not looked for" not in out


def test_check_strict_passes_on_the_bundled_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--strict", str(POLICIES))
    assert code == 0, out
    assert "checked 4 policy file(s): 0 problem(s)" in out


def test_a_gap_met_at_run_time_is_a_policy_defect_exit_1(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    facts = facts_file(tmp_path, {"hazard": "minor", "vulnerable": False})
    gap = str(BROKEN / "gap.yaml")
    code, out, err = run(capsys, "decide", "broken_gap", "repair_priority", "--facts", facts,
                         "--as-of", "2026-02-02", "--policies", gap)
    assert code == 1 and out == ""
    assert err.startswith(f"error: a defect in the policy: {gap}:13:1: "
                          "broken_gap.repair_priority: no rule applies to these facts (a gap "
                          "in the policy)")
    code, _, err = run(capsys, "explain", "broken_gap", "repair_priority", "--facts", facts,
                       "--as-of", "2026-02-02", "--policies", gap)
    assert code == 1 and "a defect in the policy" in err


@pytest.mark.parametrize("command", [["check", "nothere"], ["test", "nothere"],
                                     ["check", HALTON, "--sources", "nothere"],
                                     ["test", "--policies", "nothere"],
                                     ["list", "--policies", "nothere"]])
def test_a_path_that_is_not_there_exits_2_with_one_line(capsys: pytest.CaptureFixture[str],
                                                        command: list[str]) -> None:
    code, out, err = run(capsys, *command)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("error: nothere") and "no such file or directory" in line
    assert ":0:0:" not in line  # positions are 1-based


def test_facts_that_are_not_an_object_exit_2(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    for text, fragment in (("[1, 2]", "must be a JSON object of fact names to values"),
                           ('{"a": 1, "a": 2}', "the key 'a' is given twice in one object"),
                           ('{"a": NaN}', "NaN is not a JSON value"),
                           ('{"a": "\\udc80"}', "is not valid Unicode")):
        path = tmp_path / "facts.json"
        path.write_text(text)
        code, out, err = run(capsys, "decide", "halton_conduct", "in_scope", "--facts",
                             str(path), "--policies", HALTON)
        assert code == 2 and out == "" and fragment in err, err
        assert len(err.splitlines()) == 1


def test_an_internal_error_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from policyengine import cli

    def broken(args: object) -> int:
        raise ValueError("something\nunexpected")

    monkeypatch.setitem(cli.COMMANDS, "list", broken)
    code, out, err = run(capsys, "list", "--policies", HALTON)
    assert code == 2 and out == ""
    assert err == ("error: internal error in policyengine (a bug; please report it with the "
                   "command that caused it): ValueError: something unexpected\n")
    monkeypatch.setenv("POLICYENGINE_TRACEBACK", "1")
    with pytest.raises(ValueError):
        main(["list", "--policies", HALTON])


def test_a_bad_limit_setting_exits_2(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYENGINE_MAX_FILE_BYTES", "0")
    code, _, err = run(capsys, "list", "--policies", HALTON)
    assert code == 2
    assert err == "error: POLICYENGINE_MAX_FILE_BYTES must be a positive whole number, not '0'\n"
