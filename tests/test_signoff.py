"""Sign-off of interpretations: `signed_off: {by, on}`, what decisions report, the
`interpretations` command and `check --require-signoff`."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from conftest import POLICIES

from policyengine import PolicyError, load_policies
from policyengine.cli import main
from policyengine.interpretations import policy_interpretations, signoff_problems
from policyengine.policyset import compile_policy_text

POLICY = textwrap.dedent(
    """\
    policy:
      id: tiny
      organisation: Test Org
      title: Tiny
      version: "1"
      nation: england-and-wales
    sources:
      doc: {file: doc.txt, title: Doc}
    interpretations:
      reply_period:
        value: {working_days: 5}
        note: the text says "promptly"; read as 5 working days
        signed_off: {by: Jo Bloggs (Head of Service), on: 2026-05-01}
      light_means_pale:
        value: true
        note: light covers pale
    decisions:
      reply:
        description: by when do we reply
        facts:
          received: {type: date}
          shade: {type: enum, values: [light, dark]}
        outcomes:
          reply_by: {type: date}
          pale: {type: bool}
        hit_policy: collect
        rules:
          - id: reply
            then: {reply_by: {add: {interpretation: reply_period}, to: {fact: received}}}
            cite: {source: doc, quote: "we reply promptly"}
          - id: light
            when: {shade: light}
            then: {pale: true}
            interpretations: [light_means_pale]
            cite: {source: doc, quote: "light is fine"}
    """
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


def test_signed_off_by_and_on_is_reported_in_the_decision(tmp_path: Path) -> None:
    policies = load_policies(write(tmp_path, POLICY))
    record = policies.decide("tiny", "reply", {"received": "2026-06-01", "shade": "light"},
                             "2026-06-01").to_dict()
    by_name = {i["name"]: i for i in record["interpretations"]}
    assert by_name["reply_period"]["signed_off"] is True
    assert by_name["reply_period"]["signed_off_by"] == "Jo Bloggs (Head of Service)"
    assert by_name["reply_period"]["signed_off_on"] == "2026-05-01"
    assert by_name["light_means_pale"]["signed_off"] is False
    assert by_name["light_means_pale"]["signed_off_by"] is None
    json.dumps(record)  # still JSON


def test_signed_off_false_and_absent_are_unsigned() -> None:
    text = POLICY.replace("    note: light covers pale\n",
                          "    note: light covers pale\n    signed_off: false\n")
    assert "signed_off: false" in text
    policy = compile_policy_text(text, "p.yaml")
    assert policy.interpretations["light_means_pale"].signed_off is False
    assert policy.interpretations["reply_period"].signed_off_on == dt.date(2026, 5, 1)


def test_signed_off_true_says_what_to_write() -> None:
    text = POLICY.replace("    note: light covers pale\n",
                          "    note: light covers pale\n    signed_off: true\n")
    assert "signed_off: true" in text
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "p.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (17, 17)
    assert "signed_off: {by: NAME, on: YYYY-MM-DD}" in problem.message


def test_a_sign_off_needs_both_who_and_when() -> None:
    text = POLICY.replace("signed_off: {by: Jo Bloggs (Head of Service), on: 2026-05-01}",
                          "signed_off: {by: Jo Bloggs}")
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "p.yaml")
    assert any("'on'" in p.message for p in info.value.problems)


def test_entries_say_where_and_what_uses_them() -> None:
    policy = compile_policy_text(POLICY, "p.yaml")
    entries = policy_interpretations(policy)
    assert [(e.note.name, e.line, e.used_by) for e in entries] == [
        ("reply_period", 10, ("reply.reply",)),
        ("light_means_pale", 14, ("reply.light",)),
    ]
    assert [p.line for p in signoff_problems(policy)] == [14]


def test_bundled_lifecycle_interpretations_are_listed() -> None:
    policies = load_policies(POLICIES)
    names = {(e.lifecycle, e.note.name) for p in policies for e in policy_interpretations(p)}
    local = {(lc, n) for p in policies for lc, life in p.lifecycles.items()
             for n in life.interpretations}
    assert local and local <= names
    everyone = sum(len(p.interpretations) for p in policies) + len(local)
    assert len(names) == everyone


def test_interpretations_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(write(tmp_path, POLICY))
    assert main(["interpretations", "--policies", path]) == 0
    out = capsys.readouterr().out
    assert "signed off by Jo Bloggs (Head of Service) on 2026-05-01" in out
    assert "UNSIGNED light_means_pale" in out
    assert "2 interpretation(s), 1 not signed off" in out
    assert main(["interpretations", "tiny", "--unsigned", "--json", "--policies", path]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["name"], i["line"], i["used_by"]) for i in listed] == [
        ("light_means_pale", 14, ["reply.light"])]
    assert main(["interpretations", "nosuch", "--policies", path]) == 2
    assert "unknown policy 'nosuch'" in capsys.readouterr().err


def test_check_require_signoff_fails_until_every_one_is_signed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, POLICY)
    assert main(["check", str(path)]) == 0
    capsys.readouterr()
    assert main(["check", "--require-signoff", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:14:3: interpretation 'light_means_pale' is not signed off" in out
    path.write_text(POLICY.replace(
        "    note: light covers pale\n",
        "    note: light covers pale\n    signed_off: {by: Sam, on: 2026-05-02}\n"))
    assert main(["check", "--require-signoff", str(path)]) == 0


def test_explain_says_who_signed_off(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(write(tmp_path, POLICY))
    facts = tmp_path / "facts.json"
    facts.write_text('{"received": "2026-06-01", "shade": "light"}')
    assert main(["explain", "tiny", "reply", "--facts", str(facts), "--as-of", "2026-06-01",
                 "--policies", path]) == 0
    out = capsys.readouterr().out
    assert "signed off by Jo Bloggs (Head of Service) on 2026-05-01" in out
    assert "light_means_pale = true (not yet signed off)" in out
