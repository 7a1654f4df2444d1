"""Differential tests for the one-pass loader (issue 10, items 6 and 7).

The reader that builds data straight from the parser's events
(:mod:`policyengine.yaml_build`) against the loader it replaced (``reference_yaml_loader``: a
measuring pass over the events, then PyYAML's composed node graph, then a builder over it):

* generated documents with anchors, aliases (undefined, recursive, exponential), merges and
  several documents, under small limits, give the same problems or the same data, positions and
  written forms;
* every bundled policy reads the same both ways, and a policy set loaded the old way decides
  every bundled scenario exactly as one loaded the new way.

One refusal is worded differently on purpose: an anchor given twice was PyYAML's "second
occurrence (found duplicate anchor; first occurrence)" and is now said in words
(:func:`test_an_anchor_given_twice_is_said_in_words`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import reference_yaml_loader as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine
from policyengine import load
from policyengine.errors import PolicyError
from policyengine.inputs import Limits
from policyengine.load import LoadedYaml, read_yaml_text
from policyengine.policyset import BUNDLED_POLICIES
from policyengine.scenarios import ScenarioFile
from policyengine.scenarios import _json_facts as json_facts


def slow_read(text: str, file: str, limits: Limits) -> LoadedYaml:
    """The loader as it was: the first pass over the events, then compose, then build."""
    return reference.read_yaml_text(text, file, limits)


_ANCHOR_TWICE = ("YAML syntax: second occurrence (found duplicate anchor; first occurrence)",
                 re.compile(r"the anchor &\w+ is given twice \(first at line \d+, column \d+\); "
                            r"give each anchor its own name"))


def _refusal(message: str) -> str:
    """A refusal's message, the two wordings of an anchor given twice as one."""
    old, new = _ANCHOR_TWICE
    return "anchor given twice" if message == old or new.fullmatch(message) else message


def outcome(read: Any, text: str, limits: Limits) -> Any:
    try:
        got = read(text, "doc.yaml", limits)
    except PolicyError as exc:
        return ("refused", [(p.file, p.line, p.column, _refusal(p.message))
                            for p in exc.problems])
    return ("read", got.data, got.value_positions, got.key_positions, got.written,
            got.invalid, [(p.line, p.column, p.message) for p in got.problems])


NAMES = ("a", "b", "c")
SCALARS = st.sampled_from(["x", "1", "no", "2026-02-30", "'q'", "1.5", "~", "!!int z", ".nan",
                           "&a v", "&b 3", "*a", "*b", "*c", "[]", "{}", "!!map x", "!!str [1]",
                           "!!seq {}", "!!set {}", "!foo x", "!!timestamp 2026-01-01", "<<",
                           "! 12", "!!binary aGk=", "0x_", "+99:00", "17:00", "&a {k: *b}"])


def _flow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    anchor = st.sampled_from(["", "&a ", "&b ", "&c "])
    seq = st.builds(lambda a, items: f"{a}[{', '.join(items)}]", anchor,
                    st.lists(children, max_size=4))
    keys = st.sampled_from(["k", "m", "<<", "n", "k", "<<", "[1]", "{a: 1}", "1", "true", "~",
                            "2026-02-30", "!!int q", "!!str 7", "!foo k", "*a", "&c k", "1.5"])
    mapping = st.builds(
        lambda a, pairs: a + "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}",
        anchor, st.lists(st.tuples(keys, children), max_size=4))
    return seq | mapping | st.sampled_from([f"*{n}" for n in NAMES])


DOCUMENTS = st.builds(
    lambda body, extra: f"top: {body}\n" + ("---\nsecond: 1\n" if extra else ""),
    st.recursive(SCALARS, _flow, max_leaves=24), st.booleans())
LIMITS = st.builds(Limits, max_yaml_values=st.integers(1, 40),
                   max_alias_values=st.integers(1, 40), max_nesting=st.integers(1, 8))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, LIMITS)
def test_fast_first_pass_agrees_with_the_event_pass(text: str, limits: Limits) -> None:
    assert outcome(read_yaml_text, text, limits) == outcome(slow_read, text, limits)


@pytest.mark.parametrize("text", [
    "a: &a [*a]\n",                                      # recursive alias
    "a: &a [1, 2]\nb: [*a, *a, *a]\n",                   # aliases within limits
    "a: &a [1,1,1,1]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n",
    "a: *nope\n",                                       # undefined alias
    "a: &x 1\nb: &x 2\n",                                # anchor given twice
    "a: 1\n---\nb: 2\n",                                 # two documents
    "# only a comment\n", "", "a: [1, 2\n", "a: b: c\n",
    "a: " + "[" * 12 + "]" * 12 + "\n",                  # nests deeper than the limit
    "a: \x07\n",                                         # a control character
])
def test_fast_first_pass_on_the_cases_it_must_refuse(text: str) -> None:
    limits = Limits(max_yaml_values=30, max_alias_values=20, max_nesting=10)
    assert outcome(read_yaml_text, text, limits) == outcome(slow_read, text, limits)


def test_a_plain_large_file_is_not_blamed_on_aliases() -> None:
    text = "rules:\n" + "".join(f"  - {{id: r{i}, v: {i}}}\n" for i in range(300))
    limits = Limits(max_yaml_values=2_000, max_alias_values=5)
    assert read_yaml_text(text, "big.yaml", limits).data["rules"][299] == {"id": "r299",
                                                                          "v": 299}
    with pytest.raises(PolicyError) as refused:
        read_yaml_text(text, "big.yaml", Limits(max_yaml_values=500))
    assert "more than 500 values" in refused.value.problems[0].message
    assert "alias" not in refused.value.problems[0].message


BUNDLED = sorted(BUNDLED_POLICIES.glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_policies_read_the_same_both_ways(path: Path) -> None:
    text, _ = load.read_file_text(path)
    limits = Limits()
    assert outcome(read_yaml_text, text, limits) == outcome(slow_read, text, limits)


def _scenario_cases() -> list[tuple[str, str, Any, dt.date]]:
    cases = []
    for path in sorted((BUNDLED_POLICIES / "scenarios").glob("*.yaml")):
        spec = ScenarioFile.model_validate(load.load_yaml_file(path).data)
        for s in spec.scenarios:
            as_of = s.as_of or spec.as_of or dt.date(2026, 6, 1)
            cases.append((spec.policy, s.decision, json_facts(s.facts), as_of))
    return cases


def _answer(policies: policyengine.PolicySet, case: tuple[str, str, Any, dt.date]) -> Any:
    try:
        return policies.decide(*case, full_trace=True).to_dict()
    except policyengine.PolicyEngineError as exc:
        return (type(exc).__name__, str(exc))


def test_a_policy_set_loaded_the_slow_way_decides_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYENGINE_NO_CACHE", "1")  # read every file, both ways
    fast = policyengine.load_policies()

    monkeypatch.setattr(load, "build_document", slow_read)
    slow = policyengine.load_policies()
    cases = _scenario_cases()
    assert len(cases) > 50
    for case in cases:
        assert _answer(fast, case) == _answer(slow, case), case


@pytest.mark.parametrize("limit", [5, 6])
def test_alias_values_at_and_past_the_limit(limit: int) -> None:
    text = "a: &a [1, 2]\nb: [*a, *a]\n"  # each *a adds the list and its two items: 6 in all
    limits = Limits(max_alias_values=limit)
    assert outcome(read_yaml_text, text, limits) == outcome(slow_read, text, limits)
    assert outcome(read_yaml_text, text, limits)[0] == ("read" if limit == 6 else "refused")


@pytest.mark.parametrize("limit", [4, 5])
def test_values_at_and_past_the_limit(limit: int) -> None:
    text = "a: [1, 2]\n"  # the mapping, its key, the list and two numbers
    limits = Limits(max_yaml_values=limit)
    assert outcome(read_yaml_text, text, limits) == outcome(slow_read, text, limits)
    assert outcome(read_yaml_text, text, limits)[0] == ("read" if limit == 5 else "refused")


def test_the_values_inside_an_aliased_list_count_towards_the_alias_limit() -> None:
    # 500 aliases of a list of 2,000 numbers would build a million values: each alias adds
    # the list and its 2,000 items, not one value
    text = "a: &a [" + ", ".join(["1"] * 2000) + "]\nb: [" + ", ".join(["*a"] * 500) + "]\n"
    with pytest.raises(PolicyError) as refused:
        read_yaml_text(text, "wide.yaml")
    problem = refused.value.problems[0]
    assert (problem.line, problem.column) == (2, 1 + len("b: [") + 4 * 49)  # the 50th alias
    assert "following its aliases (*name) would add more than 100,000 values" in problem.message
    assert outcome(slow_read, text, Limits()) == outcome(read_yaml_text, text, Limits())


def test_an_anchor_given_twice_is_said_in_words() -> None:
    text = "a: &x 1\nb: &x 2\n"
    with pytest.raises(PolicyError) as refused:
        read_yaml_text(text, "twice.yaml")
    problem = refused.value.problems[0]
    assert (problem.line, problem.column) == (2, 4)
    assert problem.message == ("the anchor &x is given twice (first at line 1, column 4); give "
                               "each anchor its own name")


def _mutants() -> st.SearchStrategy[str]:
    """A bundled policy with a few lines deleted, repeated or altered (block-style YAML)."""
    texts = [load.read_file_text(path)[0] for path in BUNDLED]
    edits = st.lists(st.tuples(st.sampled_from(["delete", "repeat", "indent", "insert"]),
                               st.integers(0, 10**6),
                               st.sampled_from([" ", "-", ":", "&a ", "*a", "<<: *a", "!!str",
                                                "[", "{", "'", "2026-02-30", "\t"])),
                     min_size=1, max_size=4)

    def mutate(which: int, changes: list[tuple[str, int, str]]) -> str:
        lines = texts[which % len(texts)].split("\n")
        for op, where, piece in changes:
            i = where % len(lines)
            if op == "delete":
                del lines[i]
            elif op == "repeat":
                lines.insert(i, lines[i])
            elif op == "indent":
                lines[i] = "  " + lines[i]
            else:
                cut = where % (len(lines[i]) + 1)
                lines[i] = lines[i][:cut] + piece + lines[i][cut:]
            if not lines:
                lines = [""]
        return "\n".join(lines)

    return st.builds(mutate, st.integers(0, 100), edits)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutants())
def test_mutants_of_the_bundled_policies_read_the_same_both_ways(text: str) -> None:
    assert outcome(read_yaml_text, text, Limits()) == outcome(slow_read, text, Limits())
