"""Bad policy files: every problem is a PolicyError naming file, line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policyengine import PolicyError
from policyengine.policyset import compile_policy_text

GOOD = textwrap.dedent(
    """\
    policy:
      id: tiny
      organisation: Test Org
      title: Tiny
      version: "1"
      issued: 2024-01-01
      nation: england-and-wales
    sources:
      doc: {file: doc.txt, title: Doc}
    decisions:
      colour:
        description: what colour
        facts:
          shade: {type: enum, values: [light, dark]}
        outcomes:
          ok: {type: bool}
        rules:
          - id: light
            when: {shade: light}
            then: {ok: true}
            cite: {source: doc, quote: "light is fine"}
          - id: dark
            when: {shade: dark}
            then: {ok: false}
            cite: {source: doc, quote: "dark is not fine"}
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "p.yaml")
    for p in info.value.problems:
        assert p.file == "p.yaml"
    return [str(p) for p in info.value.problems]


def test_good_policy_compiles() -> None:
    policy = compile_policy_text(GOOD, "p.yaml")
    assert list(policy.decisions) == ["colour"]


def test_duplicate_key_is_an_error_with_both_positions() -> None:
    text = GOOD.replace("  title: Tiny\n", "  title: Tiny\n  title: Again\n")
    assert problems(text) == [
        "p.yaml:5:3: duplicate key 'title' (first given at line 4, column 3); keep one of them"
    ]


def test_unknown_key_gets_a_suggestion() -> None:
    text = GOOD.replace("  nation:", "  natoin: x\n  nation:")
    (msg,) = problems(text)
    assert msg == "p.yaml:7:3: unknown key 'natoin' (did you mean 'nation'?)"


def test_misspelt_rule_key_is_not_ignored() -> None:
    text = GOOD.replace("        when: {shade: light}", "        wehn: {shade: light}")
    (msg,) = problems(text)
    assert msg.startswith("p.yaml:19:9: unknown key 'wehn' (did you mean 'when'?)")


def test_unknown_fact_in_condition_is_caught_at_load() -> None:
    text = GOOD.replace("when: {shade: light}", "when: {shad: light}")
    (msg,) = problems(text)
    assert msg.startswith("p.yaml:19:16: unknown fact 'shad' (did you mean 'shade'?)")


def test_unknown_enum_value_is_caught_at_load() -> None:
    text = GOOD.replace("when: {shade: dark}", "when: {shade: drak}")
    (msg,) = problems(text)
    assert "p.yaml:23:23: 'drak' is not a value of shade; allowed: light, dark" in msg
    assert "did you mean 'dark'" in msg


def test_unknown_outcome_is_caught() -> None:
    text = GOOD.replace("then: {ok: false}", "then: {okay: false}")
    (msg,) = problems(text)
    assert msg.startswith("p.yaml:24:16: unknown outcome 'okay' (did you mean 'ok'?)")


def test_wrong_outcome_type_is_caught() -> None:
    text = GOOD.replace("then: {ok: false}", "then: {ok: {add: {days: 1}, to: {fact: as_of}}}")
    (msg,) = problems(text)
    assert "outcome 'ok' is true or false, but this value is a date" in msg


def test_unknown_source_in_citation() -> None:
    text = GOOD.replace('cite: {source: doc, quote: "dark is not fine"}',
                        'cite: {source: dok, quote: "dark is not fine"}')
    (msg,) = problems(text)
    assert msg.startswith("p.yaml:25:15: unknown source 'dok'")


def test_rule_without_citation_is_refused() -> None:
    text = GOOD.replace('        cite: {source: doc, quote: "dark is not fine"}\n', "")
    (msg,) = problems(text)
    assert "missing required key 'cite'" in msg


def test_yaml_syntax_error_has_a_position() -> None:
    (msg,) = problems("policy:\n  id: [unclosed\n")
    assert msg.startswith("p.yaml:3:1: YAML syntax")


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    (msg,) = problems("\n".join(lines) + "\n")
    assert "following its aliases (*name) would add more than 100,000 values" in msg
    assert "set POLICYENGINE_MAX_ALIAS_VALUES to raise the limit" in msg


def test_python_tags_are_never_constructed() -> None:
    found = problems("policy: !!python/object/apply:os.system ['echo hi']\n")
    assert "p.yaml:1:9: the YAML tag '!!python/object/apply:os.system' is not allowed in a " \
        "policy file" in found


def test_unquoted_yes_in_an_enum_gets_a_hint() -> None:
    text = GOOD.replace("[light, dark]", "[light, dark, 'yes']").replace(
        "when: {shade: dark}", "when: {shade: yes}"
    )
    (msg,) = problems(text)
    assert "YAML read the unquoted yes as true: write it in quotes, 'yes'" in msg


def test_ordered_test_needs_an_ordered_enum() -> None:
    text = GOOD.replace("when: {shade: dark}", "when: {shade: {at_least: dark}}")
    (msg,) = problems(text)
    assert "'at_least' needs an ordered fact; shade is not" in msg


def test_unused_interpretation_is_reported() -> None:
    text = GOOD.replace(
        "decisions:\n", "interpretations:\n  spare: {value: 1, note: unused}\ndecisions:\n"
    )
    (msg,) = problems(text)
    assert "interpretation 'spare' is not used by any rule" in msg


def test_several_problems_are_all_reported_in_line_order() -> None:
    text = GOOD.replace("when: {shade: light}", "when: {shad: light}").replace(
        "then: {ok: false}", "then: {okay: false}"
    )
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("p.yaml:19:16:") and found[1].startswith("p.yaml:24:16:")


def test_exception_to_unknown_rule() -> None:
    text = GOOD.replace("        when: {shade: dark}",
                        "        exception_to: lite\n        when: {shade: dark}")
    (msg,) = problems(text)
    assert "'lite' is not a rule of colour" in msg


def test_merge_keys_let_explicit_keys_override() -> None:
    from policyengine.load import load_yaml_text

    loaded = load_yaml_text("base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert loaded.data["over"] == {"x": 1, "y": 3}
    with pytest.raises(PolicyError, match="duplicate key 'y'"):
        load_yaml_text("over:\n  <<: {y: 1}\n  y: 3\n  y: 4\n", "m.yaml")


def test_misspelt_key_inside_a_fact_type_gets_a_suggestion() -> None:
    text = GOOD.replace("enum, values: [light, dark]", "enum, valeus: [light, dark]")
    (msg,) = problems(text)
    assert msg == "p.yaml:14:27: unknown key 'valeus' (did you mean 'values'?)"


def test_facts_error_lists_every_problem_with_its_path_and_pickles() -> None:
    import pickle

    from policyengine import FactsError, load_policies

    policies = load_policies()
    bad = {"contacts": [{"at": "x", "channel": "phone", "topic": "repair"}], "vulnerable": 3}
    try:
        policies.decide("citizen_persistent_contact", "restriction_assessment", bad,
                        as_of="2026-11-25")
    except FactsError as exc:
        paths = {p.path: p for p in exc.problems}
        assert set(paths) == {"contacts[0].at", "contacts[0].channel", "vulnerable",
                              "service_failure_outstanding", "behaviours"}
        assert paths["contacts[0].channel"].allowed is not None
        assert "telephone" in paths["contacts[0].channel"].allowed
        assert paths["service_failure_outstanding"].code == "missing"
        assert exc.fact == "contacts"  # the first problem's top-level fact
        again = pickle.loads(pickle.dumps(exc))
        assert again.problems == exc.problems and str(again) == str(exc)
    else:
        raise AssertionError("bad facts were accepted")


# ------------------------------------------------------------------ the common mistakes
# Each mistake an author commonly makes, the message `policyengine check` gives for it (naming
# the cause and the fix, at the line to fix), as listed in docs/common-mistakes.md.

CLOSING = "calendar:\n  office_closes_at: 17:00\n  office_closes_at_interpretation: x\nsources:"

MISTAKES: list[tuple[str, str, str]] = [
    ("tab", GOOD.replace("  title: Tiny", "\ttitle: Tiny"),
     "policy.yaml:4:1: a tab character is used for indentation; YAML indents with spaces only: "
     "replace the tab with spaces"),
    ("missing closing quote", GOOD.replace("  organisation: Test Org", '  organisation: "Test Org'),
     "policy.yaml:3:17: this quoted value is not closed on its line: YAML read on to line 5 "
     "looking for the closing \"; add the closing \" (or, for a long text, use '>-' and indented "
     "lines)"),
    ("key indented too little", GOOD.replace("        then: {ok: false}",
                                             "       then: {ok: false}"),
     "policy.yaml:24:8: bad indentation: line 24 starts at column 8, line 23 above it at column "
     "9; the list that begins at line 18 has its items' '-' at column 7; indent with spaces so "
     "that the keys of one mapping, and the '-' of the items of one list, start in the same "
     "column (YAML: did not find expected '-' indicator)"),
    ("key indented too much", GOOD.replace("        when: {shade: dark}",
                                           "         when: {shade: dark}"),
     "policy.yaml:23:10: YAML cannot place the ':' on this line: line 23 starts at column 10, "
     "line 21 above it at column 9, so the line is read as part of the value above; line its "
     "key up with the keys above it, or, if the value holds ': ', put the value in quotes"),
    ("list item out of step", GOOD.replace("      - id: dark", "     - id: dark"),
     "policy.yaml:22:6: bad indentation: line 22 starts at column 6, line 18 above it at column "
     "7; the mapping that begins at line 12 has its keys at column 5; indent with spaces so that "
     "the keys of one mapping, and the '-' of the items of one list, start in the same column "
     "(YAML: did not find expected key)"),
    ("unquoted version", GOOD.replace('version: "1"', "version: 2.1"),
     'policy.yaml:5:12: policy.version: YAML read 2.1 as a number; write it in quotes: "2.1"'),
    ("unquoted time", GOOD.replace("sources:", CLOSING),
     "policy.yaml:9:21: calendar.office_closes_at: YAML read 17:00 as the number 1020 (a time "
     'read in base 60); write it in quotes: "17:00"'),
    ("unquoted no in a condition", GOOD.replace("[light, dark]", "[light, dark, 'no']")
     .replace("when: {shade: dark}", "when: {shade: no}"),
     "policy.yaml:23:23: 'false' is not a value of shade; allowed: light, dark, no (YAML read "
     "the unquoted no as false: write it in quotes, 'no')"),
    ("unquoted no in an enum", GOOD.replace("[light, dark]", "[light, dark, no]"),
     'policy.yaml:14:49: decisions.colour.facts.shade.values.2: YAML read no as false; write '
     'it in quotes: "no"'),
    ("date as day/month/year", GOOD.replace("issued: 2024-01-01", "issued: 16/03/2014"),
     "policy.yaml:6:11: policy.issued: '16/03/2014' is not a date; write dates as YYYY-MM-DD "
     "(2014-03-16)"),
    ("date without leading zeros", GOOD.replace("issued: 2024-01-01", "issued: 2009-3-16"),
     "policy.yaml:6:11: policy.issued: '2009-3-16' is not a date; write dates as YYYY-MM-DD "
     "(2009-03-16)"),
    ("impossible date", GOOD.replace("issued: 2024-01-01", "issued: 2014-02-30"),
     "policy.yaml:6:11: '2014-02-30' is not a real date or date-time (day is out of range for "
     "month); write a date as YYYY-MM-DD; if it is text, put it in quotes"),
    ("rule under invariants", GOOD.replace("    rules:\n      - id: light",
                                           "    invariants:\n      - id: light")
     .replace("      - id: dark", "    rules:\n      - id: dark"),
     "policy.yaml:18:9: this looks like a rule (it has 'then' or 'cite'), but it is listed under "
     "'invariants:'; move it under 'rules:' (an invariant is a check, with 'kind' and "
     "'description')"),
    ("unknown condition test", GOOD.replace("when: {shade: light}",
                                            "when: {shade: {one_of: [light, dark]}}"),
     "policy.yaml:19:24: unknown test 'one_of' on shade; the tests are: is, in, not_in, present, "
     "at_least, at_most, above, below (for one of several values, write a list: shade: [a, b])"),
    ("duplicate rule id", GOOD.replace("id: dark", "id: light"),
     "policy.yaml:22:13: rule id 'light' is used twice in colour (first at line 18); give each "
     "rule its own id"),
    ("misspelt key", GOOD.replace("    rules:", "    hit_polcy: first\n    rules:"),
     "policy.yaml:17:5: unknown key 'hit_polcy' (did you mean 'hit_policy'?)"),
    ("misspelt fact", GOOD.replace("when: {shade: light}", "when: {shad: light}"),
     "policy.yaml:19:16: unknown fact 'shad' (did you mean 'shade'?); this decision's facts are: "
     "shade"),
    ("misspelt value", GOOD.replace("when: {shade: dark}", "when: {shade: drak}"),
     "policy.yaml:23:23: 'drak' is not a value of shade; allowed: light, dark (did you mean "
     "'dark'?)"),
    ("one citation where a list is wanted", GOOD.replace(
        "  nation: england-and-wales",
        '  nation: england-and-wales\n  cite: {source: doc, quote: "the whole policy"}'),
     "policy.yaml:8:9: policy.cite: must be a list, not a mapping: put the item in [ ], or on a "
     "line of its own starting with '- '"),
    ("rule without a citation", GOOD.replace(
        '        cite: {source: doc, quote: "dark is not fine"}\n', ""),
     "policy.yaml:22:9: missing required key 'cite' (every rule quotes the clause it encodes: "
     'cite: {source: KEY, quote: "..."})'),
    ("reserved fact name", GOOD.replace("      shade: {type: enum", "      model_type: {type: enum")
     .replace("{shade:", "{model_type:"),
     "policy.yaml:14:7: 'model_type' is reserved (names beginning model_ and the names of "
     "pydantic's own methods, such as copy, dict, json, schema and validate); choose another "
     "name"),
]


@pytest.mark.parametrize(("text", "message"), [(t, m) for _, t, m in MISTAKES],
                         ids=[name for name, _, _ in MISTAKES])
def test_a_common_mistake_gets_a_message_naming_cause_and_fix(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "policy.yaml")
    assert [str(p) for p in info.value.problems] == [message]


def test_a_misspelt_key_in_a_scenario_file_gets_a_suggestion(tmp_path: Path) -> None:
    from policyengine import load_policies
    from policyengine.scenarios import run_scenarios

    scenario = tmp_path / "scenarios.yaml"
    scenario.write_text("policy: tiny\nscenarios:\n  - name: light is fine\n    decison: colour\n"
                        "    expect: {outcome: {ok: true}}\n")
    policy = tmp_path / "tiny.yaml"
    policy.write_text(GOOD)
    run = run_scenarios([scenario], load_policies(policy))
    assert [str(p) for p in run.problems] == [
        f"{scenario}:3:5: missing required key 'decision'",
        f"{scenario}:4:5: unknown key 'decison' (did you mean 'decision'?)",
    ]


def test_every_common_mistake_is_in_the_docs_with_its_message() -> None:
    from conftest import ROOT

    doc = (ROOT / "docs" / "common-mistakes.md").read_text(encoding="utf-8")
    for name, _, message in MISTAKES:
        assert message in " ".join(doc.split()), f"docs/common-mistakes.md lacks: {name}"
    assert "unknown key 'decison' (did you mean 'decision'?)" in doc
