"""Present decisions and policies to people: the text behind ``explain`` and ``list``."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from .compiler import CompiledDecision, CompiledPolicy
from .decision import Decision, to_json_value
from .facts import ValueType
from .policyset import PolicySet

WIDTH = 96


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  "
    )


def _value_text(value: Any) -> str:
    value = to_json_value(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def explain_text(decision: Decision, policy: CompiledPolicy) -> str:
    meta = policy.meta
    lines = [
        f"{decision.policy}.{decision.decision}: {meta.organisation}, {meta.title} "
        f"(version {meta.version})",
        f"Decided on {decision.as_of.isoformat()}; status: {decision.status.replace('_', ' ')}",
    ]
    if decision.facts:
        lines += ["", "Facts"]
        for key, value in decision.facts.items():
            lines.append(_wrap(f"{key}: {_value_text(value)}", "  "))
    lines += ["", "Outcome"]
    for key, value in decision.outcome.items():
        if key in ("considerations", "requirements"):
            continue
        lines.append(_wrap(f"{key}: {_value_text(value)}", "  "))
    for kind, title in (
        ("considerations", "For a person to weigh"),
        ("requirements", "Required whatever is decided"),
    ):
        items = decision.outcome.get(kind) or []
        if items:
            lines += ["", title]
            for item in items:
                lines.append(_wrap(f"- {item['text']}", "  "))
                if "cite" in item:
                    cite = item["cite"]
                    lines.append(_wrap(f'"{cite["clause"]}" ({cite["document"]})', "      "))
    lines += ["", "Why (each rule, in order)"]
    for step in decision.trace:
        mark = "applied" if step.fired else "skipped"
        head = f"[{mark}] {step.rule} (line {step.line}): {step.because}"
        lines.append(_wrap(head, "  "))
        if step.note:
            lines.append(_wrap(f"({step.note})", "      "))
        if step.sets:
            lines.append(_wrap(f"sets {', '.join(step.sets)}", "      "))
        for cite in step.citations:
            lines.append(_wrap(f'cites "{cite["clause"]}" ({cite["document"]})', "      "))
    if decision.interpretations:
        lines += ["", "Interpretations beyond the text (for the policy owner to sign off)"]
        for interp in decision.interpretations:
            signed = (f"signed off by {interp.get('signed_off_by')} on "
                      f"{interp.get('signed_off_on')}" if interp["signed_off"]
                      else "not yet signed off")
            value = json.dumps(interp["value"], ensure_ascii=False)
            lines.append(_wrap(f"- {interp['name']} = {value} ({signed})", "  "))
            lines.append(_wrap(interp["note"], "      "))
    if decision.warnings:
        lines += ["", "Warnings"]
        for warning in decision.warnings:
            lines.append(_wrap(f"- {warning}", "  "))
    cal = decision.calendar
    lines += [
        "",
        f"Calendar: {cal['nation']} bank holidays ({cal['data_version']})"
        + (f", office closes {cal['office_closes_at']}" if "office_closes_at" in cal else ""),
        f"Policy file {decision.policy_file}, sha256 {decision.policy_sha256[:16]}...",
    ]
    return "\n".join(lines) + "\n"


def type_text(vt: ValueType) -> str:
    text = vt.describe()
    if vt.kind == "enum" and vt.ordered:
        text += " (in rising order)"
    return text + (" (optional)" if vt.optional else "")


def decision_text(decision: CompiledDecision) -> list[str]:
    lines = [f"  {decision.name} ({decision.hit_policy}, {len(decision.rules)} rules)"]
    lines.append(_wrap(decision.description, "      "))
    if decision.facts:
        lines.append("      facts:")
        for name, vt in decision.facts.items():
            lines.append(_wrap(f"{name}: {type_text(vt)}", "        "))
    else:
        lines.append("      facts: none")
    if decision.outcomes:
        lines.append(_wrap(f"outcomes: {', '.join(decision.outcomes)}", "      "))
    return lines


def list_text(policies: PolicySet) -> str:
    lines: list[str] = []
    for policy in policies:
        meta = policy.meta
        status = "" if meta.status == "in_force" else f" [{meta.status}]"
        lines.append(
            f"{policy.id}: {meta.organisation}, {meta.title} (version {meta.version}, "
            f"{meta.nation}){status}"
        )
        if meta.summary:
            lines.append(_wrap(meta.summary, "    "))
        lines.append("  policy_status (built in)")
        lines.append("      Is the policy in force, and is it past its review date?")
        lines.append("      facts: none")
        for decision in policy.decisions.values():
            lines.extend(decision_text(decision))
        for lifecycle in policy.lifecycles.values():
            lines.append(f"  case type {lifecycle.case_type} (for policyengine monitor)")
            lines.append(_wrap(lifecycle.description, "      "))
            lines.append(_wrap(f"states: {', '.join(lifecycle.states)}", "      "))
            lines.append(_wrap(f"events: {', '.join(lifecycle.events)}", "      "))
            lines.append(_wrap(f"obligations: {', '.join(lifecycle.obligations)}", "      "))
        lines.append("")
    return "\n".join(lines)


def type_dict(vt: ValueType) -> dict[str, Any]:
    """A fact or outcome type as JSON, for tools."""
    out: dict[str, Any] = {"type": vt.kind, "describe": vt.describe(), "optional": vt.optional}
    if vt.name:
        out["named_type"] = vt.name
    if vt.kind == "enum":
        out["values"] = list(vt.values)
        out["ordered"] = vt.ordered
    if vt.of is not None:
        out["of"] = type_dict(vt.of)
    if vt.fields:
        out["fields"] = {k: type_dict(v) for k, v in vt.fields}
    for key in ("minimum", "maximum"):
        if getattr(vt, key) is not None:
            out[key] = getattr(vt, key)
    return out


def list_dict(policies: PolicySet) -> list[dict[str, Any]]:
    """What ``list`` shows, as JSON (``policyengine list --json``)."""
    out: list[dict[str, Any]] = []
    for policy in policies:
        meta = policy.meta
        decisions: list[dict[str, Any]] = [{
            "name": "policy_status", "builtin": True,
            "description": "Is the policy in force, and is it past its review date?",
            "facts": {}, "outcomes": {
                "in_force": type_dict(ValueType("bool")),
                "document_status": type_dict(ValueType("enum", ("in_force", "draft",
                                                                "withdrawn"))),
                "issued": type_dict(ValueType("date", optional=True)),
                "review_due": type_dict(ValueType("date", optional=True)),
                "review_overdue": type_dict(ValueType("bool")),
            },
        }]
        for d in policy.decisions.values():
            decisions.append({
                "name": d.name, "builtin": False, "description": d.description,
                "hit_policy": d.hit_policy, "rules": len(d.rules), "line": d.line,
                "facts": {name: type_dict(vt) for name, vt in d.facts.items()},
                "outcomes": {name: type_dict(vt) for name, vt in d.outcomes.items()},
            })
        out.append({
            "id": policy.id, "organisation": meta.organisation, "title": meta.title,
            "version": meta.version, "nation": meta.nation, "status": meta.status,
            "summary": meta.summary, "file": policy.file, "decisions": decisions,
            "case_types": [{
                "case_type": lc.case_type, "description": lc.description,
                "states": list(lc.states), "events": list(lc.events),
                "obligations": list(lc.obligations),
            } for lc in policy.lifecycles.values()],
        })
    return out
