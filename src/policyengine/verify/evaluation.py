"""The engine's evaluation steps taken one at a time, as verify needs them apart.

:func:`~policyengine.evaluate.evaluate` validates the facts, applies the fact checks, tests the
rules' conditions and computes the outcomes in one go. The checks here want the pieces: the
:class:`~policyengine.expressions.Env` a decision's expressions read, whether the schema and the
fact checks accept some facts, which rules' conditions hold, and which rules fired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..compiler import CompiledDecision
from ..decision import Decision
from ..errors import FactsError
from ..expressions import Env


def decision_env(decision: CompiledDecision, values: dict[str, Any], as_of: dt.date) -> Env:
    """The environment ``evaluate`` gives the decision's expressions for validated ``values``."""
    policy = decision.policy
    return Env(values, as_of, policy.calendar, policy.closes_at, f"{policy.id}.{decision.name}")


def conditions_held(decision: CompiledDecision, values: dict[str, Any], as_of: dt.date
                    ) -> list[bool]:
    """For each rule, whether its condition holds (a condition that raises counts as false)."""
    env = decision_env(decision, values, as_of)
    out: list[bool] = []
    for rule in decision.rules:
        try:
            out.append(bool(rule.condition.fn(env)))
        except Exception:
            out.append(False)
    return out


def matched_rule_ids(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date
                     ) -> tuple[str, ...]:
    """The ids of the rules whose conditions hold (none when the facts do not validate)."""
    try:
        values = decision.validator.validate(facts)
    except Exception:
        return ()
    flags = conditions_held(decision, values, as_of)
    return tuple(r.id for r, m in zip(decision.rules, flags, strict=True) if m)


def facts_accepted(decision: CompiledDecision, facts: dict[str, Any], as_of: dt.date) -> bool:
    """Whether the schema and the fact checks accept these facts."""
    try:
        values = decision.validator.validate(facts)
        env = decision_env(decision, values, as_of)
        return all(check.fn(env) for check, _, _ in decision.fact_checks)
    except FactsError:
        return False
    except Exception:
        return True  # let evaluate show the crash


def fired_rule_ids(*decisions: Decision) -> tuple[str, ...]:
    """The rules that fired in any of ``decisions``, in order, each once."""
    out: list[str] = []
    for d in decisions:
        for r in d.fired_rules:
            if r not in out:
                out.append(r)
    return tuple(out)
