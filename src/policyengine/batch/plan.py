"""A decision compiled for columns, and its evaluation: masks, hit policy, outcomes.

The steps are the scalar evaluator's (``policyengine.evaluate``), each for every row at once:
fact checks as masks; each rule's condition as a mask; exceptions settled in the same order;
the hit policy applied (``first`` picks the first rule whose mask holds, ``unique`` requires
exactly one, ``collect`` applies every rule in order, each seeing the outcomes before it); the
chosen rules' values set with the same merging. A row where the scalar path would raise (a
failed fact check, no rule, two rules under ``unique``, a missing fact a value needs,
conflicting values, a date out of range) is marked slow and decided row by row.

Everything that depends only on which rules fired (status, the fired rule ids,
considerations, requirements) is computed once per distinct set of fired rules, not per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..compiler import CompiledDecision
from ..decision import STATUS_STRENGTH
from .compile import condition, unset, value
from .decode import NotVectorised, check_fact_type
from .frame import Frame, Pred, VExpr, VScope
from .ops import Context
from .outcomes import assign, unset_moment
from .vectors import Vec

_OUTCOME_KINDS = ("bool", "int", "string", "enum", "date", "datetime", "moment", "list")
_LIST_ITEMS = ("bool", "int", "string", "enum", "date")


@dataclass(frozen=True)
class Pattern:
    """What a set of fired rules decides by itself."""

    status: str
    fired: tuple[str, ...]
    considerations: tuple[str, ...] | None
    requirements: tuple[str, ...] | None


@dataclass
class Evaluated:
    """A vectorised evaluation: outcome columns, the fired-rule pattern of each row, slow rows."""

    outcomes: dict[str, Vec]
    pattern_codes: np.ndarray
    patterns: list[Pattern]
    slow: np.ndarray


class DecisionPlan:
    """One decision's rules as column functions. Raises :class:`NotVectorised` if it cannot."""

    def __init__(self, compiled: CompiledDecision) -> None:
        policy = compiled.policy
        self.compiled = compiled
        spec = policy.spec.decisions[compiled.name]
        where = f"{policy.id}.{compiled.name}"
        for name, vt in compiled.facts.items():
            check_fact_type(name, vt)
        for name, vt in compiled.outcomes.items():
            item = vt.of.kind if vt.of is not None else None
            if vt.kind not in _OUTCOME_KINDS or (vt.kind == "list" and item not in _LIST_ITEMS):
                raise NotVectorised(f"{where}: outcome '{name}' is {vt.describe()}")
        scope = VScope(
            compiled.facts,
            compiled.outcomes,
            {k: v.value for k, v in policy.spec.interpretations.items()},
            f"{where} fact_checks",
        )
        self.checks: list[Pred] = [condition(check.require, scope) for check in spec.fact_checks]
        self.conditions: list[Pred] = []
        self.values: list[list[tuple[str, VExpr]]] = []
        for rule in spec.rules:
            scope.where = f"{where} rule '{rule.id}'"
            self.conditions.append(condition(rule.when, scope))
            self.values.append([(key, value(node, scope)) for key, node in rule.then.items()])
        self.rules = compiled.rules
        self.hit_policy = compiled.hit_policy
        self.exceptions = compiled.exceptions
        self.settle_order = compiled.settle_order

    def evaluate(self, ctx: Context, facts: dict[str, Vec], as_of: dt.date) -> Evaluated:
        frame = Frame(ctx, facts, as_of)
        n = ctx.n
        for name, vt in self.compiled.outcomes.items():
            frame.outcomes[name] = unset_moment(n) if vt.kind == "moment" else unset(vt, n)
        for check in self.checks:
            frame.mark(~check(frame))
        if self.hit_policy == "collect":
            codes, patterns = self._collect(frame)
        else:
            codes, patterns = self._choose_one(frame)
        return Evaluated(frame.outcomes, codes, patterns, frame.slow)

    def _settled(self, frame: Frame) -> list[np.ndarray]:
        fires = [cond(frame) for cond in self.conditions]
        for i in self.settle_order:
            for e in self.exceptions.get(i, ()):
                fires[i] = fires[i] & ~fires[e]
        return fires

    def _apply(self, frame: Frame, index: int, rows: np.ndarray) -> None:
        outcomes = self.compiled.outcomes
        frame.focus = rows
        try:
            for key, expr in self.values[index]:
                assign(frame, key, outcomes[key], rows, expr.fn(frame))
        finally:
            frame.focus = None

    def _collect(self, frame: Frame) -> tuple[np.ndarray, list[Pattern]]:
        settled = self._settled(frame) if self.exceptions else None
        fires: list[np.ndarray] = []
        for i, cond in enumerate(self.conditions):
            rows = settled[i] if settled is not None else cond(frame)
            self._apply(frame, i, rows)
            fires.append(rows)
        return self._patterns_of_sets(fires, frame.n)

    def _choose_one(self, frame: Frame) -> tuple[np.ndarray, list[Pattern]]:
        fires = self._settled(frame)
        n = frame.n
        chosen = np.full(n, -1, np.int64)
        for i in range(len(fires) - 1, -1, -1):
            chosen = np.where(fires[i], i, chosen)
        if self.hit_policy == "unique":
            count = np.zeros(n, np.int64)
            for rows in fires:
                count += rows
            frame.mark(count > 1)
        frame.mark(chosen < 0)  # no rule applies: a gap in the policy
        for i in range(len(fires)):
            self._apply(frame, i, chosen == i)
        patterns = [self._pattern([i]) for i in range(len(fires))]
        patterns.append(self._pattern([]))
        return np.where(chosen < 0, len(fires), chosen), patterns

    def _patterns_of_sets(
        self, fires: list[np.ndarray], n: int
    ) -> tuple[np.ndarray, list[Pattern]]:
        if not fires:
            return np.zeros(n, np.int64), [self._pattern([])]
        if len(fires) > 62:
            packed = np.packbits(np.stack(fires, axis=1), axis=1)
            rows_view = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))
            uniques, codes = np.unique(rows_view.ravel(), return_inverse=True)
            patterns = []
            for u in uniques:
                bits = np.unpackbits(np.frombuffer(u.tobytes(), np.uint8))[: len(fires)]
                patterns.append(self._pattern(np.flatnonzero(bits).tolist()))
            return codes.astype(np.int64), patterns
        key = np.zeros(n, np.int64)
        for i, rows in enumerate(fires):
            key |= rows.astype(np.int64) << i
        if len(fires) <= 20:
            seen = np.bincount(key, minlength=1 << len(fires))
            used = np.flatnonzero(seen)
            lookup = np.zeros(1 << len(fires), np.int64)
            lookup[used] = np.arange(len(used))
            codes = lookup[key]
        else:
            used, codes = np.unique(key, return_inverse=True)
        patterns = [
            self._pattern([i for i in range(len(fires)) if int(k) >> i & 1]) for k in used
        ]
        return codes, patterns

    def _pattern(self, indices: list[int]) -> Pattern:
        status = "decided"
        considerations: list[str] = []
        requirements: list[str] = []
        for i in indices:
            rule = self.rules[i]
            if rule.status is not None and STATUS_STRENGTH[rule.status] > STATUS_STRENGTH[status]:
                status = rule.status
            considerations.extend(note.id for note in rule.considerations)
            requirements.extend(note.id for note in rule.requirements)
        noted = status != "decided" or bool(considerations)
        return Pattern(
            status,
            tuple(self.rules[i].id for i in indices),
            tuple(considerations) if noted else None,
            tuple(requirements) if noted else None,
        )
