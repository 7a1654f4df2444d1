"""A set of compiled policies, loaded once, and the entry point for decisions."""

from __future__ import annotations

import datetime as dt
import hashlib
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
from .factproblems import short_name
from .reprs import short_repr


def _compile_lifecycles(compiling: compiler._Compiler, policy: CompiledPolicy) -> None:
    """The ``lifecycles:`` section's compiler, imported when a file is compiled with its
    lifecycles: a process that only takes decisions never imports :mod:`policyengine.lifecycle`
    (its models cost a new process more than the decisions it loads)."""
    from .lifecycle import compile_lifecycles

    compile_lifecycles(compiling, policy)


#: The compilers of a policy file's sections beyond its decisions.
SECTIONS: Mapping[str, SectionCompiler] = {"lifecycles": _compile_lifecycles}


def compile_policy_file(path: Path, *, decisions_only: bool = False) -> CompiledPolicy:
    """Compile one policy file with every section (decisions and lifecycles); with
    ``decisions_only`` its lifecycles are left out (and not checked)."""
    return compiler.compile_policy_file(path, SECTIONS, decisions_only=decisions_only)


def compile_policy_text(text: str, file: str, *, sha256: str | None = None) -> CompiledPolicy:
    """Compile a policy file's text with every section (decisions and lifecycles)."""
    return compiler.compile_policy_text(text, file, SECTIONS, sha256=sha256)


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
    if as_of.__class__ is dt.date:
        return as_of
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
                f"as_of must be a date YYYY-MM-DD; got {short_repr(as_of)}", fact="as_of"
            ) from None
    raise FactsError(f"as_of must be a date YYYY-MM-DD; got {short_repr(as_of)}", fact="as_of")


class PolicySet:
    """Compiled policies by id. Build it with :func:`load_policies`."""

    def __init__(self, policies: Mapping[str, CompiledPolicy]) -> None:
        self._policies = dict(policies)
        self._decisions: dict[tuple[str, str], CompiledDecision] = {
            (p.id, name): d for p in self._policies.values() for name, d in p.decisions.items()
        }

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
        except (KeyError, TypeError):
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
        except (KeyError, TypeError):
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
        try:
            compiled = self._decisions.get((policy, decision))
        except TypeError:  # an unhashable name: the slow path says it is unknown
            compiled = None
        if compiled is not None:
            return evaluate(compiled, facts if facts is not None else {}, day,
                            full_trace=full_trace)
        if decision == "policy_status":
            if facts:
                names = [short_repr(k, 40) if not isinstance(k, str) else short_name(k)
                         for k in list(facts)[:20]]
                raise FactsError(
                    f"{policy}.policy_status takes no facts; got {', '.join(names)}",
                    fact=str(next(iter(facts))),
                )
            return evaluate_policy_status(self.policy(policy), day)
        compiled = self.compiled_decision(policy, decision)
        return evaluate(compiled, facts if facts is not None else {}, day, full_trace=full_trace)

    def decide_many(
        self,
        policy: str,
        decision: str,
        table: Any,
        as_of: dt.date | str | None = None,
        *,
        carry: Sequence[str] = (),
    ) -> Any:
        """Decide every row of a table at once (the ``batch`` extra): see policyengine.batch."""
        from .batch import decide_many

        return decide_many(self, policy, decision, table, as_of, carry=carry)

    def __reduce__(self) -> Any:  # travels to other processes (dask) as its files' text
        return (_rebuild, (tuple(
            (p.file, p.text, p.sha256, hashlib.sha256(p.text.encode()).hexdigest())
            for p in self),))


def _rebuild(files: tuple[tuple[str, str, str, str], ...]) -> PolicySet:
    """A policy set from its files' text (once per process), each text checked against the digest
    it was sent with. Each keeps the sha256 of the file it was read from (its bytes, which may
    differ from the text's, e.g. in line endings), so a decision taken in another process records
    the same policy."""
    cached = _REBUILT.get(files)
    if cached is not None:
        return cached
    policies: dict[str, CompiledPolicy] = {}
    for file, text, sha256, text_sha256 in files:
        if hashlib.sha256(text.encode()).hexdigest() != text_sha256:
            raise PolicyError(Problem(file, 0, 0, "policy text changed in transit (sha256)"))
        compiled = compile_policy_text(text, file, sha256=sha256)
        policies[compiled.id] = compiled
    _REBUILT[files] = rebuilt = PolicySet(policies)
    return rebuilt


_REBUILT: dict[tuple[tuple[str, str, str, str], ...], PolicySet] = {}


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
            raise PolicyError(Problem(str(root), 1, 1, "no such file or directory"))
        found = policy_files(root)
        if not found:
            raise PolicyError(Problem(str(root), 1, 1, "no policy files (*.yaml) here"))
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return _compile_all(files)


def load_policies_for(policy: str, path: str | Path | None = None) -> PolicySet:
    """The policies needed to decide with ``policy``: only its own file when the directory has
    one named after it (``<policy>.yaml``) that declares it, else everything at ``path``.

    What the command line's ``decide`` and ``explain`` load: a new process pays for one policy's
    decisions, not for every policy beside it nor for case lifecycles it will not follow.
    """
    root = BUNDLED_POLICIES if path is None else Path(path)
    if root.is_dir() and isinstance(policy, str) and policy.isidentifier():
        for suffix in (".yaml", ".yml"):
            own = root / f"{policy}{suffix}"
            if own.is_file():
                try:
                    found = _compile_all([own], decisions_only=True)
                except PolicyError:
                    break  # load everything, so every problem is reported as load_policies does
                if policy in found:
                    return found
                break
    return load_policies(path)


def _compile_all(files: list[Path], *, decisions_only: bool = False) -> PolicySet:
    compiled: dict[str, CompiledPolicy] = {}
    problems: list[Problem] = []
    for file in files:
        try:
            policy = compile_policy_file(file, decisions_only=decisions_only)
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
