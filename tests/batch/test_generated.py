"""decide_many equals decide on policies no bundled file is like: generated tables of 25 and 70
rules (past the shortcuts for small rule sets), and the deliberately broken policies of
tests/broken_policies (gaps, unique overlaps, conflicting collect values: policy errors that
must appear in their rows, worded as decide words them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine

from . import cases
from .compare import expected_row, result_rows

BROKEN = Path(__file__).resolve().parents[1] / "broken_policies"
AS_OF = dt.date(2026, 6, 6)


def _generated(rules: int, hit_policy: str) -> str:
    lines = [
        "policy:", "  id: generated", "  organisation: Test Housing", "  title: Generated",
        '  version: "1"', "  nation: england-and-wales", "sources:",
        "  doc: {file: x.txt, title: X}", "decisions:", "  labels:",
        "    description: Which labels apply to a number?",
        "    facts:", "      n: {type: int, minimum: 0, maximum: 100}",
        "      flag: {type: bool, optional: true}",
        "    outcomes:", "      labels: {type: list, of: {type: string}}",
        "      last: {type: string}", "      due: {type: date}",
        f"    hit_policy: {hit_policy}", "    rules:",
    ]
    for i in range(rules):
        when = f"{{n: {{at_least: {i}}}}}" if i % 3 else f"{{n: {{at_least: {i}}}, flag: true}}"
        last = ", last: first_rule" if i == 1 else ""
        then = f"{{labels: [l{i}, l{i % 7}]{last}}}" if hit_policy == "collect" else (
            f"{{labels: [l{i}], last: r{i}, due: {{add: {{working_days: {i}}}, to: "
            f"{{fact: as_of}}}}}}")
        lines += [f"      - id: r{i}", f"        when: {when}", f"        then: {then}",
                  f'        cite: {{source: doc, quote: "Rule number {i} of the table."}}']
    if hit_policy == "first":
        lines += ["      - id: otherwise", "        then: {labels: [], last: none}",
                  '        cite: {source: doc, quote: "Every other number gets no label."}']
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("rules", "hit_policy"), [(25, "collect"), (70, "collect"),
                                                   (70, "first")])
def test_generated_tables(tmp_path: Path, rules: int, hit_policy: str) -> None:
    (tmp_path / "generated.yaml").write_text(_generated(rules, hit_policy))
    policies = policyengine.load_policies(tmp_path)
    rows = [{"n": n, **({"flag": n % 2 == 0} if n % 5 else {})} for n in range(101)]
    result = policies.decide_many("generated", "labels", rows, as_of=AS_OF)
    compiled = policies.compiled_decision("generated", "labels")
    columns = list(result.columns)
    assert result_rows(result) == [
        expected_row(policies, "generated", "labels", r, AS_OF, compiled.outcomes, columns)
        for r in rows
    ]
    meta = result.attrs["policyengine"]
    assert meta["vectorised"]
    assert meta["rows_decided_one_by_one"] == 0
    assert result["error"].isna().all()


BROKEN_DECISIONS = [
    (file.name, decision)
    for file in sorted(BROKEN.glob("*.yaml"))
    for decision in policyengine.load_policies(file).policy(
        next(iter(policyengine.load_policies(file).names))).decisions
]


@pytest.mark.parametrize(("file", "decision"), BROKEN_DECISIONS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_policies(file: str, decision: str, data: st.DataObject) -> None:
    policies = policyengine.load_policies(BROKEN / file)
    (policy,) = policies.names
    compiled = policies.compiled_decision(policy, decision)
    rows = data.draw(cases.rows(compiled.facts, messy=False, extra_keys=False), "rows")
    result = policies.decide_many(policy, decision, rows, as_of=AS_OF)
    columns = list(result.columns)
    assert result_rows(result) == [
        expected_row(policies, policy, decision, r, AS_OF, compiled.outcomes, columns)
        for r in rows
    ]
