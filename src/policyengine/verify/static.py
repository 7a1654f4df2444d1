"""Static checks of a decision's rules over its fact space: gaps, overlaps, masked and duplicate
rules, rules that never apply, missing optional facts and empty outcomes.

Every combination of the decision's representative fact values (:mod:`.space`), or a large
deterministic sample of them, is validated, and every rule's condition is evaluated on it;
exceptions and the hit policy are applied and the chosen rules' outcomes computed as
:func:`~policyengine.evaluate.evaluate` does. Findings that depend on the representative values
(``never_applies``, ``masked``, ``duplicate``) are tentative: generated facts may refute them.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..compiler import CompiledDecision, CompiledRule
from ..decision import STATUS_STRENGTH
from ..errors import FactsError
from ..expressions import Absent, Env
from .evaluation import decision_env
from .report import Finding, StaticStat, json_text
from .space import OMIT, STATIC_AS_OF, fact_dimensions

#: At most this many combinations of a decision's facts are enumerated exhaustively.
EXHAUSTIVE_LIMIT = 20_000
_MAX_SEEDS = 500


@dataclass
class _Example:
    """The smallest fact combination that shows a finding, and how many show it."""

    combo: tuple[int, ...]
    count: int = 1
    extra: Any = None


@dataclass
class TentativeFinding:
    """A static finding that generated facts may refute."""

    finding: Finding
    refute: tuple[str, int, int]  # ("matched", i, -1), ("chosen", i, -1), ("differ", i, j)


@dataclass
class StaticResult:
    """What the static checks of one decision found, and what they covered."""

    findings: list[Finding]
    tentative: list[TentativeFinding]
    stat: StaticStat
    examples: list[dict[str, Any]]  # accepted fact combinations, to seed the property checks


def _rule_ref(rule: CompiledRule) -> str:
    return f"'{rule.id}' (line {rule.line})"


class StaticCheck:
    """The static checks of one decision over its (representative) fact space."""

    def __init__(self, decision: CompiledDecision, budget: int, seed: int | None) -> None:
        self.decision = decision
        self.policy = decision.policy
        self.rules = decision.rules
        self.dims = fact_dimensions(decision)
        self.budget = budget
        self.seed = seed
        self.conflicts: dict[tuple[int, int, str], _Example] = {}
        self.needs: dict[tuple[int, str, str], _Example] = {}
        self.empties: dict[tuple[int, ...], _Example] = {}

    # -- the combinations, smallest first
    def combinations(self) -> tuple[list[tuple[int, ...]], int, bool]:
        sizes = [len(d.values) for d in self.dims]
        space = 1
        for s in sizes:
            space *= s
        if space <= EXHAUSTIVE_LIMIT:
            combos = list(itertools.product(*(range(s) for s in sizes)))
            exhaustive = True
        else:
            rng = random.Random(self.seed)
            zero = tuple(0 for _ in sizes)
            picked: set[tuple[int, ...]] = {zero}
            for k, size in enumerate(sizes):
                for v in range(size):
                    c = list(zero)
                    c[k] = v
                    picked.add(tuple(c))
            while len(picked) < min(self.budget, space):
                picked.add(tuple(rng.randrange(s) for s in sizes))
            combos = list(picked)
            exhaustive = False
        combos.sort(key=self.key)
        return combos, space, exhaustive

    def key(self, combo: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        present = sum(1 for d, i in zip(self.dims, combo, strict=True) if d.optional and i > 0)
        return present, combo

    def facts(self, combo: tuple[int, ...]) -> dict[str, Any]:
        return {
            d.name: d.values[i]
            for d, i in zip(self.dims, combo, strict=True)
            if d.values[i] is not OMIT
        }

    def finding(
        self,
        kind: str,
        line: int,
        rules: Sequence[CompiledRule],
        message: str,
        combo: tuple[int, ...] | None,
    ) -> Finding:
        return Finding(
            kind=kind,
            policy=self.policy.id,
            file=self.policy.file,
            line=line,
            decision=self.decision.name,
            rules=tuple(r.id for r in rules),
            message=message,
            facts=self.facts(combo) if combo is not None else None,
            as_of=STATIC_AS_OF.isoformat() if combo is not None else None,
        )

    def run(self) -> StaticResult:
        decision, rules = self.decision, self.rules
        n = len(rules)
        combos, space, exhaustive = self.combinations()
        truth = [bytearray() for _ in rules]
        matched_count = [0] * n
        chosen_count = [0] * n
        fires_count = [0] * n
        first_matched: list[tuple[int, ...] | None] = [None] * n
        masked_by: list[set[int]] = [set() for _ in rules]
        gaps: _Example | None = None
        overlaps: dict[tuple[int, int], _Example] = {}
        conflicts = self.conflicts
        needs = self.needs
        empties = self.empties
        crashes: dict[tuple[int, str], _Example] = {}
        evaluated = rejected = 0
        accepted: list[tuple[int, ...]] = []
        hit = decision.hit_policy
        # as evaluate does: under collect (without exceptions) rules are taken in order, each
        # seeing the outcomes of the rules before it; otherwise all conditions come first
        sequential = hit == "collect" and not decision.exceptions
        for combo in combos:
            facts = self.facts(combo)
            try:
                values = decision.validator.validate(facts)
            except FactsError:
                rejected += 1
                continue
            env = decision_env(decision, values, STATIC_AS_OF)
            try:
                if not all(check.fn(env) for check, _, _ in decision.fact_checks):
                    rejected += 1
                    continue
            except FactsError:
                rejected += 1
                continue
            except Exception as exc:  # a fact check that crashes is an engine or policy bug
                _count(crashes, (-1, f"{type(exc).__name__}: {exc}"), combo)
                continue
            evaluated += 1
            accepted.append(combo)
            matched: list[bool] = []
            broke = False
            sim = _SimulatedOutcome(self, env, combo)
            for i, rule in enumerate(rules):
                try:
                    matched.append(bool(rule.condition.fn(env)))
                except Exception as exc:
                    _count(crashes, (rule.index, f"{type(exc).__name__}: {exc}"), combo)
                    matched.append(False)
                    broke = True
                if sequential and matched[i]:
                    sim.apply(i)
            for i, m in enumerate(matched):
                truth[i].append(m)
                if m:
                    matched_count[i] += 1
                    if first_matched[i] is None:
                        first_matched[i] = combo
            if broke:
                continue
            fires = list(matched)
            if decision.exceptions:
                for i in decision.settle_order:
                    for e in decision.exceptions.get(i, ()):
                        if fires[e] and fires[i]:
                            fires[i] = False
            firing = [i for i in range(n) if fires[i]]
            for i in firing:
                fires_count[i] += 1
            chosen = firing[:1] if hit == "first" else firing
            if hit == "unique" and len(firing) > 1:
                for pair in itertools.combinations(firing, 2):
                    _count(overlaps, pair, combo)
                continue
            if not chosen and hit != "collect":
                if gaps is None:
                    gaps = _Example(combo, 0)
                gaps.count += 1
                continue
            for i in chosen:
                chosen_count[i] += 1
            for i in range(n):
                if matched[i] and i not in chosen:
                    masked_by[i].update(chosen)
            if not sequential:
                for i in chosen:
                    sim.apply(i)
            sim.finish()

        findings: list[Finding] = []
        tentative: list[TentativeFinding] = []
        tried = f"{evaluated} fact combinations tried"
        if not exhaustive:
            tried += " (a sample)"
        for (ri, what), ex in sorted(crashes.items(), key=lambda kv: self.key(kv[1].combo)):
            rule_list = [rules[ri]] if ri >= 0 else []
            place = f"rule {_rule_ref(rules[ri])}" if ri >= 0 else "a fact check"
            findings.append(self.finding(
                "crash", rules[ri].line if ri >= 0 else decision.line, rule_list,
                f"evaluating {place} raised {what} (in {ex.count} of {tried})", ex.combo))
        if gaps is not None:
            findings.append(self.finding(
                "gap", decision.line, [],
                f"no rule answers these facts: {gaps.count} of {tried} have no rule that "
                f"applies, but the hit policy '{hit}' needs one (the smallest is shown)",
                gaps.combo))
        for (a, b), ex in overlaps.items():
            findings.append(self.finding(
                "overlap", rules[b].line, [rules[a], rules[b]],
                f"rules {_rule_ref(rules[a])} and {_rule_ref(rules[b])} both apply to "
                f"{ex.count} of {tried}, but the hit policy is 'unique'",
                ex.combo))
        for (a, b, key), ex in conflicts.items():
            first, second = ex.extra
            findings.append(self.finding(
                "overlap", rules[b].line, [rules[a], rules[b]],
                f"rules {_rule_ref(rules[a])} and {_rule_ref(rules[b])} both apply and set "
                f"'{key}' differently ({json_text(first)} and {json_text(second)}) for "
                f"{ex.count} of {tried}; under 'collect' a single value cannot take both",
                ex.combo))
        for (ri, kind, name), ex in needs.items():
            rule = rules[ri]
            if kind == "fact":
                msg = (f"rule {_rule_ref(rule)} needs the optional fact '{name}', which these "
                       f"facts leave out ({ex.count} of {tried}): the decision raises a "
                       f"FactsError for facts its schema accepts (test '{name}: "
                       "{present: true}' in the rule, or make the fact required)")
            else:
                msg = (f"rule {_rule_ref(rule)} reads the outcome '{name}', which no rule "
                       f"before it set for these facts ({ex.count} of {tried})")
            findings.append(self.finding("facts_error", rule.line, [rule], msg, ex.combo))
        for chosen_rules, ex in empties.items():
            rl = [rules[i] for i in chosen_rules]
            if rl:
                names = ", ".join(_rule_ref(r) for r in rl)
                msg = (f"{names} {'is' if len(rl) == 1 else 'are'} chosen but set no outcome, "
                       f"so the decision is 'decided' with an empty outcome ({ex.count} of "
                       f"{tried})")
                findings.append(self.finding("empty_outcome", rl[0].line, rl, msg, ex.combo))
            else:
                msg = (f"no rule applies to {ex.count} of {tried}, so under 'collect' the "
                       "decision is 'decided' with an empty outcome (the smallest is shown)")
                findings.append(self.finding("gap", decision.line, [], msg, ex.combo))

        duplicates: set[int] = set()
        if evaluated:
            dspec = self.policy.spec.decisions[decision.name]
            groups: dict[tuple[bytes, str], list[int]] = {}
            for i, rule in enumerate(rules):
                if matched_count[i] == 0:
                    continue
                rspec = dspec.rules[rule.index]
                then = json.dumps(rspec.then, sort_keys=True, default=str)
                groups.setdefault((bytes(truth[i]), f"{then}|{rspec.status}"), []).append(i)
            for members in groups.values():
                for j in members[1:]:
                    orig, dup = rules[members[0]], rules[j]
                    duplicates.add(j)
                    tentative.append(TentativeFinding(self.finding(
                        "duplicate", dup.line, [orig, dup],
                        f"rule {_rule_ref(dup)} duplicates rule {_rule_ref(orig)}: the same "
                        f"condition (both apply to the same {matched_count[j]} of {tried}) "
                        "and the same outcome",
                        first_matched[j]), ("differ", members[0], j)))
            for i, rule in enumerate(rules):
                if matched_count[i] == 0:
                    tentative.append(TentativeFinding(self.finding(
                        "never_applies", rule.line, [rule],
                        f"rule {_rule_ref(rule)} never applies: its condition "
                        f"({_short_condition(rule)}) is false for all {tried}",
                        None), ("matched", i, -1)))
                elif chosen_count[i] == 0 and i not in duplicates:
                    by_exceptions = fires_count[i] == 0 and bool(decision.exceptions.get(i))
                    if hit != "first" and not by_exceptions:
                        continue  # under unique or collect a rule is not chosen only in overlaps
                    if by_exceptions:
                        excs = [rules[e] for e in decision.exceptions[i]]
                        msg = (f"rule {_rule_ref(rule)} never fires: whenever it applies "
                               f"({_plural(matched_count[i], 'fact combination')}), it is "
                               "overridden by its exception(s) "
                               + ", ".join(_rule_ref(r) for r in excs))
                        others = excs
                    else:
                        others = [rules[k] for k in sorted(masked_by[i])]
                        msg = (f"rule {_rule_ref(rule)} never fires: whenever it applies "
                               f"({_plural(matched_count[i], 'fact combination')}), an earlier "
                               "rule is chosen first under the 'first' hit policy "
                               f"({', '.join(_rule_ref(r) for r in others)})")
                    tentative.append(TentativeFinding(
                        self.finding("masked", rule.line, [rule, *others], msg,
                                     first_matched[i]),
                        ("chosen", i, -1)))
        stat = StaticStat(self.policy.id, decision.name, evaluated + rejected, space,
                          exhaustive, rejected)
        step = max(1, len(accepted) // _MAX_SEEDS)
        examples = [self.facts(c) for c in accepted[::step][:_MAX_SEEDS]]
        return StaticResult(findings, tentative, stat, examples)


class _SimulatedOutcome:
    """The outcomes of one fact combination, computed as evaluate computes them, noting the
    conflicts, missing facts and empty outcomes on the way."""

    def __init__(self, check: StaticCheck, env: Env, combo: tuple[int, ...]) -> None:
        self.check = check
        self.env = env
        self.combo = combo
        env.outcome = {}
        self.setter: dict[str, int] = {}
        self.status = "decided"
        self.notes = False
        self.stopped = False  # evaluate would have raised
        self.applied: list[int] = []

    def apply(self, i: int) -> None:
        if self.stopped:
            return
        rule = self.check.rules[i]
        env = self.env
        self.applied.append(i)
        for key, expr in rule.then:
            try:
                value = expr.fn(env)
            except Absent as missing:
                _count(self.check.needs, (i, missing.kind, missing.name), self.combo)
                self.stopped = True
                return
            except FactsError:
                self.stopped = True
                return
            if key not in env.outcome:
                env.outcome[key] = list(value) if isinstance(value, list) else value
                self.setter[key] = i
                continue
            current = env.outcome[key]
            if isinstance(current, list) and isinstance(value, list):
                for item in value:
                    if item not in current:
                        current.append(item)
            elif current != value:
                ex = _count(self.check.conflicts, (self.setter[key], i, key), self.combo)
                if ex.extra is None:
                    ex.extra = (current, value)
        if rule.status is not None and STATUS_STRENGTH[rule.status] > STATUS_STRENGTH[self.status]:
            self.status = rule.status
        self.notes = self.notes or bool(rule.considerations)

    def finish(self) -> None:
        if not self.stopped and self.status == "decided" and not self.notes \
                and not self.env.outcome:
            _count(self.check.empties, tuple(self.applied), self.combo)


def _count(table: dict[Any, _Example], key: Any, combo: tuple[int, ...]) -> _Example:
    ex = table.get(key)
    if ex is None:
        ex = table[key] = _Example(combo, 0)
    ex.count += 1
    return ex


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _short_condition(rule: CompiledRule) -> str:
    text = rule.condition.text
    return text if len(text) <= 120 else text[:117] + "..."
