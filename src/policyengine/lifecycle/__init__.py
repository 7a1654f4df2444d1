"""Case lifecycles: declared under a policy file's top-level ``lifecycles:`` key, compiled at load.

A lifecycle describes one kind of case an app follows through time (a complaint, a conduct case,
a customer's contact history): the events that can happen to it, the states it moves through,
and the obligations those events open and discharge. Due dates are never computed here: each
obligation names a decision of the same policy, and the facts to give it, so that a due date is
exactly what :meth:`PolicySet.decide` answers for those facts.

This package only compiles (:mod:`.spec` the shape, :mod:`.compile` and :mod:`.sources` the
checks, :mod:`.rules` the rules and durable_rules' limits, :mod:`.model` the result). Running
cases is :mod:`policyengine.monitor`'s job; nothing here imports durable_rules. The policy
compiler does not import this package: :mod:`policyengine.policyset` hands it
:func:`compile_lifecycles` as the compiler of the ``lifecycles:`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from .compile import compile_lifecycles as _compile
from .model import (
    NEW,
    CompiledDue,
    CompiledEvent,
    CompiledLifecycle,
    CompiledObligation,
    CompiledRequires,
    CompiledState,
    CompiledTransition,
    DurableRule,
    Effect,
    FactSource,
    Rule,
)
from .rules import INT64, MAX_BRANCHES, MAX_MATCHING
from .spec import _LIST_FIELDS, LifecycleSpec

if TYPE_CHECKING:
    from ..compiler import CompiledPolicy, _Compiler


def compile_lifecycles(compiler: _Compiler, policy: CompiledPolicy) -> None:
    """The compiler of the ``lifecycles:`` section: fills ``policy.lifecycles`` (read-only)."""
    object.__setattr__(policy, "lifecycles", MappingProxyType(_compile(compiler, policy)))


def lifecycles_of(policy: CompiledPolicy) -> Mapping[str, CompiledLifecycle]:
    """A compiled policy's lifecycles, by name (typed: the compiler holds them untyped)."""
    return policy.lifecycles


__all__ = [
    "INT64",
    "MAX_BRANCHES",
    "MAX_MATCHING",
    "NEW",
    "_LIST_FIELDS",
    "CompiledDue",
    "CompiledEvent",
    "CompiledLifecycle",
    "CompiledObligation",
    "CompiledRequires",
    "CompiledState",
    "CompiledTransition",
    "DurableRule",
    "Effect",
    "FactSource",
    "LifecycleSpec",
    "Rule",
    "compile_lifecycles",
    "lifecycles_of",
]
