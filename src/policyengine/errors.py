"""The errors the library raises: one base class, one subclass per kind of bad input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from .records import record


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when none is close."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class PolicyEngineError(Exception):
    """Base class of every error this library raises on purpose."""


@record
class Problem:
    """One problem found in a policy file, with its position (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PolicyError(PolicyEngineError):
    """A policy file is unreadable, malformed or inconsistent.

    ``problems`` lists every problem found (each with file, line and column); the first
    one's position is also available as ``file``, ``line`` and ``column``.
    """

    def __init__(self, problems: Sequence[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        first = self.problems[0] if self.problems else Problem("<unknown>", 0, 0, "policy error")
        self.file = first.file
        self.line = first.line
        self.column = first.column
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> Any:
        return (PolicyError, (self.problems,))


@record
class FactProblem:
    """One problem with the facts: where (``contacts[0].channel``), what, and what is allowed.

    ``code`` is stable, for tools: ``missing``, ``unknown`` (an undeclared fact or field),
    ``invalid`` (wrong type or form) or ``out_of_range``.
    """

    path: str
    message: str
    allowed: tuple[str, ...] | None = None
    code: str = "invalid"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "code": self.code, "message": self.message}
        if self.allowed is not None:
            out["allowed"] = list(self.allowed)
        return out

    def __str__(self) -> str:
        return self.message


class FactsError(PolicyEngineError):
    """The facts given to a decision are missing, mistyped, undeclared or out of range.

    ``problems`` lists every problem found, each a :class:`FactProblem` with the fact's path;
    ``fact`` and ``allowed`` are those of the first (``fact`` is the top-level fact name).
    """

    def __init__(
        self,
        message: str,
        *,
        fact: str | None = None,
        allowed: Sequence[str] | None = None,
        policy: str | None = None,
        decision: str | None = None,
        problems: Sequence[FactProblem] | None = None,
    ) -> None:
        self.fact = fact
        self.allowed: list[str] | None = list(allowed) if allowed is not None else None
        self.policy = policy
        self.decision = decision
        if problems is None:
            problems = [
                FactProblem(
                    fact or "", message, tuple(allowed) if allowed is not None else None
                )
            ]
        self.problems: list[FactProblem] = list(problems)
        super().__init__(message)

    def __reduce__(self) -> Any:  # errors cross process boundaries (batch, dask): they pickle
        return (
            _rebuild_facts_error,
            (str(self), self.fact, self.allowed, self.policy, self.decision, self.problems),
        )


def _rebuild_facts_error(
    message: str,
    fact: str | None,
    allowed: list[str] | None,
    policy: str | None,
    decision: str | None,
    problems: list[FactProblem],
) -> FactsError:
    return FactsError(
        message, fact=fact, allowed=allowed, policy=policy, decision=decision, problems=problems
    )


class UnknownNameError(PolicyEngineError):
    """A policy or decision name that the loaded policy set does not have."""

    def __init__(self, message: str, *, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(message)

    def __reduce__(self) -> Any:
        return (_rebuild_unknown_name, (str(self), self.name, self.known))


def _rebuild_unknown_name(message: str, name: str, known: list[str]) -> UnknownNameError:
    return UnknownNameError(message, name=name, known=known)
