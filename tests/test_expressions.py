"""The condition and value language: compiled conditions agree with a plain reference reading,
and the value forms behave as documented."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import FactsError, PolicyError
from policyengine.compiler import compile_policy_text
from policyengine.evaluate import evaluate
from policyengine.expressions import in_sample

HEADER = textwrap.dedent(
    """\
    policy: {id: t, organisation: T, title: T, version: "1", issued: 2024-01-01,
             nation: england-and-wales}
    sources: {doc: {file: doc.txt, title: Doc}}
    """
)

LEVELS = ["low", "mid", "high"]
COLOURS = ["red", "green", "blue"]
TAGS = ["a", "b", "c"]


def policy(decisions: str) -> Any:
    return compile_policy_text(HEADER + "decisions:\n" + textwrap.indent(decisions, "  "), "t.yaml")


# ------------------------------------------------------------------ conditions vs a reference

leaf = st.one_of(
    st.builds(lambda v: {"colour": v}, st.sampled_from(COLOURS)),
    st.builds(lambda vs: {"colour": vs}, st.lists(st.sampled_from(COLOURS), min_size=1,
                                                  unique=True)),
    st.builds(lambda vs: {"colour": {"not_in": vs}},
              st.lists(st.sampled_from(COLOURS), min_size=1, unique=True)),
    st.builds(lambda op, v: {"level": {op: v}},
              st.sampled_from(["at_least", "at_most", "above", "below"]),
              st.sampled_from(LEVELS)),
    st.builds(lambda b: {"flag": b}, st.booleans()),
    st.builds(lambda b: {"note": {"present": b}}, st.booleans()),
    st.builds(lambda op, vs: {"tags": {op: vs}},
              st.sampled_from(["includes_any", "includes_all", "includes_none"]),
              st.lists(st.sampled_from(TAGS), min_size=1, unique=True)),
    st.builds(lambda n: {"tags": {"count_at_least": n}}, st.integers(0, 3)),
    st.builds(lambda b: {"tags": {"empty": b}}, st.booleans()),
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=8,
)
fact_sets = st.fixed_dictionaries(
    {
        "colour": st.sampled_from(COLOURS),
        "level": st.sampled_from(LEVELS),
        "flag": st.booleans(),
        "tags": st.lists(st.sampled_from(TAGS), unique=True),
    },
    optional={"note": st.text(max_size=5)},
)


def reference(cond: dict[str, Any], facts: dict[str, Any]) -> bool:
    """A deliberately plain reading of the documented condition forms."""
    results = []
    for key, spec in cond.items():
        if key == "all":
            results.append(all(reference(c, facts) for c in spec))
        elif key == "any":
            results.append(any(reference(c, facts) for c in spec))
        elif key == "not":
            results.append(not reference(spec, facts))
        elif isinstance(spec, dict) and "present" in spec:
            results.append((key in facts) == spec["present"])
        elif key not in facts:
            results.append(False)
        elif isinstance(spec, list):
            results.append(facts[key] in spec)
        elif not isinstance(spec, dict):
            results.append(facts[key] == spec)
        else:
            ((op, arg),) = spec.items()
            value = facts[key]
            if key == "level":
                a, b = LEVELS.index(value), LEVELS.index(arg)
                results.append({"at_least": a >= b, "at_most": a <= b,
                                "above": a > b, "below": a < b}[op])
            elif op == "not_in":
                results.append(value not in arg)
            elif op == "includes_any":
                results.append(bool(set(arg) & set(value)))
            elif op == "includes_all":
                results.append(set(arg) <= set(value))
            elif op == "includes_none":
                results.append(not set(arg) & set(value))
            elif op == "count_at_least":
                results.append(len(value) >= arg)
            elif op == "empty":
                results.append((len(value) == 0) == arg)
            else:
                raise AssertionError(op)
    return all(results)


CONDITION_DECISION = """\
probe:
  description: probe
  facts:
    colour: {type: enum, values: [red, green, blue]}
    level: {type: enum, values: [low, mid, high], ordered: true}
    flag: {type: bool}
    tags: {type: list, of: {type: enum, values: [a, b, c]}}
    note: {type: string, optional: true}
  outcomes: {hit: {type: bool}}
  hit_policy: first
  rules:
    - id: probe
      when: WHEN
      then: {hit: true}
      cite: {source: doc, quote: "a probe rule"}
    - id: otherwise
      then: {hit: false}
      cite: {source: doc, quote: "otherwise nothing"}
"""


@settings(max_examples=150, deadline=None)
@given(cond=conditions, facts=st.lists(fact_sets, min_size=1, max_size=8))
def test_compiled_conditions_agree_with_the_reference(
    cond: dict[str, Any], facts: list[dict[str, Any]]
) -> None:
    import json

    compiled = policy(CONDITION_DECISION.replace("WHEN", json.dumps(cond)))
    decision = compiled.decisions["probe"]
    for fs in facts:
        got = evaluate(decision, fs, dt.date(2026, 1, 1)).outcome["hit"]
        assert got == reference(cond, fs), (cond, fs)


# ------------------------------------------------------------------ value forms

def test_moment_outcome_holds_dates_and_date_times() -> None:
    compiled = policy("""\
ack:
  description: ack
  facts:
    urgent: {type: bool}
    at: {type: datetime}
  outcomes:
    due: {type: moment}
    same_day: {type: bool}
  hit_policy: collect
  rules:
    - id: urgent
      when: {urgent: true}
      then: {due: {add: {hours: 24}, to: {fact: at}}}
      cite: {source: doc, quote: "within 24 hours"}
    - id: normal
      when: {urgent: false}
      then: {due: {add: {working_days: 3}, to: {fact: at}}}
      cite: {source: doc, quote: "within 3 working days"}
    - id: compare
      then: {same_day: {on_or_before: [{outcome: due}, {fact: at}]}}
      cite: {source: doc, quote: "a comparison rule"}
""")
    d = compiled.decisions["ack"]
    urgent = evaluate(d, {"urgent": True, "at": "2026-03-28T12:00"}, dt.date(2026, 3, 28))
    assert urgent.to_dict()["outcome"]["due"] == "2026-03-29T13:00:00+01:00"
    assert urgent.outcome["same_day"] is False
    normal = evaluate(d, {"urgent": False, "at": "2026-03-27T12:00"}, dt.date(2026, 3, 27))
    assert normal.outcome["due"] == dt.date(2026, 4, 1)
    assert normal.outcome["same_day"] is False


def test_duration_amount_from_a_fact_and_month_end_clamping() -> None:
    compiled = policy("""\
guarantee:
  description: g
  facts:
    accepted: {type: date}
    months: {type: int, minimum: 1, maximum: 24}
  outcomes: {ends: {type: date}}
  rules:
    - id: ends
      then: {ends: {add: {months: {fact: months}}, to: {fact: accepted}}}
      cite: {source: doc, quote: "lasts 6 or 12 months"}
""")
    d = compiled.decisions["guarantee"]
    when = dt.date(2026, 1, 1)
    assert evaluate(d, {"accepted": "2026-08-31", "months": 6}, when).outcome["ends"] == dt.date(
        2027, 2, 28)
    assert evaluate(d, {"accepted": "2027-08-31", "months": 6}, when).outcome["ends"] == dt.date(
        2028, 2, 29)
    assert evaluate(d, {"accepted": "2026-01-31", "months": 6}, when).outcome["ends"] == dt.date(
        2026, 7, 31)
    with pytest.raises(FactsError, match="months"):
        evaluate(d, {"accepted": "2026-01-31", "months": 30}, when)


OUTCOME_IN_CONDITION = """\
d:
  description: d
  facts: {x: {type: int}}
  outcomes: {big: {type: bool}, label: {type: string}}
  hit_policy: HIT
  rules:
    - id: size
      then: {big: {more_than: [{fact: x}, 10]}}
      cite: {source: doc, quote: "big is more than ten"}
    - id: label
      when: {holds: {outcome: big}}
      then: {label: large}
      cite: {source: doc, quote: "large things are labelled"}
"""


def test_collect_rules_see_earlier_outcomes_in_their_conditions() -> None:
    d = policy(OUTCOME_IN_CONDITION.replace("HIT", "collect")).decisions["d"]
    assert evaluate(d, {"x": 11}, dt.date(2026, 1, 1)).outcome == {"big": True, "label": "large"}
    assert evaluate(d, {"x": 3}, dt.date(2026, 1, 1)).outcome == {"big": False}


def test_outcome_in_a_condition_is_refused_outside_collect() -> None:
    with pytest.raises(PolicyError, match="outcome 'big' is used before any rule above sets it"):
        policy(OUTCOME_IN_CONDITION.replace("HIT", "first"))


def test_if_branches_must_agree() -> None:
    with pytest.raises(PolicyError, match="'then' gives true or false but 'else' gives a date"):
        policy("""\
d:
  description: d
  facts: {x: {type: bool}, when: {type: date}}
  outcomes: {v: {type: bool}}
  rules:
    - id: r
      then: {v: {if: {x: true}, then: true, else: {fact: when}}}
      cite: {source: doc, quote: "a rule with a choice"}
""")


def test_holds_with_a_condition_gets_a_hint() -> None:
    with pytest.raises(PolicyError, match=r"write it directly \(when: \{all"):
        policy("""\
d:
  description: d
  facts: {x: {type: bool}}
  outcomes: {v: {type: bool}}
  rules:
    - id: r
      when: {holds: {all: [{x: true}]}}
      then: {v: true}
      cite: {source: doc, quote: "a rule with a hint"}
""")


def test_sample_is_reproducible_and_near_its_rate() -> None:
    # the draw is SHA-256 based: fixed answers on any machine and Python version
    assert in_sample("REP-2026-000123", "kingdom_relations/repairs/v1", 2000) is True
    assert in_sample("REP-2026-000125", "kingdom_relations/repairs/v1", 2000) is False
    hits = sum(in_sample(str(i), "salt", 2000) for i in range(20_000))
    assert 3_800 < hits < 4_200  # 20% of 20,000, within about 5 standard errors
