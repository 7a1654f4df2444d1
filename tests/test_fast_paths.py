"""Differential tests: every fast path against the slow path it replaced.

* the compiled fact checks (fast and full) against the pydantic validator the engine used before
  (``tests/reference/pydantic_facts.py``): the same facts accepted with the same values, the same
  facts rejected with the same problems (path, code, allowed values) and the same ``fact``;
* the evaluator (one summary per set of rules fired, frozen decisions, deferred conversion, the
  rule index) against the evaluator before (``tests/reference/old_evaluate.py``): the same
  ``to_dict()`` or the same error, for every bundled decision and for generated large tables;
* the working-day index against the per-year bisection calendar before
  (``tests/reference/old_calendars.py``), for any n;
* the evaluator's unit-by-unit date arithmetic against ``durations.add_duration``.
"""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import old_calendars, old_evaluate, pydantic_facts

import policyengine
from policyengine.calendars import FIRST_YEAR, LAST_YEAR, WorkingCalendar
from policyengine.compiler import compile_policy_text
from policyengine.durations import LONDON, Duration, add_duration
from policyengine.errors import FactsError, PolicyError
from policyengine.evaluate import evaluate
from policyengine.expressions import Env, _stepper
from policyengine.facts import FactsValidator, ValueType
from policyengine.verify.properties import case_strategy

POLICIES = policyengine.load_policies()
DECISIONS = [
    POLICIES.compiled_decision(p.id, name) for p in POLICIES for name in p.decisions
]
IDS = [d.where for d in DECISIONS]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# ------------------------------------------------------------------------------ fact checks

HOSTILE = st.one_of(st.builds(lambda: "y" * 10_001), st.sampled_from([
    None, 0, -1, 1.5, True, False, "", "x", "tenant", "2026-02-30", "2026-01-01",
    "2026-1-1", "20260101", "2026-01-01T10:00", "2026-01-01T25:00", "2026-03-29T01:30",
    "2026-10-25T01:30+01:00", "0001-01-01T00:10+01:00", "9999-12-31T23:59-05:00",
    [], {}, [[1]], ["a"], {"a": 1}, (), dt.date(2026, 1, 1),
    dt.datetime(2026, 1, 1, 10), dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC), 10**30,
]))
EXTRA_NAMES = st.sampled_from(["extra", "recieved_at", "channnel", "as_of", "Channel", "x_"])


def _reference(decision: Any) -> pydantic_facts.FactsValidator:
    cache = _reference.__dict__.setdefault("cache", {})
    if decision.where not in cache:
        cache[decision.where] = pydantic_facts.FactsValidator(
            decision.policy.id, decision.name, decision.facts)
    return cache[decision.where]  # type: ignore[no-any-return]


@st.composite
def mutated_facts(draw: Any, decision: Any) -> dict[str, Any]:
    facts, _ = draw(case_strategy(decision))
    facts = dict(facts)
    names = list(decision.facts)
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["replace", "drop", "add", "deep"]))
        if how == "replace" and names:
            facts[draw(st.sampled_from(names))] = draw(HOSTILE)
        elif how == "drop" and facts:
            del facts[draw(st.sampled_from(sorted(facts)))]
        elif how == "add":
            facts[draw(EXTRA_NAMES)] = draw(HOSTILE)
        elif how == "deep":
            lists = [k for k, v in facts.items() if isinstance(v, list) and v]
            if lists:
                name = draw(st.sampled_from(lists))
                items = list(facts[name])
                i = draw(st.integers(0, len(items) - 1))
                if isinstance(items[i], dict) and draw(st.booleans()):
                    record = dict(items[i])
                    key = draw(st.sampled_from([*record, "extra"]))
                    if draw(st.booleans()):
                        record[key] = draw(HOSTILE)
                    else:
                        record.pop(key, None)
                    items[i] = record
                else:
                    items[i] = draw(HOSTILE)
                facts[name] = items
    return facts


def _outcome(validate: Any, facts: Any) -> tuple[str, Any]:
    try:
        return "ok", validate(facts)
    except FactsError as exc:
        return "error", (exc.fact, [(p.path, p.code, p.allowed) for p in exc.problems])


def _same_validation(decision: Any, facts: dict[str, Any]) -> None:
    before = _outcome(_reference(decision).validate, facts)
    full = _outcome(decision.validator.validate, facts)
    assert full == before, (facts, full, before)
    fast = decision.validator.checks.fast(facts)
    if fast is not None:  # the fast path accepts only what the full check accepts, the same
        assert before[0] == "ok", facts
        complete = fast[1]
        assert (complete if isinstance(complete, dict) else complete()) == before[1]


@pytest.mark.parametrize("decision", DECISIONS, ids=IDS)
def test_fact_checks_agree_with_the_pydantic_validator(decision: Any) -> None:
    @SETTINGS
    @given(facts=mutated_facts(decision))
    def check(facts: dict[str, Any]) -> None:
        _same_validation(decision, facts)

    check()


SYNTHETIC = {
    "e": ValueType("enum", ("a", "b")),
    "n": ValueType("int", minimum=1, maximum=12, optional=True),
    "s": ValueType("string", optional=True),
    "tags": ValueType("list", of=ValueType("enum", ("a", "b")), max_items=3),
    "rows": ValueType("list", max_items=4, optional=True, of=ValueType("record", fields=(
        ("at", ValueType("datetime")), ("on", ValueType("date", optional=True)),
        ("k", ValueType("enum", ("a", "b"))),
    ))),
}
_ROW = st.fixed_dictionaries({"at": st.one_of(HOSTILE, st.just("2026-06-01T10:00")),
                              "k": st.one_of(st.just("a"), HOSTILE)},
                             optional={"on": HOSTILE, "zz": HOSTILE})
_LISTISH = st.sampled_from([list, tuple])


@SETTINGS
@given(facts=st.fixed_dictionaries(
    {"e": st.one_of(st.sampled_from(["a", "b"]), HOSTILE),
     "tags": st.builds(lambda kind, items: kind(items), _LISTISH,
                       st.lists(st.one_of(st.sampled_from(["a", "b"]), HOSTILE), max_size=5))},
    optional={"n": st.one_of(st.integers(-5, 20), HOSTILE), "s": HOSTILE,
              "rows": st.one_of(st.lists(_ROW, max_size=6), HOSTILE), "other": HOSTILE}))
def test_fact_checks_agree_on_synthetic_types(facts: dict[str, Any]) -> None:
    reference = pydantic_facts.FactsValidator("p", "d", SYNTHETIC)
    ours = FactsValidator("p", "d", SYNTHETIC, deferred={"rows"})
    frozen = dict(facts)
    before = _outcome(reference.validate, frozen)
    assert _outcome(ours.validate, frozen) == before
    fast = ours.checks.fast(frozen)
    if fast is not None:
        assert before[0] == "ok"
        complete = fast[1]
        assert (complete if isinstance(complete, dict) else complete()) == before[1]


# ------------------------------------------------------------------------------ the evaluator


def _decided(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        record = fn(*args, **kwargs).to_dict()
    except (FactsError, PolicyError) as exc:
        return type(exc).__name__, str(exc)
    if fn is old_evaluate.evaluate:  # PolicySet.decide then recorded the flag
        record["provenance"]["full_trace"] = kwargs.get("full_trace", False)
    return "ok", record


@pytest.mark.parametrize("decision", DECISIONS, ids=IDS)
def test_evaluator_agrees_with_the_evaluator_before(decision: Any) -> None:
    @SETTINGS
    @given(case=case_strategy(decision), full_trace=st.booleans())
    def check(case: tuple[dict[str, Any], dt.date], full_trace: bool) -> None:
        facts, as_of = case
        facts = {k: v for k, v in facts.items() if v is not None}
        before = _decided(old_evaluate.evaluate, decision, facts, as_of, full_trace=full_trace)
        now = _decided(evaluate, decision, facts, as_of, full_trace=full_trace)
        assert now == before
        again = _decided(evaluate, decision, facts, as_of, full_trace=full_trace)
        assert again == before  # the second time from the cached summary

    check()


HEADER = textwrap.dedent("""\
    policy: {id: t, organisation: T, title: T, version: "1", issued: 2024-01-01,
             nation: england-and-wales}
    sources: {doc: {file: doc.txt, title: Doc}}
    """)
VALUES = {"a": ["a0", "a1", "a2", "a3"], "b": ["b0", "b1", "b2"], "c": ["c0", "c1", "c2"]}


def _generated_table(seed: int, hit: str, n: int = 60) -> Any:
    rng = random.Random(seed)
    rules = []
    for i in range(n):
        when: dict[str, Any] = {}
        for fact, values in VALUES.items():
            roll = rng.random()
            if roll < 0.45:
                when[fact] = rng.choice(values)
            elif roll < 0.6:
                when[fact] = rng.sample(values, 2)
            elif roll < 0.7:
                when[fact] = {"not_in": [rng.choice(values)]}
        if rng.random() < 0.2:
            when["flag"] = rng.random() < 0.5
        then = {"out": [f"r{i}"]} if hit == "collect" else {"out": [f"r{i}"], "n": i}
        cond = f"when: {when!r}, " if when else ""
        rules.append(f"- {{id: r{i}, {cond}then: {then!r}, cite: {{source: doc, quote: "
                     f"\"rule number {i} of the table\"}}}}")
    if hit != "collect":
        rules.append("- {id: otherwise, then: {out: [none], n: -1}, cite: {source: doc, "
                     "quote: \"otherwise nothing applies\"}}")
    facts = "\n".join(f"      {k}: {{type: enum, values: [{', '.join(v)}]}}"
                      for k, v in VALUES.items())
    outcomes = "{out: {type: list, of: {type: string}}" + (", n: {type: int}}"
                                                              if hit != "collect" else "}")
    text = (HEADER + "decisions:\n  table:\n    description: generated\n    facts:\n" + facts
            + "\n      flag: {type: bool, optional: true}\n"
            + f"    outcomes: {outcomes}\n    hit_policy: {hit}\n    rules:\n"
            + textwrap.indent("\n".join(rules), "      ") + "\n")
    return compile_policy_text(text.replace("'", '"'), "t.yaml").decisions["table"]


TABLES = [_generated_table(seed, hit) for seed, hit in ((1, "first"), (2, "collect"),
                                                        (3, "first"))]


@pytest.mark.parametrize("decision", TABLES, ids=["first", "collect", "first-2"])
def test_rule_index_agrees_with_testing_every_rule(decision: Any) -> None:
    assert decision.index is not None

    @SETTINGS
    @given(facts=st.fixed_dictionaries(
        {k: st.sampled_from(v) for k, v in VALUES.items()}, optional={"flag": st.booleans()}),
        full_trace=st.booleans())
    def check(facts: dict[str, Any], full_trace: bool) -> None:
        day = dt.date(2026, 1, 1)
        before = _decided(old_evaluate.evaluate, decision, facts, day, full_trace=full_trace)
        assert _decided(evaluate, decision, facts, day, full_trace=full_trace) == before

    check()


# ------------------------------------------------------------------------------ working days

NATION = st.sampled_from(["england-and-wales", "scotland", "northern-ireland"])
DAYS = st.dates(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))
SOME_DAYS = st.frozensets(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), max_size=8)


def _result(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except ValueError as exc:
        return "ValueError", type(exc).__name__ != "ValueError" or True


@settings(max_examples=300, deadline=None)
@given(nation=NATION, closures=SOME_DAYS, opens=SOME_DAYS, start=DAYS,
       n=st.one_of(st.integers(-60, 60), st.integers(-70_000, 70_000)), end=DAYS)
def test_working_days_agree_with_the_bisection_calendar(
    nation: str, closures: frozenset[dt.date], opens: frozenset[dt.date], start: dt.date,
    n: int, end: dt.date,
) -> None:
    old = old_calendars.WorkingCalendar(nation, closures, opens)
    new = WorkingCalendar(nation, closures, opens)
    assert _result(new.add_working_days, start, n) == _result(old.add_working_days, start, n)
    assert _result(new.working_days_between, start, end) == _result(
        old.working_days_between, start, end)
    assert new.is_working_day(start) == old.is_working_day(start)
    assert new.holiday_name(start) == old.holiday_name(start)


# ------------------------------------------------------------------------------ date arithmetic

UNITS = st.sampled_from(["minutes", "hours", "days", "working_days", "weeks", "months", "years"])
STARTS = st.one_of(
    st.dates(dt.date(1872, 1, 1), dt.date(2100, 12, 31)),
    st.datetimes(dt.datetime(1872, 1, 1), dt.datetime(2100, 12, 31), timezones=st.just(LONDON)),
    st.datetimes(dt.datetime(2026, 3, 28), dt.datetime(2026, 3, 30)),
    st.datetimes(dt.datetime(2026, 10, 24), dt.datetime(2026, 10, 26), timezones=st.just(dt.UTC)),
)


@settings(max_examples=400, deadline=None)
@given(unit=UNITS, start=STARTS, n=st.one_of(st.integers(-40, 40), st.integers(-10**5, 10**5)),
       closes=st.sampled_from([None, dt.time(17, 0), dt.time(0, 0)]))
def test_date_steps_agree_with_add_duration(unit: str, start: Any, n: int, closes: Any) -> None:
    calendar = policyengine.calendars.calendar_for("england-and-wales")
    if unit in ("minutes", "hours") and not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time(12, 0))
    env = Env({}, dt.date(2026, 1, 1), calendar, closes, "t.d")

    def general() -> Any:
        return add_duration(start, Duration(n, unit), calendar, closes)

    expected = _result(general)
    try:
        got: tuple[str, Any] = "ok", _stepper(unit)(start, n, env)
    except (OverflowError, ValueError):
        got = expected if expected[0] != "ok" else ("raised", None)
    assert got == expected
    if got[0] == "ok":
        assert type(got[1]) is type(expected[1])
        if isinstance(got[1], dt.datetime):
            assert got[1].utcoffset() == expected[1].utcoffset()


# ------------------------------------------------------------------------------ London time


def _clock_changes() -> Any:
    """Naive datetimes near the clocks' changes (last Sundays of March and October, and the
    older dates of double summer time), and anywhere at all."""
    near = st.builds(
        lambda year, month, day, minutes: dt.datetime(year, month, day) + dt.timedelta(
            minutes=minutes),
        st.integers(1900, 2100), st.sampled_from([3, 4, 5, 8, 9, 10, 11]), st.integers(1, 28),
        st.integers(0, 36 * 60))
    return st.one_of(near, st.datetimes(dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31)))


@settings(max_examples=1500, deadline=None)
@given(moment=_clock_changes())
def test_fast_london_time_agrees_with_to_london(moment: dt.datetime) -> None:
    from policyengine.durations import to_london
    from policyengine.factdates import london

    fast, general = london(moment), to_london(moment)
    assert fast == general
    assert (fast.isoformat(), fast.utcoffset(), fast.fold, fast.tzinfo) == (
        general.isoformat(), general.utcoffset(), general.fold, general.tzinfo)


@pytest.mark.parametrize("year", [1916, 1941, 1947, 1968, 1971, 1995, 2026, 2099])
def test_fast_london_time_agrees_in_every_minute_of_the_changes(year: int) -> None:
    from policyengine.durations import to_london
    from policyengine.factdates import london

    for month in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11):
        for day in range(1, 29):
            start = dt.datetime(year, month, day)
            if to_london(start + dt.timedelta(hours=12)).utcoffset() == to_london(
                    start - dt.timedelta(hours=12)).utcoffset():
                continue
            for minute in range(0, 48 * 60, 7):
                moment = start - dt.timedelta(hours=12) + dt.timedelta(minutes=minute)
                assert london(moment).isoformat() == to_london(moment).isoformat(), moment
