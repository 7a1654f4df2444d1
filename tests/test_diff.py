"""policyengine diff: the shape changes and the answers that change, between two versions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import POLICIES

from policyengine.cli import main
from policyengine.diff import diff_policies
from policyengine.diff.answers import describe_change
from policyengine.policyset import compile_policy_file, compile_policy_text
from tests.oracle.reference import ReferenceCalendar

TINY = textwrap.dedent("""\
    policy:
      id: tiny
      organisation: Test Org
      title: Tiny
      version: "1"
      nation: england-and-wales
    sources:
      doc: {file: doc.txt, title: Doc}
    interpretations:
      pale: {value: true, note: light covers pale}
    decisions:
      colour:
        description: is the colour ok
        facts:
          shade: {type: enum, values: [light, dark]}
          bright: {type: bool}
        outcomes:
          ok: {type: bool}
        rules:
          - id: light
            when: {shade: light}
            then: {ok: true}
            interpretations: [pale]
            cite: {source: doc, quote: "light is fine"}
          - id: dark
            when: {shade: dark}
            then: {ok: false}
            cite: {source: doc, quote: "dark is not fine"}
    """)


def tiny(text: str = TINY) -> object:
    return compile_policy_text(text, "tiny.yaml")


def test_a_changed_rule_changes_exactly_the_cases_it_answers() -> None:
    new = TINY.replace("then: {ok: false}", "then: {ok: true}")
    report = diff_policies(tiny(), tiny(new), generated=0)  # type: ignore[arg-type]
    (colour,) = report.answers
    # shade x bright = 4 combinations; the two with shade dark change
    assert (colour.cases, colour.changed, colour.exhaustive) == (4, 2, True)
    (group,) = colour.groups
    assert (group.what, group.change, group.count) == ("ok", "changes from false to true", 2)
    assert group.example["facts"]["shade"] == "dark"
    assert dict(group.rules) == {(("dark",), ("dark",)): 2}
    assert report.changes.per_decision[0].rules_changed == ["dark"]
    text = report.to_text()
    assert "ok changes from false to true: 2 of 4 cases" in text
    assert "set by dark (changed) in both (2)" in text


def test_identical_versions_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(POLICIES / "kingdom_relations.yaml")
    assert main(["diff", path, path, "--effort", "10", "--exit-code"]) == 0
    out = capsys.readouterr().out
    assert "nothing in the policy's shape" in out
    decisions = compile_policy_file(POLICIES / "kingdom_relations.yaml").decisions
    for name in decisions:
        assert f"kingdom_relations.{name}: no answer changes in " in out


def test_renamed_fact_and_enum_value_translate_and_change_no_answer() -> None:
    new = (TINY.replace("shade:", "tone:").replace("{tone: light}", "{tone: pale_ish}")
           .replace("values: [light, dark]", "values: [pale_ish, dark]"))
    new = new.replace("{shade: dark}", "{tone: dark}")
    report = diff_policies(tiny(), tiny(new), generated=20)  # type: ignore[arg-type]
    (dc,) = report.changes.per_decision
    assert dc.facts.renamed == [("shade", "tone")]
    assert dc.enum_values["tone"].renamed == [("light", "pale_ish")]
    (colour,) = report.answers
    assert colour.cases == 4 + colour.generated and colour.changed == 0


def test_an_added_enum_value_is_refused_by_the_old_version() -> None:
    new = TINY.replace("values: [light, dark]", "values: [light, dark, mid]").replace(
        "{shade: dark}", "{shade: [dark, mid]}")
    report = diff_policies(tiny(), tiny(new), generated=0)  # type: ignore[arg-type]
    (dc,) = report.changes.per_decision
    assert dc.enum_values["shade"].added == ["mid"]
    (group,) = report.answers[0].groups
    assert group.what == "the answer"
    assert group.change == "was a FactsError naming 'shade', now answered"
    assert group.count == 2  # mid, with bright true and false


def test_renamed_decision_and_interpretation_and_added_decision() -> None:
    extra = textwrap.indent(textwrap.dedent("""\
        size:
          description: how big
          outcomes:
            big: {type: bool}
          rules:
            - id: always
              then: {big: true}
              cite: {source: doc, quote: "everything is big"}
        """), "  ")
    new = TINY.replace("  colour:\n", "  hue:\n").replace("pale", "pale_reading") + extra
    report = diff_policies(tiny(), tiny(new), generated=0)  # type: ignore[arg-type]
    assert report.changes.decisions.renamed == [("colour", "hue")]
    assert report.changes.decisions.added == ["size"]
    assert report.changes.interpretations.renamed == [("pale", "pale_reading")]
    assert [(a.old, a.new, a.changed) for a in report.answers] == [("colour", "hue", 0)]


def test_a_deadline_one_working_day_later(tmp_path: Path) -> None:
    """Halton: "Any appeal must be submitted within 10 working days of receipt of the
    notification" (001_...); a new version that allows 11 moves every appeal_by one working day
    later. The dates are checked against the independent calendar (numpy + GOV.UK data)."""
    old_path = POLICIES / "halton_conduct.yaml"
    text = old_path.read_text()
    assert "appeal_by: {add: {working_days: 10}, to: {fact: notification_received}}" in text
    new_path = tmp_path / "halton_conduct.yaml"
    new_path.write_text(text.replace("working_days: 10}, to: {fact: notification_received}",
                                     "working_days: 11}, to: {fact: notification_received}"))
    report = diff_policies(compile_policy_file(old_path), compile_policy_file(new_path),
                           generated=40)
    appeal = next(a for a in report.answers if a.new == "appeal_deadline")
    by_change = {g.change: g for g in appeal.groups if g.what == "appeal_by"}
    assert set(by_change) == {"moves 1 working day later"}
    group = by_change["moves 1 working day later"]
    # every case both versions answer has an appeal_by, and it moves (the rest are facts both
    # refuse, such as an appeal before its notification)
    assert group.count == appeal.changed and appeal.cases > appeal.changed
    assert {g.what for g in appeal.groups} <= {"appeal_by", "appeal_in_time"}
    reference = ReferenceCalendar("england-and-wales")
    old_day = dt.date.fromisoformat(group.example["old"])
    new_day = dt.date.fromisoformat(group.example["new"])
    assert reference.add_working_days(old_day, 1) == new_day
    others = [a for a in report.answers if a.new != "appeal_deadline"]
    assert all(a.changed == 0 for a in others)


def test_describe_change_in_words() -> None:
    cal = compile_policy_file(POLICIES / "halton_conduct.yaml").calendar
    # Friday 3 April 2026 is Good Friday, Monday 6 April Easter Monday (the independent data)
    reference = ReferenceCalendar("england-and-wales")
    assert reference.add_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)
    assert describe_change("2026-04-02", "2026-04-07", cal) == "moves 1 working day later"
    assert describe_change("2026-04-04", "2026-04-05", cal) == (
        "moves 1 day later (no working day between)")
    assert describe_change("2026-01-27", "2026-01-26", cal) == "moves 1 working day earlier"
    assert describe_change("2026-03-29T10:00:00+01:00", "2026-03-29T11:30:00+01:00", cal) == (
        "moves 1 hour 30 minutes later")
    assert describe_change(True, False, cal) == "changes from true to false"


def test_diff_json_and_exit_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(TINY)
    new.write_text(TINY.replace("then: {ok: false}", "then: {ok: true}"))
    assert main(["diff", str(old), str(new), "--json", "--effort", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answers_change"] is True
    assert report["answers"][0]["groups"][0]["count"] == 2
    assert main(["diff", str(old), str(new), "--effort", "0", "--exit-code"]) == 1


def test_diff_git_revisions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True,
                       timeout=30)

    git("init", "-q")
    git("config", "user.email", "t@example.invalid")
    git("config", "user.name", "T")
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    git("add", "tiny.yaml")
    git("commit", "-qm", "one")
    path.write_text(TINY.replace("then: {ok: false}", "then: {ok: true}"))
    git("commit", "-qam", "two")
    assert main(["diff", "--git", "HEAD~1", "HEAD", str(path), "--effort", "0"]) == 0
    out = capsys.readouterr().out
    assert f"HEAD~1:{path}" in out and "ok changes from false to true: 2 of 4 cases" in out
    assert main(["diff", "--git", "nosuchrev", "HEAD", str(path)]) == 2
    assert "git cannot show" in capsys.readouterr().err


def test_diff_bad_input_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["diff", str(tmp_path / "only.yaml")]) == 2
    assert "diff takes two policy files" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("hit_policy", "x").replace("nation: england-and-wales",
                                                            "nation: england"))
    good = tmp_path / "good.yaml"
    good.write_text(TINY)
    assert main(["diff", str(good), str(bad)]) == 2
    assert f"{bad}:6:" in capsys.readouterr().err
