"""Compile the condition and value expressions of a policy into Python callables.

A policy's ``when`` conditions and ``then`` values are YAML structures, never strings of code.
Each is compiled once, when the policy is loaded, in two stages (the modules in the order the
data flows):

1. :mod:`.parse_conditions` and :mod:`.parse_values` read the YAML into the tree of
   :mod:`.nodes` (one small class per form), checking every name, enum value and type against
   the :class:`~.scope.Scope` with its position, so a mistake is found at load time;
   :mod:`.checks` holds the type checks they share.
2. :mod:`.codegen` (with :mod:`.codegen_facts` for the tests on one fact) is a visitor with one
   ``visit_<Node>`` method per node: it turns the tree into closures, with the helpers of
   :mod:`.moments` (date steps and comparisons) and :mod:`.sampling`.

**Where a rule's condition is evaluated:** the closure in ``Cond.fn`` is made by the
``visit_<Node>`` method of :mod:`.codegen` / :mod:`.codegen_facts` for its node (e.g.
``visit_Equals`` for ``person_type: tenant``), and called by :mod:`policyengine.evaluate` with
an :class:`~.runtime.Env` (the facts, the decision date, the calendar). :mod:`.runtime` holds
what a compiled expression is (:class:`Cond`, :class:`Expr`) and reads.

The batch path (:mod:`policyengine.batch.compile`) compiles the same YAML forms into column
masks; it shares :func:`in_sample` with this package.
"""

from __future__ import annotations

from typing import Any

from ..load import Path_
from .checks import check_assignable, check_literal_members
from .codegen import CodeGenerator
from .moments import stepper as _stepper
from .nodes import COMPARISONS, ORDER_TESTS
from .parse_values import Parser
from .runtime import ALWAYS, Absent, Cond, Env, Expr, Fn, Pred
from .sampling import in_sample
from .scope import CompileError, Scope

__all__ = [
    "ALWAYS",
    "COMPARISONS",
    "ORDER_TESTS",
    "Absent",
    "CompileError",
    "Cond",
    "Env",
    "Expr",
    "Fn",
    "Pred",
    "Scope",
    "_stepper",
    "check_assignable",
    "check_literal_members",
    "compile_condition",
    "compile_value",
    "in_sample",
]


def compile_condition(node: Any, path: Path_, scope: Scope) -> Cond:
    """The compiled ``when`` condition ``node`` found at ``path`` (raises CompileError)."""
    return CodeGenerator().condition(Parser(scope).condition(node, path))


def compile_value(node: Any, path: Path_, scope: Scope) -> Expr:
    """The compiled value ``node`` found at ``path`` (raises CompileError)."""
    return CodeGenerator().value(Parser(scope).value(node, path))
