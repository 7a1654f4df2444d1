"""``decide_many``: read the table, evaluate the vectorised plan, decide the rest row by row,
and assemble the result (see :mod:`policyengine.batch.output` for its columns)."""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .._version import __version__
from ..compiler import CompiledDecision, CompiledPolicy
from ..decision import STATUSES, Decision
from ..errors import FactsError, PolicyError
from ..evaluate import policy_warnings
from ..facts import BOOL, DATE, STRING, ValueType
from . import london
from .decode import NotVectorised, decode
from .ops import Context
from .output import MISSING, Builder, CodedBuilder, ErrorBuilder, outcome_builder
from .plan import DecisionPlan, Evaluated
from .tables import Source, read
from .vectors import Vec
from .workdays import vector_calendar

if TYPE_CHECKING:
    from ..policyset import PolicySet

log = logging.getLogger("policyengine.batch")

#: The built-in decision's outcomes, typed for the result table.
POLICY_STATUS_OUTCOMES = {
    "in_force": BOOL, "document_status": STRING, "issued": DATE, "review_due": DATE,
    "review_overdue": BOOL,
}


@dataclass(frozen=True)
class PlanInfo:
    """Whether a decision is vectorised and, if not, why (the reason names the form)."""

    vectorised: bool
    reason: str | None


_PLANS: dict[int, tuple[weakref.ref[CompiledDecision], DecisionPlan | None, str | None]] = {}


def plan_for(compiled: CompiledDecision) -> tuple[DecisionPlan | None, str | None]:
    """The vectorised plan of a decision (built once), or None and the reason it has none."""
    cached = _PLANS.get(id(compiled))
    if cached is not None and cached[0]() is compiled:
        return cached[1], cached[2]
    try:
        plan: DecisionPlan | None = DecisionPlan(compiled)
        reason = None
    except NotVectorised as exc:
        plan, reason = None, str(exc)
    _PLANS[id(compiled)] = (weakref.ref(compiled), plan, reason)
    return plan, reason


def plan_info(policies: PolicySet, policy: str, decision: str) -> PlanInfo:
    if decision == "policy_status":
        policies.policy(policy)
        return PlanInfo(True, None)
    plan, reason = plan_for(policies.compiled_decision(policy, decision))
    return PlanInfo(plan is not None, reason)


def decide_many(
    policies: PolicySet,
    policy: str,
    decision: str,
    table: Any,
    as_of: dt.date | str | None = None,
    *,
    carry: Sequence[str] = (),
) -> Any:
    from ..policyset import coerce_as_of

    day = coerce_as_of(as_of)
    compiled_policy = policies.policy(policy)
    compiled = None if decision == "policy_status" else policies.compiled_decision(
        policy, decision
    )
    facts = compiled.facts if compiled is not None else {}
    outcomes = compiled.outcomes if compiled is not None else POLICY_STATUS_OUTCOMES
    where = f"{policy}.{decision}"
    source = read(table, facts, carry, where)
    n = source.n
    builders = _builders(outcomes, compiled, n)

    def one(i: int) -> None:
        _decide_row(policies, policy, decision, source.facts_of(i), day, i, builders, outcomes)

    if compiled is None:
        slow = _constant_decision(policies, policy, day, source, builders, outcomes)
        vectorised, reason = True, None
    else:
        plan, reason = plan_for(compiled)
        vectorised = plan is not None
        if plan is None:
            log.info("%s: not vectorised (%s); deciding %d rows one by one", where, reason, n)
            slow = np.ones(n, bool)
        else:
            slow = _vectorised(plan, compiled_policy, source, day, builders)
    for i in np.flatnonzero(slow).tolist():
        one(i)
    meta = _metadata(compiled_policy, decision, day, n, vectorised, reason, int(slow.sum()))
    return _assemble(source, builders, meta)


def _builders(
    outcomes: Mapping[str, ValueType], compiled: CompiledDecision | None, n: int
) -> dict[str, Builder]:
    builders: dict[str, Builder] = {"status": CodedBuilder("status", n, values=STATUSES)}
    for name, vt in outcomes.items():
        builders[name] = outcome_builder(name, vt, n)
    if compiled is not None and any(
        r.status not in (None, "decided") or r.considerations or r.requirements
        for r in compiled.rules
    ):
        builders["considerations"] = CodedBuilder("considerations", n, pa.string())
        builders["requirements"] = CodedBuilder("requirements", n, pa.string())
    builders["fired_rules"] = CodedBuilder("fired_rules", n, pa.string())
    builders["error"] = ErrorBuilder(n)
    return builders


def _vectorised(
    plan: DecisionPlan, policy: CompiledPolicy, source: Source, day: dt.date,
    builders: dict[str, Builder],
) -> np.ndarray:
    n = source.n
    clean = np.ones(n, bool) if source.unclean is None else ~source.unclean
    facts: dict[str, Vec] = {}
    for name, vt in plan.compiled.facts.items():
        column = source.columns.get(name)
        if column is None:
            vec, ok = decode([None] * n, vt)
        else:
            vec, ok = decode(column, vt)
        facts[name] = vec
        clean &= ok
    closes = policy.closes_at
    closes_us = None if closes is None else (
        (closes.hour * 60 + closes.minute) * 60 * london.US_PER_SECOND
    )
    ctx = Context(n, vector_calendar(policy.calendar), closes_us)
    with np.errstate(all="ignore"):
        result = plan.evaluate(ctx, facts, day)
    slow = result.slow | ~clean
    _fill(builders, result, ~slow)
    return np.asarray(slow)


def _fill(builders: dict[str, Builder], result: Evaluated, rows: np.ndarray) -> None:
    codes, patterns = result.pattern_codes, result.patterns
    pattern_fields: dict[str, Callable[[Any], Any]] = {
        "status": lambda p: p.status,
        "fired_rules": lambda p: p.fired,
        "considerations": lambda p: p.considerations,
        "requirements": lambda p: p.requirements,
    }
    for name, field in pattern_fields.items():
        builder = builders.get(name)
        if isinstance(builder, CodedBuilder):
            builder.fill_codes(rows, codes, [field(p) for p in patterns])
    for name, vec in result.outcomes.items():
        builders[name].fill(rows, vec)


def _decide_row(
    policies: PolicySet, policy: str, decision: str, facts: Any, day: dt.date, i: int,
    builders: dict[str, Builder], outcomes: Mapping[str, ValueType],
) -> None:
    try:
        answer = policies.decide(policy, decision, facts, day)
    except (FactsError, PolicyError) as exc:
        builders["error"].put(i, exc)
        for name, builder in builders.items():
            if name != "error":
                builder.put(i, MISSING)
        return
    record(builders, i, answer, outcomes)


def record(
    builders: dict[str, Builder], i: int, answer: Decision, outcomes: Mapping[str, ValueType]
) -> None:
    """Write one ``Decision`` into row ``i`` of the result."""
    outcome = answer.outcome
    builders["status"].put(i, answer.status)
    for name in outcomes:
        builders[name].put(i, outcome.get(name, MISSING))
    for name in ("considerations", "requirements"):
        if name in builders:
            notes = outcome.get(name)
            builders[name].put(i, MISSING if notes is None else [n["id"] for n in notes])
    builders["fired_rules"].put(i, answer.fired_rules)


def _constant_decision(
    policies: PolicySet, policy: str, day: dt.date, source: Source,
    builders: dict[str, Builder], outcomes: Mapping[str, ValueType],
) -> np.ndarray:
    """``policy_status`` takes no facts: one decision for every row that gives none."""
    answer = policies.decide(policy, "policy_status", None, day)
    slow = np.zeros(source.n, bool) if source.unclean is None else source.unclean.copy()
    if source.rows is not None:
        slow |= np.array([bool(source.facts_of(i)) for i in range(source.n)], dtype=bool)
    for i in np.flatnonzero(~slow).tolist():
        record(builders, i, answer, outcomes)
    return slow


def _metadata(
    policy: CompiledPolicy, decision: str, day: dt.date, n: int, vectorised: bool,
    reason: str | None, slow_rows: int,
) -> dict[str, Any]:
    return {
        "policy": policy.id,
        "decision": decision,
        "as_of": day.isoformat(),
        "rows": n,
        "vectorised": vectorised,
        "fallback_reason": reason,
        "rows_decided_one_by_one": slow_rows,
        "warnings": policy_warnings(policy, day),
        "policy_file": policy.file_name,
        "policy_version": policy.meta.version,
        "policy_sha256": policy.sha256,
        "calendar": policy.calendar_record,
        "engine_version": __version__,
    }


def _assemble(source: Source, builders: dict[str, Builder], meta: dict[str, Any]) -> Any:
    import json

    names = list(source.carried)
    for builder in builders.values():
        for name in builder.names():
            if name in names:
                raise FactsError(f"carry column '{name}' has the name of a result column",
                                 fact=name)
            names.append(name)
    if source.output == "arrow":
        arrays = list(source.carried.values())
        for builder in builders.values():
            arrays.extend(array for _, array in builder.arrays())
        table = pa.table(arrays, names=names)
        return table.replace_schema_metadata({"policyengine": json.dumps(meta)})
    import pandas as pd

    columns: dict[str, Any] = {
        name: _to_pandas(array) for name, array in source.carried.items()
    }
    for builder in builders.values():
        if isinstance(builder, CodedBuilder) and builder.item is None:
            columns[builder.name] = pd.Categorical.from_codes(builder.codes, builder.table)
            continue
        for name, array in builder.arrays():
            columns[name] = _to_pandas(array)
    index = source.index if source.index is not None else pd.RangeIndex(source.n)
    frame = pd.DataFrame({k: v.set_axis(index) if isinstance(v, pd.Series)
                          else pd.Series(v, index=index) for k, v in columns.items()},
                         index=index)
    frame.attrs["policyengine"] = meta
    return frame


def _to_pandas(array: pa.Array) -> Any:
    """A result column for pandas: a dictionary array becomes a categorical straight from its
    codes (Arrow's own conversion of one with nulls costs more than the whole decision)."""
    import pandas as pd

    if pa.types.is_dictionary(array.type) and pa.types.is_string(array.type.value_type):
        codes = np.asarray(array.indices.fill_null(-1), dtype=np.int32)
        return pd.Categorical.from_codes(codes, array.dictionary.to_pylist())
    return array.to_pandas(types_mapper=_pandas_type)


def _pandas_type(t: pa.DataType) -> Any:
    import pandas as pd

    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_date32(t) or pa.types.is_timestamp(t) or pa.types.is_list(t):
        return pd.ArrowDtype(t)
    return None
