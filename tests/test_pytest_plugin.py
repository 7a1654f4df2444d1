"""The pytest plugin: each YAML scenario is a pytest item named by the scenario, so -k, -x and
--junitxml work on scenarios. Run in a separate pytest process on copies of the files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

SCENARIOS = """\
policy: halton_conduct
as_of: 2026-06-01
scenarios:
  - name: a tenant is in scope
    decision: in_scope
    facts: {person_type: tenant}
    expect: {outcome: {in_scope: true}}
  - name: staff are wrong on purpose
    decision: in_scope
    facts: {person_type: staff}
    expect: {outcome: {in_scope: true}}
  - name: no appeal deadline is in 1999
    decision: appeal_deadline
    facts: {notification_received: 2026-04-01}
    expect: {outcome: {appeal_by: 1999-01-01}}
  - name: a misspelt fact is refused
    decision: in_scope
    facts: {person_tipe: tenant}
    expect_error: {kind: facts}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "policies" / "scenarios").mkdir(parents=True)
    shutil.copy(POLICIES / "halton_conduct.yaml", tmp_path / "policies")
    (tmp_path / "policies" / "scenarios" / "halton.yaml").write_text(SCENARIOS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return tmp_path


def pytest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


def test_every_scenario_is_an_item_named_by_it(project: Path) -> None:
    result = pytest_run(project, "policies", "--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items == [
        "policies/scenarios/halton.yaml::a tenant is in scope",
        "policies/scenarios/halton.yaml::staff are wrong on purpose",
        "policies/scenarios/halton.yaml::no appeal deadline is in 1999",
        "policies/scenarios/halton.yaml::a misspelt fact is refused",
    ]


def test_a_failure_shows_the_scenario_and_what_differed(project: Path) -> None:
    result = pytest_run(project, "policies")
    assert result.returncode == 1
    out = result.stdout
    assert "2 failed, 2 passed" in out
    assert ("halton_conduct.in_scope: staff are wrong on purpose "
            "(policies/scenarios/halton.yaml:8)") in out.replace(str(project) + "/", "")
    assert "outcome 'in_scope': expected True, got False" in out
    assert "expected '1999-01-01'" in out


def test_k_x_and_junitxml_work(project: Path) -> None:
    result = pytest_run(project, "policies", "-k", "tenant or misspelt", "-q")
    assert result.returncode == 0, result.stdout
    assert "2 passed, 2 deselected" in result.stdout
    result = pytest_run(project, "policies", "-x", "-q")
    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout  # stopped at the first failure
    junit = project / "junit.xml"
    pytest_run(project, "policies", f"--junitxml={junit}")
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert [(c.get("name"), c.find("failure") is not None) for c in cases] == [
        ("a tenant is in scope", False),
        ("staff are wrong on purpose", True),
        ("no appeal deadline is in 1999", True),
        ("a misspelt fact is refused", False),
    ]


def test_a_broken_scenario_file_is_a_collection_error_with_its_line(project: Path) -> None:
    path = project / "policies" / "scenarios" / "halton.yaml"
    path.write_text(SCENARIOS.replace("    decision: appeal_deadline\n", ""))
    result = pytest_run(project, "policies")
    assert result.returncode == 2
    assert "halton.yaml:" in result.stdout and "decision" in result.stdout


def test_policy_files_are_not_collected(project: Path) -> None:
    (project / "policies" / "scenarios" / "halton.yaml").unlink()
    result = pytest_run(project, "policies", "--collect-only", "-q")
    assert result.returncode == 5  # no tests: the policy file itself is not a scenario file


def test_the_bundled_scenarios_all_pass_under_pytest() -> None:
    cli = subprocess.run([sys.executable, "-m", "policyengine", "test"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    expected = cli.stdout.strip().splitlines()[-1].split()[0]
    result = pytest_run(ROOT, "policies", "-q")
    assert result.returncode == 0, result.stdout[-2000:]
    assert f"{expected} passed" in result.stdout
