"""Generators of facts for every decision: from its declared types, plus hostile values.

Most facts are of the declared kind (so that the rules themselves run); the rest are left out,
given as ``null``, replaced by a hostile value (:data:`hostile.PYTHON_VALUES`: NaN, 10**100, a
100,000-deep list, a lone surrogate, an impossible date, bytes, an object of an unknown class,
...), misspelt, keyed by something that is not a string, or the facts are not a mapping at all.
Dates and date-times cover the extremes of the calendar and the clock changes in London.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from hostile import PYTHON_VALUES
from hypothesis import strategies as st

from policyengine import PolicySet, load_policies
from policyengine.facts import ValueType

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@functools.cache
def policy_sets() -> tuple[PolicySet, ...]:
    return (load_policies(ROOT / "policies"), load_policies(FIXTURES))


@functools.cache
def decisions() -> tuple[tuple[PolicySet, str, str], ...]:
    """Every decision of the bundled policies and of the fixture policy (policy_status too)."""
    found: list[tuple[PolicySet, str, str]] = []
    for policies in policy_sets():
        for policy in policies:
            for name in policies.decision_names(policy.id):
                found.append((policies, policy.id, name))
    return tuple(found)


_CLOCK_CHANGES = (
    "2026-03-29T00:59:59", "2026-03-29T01:00:00", "2026-03-29T01:30:00", "2026-03-29T02:00:00",
    "2026-10-25T00:59:59", "2026-10-25T01:00:00", "2026-10-25T01:30:00", "2026-10-25T02:00:00",
    "2026-03-29T01:30:00+00:00", "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00Z",
)

_DATES = st.one_of(
    st.dates(dt.date(2015, 1, 1), dt.date(2035, 12, 31)),
    st.dates(),
    st.sampled_from([dt.date.min, dt.date.max, dt.date(2026, 12, 25), dt.date(2026, 4, 3)]),
)
_OFFSETS = st.sampled_from(["", "", "Z", "+00:00", "+01:00", "-05:00", "+14:00", "-23:59"])


@st.composite
def _datetime_text(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(_CLOCK_CHANGES))
    moment = draw(st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2035, 12, 31)))
    if draw(st.booleans()):
        return moment  # a Python date-time (naive: London)
    return moment.isoformat(timespec=draw(st.sampled_from(["minutes", "seconds"]))) + draw(
        _OFFSETS)


def valid_value(vt: ValueType, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value of the declared type (as JSON or as the Python value an app would pass)."""
    kind = vt.kind
    if kind == "enum":
        return st.sampled_from(vt.values)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        low = vt.minimum if vt.minimum is not None else -(10**6)
        high = vt.maximum if vt.maximum is not None else 10**6
        return st.one_of(st.integers(low, high), st.sampled_from([low, high, 0, 1]))
    if kind == "string":
        return st.text(max_size=30)
    if kind == "date":
        return st.one_of(_DATES.map(dt.date.isoformat), _DATES)
    if kind == "datetime":
        return _datetime_text()
    if kind == "list" and vt.of is not None:
        most = min(vt.max_items or 6, 6)
        return st.lists(valid_value(vt.of, depth + 1), max_size=most)
    if kind == "record":
        required = {k: valid_value(v, depth + 1) for k, v in vt.fields if not v.optional}
        optional = {k: valid_value(v, depth + 1) for k, v in vt.fields if v.optional}
        return st.fixed_dictionaries(required, optional=optional)
    return st.none()


_HOSTILE = st.sampled_from(PYTHON_VALUES)


def fact_value(vt: ValueType) -> st.SearchStrategy[Any]:
    return st.one_of(
        valid_value(vt), valid_value(vt), valid_value(vt), valid_value(vt), valid_value(vt),
        _HOSTILE, st.none(),
    )


_NOT_MAPPINGS = st.sampled_from([None, [], [("a", 1)], "facts", 1, b"{}", {1, 2}])
_ODD_KEYS = st.one_of(
    st.integers(), st.none(), st.booleans(), st.text(max_size=12), st.sampled_from(
        ["as_of", "__class__", "model_validate", "_x", "", "\udc80", "x" * 10_000]),
)


@st.composite
def facts_for(draw: st.DrawFn, policies: PolicySet, policy: str, decision: str) -> Any:
    if decision == "policy_status":
        return draw(st.one_of(st.just({}), st.just({}), st.dictionaries(_ODD_KEYS, _HOSTILE,
                                                                        max_size=1)))
    if draw(st.integers(0, 49)) == 0:
        return draw(_NOT_MAPPINGS)
    declared = policies.compiled_decision(policy, decision).facts
    facts: dict[Any, Any] = {}
    for name, vt in declared.items():
        if draw(st.integers(0, 11)) == 0:
            continue  # left out
        facts[name] = draw(fact_value(vt))
    if draw(st.integers(0, 19)) == 0:
        key = draw(st.one_of(_ODD_KEYS, st.sampled_from(sorted(declared) or ["x"]).map(
            lambda n: n[:-1] or "x")))
        facts[key] = draw(st.one_of(_HOSTILE, st.integers()))
    return facts


AS_OF = st.one_of(
    _DATES, _DATES.map(dt.date.isoformat), st.none(),
    st.sampled_from(["2026-02-30", "", "soon", "2026-03-29T01:30:00", "16/03/2014",
                     "0000-01-01", "+10000-01-01", 20260101, dt.datetime(2026, 1, 1),
                     "\udc80", "9" * 5000]),
)
