"""Decide a Dask DataFrame partition by partition (the ``dask`` extra).

:func:`decide_partitions` maps :meth:`PolicySet.decide_many` over the partitions with an
explicit ``meta`` (the result of deciding an empty table), so nothing is computed until asked.
The policy set travels to the workers as its files' text (``PolicySet`` pickles that way and
each worker compiles it once, checking each file's sha256). The decision date is fixed when the
graph is built, so every partition is decided on the same day.

One difference from ``decide_many`` on a whole pandas table: there a string outcome is a
categorical of the values that occur; partitions would each have their own, so here string
outcomes are plain strings (enum outcomes, ``status`` and ``error_type`` keep their declared
categories, the same in every partition).

    import dask.dataframe as dd
    from policyengine.dask import decide_partitions
    result = decide_partitions(policies, "halton_conduct", "appeal_deadline", cases).compute()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

import dask.dataframe as dd
import pandas as pd

from .batch.run import POLICY_STATUS_OUTCOMES
from .facts import ValueType
from .policyset import PolicySet, coerce_as_of

__all__ = ["decide_partitions"]


def decide_partitions(
    policies: PolicySet,
    policy: str,
    decision: str,
    frame: dd.DataFrame,
    as_of: dt.date | str | None = None,
    *,
    carry: Sequence[str] = (),
) -> dd.DataFrame:
    """``decide_many`` on every partition of ``frame``: a lazy Dask DataFrame of results."""
    day = coerce_as_of(as_of)
    carried = tuple(carry)
    strings = _string_outcomes(policies, policy, decision)
    meta = _decide(frame._meta, policies, policy, decision, day, carried, strings)
    result = frame.map_partitions(  # type: ignore[no-untyped-call]
        _decide, policies, policy, decision, day, carried, strings, meta=meta
    )
    return cast(dd.DataFrame, result)


def _string_outcomes(policies: PolicySet, policy: str, decision: str) -> tuple[str, ...]:
    if decision == "policy_status":
        policies.policy(policy)
        outcomes: Mapping[str, ValueType] = POLICY_STATUS_OUTCOMES
    else:
        outcomes = policies.compiled_decision(policy, decision).outcomes
    return tuple(name for name, vt in outcomes.items() if vt.kind == "string")


def _decide(
    part: pd.DataFrame, policies: PolicySet, policy: str, decision: str, day: dt.date,
    carry: tuple[str, ...], strings: tuple[str, ...],
) -> Any:
    result = policies.decide_many(policy, decision, part, as_of=day, carry=carry)
    for name in strings:
        result[name] = result[name].astype("string")
    return result
