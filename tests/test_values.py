"""Decisions are values (issue 8 §4): nothing a caller does to one changes another.

A Decision is immutable all the way down, its ``to_dict()`` is the caller's own copy, and what a
PolicySet shows (its names, its compiled policies and decisions) is immutable too, or has no
effect on decisions when changed (the parsed file a compiled policy keeps). Importing the package
and loading policies change no process-wide state.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import policyengine
from policyengine.load import load_yaml_file
from policyengine.scenarios import ScenarioFile, _json_facts
from policyengine.values import FrozenDict, FrozenList, freeze

ROOT = Path(__file__).resolve().parents[1]


def scenario_cases() -> list[tuple[str, str, dict[str, Any], dt.date]]:
    cases = []
    for path in sorted((ROOT / "policies" / "scenarios").glob("*.yaml")):
        spec = ScenarioFile.model_validate(load_yaml_file(path).data)
        for s in spec.scenarios:
            if s.expect is not None:
                cases.append((spec.policy, s.decision, _json_facts(s.facts),
                              s.as_of or spec.as_of or dt.date(2026, 6, 1)))
    return cases


CASES = scenario_cases()

# ------------------------------------------------------------------ the containers

DICT_MUTATIONS: list[Callable[[dict[Any, Any]], Any]] = [
    lambda d: d.__setitem__("x", 1), lambda d: d.__delitem__(next(iter(d))), lambda d: d.clear(),
    lambda d: d.pop(next(iter(d))), lambda d: d.popitem(), lambda d: d.setdefault("y", 1),
    lambda d: d.update(z=1), lambda d: d.__ior__({"w": 1}),
]
LIST_MUTATIONS: list[Callable[[list[Any]], Any]] = [
    lambda v: v.__setitem__(0, 1), lambda v: v.__delitem__(0), lambda v: v.append(1),
    lambda v: v.extend([1]), lambda v: v.insert(0, 1), lambda v: v.pop(), lambda v: v.remove(v[0]),
    lambda v: v.clear(), lambda v: v.sort(), lambda v: v.reverse(), lambda v: v.__iadd__([1]),
    lambda v: v.__imul__(2),
]


def test_frozen_containers_refuse_every_change_and_read_as_plain_ones() -> None:
    d = freeze({"a": [1, {"b": [2]}], "c": "x"})
    assert isinstance(d, FrozenDict) and isinstance(d["a"], FrozenList)
    assert d == {"a": [1, {"b": [2]}], "c": "x"}
    assert json.loads(json.dumps(d)) == {"a": [1, {"b": [2]}], "c": "x"}
    for mutate in DICT_MUTATIONS:
        with pytest.raises(TypeError, match="cannot be changed"):
            mutate(d)
    for mutate in LIST_MUTATIONS:
        with pytest.raises(TypeError, match="cannot be changed"):
            mutate(d["a"])
    for mutate in DICT_MUTATIONS:
        with pytest.raises(TypeError):
            mutate(d["a"][1])
    d.__init__(x=1)  # type: ignore[misc]  # filled once: __init__ again changes nothing
    d["a"].__init__([9])  # type: ignore[misc]
    assert d == {"a": [1, {"b": [2]}], "c": "x"}
    for same in (pickle.loads(pickle.dumps(d)), copy.copy(d), copy.deepcopy(d)):
        assert same == d and isinstance(same, FrozenDict) and isinstance(same["a"], FrozenList)
    mine = dict(d)
    mine["x"] = 1  # a plain copy is the caller's to edit
    assert "x" not in d
    assert d.copy() == d and type(d.copy()) is dict


# ------------------------------------------------------------------ one decision


def _attack_value(value: Any, seen: set[int], depth: int = 0) -> int:
    """Try every ordinary change on ``value`` and on everything reachable from it; return how
    many succeeded (changes to a caller's own copy are allowed)."""
    if id(value) in seen or depth > 7 or isinstance(value, str | int | float | bool | bytes |
                                                     type(None) | dt.date | dt.time):
        return 0
    seen.add(id(value))
    done = 0
    if isinstance(value, dict):
        for item in list(dict.values(value)):
            done += _attack_value(item, seen, depth + 1)
        for mutate in DICT_MUTATIONS:
            done += _tries(mutate, value)
    elif isinstance(value, list):
        for item in list(list.__iter__(value)):
            done += _attack_value(item, seen, depth + 1)
        for mutate in LIST_MUTATIONS:
            done += _tries(mutate, value)
    elif isinstance(value, Mapping):  # a read-only view (MappingProxyType)
        for item in list(value.values()):
            done += _attack_value(item, seen, depth + 1)
        for mutate in DICT_MUTATIONS:
            done += _tries(mutate, value)
    elif isinstance(value, tuple | frozenset | set):
        for item in list(value):
            done += _attack_value(item, seen, depth + 1)
        if isinstance(value, set):
            done += _tries(lambda s: s.add("x"), value) + _tries(lambda s: s.clear(), value)
    elif not callable(value) and not isinstance(value, type):
        done += _attack_object(value, seen, depth)
    return done


def _tries(mutate: Callable[[Any], Any], target: Any) -> int:
    try:
        mutate(target)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, StopIteration):
        return 0
    return 1


def _attack_object(obj: Any, seen: set[int], depth: int) -> int:
    if isinstance(obj, BaseModel):
        names = list(type(obj).model_fields)
    else:
        names = [n for n in dir(obj) if not n.startswith("_")]
    done = 0
    for name in names:
        try:
            value = getattr(obj, name)
        except Exception:
            continue
        if callable(value) and not isinstance(value, dict | list | tuple):
            continue
        fresh = isinstance(value, dict | list | set) and getattr(obj, name) is not value
        changed = _attack_value(value, seen, depth + 1)
        done += 0 if fresh else changed  # a fresh copy each time it is read is the caller's
        for replacement in (None, {}, "x"):
            try:
                setattr(obj, name, replacement)
            except (AttributeError, TypeError, ValueError):
                continue
            done += 1
            break
    return done


def _records(policies: policyengine.PolicySet) -> list[Any]:
    out = []
    for policy, decision, facts, as_of in CASES:
        out.append(policies.decide(policy, decision, facts, as_of).to_dict())
        out.append(policies.decide(policy, decision, facts, as_of, full_trace=True).to_dict())
    for policy in policies.names:
        out.append(policies.decide(policy, "policy_status", None, dt.date(2026, 6, 1)).to_dict())
    return out


def test_every_part_of_a_decision_refuses_to_change() -> None:
    policies = policyengine.load_policies()
    d = policies.decide("citizen_persistent_contact", "restriction_assessment", {
        "contacts": [{"at": "2026-05-01T10:00", "channel": "email", "topic": "repairs"}],
        "service_failure_outstanding": False, "vulnerable": True,
        "behaviours": ["excessive_contact"]}, dt.date(2026, 6, 1), full_trace=True)
    assert d.outcome["considerations"] and d.trace and d.citations and d.interpretations
    assert d.warnings and d.facts["contacts"][0]["at"].tzinfo is not None
    for name in ("policy", "decision", "status", "outcome", "trace", "citations",
                 "interpretations", "warnings", "as_of", "facts", "calendar", "engine_version",
                 "policy_sha256", "policy_file", "policy_version"):
        with pytest.raises(AttributeError):
            setattr(d, name, None)
        with pytest.raises(AttributeError):
            delattr(d, name)
    assert _attack_value(d, set()) == 0
    with pytest.raises(TypeError):
        d.calendar["nation"] = "scotland"  # type: ignore[index]  # the issue's example


def test_nothing_done_to_decisions_records_or_policy_set_views_changes_the_next_decision(
) -> None:
    policies = policyengine.load_policies()
    before = _records(policies)
    changed = 0
    for policy, decision, facts, as_of in CASES:
        d = policies.decide(policy, decision, facts, as_of, full_trace=True)
        changed += _attack_value(d, set())
        record = d.to_dict()
        changed += _attack_value(record, set())  # the caller's own copy: changes are allowed
    assert changed > 0
    seen: set[int] = set()
    _attack_value(policies.names, seen)
    for policy in list(policies):
        _attack_value(policies.decision_names(policy.id), seen)
        _attack_value(policy, seen)  # the compiled policy, its decisions, rules, calendar ...
    assert _records(policies) == before
    assert _records(policyengine.load_policies()) == before


def test_decisions_pickle_and_compare_as_values() -> None:
    policies = policyengine.load_policies()
    for policy, decision, facts, as_of in CASES[::7]:
        d = policies.decide(policy, decision, facts, as_of)
        again = pickle.loads(pickle.dumps(d))
        assert again == d and again.to_dict() == d.to_dict()
        assert again == policies.decide(policy, decision, facts, as_of)


# ------------------------------------------------------------------ process-wide state


def test_loading_never_switches_the_garbage_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "enable", lambda: calls.append("enable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    policyengine.load_policies()
    policyengine.policyset.load_policies_for("halton_conduct")
    assert calls == []


def test_importing_and_loading_change_no_process_wide_state() -> None:
    script = textwrap.dedent("""\
        import gc, json, sys, warnings, os, locale, decimal
        def state():
            return [gc.isenabled(), gc.get_threshold(), sys.getrecursionlimit(),
                    sys.getswitchinterval(), [repr(f) for f in warnings.filters],
                    dict(os.environ), locale.setlocale(locale.LC_ALL), sys.path[:],
                    str(decimal.getcontext()), sys.flags.optimize, gc.get_freeze_count()]
        before = state()
        import policyengine
        policies = policyengine.load_policies()
        policies.decide("halton_conduct", "in_scope", {"person_type": "tenant"}, "2026-01-05")
        print(json.dumps([before, state()], default=str))
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    before, after = json.loads(out)
    assert after == before
