"""What ``verify`` found and how much it tried: findings, stats, the report as text and JSON.

A :class:`Finding` is one problem with an example that ``policyengine decide`` can replay;
:class:`StaticStat` and :class:`PropertyStat` count the fact sets each check covered; a
:class:`VerifyReport` gathers them all and prints them.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..decision import to_json_value
from ..policyset import BUNDLED_POLICIES

#: The default number of generated fact sets per property (``--effort``).
DEFAULT_EFFORT = 200


@dataclass(frozen=True)
class Finding:
    """One problem found in a decision, with an example fact set when there is one."""

    kind: str
    policy: str
    file: str
    line: int
    decision: str
    rules: tuple[str, ...]
    message: str
    facts: dict[str, Any] | None = None  # JSON values: pasteable into `policyengine decide`
    as_of: str | None = None
    check: str = "static"  # "static", "well_formed" or the id of the invariant

    @property
    def facts_json(self) -> str | None:
        """The example facts as a JSON object, or ``None`` when the finding has no example."""
        if self.facts is None:
            return None
        return json.dumps(self.facts, sort_keys=True, ensure_ascii=False)

    def command(self) -> str | None:
        """A shell command that replays the example with ``policyengine decide``."""
        text = self.facts_json
        if text is None:
            return None
        parts = ["policyengine", "decide", self.policy, self.decision, "--facts", "-"]
        if self.as_of:
            parts += ["--as-of", self.as_of]
        if not _is_bundled(self.file):
            parts += ["--policies", self.file]
        return f"echo {shlex.quote(text)} | " + " ".join(shlex.quote(p) for p in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "policy": self.policy,
            "file": self.file,
            "line": self.line,
            "decision": self.decision,
            "rules": list(self.rules),
            "message": self.message,
            "facts": self.facts,
            "as_of": self.as_of,
            "check": self.check,
        }

    def to_text(self) -> str:
        lines = [f"{self.file}:{self.line}: {self.kind}: {self.policy}.{self.decision}: "
                 f"{self.message}"]
        if self.rules:
            lines.append(f"    rules:  {', '.join(self.rules)}")
        if self.facts_json is not None:
            lines.append(f"    facts:  {self.facts_json}")
            if self.as_of:
                lines.append(f"    as_of:  {self.as_of}")
            lines.append(f"    replay: {self.command()}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StaticStat:
    """How much of one decision's fact space the static checks covered."""

    policy: str
    decision: str
    combinations: int  # fact sets evaluated
    space: int  # size of the (representative) fact space
    exhaustive: bool
    rejected: int  # combinations the schema or the fact checks reject


@dataclass(frozen=True)
class PropertyStat:
    """How many generated fact sets one property of one decision was run on."""

    policy: str
    decision: str
    property: str  # "well_formed" or an invariant's id
    kind: str  # "well_formed", "monotone", "always", "date_on_or_after", ...
    tried: int  # generated fact sets run (including hypothesis's shrinking)
    checked: int  # of those, the ones the property applied to
    rejected: int  # of those, the ones the schema or the fact checks rejected
    passed: bool


@dataclass
class VerifyReport:
    """Everything ``verify`` found, and how much it tried."""

    findings: list[Finding] = field(default_factory=list)
    static: list[StaticStat] = field(default_factory=list)
    properties: list[PropertyStat] = field(default_factory=list)
    elapsed: float = 0.0
    max_examples: int = DEFAULT_EFFORT
    seed: int | None = 0
    policies: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no finding and every property held."""
        return not self.findings and all(p.passed for p in self.properties)

    def tried(self, policy: str, decision: str) -> int:
        """Generated fact sets tried over all properties of one decision."""
        return sum(p.tried for p in self.properties
                   if p.policy == policy and p.decision == decision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "static": [vars(s) for s in self.static],
            "properties": [vars(p) for p in self.properties],
            "elapsed_seconds": round(self.elapsed, 3),
            "max_examples": self.max_examples,
            "seed": self.seed,
        }

    def to_text(self) -> str:
        out: list[str] = []
        for finding in self.findings:
            out.append(finding.to_text())
            out.append("")
        out.append("static checks (fact combinations evaluated)")
        for s in self.static:
            how = ("all combinations" if s.exhaustive
                   else f"a sample of {s.space} combinations")
            rej = f", {s.rejected} rejected by the fact checks" if s.rejected else ""
            out.append(f"  {s.policy}.{s.decision}: {s.combinations} ({how}{rej})")
        out.append("")
        seed = "random" if self.seed is None else str(self.seed)
        out.append(f"properties (fact sets tried; effort {self.max_examples}, seed {seed})")
        width = max((len(f"{p.policy}.{p.decision} {p.property}") for p in self.properties),
                    default=0)
        for p in self.properties:
            name = f"{p.policy}.{p.decision} {p.property}".ljust(width)
            extra: list[str] = []
            if p.kind != "well_formed":
                extra.append(f"{p.kind}, applied to {p.checked}")
            if p.rejected:
                extra.append(f"{p.rejected} rejected by the schema or fact checks")
            mark = "ok  " if p.passed else "FAIL"
            tail = f" ({'; '.join(extra)})" if extra else ""
            out.append(f"  {mark} {name} {p.tried:>6}{tail}")
        total = sum(p.tried for p in self.properties)
        combos = sum(s.combinations for s in self.static)
        out.append("")
        verdict = "all checks hold" if self.ok else f"{len(self.findings)} finding(s)"
        out.append(
            f"verify: {len(self.policies)} polic{'y' if len(self.policies) == 1 else 'ies'}, "
            f"{len(self.static)} decisions, {combos} static combinations, "
            f"{len(self.properties)} properties over {total} generated fact sets: {verdict} "
            f"({self.elapsed:.1f}s)"
        )
        return "\n".join(out) + "\n"


def _is_bundled(file: str) -> bool:
    try:
        return Path(file).resolve().parent == BUNDLED_POLICIES.resolve()
    except OSError:  # pragma: no cover
        return False


def json_text(value: Any) -> str:
    """A value as JSON, as it is shown in a finding's message (dates as ISO text)."""
    return json.dumps(to_json_value(value), ensure_ascii=False)
