"""What changed in a policy's shape between two versions: decisions, facts, enum values,
outcomes, rules and interpretations added, removed or renamed, and metadata changed.

A rename is a name that went and a name that came with (nearly) the same definition: a decision
whose rules and facts are mostly the same, a fact of the same type, an interpretation with the
same value, an enum value at the same place in its list or with a similar name. The renames are
also what :mod:`.answers` uses to give both versions the same facts.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import records
from ..compiler import CompiledDecision, CompiledPolicy
from ..facts import ValueType


@dataclass
class NameChanges:
    """Names added, removed and renamed (old, new) between two versions."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed)

    def new_name(self, old: str) -> str | None:
        """The new name of ``old`` (itself if kept), None if it was removed."""
        for a, b in self.renamed:
            if a == old:
                return b
        return None if old in self.removed else old

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed,
                "renamed": [{"old": a, "new": b} for a, b in self.renamed]}


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def match_names(old: Mapping[str, Any], new: Mapping[str, Any],
                score: Callable[[str, Any, str, Any], float], cutoff: float) -> NameChanges:
    """Kept names are the same; of the rest, pairs scoring ``cutoff`` or more are renames (the
    best pairs first), and what is left was added or removed."""
    gone = [n for n in old if n not in new]
    came = [n for n in new if n not in old]
    pairs = sorted(((score(o, old[o], n, new[n]), i, j, o, n)
                    for i, o in enumerate(gone) for j, n in enumerate(came)), reverse=True)
    changes = NameChanges()
    used_old: set[str] = set()
    used_new: set[str] = set()
    for s, _, _, o, n in pairs:
        if s >= cutoff and o not in used_old and n not in used_new:
            changes.renamed.append((o, n))
            used_old.add(o)
            used_new.add(n)
    changes.renamed.sort(key=lambda p: gone.index(p[0]))
    changes.removed = [o for o in gone if o not in used_old]
    changes.added = [n for n in came if n not in used_new]
    return changes


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _bare(vt: ValueType) -> ValueType:
    return records.replace(vt, name=None)


def _same_type(_o: str, a: ValueType, _n: str, b: ValueType) -> float:
    return 1.0 if _bare(a) == _bare(b) else 0.0


def _like_type(_o: str, a: ValueType, _n: str, b: ValueType) -> float:
    """1 for the same type; for enums (or lists of them) of the same kind, more the more values
    they share; a little for the same kind otherwise."""
    if _bare(a) == _bare(b):
        return 1.0
    if a.kind != b.kind or a.optional != b.optional:
        return 0.0
    va, vb = enum_of(a), enum_of(b)
    if va is not None and vb is not None:
        return 0.5 + 0.5 * len(set(va) & set(vb)) / max(len(va), len(vb))
    return 0.6


def _enum_values(old: tuple[str, ...], new: tuple[str, ...]) -> NameChanges:
    def score(o: str, _a: Any, n: str, _b: Any) -> float:
        place = 0.5 if old.index(o) == new.index(n) else 0.0
        return _ratio(o, n) + place

    return match_names(dict.fromkeys(old), dict.fromkeys(new), score, 0.6)


def enum_of(vt: ValueType) -> tuple[str, ...] | None:
    """The enum values of a fact, or of the items of a list fact."""
    if vt.kind == "enum":
        return vt.values
    if vt.kind == "list" and vt.of is not None and vt.of.kind == "enum":
        return vt.of.values
    return None


@dataclass
class DecisionChanges:
    """How one decision (kept or renamed) changed."""

    old: str
    new: str
    facts: NameChanges
    facts_retyped: list[str]
    enum_values: dict[str, NameChanges]  # by the fact's new name
    outcomes: NameChanges
    rules: NameChanges
    rules_changed: list[str]
    hit_policy: tuple[str, str] | None

    @property
    def empty(self) -> bool:
        return (self.facts.empty and not self.facts_retyped and not self.enum_values
                and self.outcomes.empty and self.rules.empty and not self.rules_changed
                and self.hit_policy is None and self.old == self.new)

    def old_fact(self, new_name: str) -> str | None:
        """The old name of a fact of the new version, None if it is new."""
        for a, b in self.facts.renamed:
            if b == new_name:
                return a
        return None if new_name in self.facts.added else new_name

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new, "facts": self.facts.to_dict(),
            "facts_retyped": self.facts_retyped,
            "enum_values": {k: v.to_dict() for k, v in self.enum_values.items()},
            "outcomes": self.outcomes.to_dict(), "rules": self.rules.to_dict(),
            "rules_changed": self.rules_changed,
            "hit_policy": list(self.hit_policy) if self.hit_policy else None,
        }


def _rule_json(decision: CompiledDecision, index: int, with_id: bool) -> str:
    spec = decision.policy.spec.decisions[decision.name].rules[index].model_dump(mode="json")
    if not with_id:
        spec.pop("id", None)
    return _json(spec)


def decision_changes(old: CompiledDecision, new: CompiledDecision) -> DecisionChanges:
    facts = match_names(old.facts, new.facts, _like_type, 0.75)
    renamed = {b: a for a, b in facts.renamed}
    retyped = [n for n in new.facts if (n in old.facts or n in renamed)
               and _bare(old.facts[renamed.get(n, n)]) != _bare(new.facts[n])]
    enum_values: dict[str, NameChanges] = {}
    for name, vt in new.facts.items():
        old_name = name if name in old.facts else next(
            (a for a, b in facts.renamed if b == name), None)
        if old_name is None:
            continue
        before, after = enum_of(old.facts[old_name]), enum_of(vt)
        if before is not None and after is not None and before != after:
            values = _enum_values(before, after)
            if not values.empty:
                enum_values[name] = values
    outcomes = match_names(old.outcomes, new.outcomes, _same_type, 1.0)
    old_rules = {r.id: r.index for r in old.rules}
    new_rules = {r.id: r.index for r in new.rules}
    rules = match_names(
        old_rules, new_rules,
        lambda _o, a, _n, b: _ratio(_rule_json(old, a, False), _rule_json(new, b, False)), 0.9)
    changed = [rid for rid in new_rules if rid in old_rules
               and _rule_json(old, old_rules[rid], True) != _rule_json(new, new_rules[rid], True)]
    changed += [b for a, b in rules.renamed
                if _rule_json(old, old_rules[a], False) != _rule_json(new, new_rules[b], False)]
    hit = (old.hit_policy, new.hit_policy) if old.hit_policy != new.hit_policy else None
    return DecisionChanges(old.name, new.name, facts, retyped, enum_values, outcomes, rules,
                           changed, hit)


@dataclass
class PolicyChanges:
    """Everything that changed in the shape of a policy."""

    metadata: list[tuple[str, Any, Any]]
    calendar: list[tuple[str, Any, Any]]
    decisions: NameChanges
    per_decision: list[DecisionChanges]
    interpretations: NameChanges
    interpretations_changed: list[tuple[str, str]]  # (name, what changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metadata": [{"key": k, "old": a, "new": b} for k, a, b in self.metadata],
            "calendar": [{"key": k, "old": a, "new": b} for k, a, b in self.calendar],
            "decisions": self.decisions.to_dict(),
            "decision_changes": [d.to_dict() for d in self.per_decision if not d.empty],
            "interpretations": self.interpretations.to_dict(),
            "interpretations_changed": [{"name": n, "change": c}
                                        for n, c in self.interpretations_changed],
        }


def _section_changes(old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return [(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]


def policy_changes(old: CompiledPolicy, new: CompiledPolicy) -> PolicyChanges:
    decisions = match_names(
        old.decisions, new.decisions,
        lambda o, a, n, b: _ratio(_json(old.spec.decisions[o].model_dump(mode="json")),
                                  _json(new.spec.decisions[n].model_dump(mode="json"))), 0.6)
    pairs = [(n, n) for n in new.decisions if n in old.decisions] + decisions.renamed
    per = [decision_changes(old.decisions[a], new.decisions[b]) for a, b in pairs]
    old_i, new_i = old.interpretations, new.interpretations

    def interp_score(_o: str, a: Any, _n: str, b: Any) -> float:
        return 1.0 if _json(a.value) == _json(b.value) else _ratio(a.note, b.note)

    interps = match_names(old_i, new_i, interp_score, 0.8)
    changed: list[tuple[str, str]] = []
    for name, note in new_i.items():
        before = old_i.get(name) or next(
            (old_i[a] for a, b in interps.renamed if b == name), None)
        if before is None:
            continue
        if _json(before.value) != _json(note.value):
            changed.append((name, f"value {_json(before.value)} -> {_json(note.value)}"))
        if before.note != note.note:
            changed.append((name, "note reworded"))
        if before.signed_off != note.signed_off or before.signed_off_by != note.signed_off_by:
            status = (f"signed off by {note.signed_off_by} on {note.signed_off_on}"
                      if note.signed_off else "no longer signed off")
            changed.append((name, status))
    return PolicyChanges(
        metadata=_section_changes(old.spec.policy, new.spec.policy),
        calendar=_section_changes(old.spec.calendar, new.spec.calendar),
        decisions=decisions, per_decision=per, interpretations=interps,
        interpretations_changed=changed,
    )
