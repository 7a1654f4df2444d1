"""A set of compiled policies, loaded once, and the entry point for decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import importlib.resources
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import compiler
from .compiler import BUILTIN_DECISIONS, CompiledDecision, CompiledPolicy, SectionCompiler
from .decision import Decision
from .durations import LONDON, parse_date
from .errors import FactsError, PolicyError, Problem, UnknownNameError
from .evaluate import evaluate, evaluate_policy_status
from .lifecycle import compile_lifecycles

#: The compilers of a policy file's sections beyond its decisions.
SECTIONS: Mapping[str, SectionCompiler] = {"lifecycles": compile_lifecycles}


def compile_policy_file(path: Path) -> CompiledPolicy:
    """Compile one policy file with every section (decisions and lifecycles)."""
    return compiler.compile_policy_file(path, SECTIONS)


def compile_policy_text(text: str, file: str) -> CompiledPolicy:
    """Compile a policy file's text with every section (decisions and lifecycles)."""
    return compiler.compile_policy_text(text, file, SECTIONS)


def _bundled_policies() -> Path:
    """The policies shipped inside the package (``policyengine/_bundled``), found through
    ``importlib.resources`` only: never a ``policies/`` folder that happens to sit nearby.

    In a checkout ``_bundled`` is a link to the repository's ``policies/``; in a wheel it is a
    copy of it.
    """
    return Path(str(importlib.resources.files("policyengine"))) / "_bundled"


#: The policies bundled with the project.
BUNDLED_POLICIES = _bundled_policies()


def today_in_london() -> dt.date:
    return dt.datetime.now(LONDON).date()


def coerce_as_of(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return today_in_london()
    if isinstance(as_of, dt.datetime):
        raise FactsError("as_of is a date (YYYY-MM-DD), not a date-time", fact="as_of")
    if isinstance(as_of, dt.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return parse_date(as_of)
        except ValueError:
            raise FactsError(
                f"as_of must be a date YYYY-MM-DD; got {as_of!r}", fact="as_of"
            ) from None
    raise FactsError(f"as_of must be a date YYYY-MM-DD; got {as_of!r}", fact="as_of")


class PolicySet:
    """Compiled policies by id. Build it with :func:`load_policies`."""

    def __init__(self, policies: Mapping[str, CompiledPolicy]) -> None:
        self._policies = dict(policies)

    def __iter__(self) -> Iterator[CompiledPolicy]:
        return iter(self._policies.values())

    def __len__(self) -> int:
        return len(self._policies)

    def __contains__(self, name: object) -> bool:
        return name in self._policies

    @property
    def names(self) -> list[str]:
        return list(self._policies)

    def policy(self, name: str) -> CompiledPolicy:
        try:
            return self._policies[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown policy '{name}'; loaded policies: {', '.join(self._policies) or 'none'}",
                name=name,
                known=list(self._policies),
            ) from None

    def decision_names(self, policy: str) -> list[str]:
        return [*BUILTIN_DECISIONS, *self.policy(policy).decisions]

    def compiled_decision(self, policy: str, decision: str) -> CompiledDecision:
        compiled = self.policy(policy)
        try:
            return compiled.decisions[decision]
        except KeyError:
            known = self.decision_names(policy)
            raise UnknownNameError(
                f"policy '{policy}' has no decision '{decision}'; its decisions: "
                f"{', '.join(known)}",
                name=decision,
                known=known,
            ) from None

    def decide(
        self,
        policy: str,
        decision: str,
        facts: Mapping[str, Any] | None = None,
        as_of: dt.date | str | None = None,
        *,
        full_trace: bool = False,
    ) -> Decision:
        """Take one decision. ``facts`` are JSON values; ``as_of`` a date (default today)."""
        day = coerce_as_of(as_of)
        if decision == "policy_status":
            if facts:
                raise FactsError(
                    f"{policy}.policy_status takes no facts; got {', '.join(facts)}",
                    fact=next(iter(facts)),
                )
            return evaluate_policy_status(self.policy(policy), day)
        compiled = self.compiled_decision(policy, decision)
        taken = evaluate(compiled, facts if facts is not None else {}, day, full_trace=full_trace)
        return dataclasses.replace(taken, full_trace=True) if full_trace else taken


def policy_files(path: Path) -> list[Path]:
    """The policy files at a path: the file itself, or the ``*.yaml`` files in a directory."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_policies(path: str | Path | Sequence[str | Path] | None = None) -> PolicySet:
    """Load, validate and compile one policy file, every policy in a directory, or several.

    ``path`` is a file, a directory (its ``*.yaml`` files), or a list of those; with none, the
    bundled ``policies/`` directory is loaded. A file reached twice is loaded once. Every problem
    in every file is reported together in one :class:`PolicyError`.
    """
    if path is None:
        roots = [BUNDLED_POLICIES]
    elif isinstance(path, str | Path):
        roots = [Path(path)]
    else:
        roots = [Path(p) for p in path] or [BUNDLED_POLICIES]
    files: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        if not root.exists():
            raise PolicyError(Problem(str(root), 0, 0, "no such file or directory"))
        found = policy_files(root)
        if not found:
            raise PolicyError(Problem(str(root), 0, 0, "no policy files (*.yaml) here"))
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    # Loading builds many small objects that all stay alive; pausing the cyclic garbage
    # collector meanwhile saves it scanning them again and again (about a quarter of the time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _compile_all(files)
    finally:
        if was_enabled:
            gc.enable()


def _compile_all(files: list[Path]) -> PolicySet:
    compiled: dict[str, CompiledPolicy] = {}
    problems: list[Problem] = []
    for file in files:
        try:
            policy = compile_policy_file(file)
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        if policy.id in compiled:
            pos = policy.loaded.position(("policy", "id"))
            problems.append(Problem(str(file), pos.line, pos.column,
                                    f"policy id '{policy.id}' is also used by "
                                    f"{compiled[policy.id].file}"))
            continue
        compiled[policy.id] = policy
    if problems:
        raise PolicyError(problems)
    return PolicySet(compiled)
