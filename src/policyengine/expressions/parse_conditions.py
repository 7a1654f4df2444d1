"""Parse a ``when`` condition, as the policy's YAML writes it, into the nodes of :mod:`.nodes`.

Every fact name, operator and enum value is checked here, with its position, so a mistake is
found when the policy is loaded. The forms (a mapping's entries must all hold)::

    person_type: tenant                  # equal
    person_type: [tenant, leaseholder]   # one of
    severity: {at_least: high}           # ordered enums, integers, dates
    behaviours: {includes_any: [threats, harassment]}
    notified_on: {present: true}
    any: [ {...}, {...} ]   all: [ ... ]   not: {...}
    holds: {on_or_before: [{fact: appeal_received}, {outcome: appeal_by}]}

Values (inside ``holds``) are parsed by :class:`~.parse_values.Parser`, the subclass that
completes this one.
"""

from __future__ import annotations

from typing import Any

from ..errors import did_you_mean
from ..facts import ValueType
from ..load import Path_
from . import nodes as n
from .checks import check_member
from .nodes import ORDER_TESTS
from .scope import Scope


class ConditionParser:
    """Conditions and the tests on one fact; :meth:`value` is parse_values.Parser's."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def value(self, node: Any, path: Path_) -> n.Value:
        raise NotImplementedError  # parse_values.Parser

    def condition(self, node: Any, path: Path_) -> n.Condition:
        scope = self.scope
        if node is None or node is True:
            return n.Always()
        if isinstance(node, list):
            return n.AllOf(tuple(self.condition(c, (*path, i)) for i, c in enumerate(node)))
        if not isinstance(node, dict) or not node:
            raise scope.fail(path, "a condition must be a mapping of facts to tests")
        parts: list[n.Condition] = []
        for key, spec in node.items():
            sub = (*path, key)
            if key == "always":
                if spec is not True:
                    raise scope.fail(sub, "'always' takes the value true")
                parts.append(n.Always())
            elif key in ("any", "all"):
                if not isinstance(spec, list) or not spec:
                    raise scope.fail(sub, f"'{key}' takes a non-empty list of conditions")
                items = tuple(self.condition(c, (*sub, i)) for i, c in enumerate(spec))
                parts.append(n.AnyOf(items) if key == "any" else n.AllOf(items))
            elif key == "not":
                parts.append(n.Not(self.condition(spec, sub)))
            elif key == "holds":
                value = self.value(spec, sub)
                if value.type.kind != "bool":
                    raise scope.fail(
                        sub, f"'holds' needs a true/false value, got {value.type.kind}"
                    )
                parts.append(n.Holds(value))
            else:
                parts.append(self.fact_test(str(key), spec, sub))
        return n.AllOf(tuple(parts))

    def fact_test(self, name: str, spec: Any, path: Path_) -> n.Condition:
        scope = self.scope
        vt = scope.facts.get(name)
        if vt is None:
            known = sorted(scope.facts)
            raise scope.fail(
                path,
                f"unknown fact '{name}'{did_you_mean(name, known)}; this decision's facts are: "
                f"{', '.join(known) or '(none)'}",
                key=True,
            )
        if isinstance(spec, dict):
            if len(spec) != 1:
                raise scope.fail(path, f"a test on '{name}' takes exactly one operator")
            ((op, arg),) = spec.items()
            test = self.operator_test(name, vt, str(op), arg, (*path, op))
            if op not in ("present", "empty", "count_at_least", "count_below"):
                scope.read_facts.add(name)
            return test
        op = "in" if isinstance(spec, list) else "is"
        test = self.operator_test(name, vt, op, spec, path)
        scope.read_facts.add(name)
        return test

    def operator_test(
        self, name: str, vt: ValueType, op: str, arg: Any, path: Path_
    ) -> n.Condition:
        scope = self.scope
        if op == "present":
            if not isinstance(arg, bool):
                raise scope.fail(path, "'present' takes true or false")
            return n.Present(name, arg)
        if vt.kind == "list":
            return self.list_test(name, vt, op, arg, path)
        if op in ("is", "in", "not_in"):
            if vt.kind in ("record", "datetime"):
                raise scope.fail(path, f"{name} ({vt.kind}) cannot be tested with '{op}'")
            if op == "is":
                check_member(vt, arg, path, scope, name)
                return n.Equals(name, arg)
            if not isinstance(arg, list) or not arg:
                raise scope.fail(path, f"'{op}' takes a non-empty list of values")
            for i, item in enumerate(arg):
                check_member(vt, item, (*path, i), scope, name)
            return n.OneOf(name, tuple(arg)) if op == "in" else n.NoneOf(name, tuple(arg))
        if op in ORDER_TESTS:
            if not vt.is_ordered:
                extra = " (declare the enum with 'ordered: true')" if vt.kind == "enum" else ""
                raise scope.fail(path, f"'{op}' needs an ordered fact; {name} is not{extra}")
            check_member(vt, arg, path, scope, name)
            if vt.kind == "enum":
                return n.Ranked(name, op, arg, tuple(vt.values))
            return n.Ordered(name, op, arg)
        known = ["is", "in", "not_in", "present", *ORDER_TESTS]
        raise scope.fail(path, f"unknown test '{op}' on {name}{did_you_mean(op, known)}; the "
                         f"tests are: {', '.join(known)} (for one of several values, write a "
                         f"list: {name}: [a, b])", key=True)

    def list_test(self, name: str, vt: ValueType, op: str, arg: Any, path: Path_) -> n.Condition:
        scope = self.scope
        assert vt.of is not None
        if op == "empty":
            if not isinstance(arg, bool):
                raise scope.fail(path, "'empty' takes true or false")
            return n.Empty(name, arg)
        if op in ("count_at_least", "count_below"):
            if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
                raise scope.fail(path, f"'{op}' takes a whole number")
            return n.CountTest(name, arg, op == "count_at_least")
        if op in ("includes_any", "includes_all", "includes_none", "includes"):
            items = [arg] if op == "includes" else arg
            if not isinstance(items, list) or not items:
                raise scope.fail(path, f"'{op}' takes a non-empty list of values")
            for i, item in enumerate(items):
                check_member(vt.of, item, (*path, i) if op != "includes" else path, scope, name)
            if op in ("includes_any", "includes"):
                return n.IncludesAny(name, tuple(items))
            if op == "includes_all":
                return n.IncludesAll(name, tuple(items))
            return n.IncludesNone(name, tuple(items))
        known = ["includes", "includes_any", "includes_all", "includes_none", "empty", "present",
                 "count_at_least", "count_below"]
        raise scope.fail(
            path, f"unknown test '{op}' on the list {name}{did_you_mean(op, known)}; the tests on "
            f"a list are: {', '.join(known)}", key=True
        )
