"""The errors the library raises: one base class, one subclass per kind of bad input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when none is close."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class PolicyEngineError(Exception):
    """Base class of every error this library raises on purpose."""


@dataclass(frozen=True)
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


class FactsError(PolicyEngineError):
    """The facts given to a decision are missing, mistyped, undeclared or out of range."""

    def __init__(
        self,
        message: str,
        *,
        fact: str | None = None,
        allowed: Sequence[str] | None = None,
        policy: str | None = None,
        decision: str | None = None,
    ) -> None:
        self.fact = fact
        self.allowed: list[str] | None = list(allowed) if allowed is not None else None
        self.policy = policy
        self.decision = decision
        super().__init__(message)


class UnknownNameError(PolicyEngineError):
    """A policy or decision name that the loaded policy set does not have."""

    def __init__(self, message: str, *, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(message)
