"""The office closing time is listed whenever a rule counts working days from a date-time.

docs/policy-format.md, "Working days": for a date-time X the day is X's London date, "or the next
calendar day when X is at or after `calendar.office_closes_at` on a working day"; the closing time
is a named interpretation (`office_closes_at_interpretation`), so a decision whose fired rule
counts working days from a date-time names it. A rule's interpretations are static: it lists what
its condition and its values can read, taken branch or not (as `{interpretation: x}` in an `if`
always has), so a count anywhere inside the rule is enough. These cases put the count inside
each composite value and condition form.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import PolicySet, load_policies
from policyengine.verify.interpretations import earned_by_rule

SHIFT = "{add: {working_days: 2}, to: {fact: received_at}}"
DATE_SHIFT = "{add: {working_days: 2}, to: {fact: received_on}}"
DAYS_SHIFT = "{add: {days: 2}, to: {fact: received_at}}"
ON = "{fact: received_on}"
ALWAYS = "{always: true}"


def late(value: str) -> str:
    return f"{{holds: {{before: [{value}, {{fact: as_of}}]}}}}"


def choose(cond: str, yes: str, no: str) -> str:
    return f"{{if: {cond}, then: {yes}, else: {no}}}"


# name -> (outcome type, the rule's `when`, its `then` value, relies on the closing time)
CASES: dict[str, tuple[str, str, str, bool]] = {
    "plain": ("date", ALWAYS, SHIFT, True),
    "choose_then": ("date", ALWAYS, choose("{urgent: true}", SHIFT, ON), True),
    "choose_else": ("date", ALWAYS, choose("{urgent: true}", ON, SHIFT), True),
    "choose_if": ("int", ALWAYS, choose(late(SHIFT), "1", "2"), True),
    "nested_choose": (
        "date", ALWAYS, choose("{urgent: true}", ON, choose("{urgent: false}", SHIFT, ON)), True
    ),
    "list": ("list, of: {type: date}", ALWAYS, f"[{ON}, {SHIFT}]", True),
    "count": ("int", ALWAYS, f"{{count: [{SHIFT}]}}", True),
    "sample": ("bool", ALWAYS, f"{{sample: {{of: {SHIFT}, percent: 50, salt: s}}}}", True),
    "holds_value": ("bool", ALWAYS, f"{{holds: {late(SHIFT)}}}", True),
    "holds_not_value": ("bool", ALWAYS, f"{{holds: {{not: {late(SHIFT)}}}}}", True),
    "amount": (
        "date", ALWAYS, f"{{add: {{working_days: {choose(late(SHIFT), '1', '2')}}}, to: {ON}}}",
        True,
    ),
    "when_holds": ("bool", late(SHIFT), "true", True),
    "when_any": ("bool", f"{{any: [{late(SHIFT)}, {{urgent: true}}]}}", "true", True),
    "when_all": ("bool", f"{{all: [{late(SHIFT)}, {{urgent: false}}]}}", "true", True),
    "when_not": ("bool", f"{{not: {{holds: {{after: [{SHIFT}, {{fact: as_of}}]}}}}}}", "true",
                 True),
    # controls: working days from a date, calendar days from a date-time
    "from_date": ("date", ALWAYS, choose("{urgent: true}", DATE_SHIFT, ON), False),
    "calendar_days": ("date", ALWAYS, choose("{urgent: true}", DAYS_SHIFT, ON), False),
}

_HEAD = """
policy: {id: closing, organisation: Test, title: Closing probe, version: "1",
         nation: england-and-wales}
sources:
  doc: {file: probe.txt, title: Probe}
calendar:
  office_closes_at: "17:00"
  office_closes_at_interpretation: office_hours
interpretations:
  office_hours: {value: "17:00", note: probe}
decisions:
"""

_DECISION = """
  {name}:
    description: probe
    facts:
      received_at: {{type: datetime}}
      received_on: {{type: date}}
      urgent: {{type: bool}}
    outcomes:
      out: {{type: {type}}}
    hit_policy: first
    rules:
      - id: r
        when: {when}
        then:
          out: {then}
        cite: {{source: doc, quote: "within 2 working days of receipt"}}
"""

FACTS = {"received_at": "2026-06-05T18:00:00+01:00", "received_on": "2026-06-05", "urgent": False}
AS_OF = "2026-07-01"


def write_policy(root: Path, cases: dict[str, tuple[str, str, str, bool]]) -> PolicySet:
    body = "".join(
        _DECISION.format(name=name, type=vt, when=when, then=then)
        for name, (vt, when, then, _) in cases.items()
    )
    (root / "closing.yaml").write_text(_HEAD + body)
    return load_policies(root)


@pytest.fixture(scope="module")
def closing(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    return write_policy(tmp_path_factory.mktemp("closing"), CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_closing_time_listed_when_relied_on(closing: PolicySet, name: str) -> None:
    relies = CASES[name][3]
    decision = closing.decide("closing", name, FACTS, as_of=AS_OF)
    assert list(decision.fired_rules) == ["r"]
    listed = {i["name"] for i in decision.interpretations}
    assert ("office_hours" in listed) is relies, (name, listed)


@pytest.mark.parametrize("name", sorted(CASES))
def test_verify_reading_agrees(closing: PolicySet, name: str) -> None:
    """The verify property's own reading of the rule text (interpretations_earned) earns the
    closing time for the same rules."""
    earned = earned_by_rule(closing.compiled_decision("closing", name))
    assert ("office_hours" in earned["r"]) is CASES[name][3]


# ------------------------------------------------------------------ generated value trees

Tree = tuple[Any, bool]  # a YAML value or condition, and whether a count from a date-time is in it

_SHIFT: Any = {"add": {"working_days": 2}, "to": {"fact": "received_at"}}
_DATE_LEAVES: list[Tree] = [
    (_SHIFT, True),
    ({"fact": "received_on"}, False),
    ({"add": {"working_days": 1}, "to": {"fact": "received_on"}}, False),
    ({"add": {"days": 1}, "to": {"fact": "received_at"}}, False),
    ({"subtract": {"hours": 30}, "from": {"fact": "received_at"}}, False),  # a date-time
]


def _trees(depth: int) -> dict[str, st.SearchStrategy[Tree]]:
    """Strategies for trees of each kind (date, int, bool values; conditions), nested at most
    ``depth`` composite forms deep."""
    leaf_date = st.sampled_from(_DATE_LEAVES[:4])
    kinds: dict[str, st.SearchStrategy[Tree]] = {
        "date": leaf_date,
        "int": st.just((1, False)),
        "bool": st.just((True, False)),
        "cond": st.just(({"urgent": True}, False)),
    }
    if depth == 0:
        return kinds
    sub = _trees(depth - 1)
    d, i, b, c = sub["date"], sub["int"], sub["bool"], sub["cond"]
    dt_leaf = st.just(_DATE_LEAVES[4])

    def choose_of(x: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.tuples(c, x, x).map(
            lambda t: ({"if": t[0][0], "then": t[1][0], "else": t[2][0]},
                       t[0][1] or t[1][1] or t[2][1]))

    kinds["date"] = st.one_of(
        leaf_date,
        choose_of(d),
        st.tuples(i, st.sampled_from(["received_on", "received_at"])).map(
            lambda t: ({"add": {"working_days": t[0][0]}, "to": {"fact": t[1]}},
                       t[0][1] or t[1] == "received_at")),
        d.map(lambda t: ({"subtract": {"working_days": 1}, "from": t[0]}, t[1])),
        # working days from a date-time made by an `if` or by elapsed hours
        st.tuples(c, dt_leaf).map(
            lambda t: ({"add": {"working_days": 1},
                        "to": {"if": t[0][0], "then": t[1][0], "else": {"fact": "received_at"}}},
                       True)),
    )
    kinds["int"] = st.one_of(
        st.just((1, False)),
        choose_of(i),
        st.lists(d, min_size=1, max_size=3).map(
            lambda ts: ({"count": [t[0] for t in ts]}, any(t[1] for t in ts))),
    )
    kinds["bool"] = st.one_of(
        st.just((True, False)),
        choose_of(b),
        st.tuples(st.sampled_from(["before", "on_or_after", "equal"]), d).map(
            lambda t: ({t[0]: [t[1][0], {"fact": "as_of"}]}, t[1][1])),
        c.map(lambda t: ({"holds": t[0]}, t[1])),
        d.map(lambda t: ({"sample": {"of": t[0], "percent": 50, "salt": "s"}}, t[1])),
    )
    kinds["cond"] = st.one_of(
        st.just(({"urgent": True}, False)),
        b.map(lambda t: ({"holds": t[0]}, t[1])),
        st.lists(c, min_size=1, max_size=3).map(
            lambda ts: ({"any": [t[0] for t in ts]}, any(t[1] for t in ts))),
        st.lists(c, min_size=1, max_size=3).map(
            lambda ts: ({"all": [t[0] for t in ts]}, any(t[1] for t in ts))),
        c.map(lambda t: ({"not": t[0]}, t[1])),
    )
    return kinds


_KINDS = _trees(3)
_OUTCOME_TYPE = {"date": "date", "int": "int", "bool": "bool", "list": "list, of: {type: date}"}


@st.composite
def rules(draw: st.DrawFn) -> tuple[str, str, str, bool]:
    """A rule with a generated tree in its `then` (a value of some kind, or a list of dates) or in
    its `when` (as `any: [T, not: T]`, so the rule fires and T is evaluated)."""
    where = draw(st.sampled_from(["date", "int", "bool", "list", "when"]))
    if where == "when":
        cond, relies = draw(_KINDS["cond"])
        return "bool", _flow({"any": [cond, {"not": cond}]}), "true", relies
    if where == "list":
        items = draw(st.lists(_KINDS["date"], min_size=1, max_size=3))
        return (_OUTCOME_TYPE["list"], ALWAYS, _flow([t[0] for t in items]),
                any(t[1] for t in items))
    value, relies = draw(_KINDS[where])
    return _OUTCOME_TYPE[where], ALWAYS, _flow(value), relies


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _flow(node: Any) -> str:
    text = yaml.dump(node, Dumper=_NoAliases, default_flow_style=True, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(rules(), min_size=1, max_size=8), st.booleans())
def test_generated_trees_list_the_closing_time(
    tmp_path_factory: pytest.TempPathFactory, drawn: list[tuple[str, str, str, bool]],
    after_closing: bool,
) -> None:
    """Whenever a working-day count from a date-time is anywhere in a fired rule, its decision
    lists the closing-time interpretation; when none is, it does not. Checked for the scalar
    `decide` and for the verify property's independent reading of the rule text."""
    cases = {f"d{k}": case for k, case in enumerate(drawn)}
    policies = write_policy(tmp_path_factory.mktemp("gen"), cases)
    at = dt.datetime(2026, 6, 5, 18 if after_closing else 10, tzinfo=dt.UTC)
    facts = {**FACTS, "received_at": at.isoformat()}
    for name, (_, _, _, relies) in cases.items():
        decision = policies.decide("closing", name, facts, as_of=AS_OF)
        assert list(decision.fired_rules) == ["r"]
        listed = {i["name"] for i in decision.interpretations}
        assert ("office_hours" in listed) is relies, (cases[name], listed)
        earned = earned_by_rule(policies.compiled_decision("closing", name))
        assert ("office_hours" in earned["r"]) is relies, cases[name]
