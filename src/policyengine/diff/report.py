"""The impact of a change as one report: what changed in the policy's shape and which answers
change, as text for people and JSON for tools."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..compiler import CompiledPolicy
from ..policyset import PolicySet
from .answers import AnswerDiff, DecisionAnswers
from .structure import NameChanges, PolicyChanges, policy_changes


@dataclass
class PolicyDiff:
    """Two versions of a policy compared."""

    old_label: str
    new_label: str
    old_id: str
    new_id: str
    changes: PolicyChanges
    answers: list[DecisionAnswers] = field(default_factory=list)

    @property
    def answers_change(self) -> bool:
        return any(a.changed for a in self.answers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_label, "new": self.new_label,
            "policy": {"old": self.old_id, "new": self.new_id},
            "changes": self.changes.to_dict(),
            "answers": [a.to_dict() for a in self.answers],
            "answers_change": self.answers_change,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        return "\n".join(_text(self)) + "\n"


def diff_policies(old: CompiledPolicy, new: CompiledPolicy, *, generated: int = 200,
                  seed: int = 0, old_label: str | None = None,
                  new_label: str | None = None) -> PolicyDiff:
    """Compare two compiled versions of a policy: their shape, and every kept or renamed
    decision's answers over the merged fact space plus ``generated`` generated fact sets."""
    changes = policy_changes(old, new)
    result = PolicyDiff(old_label or old.file, new_label or new.file, old.id, new.id, changes)
    old_set, new_set = PolicySet({old.id: old}), PolicySet({new.id: new})
    for dc in changes.per_decision:
        runner = AnswerDiff(old_set, new_set, old.decisions[dc.old], new.decisions[dc.new], dc)
        result.answers.append(runner.run(generated=generated, seed=seed))
    return result


def _names(title: str, changes: NameChanges) -> list[str]:
    parts: list[str] = []
    if changes.added:
        parts.append("added " + ", ".join(changes.added))
    if changes.removed:
        parts.append("removed " + ", ".join(changes.removed))
    if changes.renamed:
        parts.append("renamed " + ", ".join(f"{a} -> {b}" for a, b in changes.renamed))
    return [f"  {title}: {'; '.join(parts)}"] if parts else []


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 70 else text[:67] + "..."


def _text(d: PolicyDiff) -> list[str]:
    c = d.changes
    head = d.new_id if d.old_id == d.new_id else f"{d.old_id} -> {d.new_id}"
    lines = [f"policyengine diff {d.old_label} {d.new_label} ({head})", "", "What changed"]
    shape: list[str] = []
    for key, a, b in c.metadata:
        shape.append(f"  policy {key}: {_value(a)} -> {_value(b)}")
    for key, a, b in c.calendar:
        shape.append(f"  calendar {key}: {_value(a)} -> {_value(b)}")
    shape += _names("decisions", c.decisions)
    for dc in c.per_decision:
        if dc.empty:
            continue
        name = dc.new if dc.old == dc.new else f"{dc.old} -> {dc.new}"
        shape += _names(f"{name}: facts", dc.facts)
        if dc.facts_retyped:
            shape.append(f"  {name}: facts whose type changed: {', '.join(dc.facts_retyped)}")
        for fact, values in dc.enum_values.items():
            shape += _names(f"{name}: values of {fact}", values)
        shape += _names(f"{name}: outcomes", dc.outcomes)
        shape += _names(f"{name}: rules", dc.rules)
        if dc.rules_changed:
            shape.append(f"  {name}: rules changed: {', '.join(dc.rules_changed)}")
        if dc.hit_policy:
            shape.append(f"  {name}: hit policy {dc.hit_policy[0]} -> {dc.hit_policy[1]}")
    shape += _names("interpretations", c.interpretations)
    for name, what in c.interpretations_changed:
        shape.append(f"  interpretation {name}: {what}")
    lines += shape or ["  nothing in the policy's shape"]
    lines += ["", "Answers"]
    marks = _rule_marks(d)
    for a in d.answers:
        name = a.new if a.old == a.new else f"{a.old} -> {a.new}"
        space = (f"{a.space:,} fact combinations" if a.exhaustive
                 else f"a sample of the {a.space:,} fact combinations")
        tried = f"{a.cases:,} cases ({space}, {a.generated} generated)"
        if not a.changed:
            lines.append(f"  {d.new_id}.{name}: no answer changes in {tried}")
            continue
        lines.append(f"  {d.new_id}.{name}: {a.changed:,} of {tried} change")
        for g in a.groups:
            lines.append(f"    {g.what} {g.change}: {g.count:,} of {a.cases:,} cases")
            for (old_rules, new_rules), n in g.rules.most_common(3):
                after = _rules(new_rules, marks.get(a.new, {}))
                if old_rules == new_rules:
                    lines.append(f"      set by {after} in both ({n:,})")
                else:
                    before = _rules(old_rules, marks.get(a.old, {}))
                    lines.append(f"      set by {before} before, {after} now ({n:,})")
            ex = g.example
            lines.append(f"      e.g. facts {json.dumps(ex['facts'], ensure_ascii=False)} "
                         f"as of {ex['as_of']}: {_value(ex['old'])} -> {_value(ex['new'])}")
    if not d.answers:
        lines.append("  no decision is in both versions")
    return lines


def _rule_marks(d: PolicyDiff) -> dict[str, dict[str, str]]:
    """For each decision name (old and new), rules to mark as changed, new or removed."""
    marks: dict[str, dict[str, str]] = {}
    for dc in d.changes.per_decision:
        new = marks.setdefault(dc.new, {})
        old = marks.setdefault(dc.old, {})
        for rid in dc.rules_changed:
            new[rid] = "changed"
        for rid in dc.rules.added:
            new[rid] = "new"
        for rid in dc.rules.removed:
            old[rid] = "removed"
    return marks


def _rules(ids: tuple[str, ...], marks: dict[str, str]) -> str:
    if not ids:
        return "(none)"
    return ", ".join(f"{r} ({marks[r]})" if r in marks else r for r in ids)
