"""Tests for policyengine.verify, proven on the deliberately broken policies in broken_policies/.

Every broken policy must be caught with the right kind of finding, the right rules and an example
that replays through ``policyengine decide``; a clean policy must give none; and the bundled
policies must verify clean. Property runs use few examples to keep the suite fast.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import FactsError, PolicyError, load_policies
from policyengine.cli import main
from policyengine.policyset import BUNDLED_POLICIES, PolicySet
from policyengine.verify import (
    Finding,
    VerifyReport,
    _case_strategy,
    verify_policies,
)

BROKEN = Path(__file__).parent / "broken_policies"
FAST = 30  # generated fact sets per property in these tests

CLEAN = """\
policy:
  id: clean_example
  organisation: Test Housing
  title: A clean policy
  version: "1"
  nation: england-and-wales

sources:
  doc: {file: x.txt, title: X}

decisions:
  sanction:
    description: Which sanctions follow a complaint about behaviour?
    facts:
      severity: {type: enum, values: [low, medium, high], ordered: true}
      repeated: {type: bool}
      age: {type: int, minimum: 16, maximum: 120}
      reference: {type: string}
      reported_on: {type: date}
      reported_at: {type: datetime}
      behaviours: {type: list, of: {type: enum, values: [noise, threats]}}
      incidents:
        type: list
        of:
          type: record
          fields:
            on: {type: date}
            note: {type: string, optional: true}
      out_of_hours: {type: bool, optional: true}
    outcomes:
      actions:
        type: list
        of: {type: enum, values: [warning, written_warning, injunction, urgent_visit]}
      review_by: {type: date}
      respond_by: {type: date}
      escalated: {type: bool}
    hit_policy: collect
    rules:
      - id: warning
        then:
          actions: [warning]
          review_by: {add: {months: 3}, to: {fact: reported_on}}
          respond_by: {add: {working_days: 5}, to: {fact: reported_at}}
        cite: {source: doc, quote: "Every complaint gets a warning and a review date."}
      - id: written
        when:
          any:
            - {severity: {at_least: medium}}
            - {repeated: true}
        then: {actions: [written_warning]}
        cite: {source: doc, quote: "Serious or repeated behaviour gets a written warning."}
      - id: injunction
        when: {severity: high, behaviours: {includes: threats}}
        then: {actions: [injunction]}
        cite: {source: doc, quote: "Serious threats may lead to an injunction."}
      - id: urgent
        when: {out_of_hours: true, age: {at_least: 75}}
        then: {actions: [urgent_visit]}
        cite: {source: doc, quote: "An older tenant's report out of hours gets a visit."}
      - id: escalate
        # a collect rule may read the outcomes of the rules before it
        when:
          holds: {more_than: [{count: {outcome: actions}}, 2]}
        then: {escalated: true}
        cite: {source: doc, quote: "A case with three or more sanctions is escalated."}
    invariants:
      - id: ladder
        kind: monotone
        description: A more severe case never gets fewer sanctions.
        fact: severity
        outcome: actions
      - id: repeated_gets_written
        kind: always
        description: Repeated behaviour always gets a written warning.
        when: {repeated: true}
        require: {actions: {includes: written_warning}}
      - id: review_after_report
        kind: date_on_or_after
        description: The review is after the report.
        outcome: review_by
        start: reported_on
      - id: respond_after_report
        kind: date_on_or_after
        description: The response is due after the report.
        outcome: respond_by
        start: reported_at
      - id: respond_on_working_day
        kind: working_day
        description: The response is due on a working day.
        outcome: respond_by
      - id: always_decided
        kind: status_in
        description: Sanctions are always decided.
        statuses: [decided]

  charge:
    description: Is the service charge payable?
    facts:
      tenure: {type: enum, values: [tenant, leaseholder]}
      hardship: {type: bool}
    outcomes:
      charge: {type: bool}
    hit_policy: first
    rules:
      - id: hardship_waiver
        exception_to: standard_charge
        when: {hardship: true}
        then: {charge: false}
        cite: {source: doc, quote: "The charge is waived in cases of hardship."}
      - id: standard_charge
        when: {tenure: [tenant, leaseholder]}
        then: {charge: true}
        cite: {source: doc, quote: "Tenants and leaseholders pay the service charge."}

  panel:
    description: May this person join the panel?
    facts:
      person_type: {type: enum, values: [tenant, leaseholder, staff]}
    outcomes:
      may_join: {type: bool}
    hit_policy: unique
    rules:
      - id: residents
        when: {person_type: [tenant, leaseholder]}
        then: {may_join: true}
        cite: {source: doc, quote: "Tenants and leaseholders may join the panel."}
      - id: staff
        when: {person_type: staff}
        then: {may_join: false}
        cite: {source: doc, quote: "Members of staff may not join the panel."}
"""


def _verify(name: str, max_examples: int = FAST) -> VerifyReport:
    return verify_policies(load_policies(BROKEN / name), max_examples=max_examples, seed=0)


def _only(report: VerifyReport, kind: str) -> Finding:
    found = [f for f in report.findings if f.kind == kind]
    assert len(found) == 1, report.to_text()
    return found[0]


def _replay(policies: PolicySet, finding: Finding) -> Any:
    """Take the finding's example through the same path as `policyengine decide`."""
    assert finding.facts is not None and finding.facts_json is not None
    facts = json.loads(finding.facts_json)
    return policies.decide(finding.policy, finding.decision, facts, finding.as_of)


def policies_decide(path: Path, facts: dict[str, Any]) -> Any:
    base = {"repeated": False, "age": 30, "reference": "r1", "reported_on": "2026-01-12",
            "reported_at": "2026-01-12T10:00:00", "behaviours": [], "incidents": []}
    return load_policies(path).decide("clean_example", "sanction", {**base, **facts},
                                      "2026-02-02")


@pytest.fixture()
def clean_file(tmp_path: Path) -> Path:
    path = tmp_path / "clean.yaml"
    path.write_text(CLEAN, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- static checks


def test_gap_is_found_with_the_smallest_example() -> None:
    report = _verify("gap.yaml")
    gap = _only(report, "gap")
    assert gap.decision == "repair_priority"
    assert gap.rules == ()
    assert gap.file.endswith("gap.yaml")
    assert gap.line == 13  # the decision
    assert "no rule answers these facts" in gap.message
    assert "'first'" in gap.message
    # the smallest example: no optional fact (out_of_hours), earliest enum and bool values
    assert gap.facts == {"hazard": "minor", "vulnerable": False}
    with pytest.raises(PolicyError, match="no rule applies"):
        _replay(load_policies(BROKEN / "gap.yaml"), gap)
    assert [f.kind for f in report.findings] == ["gap"]  # the run-time gap is not repeated


def test_overlap_under_unique_is_found() -> None:
    report = _verify("overlap_unique.yaml")
    overlap = _only(report, "overlap")
    assert overlap.rules == ("residents", "leaseholders_separately")
    assert overlap.line == 25
    assert "both apply" in overlap.message and "'unique'" in overlap.message
    assert overlap.facts == {"person_type": "leaseholder"}
    assert [f.kind for f in report.findings] == ["overlap"]
    with pytest.raises(PolicyError, match="'unique'"):
        _replay(load_policies(BROKEN / "overlap_unique.yaml"), overlap)


def test_conflicting_collect_rules_are_an_overlap() -> None:
    report = _verify("collect_conflict.yaml")
    overlap = _only(report, "overlap")
    assert overlap.rules == ("over_65", "arrears_bar")
    assert "'eligible'" in overlap.message and "true and false" in overlap.message
    # the boundary the condition names (65) is among the representative ages
    assert overlap.facts == {"age": 65, "in_arrears": True}
    with pytest.raises(PolicyError, match="sets 'eligible'"):
        _replay(load_policies(BROKEN / "collect_conflict.yaml"), overlap)


def test_masked_rule_is_found() -> None:
    report = _verify("masked.yaml")
    masked = _only(report, "masked")
    assert masked.rules == ("high_arrears", "some_arrears")
    assert masked.line == 29
    assert "never fires" in masked.message and "'some_arrears'" in masked.message
    assert masked.facts == {"arrears": "high"}
    decision = _replay(load_policies(BROKEN / "masked.yaml"), masked)
    assert decision.fired_rules == ["some_arrears"]
    assert len(report.findings) == 1


def test_rule_masked_by_its_exception_is_found() -> None:
    report = _verify("masked_by_exception.yaml")
    masked = _only(report, "masked")
    assert masked.rules == ("lift_charge", "lift_waiver")
    assert "overridden by its exception(s) 'lift_waiver'" in masked.message
    assert masked.facts == {"has_lift": True, "tenure": "leaseholder"}
    decision = _replay(load_policies(BROKEN / "masked_by_exception.yaml"), masked)
    assert "lift_charge" not in decision.fired_rules
    assert len(report.findings) == 1


def test_duplicate_rule_is_found() -> None:
    report = _verify("duplicate.yaml")
    dup = _only(report, "duplicate")
    assert dup.rules == ("pets_clause", "pets_clause_again")
    assert dup.line == 33
    assert "duplicates rule 'pets_clause'" in dup.message
    assert dup.facts == {"garden": False, "pets": True}
    assert len(report.findings) == 1


def test_rule_that_never_applies_and_a_missing_optional_fact() -> None:
    report = _verify("never_applies.yaml")
    never = _only(report, "never_applies")
    assert never.rules == ("contradiction",)
    assert never.facts is None  # there is no example of a condition that never holds
    assert "never applies" in never.message
    missing = _only(report, "facts_error")
    assert missing.rules == ("needs_date",)
    assert "'lived_there_since'" in missing.message
    assert missing.facts == {"relationship": "child"}
    with pytest.raises(FactsError, match="lived_there_since"):
        _replay(load_policies(BROKEN / "never_applies.yaml"), missing)


# ------------------------------------------------------------------------------ invariants


def test_non_monotone_sanction_ladder_is_found() -> None:
    report = _verify("non_monotone.yaml")
    bad = _only(report, "invariant")
    assert bad.check == "more_severe_never_milder"
    assert bad.line == 36
    assert 'drops "written_warning"' in bad.message
    assert "from medium to high" in bad.message
    assert bad.facts == {"repeated": True, "severity": "medium"}  # shrunk
    assert "written_warning" in bad.rules and "injunction" in bad.rules
    policies = load_policies(BROKEN / "non_monotone.yaml")
    lower = _replay(policies, bad)
    higher = policies.decide("broken_ladder", "sanction", {**bad.facts, "severity": "high"},
                             bad.as_of)
    assert not set(lower.outcome["actions"]) <= set(higher.outcome["actions"])


def test_deadline_before_its_start_is_found() -> None:
    report = _verify("deadline_before_start.yaml")
    bad = _only(report, "invariant")
    assert bad.check == "appeal_after_notice"
    assert bad.rules == ("appeal_window",)
    assert "is before notified_on" in bad.message
    decision = _replay(load_policies(BROKEN / "deadline_before_start.yaml"), bad)
    assert bad.facts is not None
    assert decision.outcome["appeal_by"] < dt.date.fromisoformat(bad.facts["notified_on"])
    # subtracting working days still lands on a working day: that invariant holds
    stats = {p.property: p for p in report.properties}
    assert stats["appeal_on_working_day"].passed
    assert stats["appeal_on_working_day"].checked > 0


def test_deadline_on_a_non_working_day_is_found() -> None:
    report = _verify("weekend_deadline.yaml")
    bad = _only(report, "invariant")
    assert bad.check == "respond_on_working_day"
    assert "is not a working day" in bad.message
    policies = load_policies(BROKEN / "weekend_deadline.yaml")
    decision = _replay(policies, bad)
    calendar = policies.policy("broken_weekend").calendar
    assert not calendar.is_working_day(decision.outcome["respond_by"])


def test_always_and_status_in_invariants_are_checked() -> None:
    report = _verify("always_violated.yaml")
    found = {f.check: f for f in report.findings}
    assert set(found) == {"vulnerable_hazard_not_routine", "always_decided"}
    always = found["vulnerable_hazard_not_routine"]
    assert always.kind == "invariant"
    assert always.rules == ("everything_else",)
    assert always.facts == {"hazard": "minor", "vulnerable": True}
    assert '"routine"' in always.message
    status = found["always_decided"]
    assert status.facts == {"damp": True}
    assert "needs_judgement" in status.message
    assert status.rules == ("damp_needs_judgement",)


@pytest.mark.parametrize("name", sorted(p.name for p in BROKEN.glob("*.yaml")))
def test_every_broken_policy_is_caught(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(BROKEN / name), "--effort", "20"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "finding(s)" in out
    assert "replay: echo" in out or "never_applies" in out


# --------------------------------------------------------------------------- clean policies


def test_clean_policy_has_no_findings(clean_file: Path) -> None:
    report = verify_policies(load_policies(clean_file), max_examples=60, seed=0)
    assert report.ok, report.to_text()
    assert report.findings == []
    names = {(p.decision, p.property) for p in report.properties}
    assert ("sanction", "ladder") in names and ("sanction", "null_is_absent") in names
    assert ("charge", "well_formed") in names and ("panel", "well_formed") in names
    for prop in report.properties:
        assert prop.passed and prop.tried > 0, prop
    escalated = policies_decide(clean_file, {"severity": "high", "behaviours": ["threats"]})
    assert escalated.outcome["escalated"] is True and "escalate" in escalated.fired_rules
    checked = {p.property: p.checked for p in report.properties if p.decision == "sanction"}
    assert all(n > 0 for n in checked.values()), checked
    assert {s.decision for s in report.static} == {"sanction", "charge", "panel"}
    assert all(s.combinations > 0 for s in report.static)


def test_cli_prints_counts_and_time(clean_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(clean_file), "--effort", "15", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "clean_example.sanction ladder" in out
    assert "static checks" in out and "(all combinations)" in out
    assert "all checks hold" in out
    assert "generated fact sets" in out and out.rstrip().endswith("s)")


def test_cli_json(clean_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(clean_file), "--effort", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["findings"] == []
    assert data["properties"][0]["tried"] > 0


def test_generated_facts_fit_the_schema(clean_file: Path) -> None:
    decision = load_policies(clean_file).compiled_decision("clean_example", "sanction")

    @settings(max_examples=60, database=None, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        raw, as_of = data.draw(_case_strategy(decision))
        assert isinstance(as_of, dt.date)
        json.dumps(raw)  # JSON form: dates and date-times as ISO strings
        facts = {k: v for k, v in raw.items() if v is not None}
        values = decision.validator.validate(facts)
        assert set(values) <= set(decision.facts)

    check()


def test_same_seed_same_report() -> None:
    first = _verify("non_monotone.yaml", 20)
    second = _verify("non_monotone.yaml", 20)
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in second.findings]
    assert [p.tried for p in first.properties] == [p.tried for p in second.properties]


def test_finding_replay_command_round_trips(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gap = _only(_verify("gap.yaml"), "gap")
    command = gap.command()
    assert command is not None
    assert "policyengine decide broken_gap repair_priority --facts - --as-of 2026-02-02" in command
    assert "--policies" in command
    monkeypatch.setattr("sys.stdin", io.StringIO(gap.facts_json or ""))
    code = main(["decide", gap.policy, gap.decision, "--facts", "-", "--as-of",
                 gap.as_of or "", "--policies", gap.file])
    assert code == 1  # a gap met at run time is a defect in the policy, not bad input
    assert "a defect in the policy" in capsys.readouterr().err


# -------------------------------------------------------------------------- bad invariants


BAD_INVARIANT = """\
policy:
  id: bad_invariant
  organisation: Test Housing
  title: Bad invariants
  version: "1"
  nation: england-and-wales

sources:
  doc: {file: x.txt, title: X}

decisions:
  d:
    description: A decision with bad invariants.
    facts:
      level: {type: enum, values: [a, b]}
      flag: {type: bool}
    outcomes:
      out: {type: list, of: {type: enum, values: [x]}}
    rules:
      - id: r
        then: {out: [x]}
        cite: {source: doc, quote: "Every case gets x."}
    invariants:
      - id: unordered
        kind: monotone
        description: level is not ordered.
        fact: level
        outcome: out
      - id: unknown
        kind: always
        description: names a fact the decision does not have.
        when: {flga: true}
        require: {out: {includes: x}}
"""


def test_bad_invariants_are_policy_errors_with_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_INVARIANT, encoding="utf-8")
    policies = load_policies(path)
    with pytest.raises(PolicyError) as info:
        verify_policies(policies, max_examples=5)
    problems = {(p.line, p.column): p.message for p in info.value.problems}
    assert any("ordered enum" in m for m in problems.values()), problems
    assert (27, 15) in problems  # fact: level
    assert (32, 16) in problems and "flga" in problems[(32, 16)]  # the key in when:
    assert main(["verify", str(path), "--effort", "5"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:27:15:" in err


def test_fact_and_outcome_with_one_name_is_refused(tmp_path: Path) -> None:
    text = BAD_INVARIANT.replace("      out: {type: list", "      flag: {type: bool}\n"
                                 "      out: {type: list").split("    invariants:")[0]
    text += """    invariants:
      - id: ambiguous
        kind: always
        description: flag is a fact and an outcome.
        when: {flag: true}
        require: {out: {includes: x}}
"""
    path = tmp_path / "both.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="both a fact and an outcome"):
        verify_policies(load_policies(path), max_examples=5)


def test_bad_effort_and_missing_path_are_bad_input(tmp_path: Path) -> None:
    assert main(["verify", "--effort", "0"]) == 2
    assert main(["verify", str(tmp_path / "nope.yaml")]) == 2


# ------------------------------------------------------------------------ bundled policies


def test_bundled_policies_verify_clean() -> None:
    policies = load_policies(BUNDLED_POLICIES)
    report = verify_policies(policies, max_examples=25, seed=0)
    assert report.findings == [], "\n\n".join(f.to_text() for f in report.findings)
    decisions = {(p.id, d) for p in policies for d in p.decisions}
    assert {(s.policy, s.decision) for s in report.static} == decisions
    assert all(report.tried(p, d) > 0 for p, d in decisions)


def test_interpretations_must_be_earned_by_the_rules_that_fired() -> None:
    """A decision that lists an interpretation no fired rule relies on, or omits one that a
    fired rule reads, fails ``interpretations_earned`` (issue 8: reported exactly when it shaped
    the answer)."""
    from policyengine import records
    from policyengine.verify.interpretations import (
        earned_by_rule,
        interpretations_earned_check,
    )
    from policyengine.verify.properties import Case

    halton = load_policies(BUNDLED_POLICIES / "halton_conduct.yaml")
    decision = halton.compiled_decision("halton_conduct", "in_scope")
    earned = earned_by_rule(decision)
    assert earned["members_of_staff"] == frozenset()
    assert earned["approved_contractors"] == {"contractor_is_approved"}
    check = interpretations_earned_check(decision)
    as_of = dt.date(2026, 6, 1)
    assert check(Case(decision, {"person_type": "staff"}, as_of)).state == "checked"
    # the defect issue 8 found: staff reported with the contractors' interpretation
    staff = decision.rules[1]
    assert staff.id == "members_of_staff"
    broken = records.replace(
        decision,
        rules=(decision.rules[0],
               records.replace(staff, interpretations=("contractor_is_approved",)),
               *decision.rules[2:]),
    )
    verdict = interpretations_earned_check(broken)(Case(broken, {"person_type": "staff"}, as_of))
    assert verdict.state == "failed"
    assert "contractor_is_approved" in verdict.message and "no rule that fired" in verdict.message
    contractor = decision.rules[2]
    silent = records.replace(
        decision,
        rules=(*decision.rules[:2], records.replace(contractor, interpretations=())),
    )
    verdict = interpretations_earned_check(silent)(
        Case(silent, {"person_type": "contractor"}, as_of))
    assert verdict.state == "failed" and "omits contractor_is_approved" in verdict.message


def test_verify_without_hypothesis_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a plain `pip install` (no hypothesis) verify names the extra, exit 2, no traceback."""
    import sys

    monkeypatch.setitem(sys.modules, "hypothesis", None)
    code = main(["verify", str(BUNDLED_POLICIES / "halton_conduct.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "housing-policyengine[verify]" in err and "Traceback" not in err
