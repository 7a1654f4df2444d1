"""Fact types: what a decision accepts, and validation of the facts an app passes in.

A policy declares each decision's facts (enums, booleans, integers, dates, date-times, strings,
lists of those and lists of small records). From those declarations this module builds, once per
decision, a :class:`FactsValidator` of plain-Python checks (:mod:`~policyengine.factcheck`), so
that a missing, mistyped, undeclared or out-of-range fact is a :class:`FactsError` naming every
problem: the fact's path (``contacts[0].channel``), what it must be and, for enums, the allowed
values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from .errors import FactsError
from .factcheck import Checks, build_checks
from .values import FrozenDict
from .valuetypes import (
    ALL_KINDS,
    ANY,
    BOOL,
    DATE,
    DATETIME,
    INT,
    MAX_STRING_LENGTH,
    MOMENT,
    SCALAR_KINDS,
    STRING,
    ValueType,
)

__all__ = [
    "ALL_KINDS",
    "ANY",
    "BOOL",
    "DATE",
    "DATETIME",
    "INT",
    "MAX_STRING_LENGTH",
    "MOMENT",
    "SCALAR_KINDS",
    "STRING",
    "FactsValidator",
    "ValueType",
]


class FactsValidator:
    """Validates the facts for one decision; built once when the policy is compiled.

    ``deferred`` names facts that no rule reads value by value (only, say, how many there are):
    :meth:`check` validates them as strictly as the others but leaves the conversion of their
    date-times to London time until the decision's facts are read.
    """

    __slots__ = ("_checks", "_decision", "_deferred", "_policy", "_types", "_used")

    def __init__(
        self,
        policy: str,
        decision: str,
        facts: Mapping[str, ValueType],
        deferred: Collection[str] = (),
    ) -> None:
        self._policy = policy
        self._decision = decision
        self._types: Mapping[str, ValueType] = MappingProxyType(dict(facts))
        self._checks: Checks | None = None
        self._deferred = frozenset(deferred) & set(facts)
        self._used = False

    @property
    def policy(self) -> str:
        return self._policy

    @property
    def decision(self) -> str:
        return self._decision

    @property
    def types(self) -> Mapping[str, ValueType]:
        return self._types

    @property
    def checks(self) -> Checks:
        """The compiled checks, built on first use (a policy that is loaded but never used for
        this decision never pays for them)."""
        checks = self._checks
        if checks is None:
            checks = self._checks = build_checks(
                self.policy, self.decision, self.types, self._deferred
            )
        return checks

    def validate(self, facts: Mapping[str, Any]) -> FrozenDict[str, Any]:
        """Check the facts and return them as Python values (absent optional facts omitted)."""
        complete = self.check(facts)[1]
        return complete if type(complete) is FrozenDict else complete()

    def check(self, facts: Mapping[str, Any]) -> tuple[FrozenDict[str, Any], Any]:
        """``(values for the rules, the decision's facts)``; the second may be a function that
        builds them when called (see ``deferred``). Raises :class:`FactsError`."""
        checks = self._checks or self.checks
        compiled = checks._compiled
        if compiled is None and not self._used:  # the first call: no fast check generated yet
            object.__setattr__(self, "_used", True)
            values = checks.full(facts)
            return values, values
        fast = compiled(facts) if compiled is not None else checks.fast(facts)
        if fast is not None:
            return fast
        values = checks.full(facts)
        return values, values

    def error(self, facts: Any) -> FactsError | None:
        """The FactsError these facts give, or None when they are valid."""
        try:
            self.checks.full(facts)
        except FactsError as exc:
            return exc
        return None
