"""Every YAML scenario of every bundled policy, the coverage bar, and every quote's source."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import POLICIES, SEEDS

from policyengine import PolicySet
from policyengine.provenance import check_quotes, normalise
from policyengine.scenarios import coverage, run_scenario_file, run_scenarios

SCENARIO_FILES = sorted((POLICIES / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenarios_pass(path: Path, policies: PolicySet) -> None:
    run = run_scenario_file(path, policies)
    assert not run.problems, [str(p) for p in run.problems]
    failures = [
        f"{r.file}:{r.line}: {r.name}: {'; '.join(r.failures)}" for r in run.results if r.failures
    ]
    assert not failures, "\n".join(failures)
    assert run.results


def test_every_bundled_policy_has_scenarios(policies: PolicySet) -> None:
    stems = {p.stem for p in SCENARIO_FILES}
    assert {p.id for p in policies} <= stems


def test_every_rule_of_every_policy_is_exercised(policies: PolicySet) -> None:
    run = run_scenarios([POLICIES], policies)
    for cov in coverage(run, policies):
        assert cov.uncovered_rules == [], f"{cov.policy}: {cov.uncovered_rules}"
        assert cov.rule_percent == 100.0


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_every_quote_occurs_in_its_document(policies: PolicySet) -> None:
    for policy in policies:
        result = check_quotes(policy, SEEDS)
        assert result.checked > 0
        assert result.problems == [], [str(p) for p in result.problems]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_a_wrong_quote_is_caught(halton: PolicySet, tmp_path: Path) -> None:
    text = (POLICIES / "halton_conduct.yaml").read_text()
    bad = text.replace("Take appropriate legal action", "Take immediate legal action")
    from policyengine.policyset import compile_policy_text

    policy = compile_policy_text(bad, "halton_conduct.yaml")
    result = check_quotes(policy, SEEDS)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.file == "halton_conduct.yaml"
    assert problem.line == bad.splitlines().index(
        "          quote: Take immediate legal action"
    ) + 1
    assert "does not occur in 001_213ea8107ce32abc.txt" in problem.message


def test_normalise_folds_quotes_dashes_and_space() -> None:
    assert normalise("HH\u2019s  \u201cbest\u201d\n\u2013 ok") == "HH's \"best\" - ok"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_a_wrong_quote_in_a_lifecycle_is_caught() -> None:
    from policyengine.policyset import compile_policy_text

    text = (POLICIES / "halton_conduct.yaml").read_text()
    wrong = "quote: Any Manager acting against a customer due to breach of this code, shall"
    bad = text.replace(
        "quote: Any Manager acting against a customer due to breach of this code, will", wrong
    )
    assert bad != text
    result = check_quotes(compile_policy_text(bad, "halton_conduct.yaml"), SEEDS)
    assert [p.line for p in result.problems] == [bad.splitlines().index("      " + wrong) + 1]
