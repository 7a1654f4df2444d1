"""Bad policy files: every problem is a PolicyError naming file, line and column."""

from __future__ import annotations

import textwrap

import pytest

from policyengine import PolicyError
from policyengine.compiler import compile_policy_text

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
