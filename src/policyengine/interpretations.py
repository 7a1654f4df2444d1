"""Interpretations and their sign-off: every place a policy goes beyond its text, who agreed it.

An interpretation is signed off in the YAML with ``signed_off: {by: NAME, on: DATE}``; one with
no ``signed_off`` (or ``signed_off: false``) waits for its policy owner. This module lists them
all (``policyengine interpretations``), says where each is used, and gives the problems
``policyengine check --require-signoff`` fails on.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from .compiler import CompiledPolicy, InterpretationNote
from .errors import Problem
from .load import Path_
from .records import record
from .schema import SIGN_OFF_HINT


@record
class InterpretationEntry:
    """One interpretation of a policy, where it is written, its sign-off and what uses it."""

    policy: str
    note: InterpretationNote
    file: str
    line: int
    column: int
    lifecycle: str | None  # the lifecycle it belongs to, None for the whole policy
    used_by: tuple[str, ...]

    @property
    def signed_off(self) -> bool:
        return self.note.signed_off

    def status_text(self) -> str:
        note = self.note
        if not note.signed_off:
            return "not signed off"
        on = note.signed_off_on.isoformat() if note.signed_off_on else "?"
        return f"signed off by {note.signed_off_by} on {on}"

    def to_dict(self) -> dict[str, Any]:
        out = self.note.to_dict()
        out.update(policy=self.policy, file=self.file, line=self.line, column=self.column,
                   lifecycle=self.lifecycle, used_by=list(self.used_by))
        return out


def _users(policy: CompiledPolicy) -> dict[str, list[str]]:
    """For each interpretation name, the rules (and other places) that rely on it."""
    users: dict[str, list[str]] = {}

    def add(names: Iterable[str], where: str) -> None:
        for name in names:
            bucket = users.setdefault(name, [])
            if where not in bucket:
                bucket.append(where)

    add(policy.spec.policy.interpretations, "policy_status")
    if policy.spec.calendar.office_closes_at_interpretation:
        add([policy.spec.calendar.office_closes_at_interpretation], "calendar.office_closes_at")
    for dname, decision in policy.decisions.items():
        for rule in decision.rules:
            add(rule.interpretations, f"{dname}.{rule.id}")
    for lname, lifecycle in policy.lifecycles.items():
        for transition in lifecycle.transitions:
            add(transition.interpretations, f"lifecycle {lname}: transition {transition.id}")
        for oname, obligation in lifecycle.obligations.items():
            add(obligation.interpretations, f"lifecycle {lname}: obligation {oname}")
    return users


def policy_interpretations(policy: CompiledPolicy) -> list[InterpretationEntry]:
    """Every interpretation of ``policy`` (the policy's own, then each lifecycle's), in file
    order."""
    users = _users(policy)
    found: list[tuple[InterpretationNote, Path_, str | None]] = [
        (note, ("interpretations", name), None) for name, note in policy.interpretations.items()
    ]
    for lname, lifecycle in policy.lifecycles.items():
        for name, note in lifecycle.interpretations.items():
            found.append((note, ("lifecycles", lname, "interpretations", name), lname))
    entries: list[InterpretationEntry] = []
    for note, path, owner in found:
        pos = policy.loaded.position(path, key=True)
        entries.append(InterpretationEntry(policy.id, note, policy.file, pos.line, pos.column,
                                           owner, tuple(users.get(note.name, ()))))
    entries.sort(key=lambda e: e.line)
    return entries


def signoff_problems(policy: CompiledPolicy) -> list[Problem]:
    """One problem for each interpretation of ``policy`` that is not signed off."""
    return [
        Problem(e.file, e.line, e.column,
                f"interpretation '{e.note.name}' is not signed off; once the policy owner agrees "
                f"it, {SIGN_OFF_HINT}")
        for e in policy_interpretations(policy) if not e.signed_off
    ]


def interpretations_text(entries: list[InterpretationEntry], policy: CompiledPolicy) -> str:
    signed = sum(e.signed_off for e in entries)
    lines = [f"{policy.id} ({policy.file}): {len(entries)} interpretation(s), {signed} signed "
             f"off, {len(entries) - signed} waiting"]
    for e in entries:
        mark = "signed  " if e.signed_off else "UNSIGNED"
        where = f" (lifecycle {e.lifecycle})" if e.lifecycle else ""
        value = json.dumps(e.note.to_dict()["value"], ensure_ascii=False)
        if len(value) > 80:
            value = value[:77] + "..."
        lines.append(f"  {mark} {e.note.name}{where} = {value}  [line {e.line}]")
        lines.append(f"           {e.status_text()}")
        if e.used_by:
            lines.append(f"           used by: {', '.join(e.used_by)}")
        lines.append(f"           {' '.join(e.note.note.split())}")
    return "\n".join(lines) + "\n"


def cmd_interpretations(args: argparse.Namespace) -> int:
    from .policyset import load_policies

    policies = load_policies(args.policies)
    chosen = [policies.policy(args.policy)] if args.policy else list(policies)
    report: list[tuple[CompiledPolicy, list[InterpretationEntry]]] = []
    for policy in chosen:
        entries = policy_interpretations(policy)
        if args.unsigned:
            entries = [e for e in entries if not e.signed_off]
        report.append((policy, entries))
    if args.json:
        print(json.dumps([e.to_dict() for _, entries in report for e in entries], indent=2,
                         ensure_ascii=False))
        return 0
    for policy, entries in report:
        print(interpretations_text(entries, policy))
    total = sum(len(entries) for _, entries in report)
    waiting = sum(not e.signed_off for _, entries in report for e in entries)
    print(f"{total} interpretation(s), {waiting} not signed off")
    return 0


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``interpretations`` command to the ``policyengine`` parser."""
    p = sub.add_parser("interpretations",
                       help="list every interpretation beyond the text with its sign-off status")
    p.add_argument("policy", nargs="?", help="one policy id (default: every loaded policy)")
    p.add_argument("--unsigned", action="store_true", help="only those not signed off")
    p.add_argument("--json", action="store_true", help="print them as a JSON list")
    policies_option(p)
    p.set_defaults(handler=cmd_interpretations)

