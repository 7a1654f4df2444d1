"""What names an expression may use while it is parsed, and how a mistake in one is reported.

A :class:`Scope` is made per decision by the compiler; the parser reads its names and records in
it what the expressions read. A mistake raises :class:`CompileError` holding a positioned
:class:`~policyengine.errors.Problem`; the compiler collects them into a ``PolicyError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem
from ..facts import ValueType
from ..load import LoadedYaml, Path_
from ..records import field, record


class CompileError(Exception):
    """Raised inside the compiler for one bad expression; collected into a PolicyError."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@record(frozen=False)
class Scope:
    """What names an expression may use, and where to report problems."""

    loaded: LoadedYaml
    facts: Mapping[str, ValueType]
    outcomes: Mapping[str, ValueType]
    interpretations: Mapping[str, Any]
    rule: str = ""
    defined_outcomes: set[str] = field(default_factory=set)
    in_condition: bool = False
    outcomes_in_conditions: set[str] = field(default_factory=set)  # rule ids
    #: facts some expression reads value by value (not only their presence or their length)
    read_facts: set[str] = field(default_factory=set)

    def fail(self, path: Path_, message: str, *, key: bool = False) -> CompileError:
        return CompileError(self.loaded.problem(path, message, key=key))


def fmt(value: Any) -> str:
    """A literal as the wording of a trace writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value)
