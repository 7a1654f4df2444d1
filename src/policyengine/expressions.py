"""Compile the condition and value expressions of a policy into Python callables.

A policy's ``when`` conditions and ``then`` values are YAML structures, never strings of code:
each form below is turned, once, at load time, into a closure that reads the facts from an
:class:`Env`. Every name and enum value is checked here, with its position, so a mistake is found
when the policy is loaded rather than when it runs.

Conditions (a mapping; its entries must all hold)::

    person_type: tenant                  # equal
    person_type: [tenant, leaseholder]   # one of
    severity: {at_least: high}           # ordered enums, integers, dates
    behaviours: {includes_any: [threats, harassment]}
    notified_on: {present: true}
    any: [ {...}, {...} ]   all: [ ... ]   not: {...}
    holds: {on_or_before: [{fact: appeal_received}, {outcome: appeal_by}]}

Values: literals, ``{fact: x}``, ``{outcome: x}``, ``{interpretation: x}``,
``{add: {working_days: 10}, to: {fact: x}}``, ``{subtract: {months: 1}, from: ...}``,
comparisons ``{on_or_before: [a, b]}`` (also before, after, on_or_after, equal),
``{holds: condition}``, ``{count: list}``, ``{sample: {of: x, percent: 20, salt: s}}``,
``{if: condition, then: value, else: value}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .calendars import WorkingCalendar
from .durations import (
    LONDON,
    UNITS,
    Duration,
    add_duration,
    add_months,
    parse_duration,
    received_day,
    to_london,
)
from .errors import FactsError, Problem, did_you_mean
from .facts import ANY, BOOL, DATE, DATETIME, INT, MOMENT, STRING, ValueType
from .load import LoadedYaml, Path_


class Env:
    """What a compiled expression reads while one decision is evaluated."""

    __slots__ = ("as_of", "calendar", "closes_at", "facts", "outcome", "where")

    def __init__(
        self,
        facts: dict[str, Any],
        as_of: dt.date,
        calendar: WorkingCalendar,
        closes_at: dt.time | None,
        where: str,
    ) -> None:
        self.facts = facts
        self.outcome: dict[str, Any] = {}
        self.as_of = as_of
        self.calendar = calendar
        self.closes_at = closes_at
        self.where = where


Fn = Callable[[Env], Any]
Pred = Callable[[Env], bool]


@dataclass(frozen=True)
class Expr:
    fn: Fn
    type: ValueType
    text: str
    interpretations: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    uses_working_days_from_datetime: bool = False


@dataclass(frozen=True)
class Cond:
    fn: Pred
    text: str
    interpretations: frozenset[str] = frozenset()
    facts: frozenset[str] = frozenset()
    #: facts this condition requires to equal one of some values: when a fact's value is not
    #: among them, the condition is false, and evaluating it would have raised nothing
    equality: tuple[tuple[str, frozenset[Any]], ...] = ()
    #: evaluating it never raises (a plain test of a fact)
    safe: bool = False


class CompileError(Exception):
    """Raised inside the compiler for one bad expression; collected into a PolicyError."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _always(env: Env) -> bool:
    return True


ALWAYS = Cond(_always, "always", safe=True)

# the operator module's functions: the same comparisons, called without a Python frame
COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "on_or_before": (operator.le, "is on or before"),
    "before": (operator.lt, "is before"),
    "on_or_after": (operator.ge, "is on or after"),
    "after": (operator.gt, "is after"),
    "equal": (operator.eq, "equals"),
    "more_than": (operator.gt, "is more than"),
    "at_least": (operator.ge, "is at least"),
}

ORDER_TESTS: dict[str, tuple[Callable[[int, int], bool], str]] = {
    "at_least": (operator.ge, "is at least"),
    "at_most": (operator.le, "is at most"),
    "above": (operator.gt, "is above"),
    "below": (operator.lt, "is below"),
}



@dataclass
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


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- conditions


def compile_condition(node: Any, path: Path_, scope: Scope) -> Cond:
    if node is None:
        return ALWAYS
    if node is True:
        return ALWAYS
    if isinstance(node, list):
        return _all_of([compile_condition(n, (*path, i), scope) for i, n in enumerate(node)])
    if not isinstance(node, dict) or not node:
        raise scope.fail(path, "a condition must be a mapping of facts to tests")
    parts: list[Cond] = []
    for key, spec in node.items():
        sub = (*path, key)
        if key == "always":
            if spec is not True:
                raise scope.fail(sub, "'always' takes the value true")
            parts.append(ALWAYS)
        elif key in ("any", "all"):
            if not isinstance(spec, list) or not spec:
                raise scope.fail(sub, f"'{key}' takes a non-empty list of conditions")
            items = [compile_condition(n, (*sub, i), scope) for i, n in enumerate(spec)]
            parts.append(_any_of(items) if key == "any" else _all_of(items))
        elif key == "not":
            parts.append(_negate(compile_condition(spec, sub, scope)))
        elif key == "holds":
            expr = compile_value(spec, sub, scope)
            if expr.type.kind != "bool":
                raise scope.fail(sub, f"'holds' needs a true/false value, got {expr.type.kind}")
            parts.append(_holds(expr))
        else:
            parts.append(_fact_test(str(key), spec, sub, scope))
    return _all_of(parts)


def _conjunction(fns: tuple[Pred, ...]) -> Pred:
    """All of the tests, short-circuiting; two and three tests without a loop (the hot path)."""
    if len(fns) == 2:
        f1, f2 = fns

        def both(env: Env) -> bool:
            return f1(env) and f2(env)

        return both
    if len(fns) == 3:
        g1, g2, g3 = fns

        def all_three(env: Env) -> bool:
            return g1(env) and g2(env) and g3(env)

        return all_three

    def all_of(env: Env) -> bool:
        for f in fns:  # noqa: SIM110 (a plain loop: no generator on the hot path)
            if not f(env):
                return False
        return True

    return all_of


def _disjunction(fns: tuple[Pred, ...]) -> Pred:
    if len(fns) == 2:
        f1, f2 = fns

        def either(env: Env) -> bool:
            return f1(env) or f2(env)

        return either

    def any_of(env: Env) -> bool:
        for f in fns:  # noqa: SIM110 (a plain loop: no generator on the hot path)
            if f(env):
                return True
        return False

    return any_of


def _conjoined_equality(parts: list[Cond]) -> tuple[tuple[str, frozenset[Any]], ...]:
    """What a conjunction requires: its parts' requirements, up to the first part that may
    raise (a test after it might never be reached)."""
    found: dict[str, frozenset[Any]] = {}
    for part in parts:
        for fact, values in part.equality:
            found[fact] = found[fact] & values if fact in found else values
        if not part.safe:
            break
    return tuple(found.items())


def _all_of(parts: list[Cond]) -> Cond:
    parts = [p for p in parts if p is not ALWAYS]
    if not parts:
        return ALWAYS
    if len(parts) == 1:
        return parts[0]
    return Cond(
        _conjunction(tuple(p.fn for p in parts)),
        " and ".join(p.text for p in parts),
        frozenset().union(*(p.interpretations for p in parts)),
        frozenset().union(*(p.facts for p in parts)),
        _conjoined_equality(parts),
        all(p.safe for p in parts),
    )


def _any_of(parts: list[Cond]) -> Cond:
    if len(parts) == 1:
        return parts[0]
    return Cond(
        _disjunction(tuple(p.fn for p in parts)),
        "(" + " or ".join(p.text for p in parts) + ")",
        frozenset().union(*(p.interpretations for p in parts)),
        frozenset().union(*(p.facts for p in parts)),
        safe=all(p.safe for p in parts),
    )


def _negate(part: Cond) -> Cond:
    fn = part.fn

    def negated(env: Env) -> bool:
        return not fn(env)

    return Cond(negated, f"not ({part.text})", part.interpretations, part.facts,
                safe=part.safe)


def _holds(expr: Expr) -> Cond:
    fn = expr.fn

    def holds(env: Env) -> bool:
        try:
            return bool(fn(env))
        except Absent:
            return False

    return Cond(holds, expr.text, expr.interpretations, expr.facts)


def _check_member(vt: ValueType, value: Any, path: Path_, scope: Scope, fact: str) -> None:
    if vt.kind == "enum":
        if not isinstance(value, str) or value not in vt.values:
            written = scope.loaded.written.get(path)
            if isinstance(value, bool):
                shown = written or _fmt(value)
                hint = (f" (YAML read the unquoted {shown} as {_fmt(value)}: write it in "
                        f"quotes, '{shown}')")
            else:
                hint = did_you_mean(str(value), list(vt.values))
            raise scope.fail(
                path,
                f"'{_fmt(value)}' is not a value of {fact}; allowed: {', '.join(vt.values)}{hint}",
            )
    elif vt.kind == "bool":
        if not isinstance(value, bool):
            raise scope.fail(path, f"{fact} is true or false, not '{_fmt(value)}'")
    elif vt.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise scope.fail(path, f"{fact} is a whole number, not '{_fmt(value)}'")
    elif vt.kind == "string":
        if not isinstance(value, str):
            raise scope.fail(path, f"{fact} is a string, not '{_fmt(value)}'")
    elif vt.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise scope.fail(path, f"{fact} is a date (YYYY-MM-DD), not '{_fmt(value)}'")
    else:
        raise scope.fail(path, f"{fact} ({vt.kind}) cannot be compared with a literal")


def _fact_test(name: str, spec: Any, path: Path_, scope: Scope) -> Cond:
    vt = scope.facts.get(name)
    if vt is None:
        known = sorted(scope.facts)
        raise scope.fail(
            path,
            f"unknown fact '{name}'{did_you_mean(name, known)}; this decision's facts are: "
            f"{', '.join(known) or '(none)'}",
            key=True,
        )
    facts = frozenset([name])
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise scope.fail(path, f"a test on '{name}' takes exactly one operator")
        ((op, arg),) = spec.items()
        sub = (*path, op)
        test = _operator_test(name, vt, str(op), arg, sub, scope, facts)
        if op not in ("present", "empty", "count_at_least", "count_below"):
            scope.read_facts.add(name)
    else:
        op = "in" if isinstance(spec, list) else "is"
        test = _operator_test(name, vt, op, spec, path, scope, facts)
        scope.read_facts.add(name)
    # a test of a validated fact never raises
    return test if test.safe else Cond(
        test.fn, test.text, test.interpretations, test.facts, test.equality, True
    )


def _operator_test(
    name: str,
    vt: ValueType,
    op: str,
    arg: Any,
    path: Path_,
    scope: Scope,
    facts: frozenset[str],
) -> Cond:
    if op == "present":
        if not isinstance(arg, bool):
            raise scope.fail(path, "'present' takes true or false")
        want = arg

        def present(env: Env) -> bool:
            return (name in env.facts) is want

        return Cond(present, f"{name} is {'given' if want else 'not given'}", facts=facts)

    if vt.kind == "list":
        return _list_test(name, vt, op, arg, path, scope, facts)
    if op in ("is", "in", "not_in"):
        if vt.kind in ("record", "datetime"):
            raise scope.fail(path, f"{name} ({vt.kind}) cannot be tested with '{op}'")
        if op == "is":
            _check_member(vt, arg, path, scope, name)
            target = arg

            def equals(env: Env) -> bool:
                v = env.facts.get(name, _MISSING)
                return v is not _MISSING and v == target

            return Cond(equals, f"{name} is {_fmt(arg)}", facts=facts,
                        equality=((name, frozenset([target])),), safe=True)
        if not isinstance(arg, list) or not arg:
            raise scope.fail(path, f"'{op}' takes a non-empty list of values")
        for i, item in enumerate(arg):
            _check_member(vt, item, (*path, i), scope, name)
        members = frozenset(arg)
        if op == "in":

            def one_of(env: Env) -> bool:
                v = env.facts.get(name, _MISSING)
                return v is not _MISSING and v in members

            return Cond(one_of, f"{name} is one of {_fmt(arg)}", facts=facts,
                        equality=((name, members),), safe=True)

        def none_of(env: Env) -> bool:
            v = env.facts.get(name, _MISSING)
            return v is not _MISSING and v not in members

        return Cond(none_of, f"{name} is not one of {_fmt(arg)}", facts=facts)

    if op in ORDER_TESTS:
        if not vt.is_ordered:
            extra = " (declare the enum with 'ordered: true')" if vt.kind == "enum" else ""
            raise scope.fail(path, f"'{op}' needs an ordered fact; {name} is not{extra}")
        compare, words = ORDER_TESTS[op]
        if vt.kind == "enum":
            _check_member(vt, arg, path, scope, name)
            ranks = {v: i for i, v in enumerate(vt.values)}
            bound = ranks[arg]

            def ranked(env: Env) -> bool:
                v = env.facts.get(name, _MISSING)
                return v is not _MISSING and compare(ranks[v], bound)

            return Cond(ranked, f"{name} {words} {arg}", facts=facts)
        _check_member(vt, arg, path, scope, name)
        limit = arg

        def ordered(env: Env) -> bool:
            v = env.facts.get(name, _MISSING)
            return v is not _MISSING and compare(v, limit)

        return Cond(ordered, f"{name} {words} {_fmt(arg)}", facts=facts)

    known = ["is", "in", "not_in", "present", *ORDER_TESTS]
    raise scope.fail(path, f"unknown test '{op}' on {name}{did_you_mean(op, known)}; the tests "
                     f"are: {', '.join(known)} (for one of several values, write a list: "
                     f"{name}: [a, b])", key=True)


def _list_test(
    name: str,
    vt: ValueType,
    op: str,
    arg: Any,
    path: Path_,
    scope: Scope,
    facts: frozenset[str],
) -> Cond:
    assert vt.of is not None
    if op == "empty":
        if not isinstance(arg, bool):
            raise scope.fail(path, "'empty' takes true or false")
        want = arg

        def empty(env: Env) -> bool:
            v = env.facts.get(name, _MISSING)
            return v is not _MISSING and (len(v) == 0) is want

        return Cond(empty, f"{name} is {'empty' if want else 'not empty'}", facts=facts)
    if op in ("count_at_least", "count_below"):
        if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
            raise scope.fail(path, f"'{op}' takes a whole number")
        n = arg
        at_least = op == "count_at_least"

        def count(env: Env) -> bool:
            v = env.facts.get(name, _MISSING)
            return v is not _MISSING and ((len(v) >= n) is at_least)

        words = "at least" if at_least else "fewer than"
        return Cond(count, f"{name} has {words} {n} items", facts=facts)
    if op in ("includes_any", "includes_all", "includes_none", "includes"):
        items = [arg] if op == "includes" else arg
        if not isinstance(items, list) or not items:
            raise scope.fail(path, f"'{op}' takes a non-empty list of values")
        for i, item in enumerate(items):
            _check_member(vt.of, item, (*path, i) if op != "includes" else path, scope, name)
        wanted = frozenset(items)
        if op in ("includes_any", "includes"):

            def inc_any(env: Env) -> bool:
                v = env.facts.get(name, _MISSING)
                return v is not _MISSING and not wanted.isdisjoint(v)

            return Cond(inc_any, f"{name} includes any of {_fmt(items)}", facts=facts)
        if op == "includes_all":

            def inc_all(env: Env) -> bool:
                v = env.facts.get(name, _MISSING)
                return v is not _MISSING and wanted.issubset(v)

            return Cond(inc_all, f"{name} includes all of {_fmt(items)}", facts=facts)

        def inc_none(env: Env) -> bool:
            v = env.facts.get(name, _MISSING)
            return v is not _MISSING and wanted.isdisjoint(v)

        return Cond(inc_none, f"{name} includes none of {_fmt(items)}", facts=facts)
    known = ["includes", "includes_any", "includes_all", "includes_none", "empty", "present",
             "count_at_least", "count_below"]
    raise scope.fail(
        path, f"unknown test '{op}' on the list {name}{did_you_mean(op, known)}; the tests on a "
        f"list are: {', '.join(known)}", key=True
    )


class Absent(Exception):
    """An optional fact (or an outcome not set) that a value needed was not there.

    In a condition this makes the test false; in a ``then`` value the evaluator turns it
    into a :class:`FactsError` naming the fact.
    """

    def __init__(self, name: str, kind: str) -> None:
        super().__init__(name)
        self.name = name
        self.kind = kind


_MISSING = object()


# ------------------------------------------------------------------------------- values


def _literal_type(value: Any) -> ValueType:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, dt.datetime):
        return DATETIME
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, str):
        return STRING
    return ANY


def compile_value(node: Any, path: Path_, scope: Scope) -> Expr:
    if isinstance(node, dict):
        return _compile_operator(node, path, scope)
    if isinstance(node, list):
        items = [compile_value(v, (*path, i), scope) for i, v in enumerate(node)]
        fns = tuple(e.fn for e in items)
        elem = items[0].type if items else ANY

        def make_list(env: Env) -> list[Any]:
            return [f(env) for f in fns]

        return Expr(
            make_list,
            ValueType("list", of=elem),
            "[" + ", ".join(e.text for e in items) + "]",
            frozenset().union(*(e.interpretations for e in items)),
            frozenset().union(*(e.facts for e in items)),
        )
    if node is None:
        raise scope.fail(path, "a value is missing here")
    if isinstance(node, float):  # an outcome would otherwise take any number, of any type
        raise scope.fail(path, f"{node} is a number with a fraction; a policy's values are whole "
                               "numbers, dates, text, or true or false")
    value = node

    def constant(env: Env) -> Any:
        return value

    return Expr(constant, _literal_type(node), _fmt(node))


def _compile_operator(node: dict[str, Any], path: Path_, scope: Scope) -> Expr:
    keys = set(node)
    if keys == {"fact"}:
        return _fact_ref(node["fact"], (*path, "fact"), scope)
    if keys == {"outcome"}:
        return _outcome_ref(node["outcome"], (*path, "outcome"), scope)
    if keys == {"interpretation"}:
        name = node["interpretation"]
        if not isinstance(name, str) or name not in scope.interpretations:
            raise scope.fail(
                (*path, "interpretation"),
                f"unknown interpretation '{name}'"
                f"{did_you_mean(str(name), list(scope.interpretations))}",
            )
        value = scope.interpretations[name]

        def interp(env: Env) -> Any:
            return value

        return Expr(interp, _literal_type(value), f"{name} ({_fmt(value)})", frozenset([name]))
    if keys in ({"add", "to"}, {"subtract", "from"}):
        return _date_arithmetic(node, path, scope)
    if len(keys) == 1 and next(iter(keys)) in COMPARISONS:
        op = next(iter(keys))
        return _comparison(op, node[op], (*path, op), scope)
    if keys == {"holds"}:
        cond = compile_condition(node["holds"], (*path, "holds"), scope)
        fn = cond.fn
        return Expr(fn, BOOL, cond.text, cond.interpretations, cond.facts)
    if keys == {"count"}:
        counted = node["count"]
        if isinstance(counted, dict) and set(counted) == {"fact"}:
            inner = _fact_ref(counted["fact"], (*path, "count", "fact"), scope, length_only=True)
        else:
            inner = compile_value(counted, (*path, "count"), scope)
        if inner.type.kind != "list":
            raise scope.fail((*path, "count"), "'count' needs a list")
        ifn = inner.fn

        def count(env: Env) -> int:
            return len(ifn(env))

        return Expr(count, INT, f"the number of {inner.text}", inner.interpretations, inner.facts)
    if keys == {"sample"}:
        return _sample(node["sample"], (*path, "sample"), scope)
    if keys == {"if", "then", "else"}:
        cond = compile_condition(node["if"], (*path, "if"), scope)
        yes = compile_value(node["then"], (*path, "then"), scope)
        no = compile_value(node["else"], (*path, "else"), scope)
        cfn, yfn, nfn = cond.fn, yes.fn, no.fn
        result = _common_type(yes.type, no.type)
        if result is None:
            raise scope.fail(
                path,
                f"'then' gives {yes.type.describe()} but 'else' gives {no.type.describe()}",
            )

        def choose(env: Env) -> Any:
            return yfn(env) if cfn(env) else nfn(env)

        return Expr(
            choose,
            result,
            f"{yes.text} if {cond.text}, else {no.text}",
            cond.interpretations | yes.interpretations | no.interpretations,
            cond.facts | yes.facts | no.facts,
        )
    known = ["fact", "outcome", "interpretation", "add/to", "subtract/from", "holds", "count",
             "sample", "if/then/else", *COMPARISONS]
    if keys & {"all", "any", "not"}:
        raise scope.fail(
            path,
            f"'{'/'.join(sorted(keys & {'all', 'any', 'not'}))}' combines conditions, not "
            "values: in a 'when', write it directly (when: {all: [...]}); as a value, wrap the "
            "condition: {holds: {all: [...]}}",
        )
    raise scope.fail(
        path,
        f"unknown value form with keys {', '.join(sorted(map(str, keys)))}; "
        f"known forms: {', '.join(known)}",
    )


def _common_type(a: ValueType, b: ValueType) -> ValueType | None:
    """The type of a value that is one of two types, or None if they do not mix."""
    if a == b or b.kind == "any":
        return a
    if a.kind == "any":
        return b
    times = {"date", "datetime", "moment"}
    if a.kind in times and b.kind in times:
        return MOMENT
    if a.kind == b.kind and a.kind in ("string", "enum", "list"):
        return a if a.kind != "enum" else STRING
    if {a.kind, b.kind} == {"string", "enum"}:
        return STRING
    return None


def _as_of(env: Env) -> dt.date:
    return env.as_of


def _fact_ref(name: Any, path: Path_, scope: Scope, *, length_only: bool = False) -> Expr:
    if name == "as_of":
        return Expr(_as_of, DATE, "the decision date (as_of)")
    if not isinstance(name, str) or name not in scope.facts:
        known = sorted(scope.facts)
        raise scope.fail(
            path,
            f"unknown fact '{name}'{did_you_mean(str(name), known)}; this decision's facts are: "
            f"{', '.join(known) or '(none)'}",
        )
    vt = scope.facts[name]
    if not length_only:
        scope.read_facts.add(name)

    def fact(env: Env) -> Any:
        try:
            return env.facts[name]
        except KeyError:
            raise Absent(name, "fact") from None

    return Expr(fact, vt, name, facts=frozenset([name]))


def _outcome_ref(name: Any, path: Path_, scope: Scope) -> Expr:
    if not isinstance(name, str) or name not in scope.outcomes:
        raise scope.fail(
            path, f"unknown outcome '{name}'{did_you_mean(str(name), list(scope.outcomes))}"
        )
    if name not in scope.defined_outcomes:
        raise scope.fail(path, f"outcome '{name}' is used before any rule above sets it")
    if scope.in_condition:
        scope.outcomes_in_conditions.add(scope.rule)

    def outcome(env: Env) -> Any:
        try:
            return env.outcome[name]
        except KeyError:
            raise Absent(name, "outcome") from None

    return Expr(outcome, scope.outcomes[name], name)


def _duration(
    node: Any, path: Path_, scope: Scope
) -> tuple[Duration | tuple[str, Expr], frozenset[str]]:
    """A fixed duration, or (unit, whole-number expression) when the amount comes from a fact."""
    interps: frozenset[str] = frozenset()
    if isinstance(node, dict) and set(node) == {"interpretation"}:
        name = node["interpretation"]
        if not isinstance(name, str) or name not in scope.interpretations:
            raise scope.fail(path, f"unknown interpretation '{name}'")
        interps = frozenset([name])
        node = scope.interpretations[name]
    if not isinstance(node, dict):
        raise scope.fail(path, f"a duration is one of {', '.join(UNITS)} with a whole number")
    if len(node) == 1 and isinstance(next(iter(node.values())), dict):
        ((unit, amount),) = node.items()
        if unit not in UNITS:
            raise scope.fail(path, f"unknown unit '{unit}'; units: {', '.join(UNITS)}")
        expr = compile_value(amount, (*path, unit), scope)
        if expr.type.kind != "int":
            raise scope.fail((*path, unit), f"a duration's amount is a whole number, not "
                             f"{expr.type.describe()}")
        return (str(unit), expr), interps | expr.interpretations
    try:
        return parse_duration(node), interps
    except (ValueError, TypeError) as exc:
        raise scope.fail(path, f"bad duration: {exc}") from None


def _date_arithmetic(node: dict[str, Any], path: Path_, scope: Scope) -> Expr:
    adding = "add" in node
    key = "add" if adding else "subtract"
    dur, interps = _duration(node[key], (*path, key), scope)
    base_key = "to" if adding else "from"
    base = compile_value(node[base_key], (*path, base_key), scope)
    if base.type.kind not in ("date", "datetime"):
        raise scope.fail((*path, base_key), f"a duration is added to a date, not {base.type.kind}")
    unit = dur.unit if isinstance(dur, Duration) else dur[0]
    if unit in ("hours", "minutes") and base.type.kind != "datetime":
        raise scope.fail(
            path, f"{unit} are elapsed time and need a date-time; {base.text} is a date"
        )
    result_type = DATETIME if unit in ("hours", "minutes") else DATE
    bfn = base.fn
    from_datetime = unit == "working_days" and base.type.kind == "datetime"
    sign = 1 if adding else -1
    # the fact to blame when the result falls outside the supported dates
    culprit = next(iter(sorted(base.facts)), None) or ("as_of" if bfn is _as_of else None)

    step = _stepper(unit)

    def shift(env: Env, start: Any, amount: int) -> Any:
        """The step again through the general function, for its own words about what failed."""
        duration = Duration(amount, unit)
        try:  # the general function, for its own words about what went wrong
            return add_duration(start, duration, env.calendar, env.closes_at)
        except (OverflowError, ValueError) as exc:
            raise FactsError(
                f"{env.where}: {duration} from {start} falls outside the dates this library "
                f"supports ({exc})",
                fact=culprit,
            ) from None

    if isinstance(dur, Duration):
        fixed = sign * dur.amount

        def arithmetic(env: Env) -> Any:
            start = bfn(env)
            try:
                return step(start, fixed, env)
            except (OverflowError, ValueError):
                return shift(env, start, fixed)

        text = f"{dur} {'after' if adding else 'before'} {base.text}"
        facts_used = base.facts
    else:
        amount = dur[1]
        afn = amount.fn

        def arithmetic(env: Env) -> Any:
            start, amount = bfn(env), sign * afn(env)
            try:
                return step(start, amount, env)
            except (OverflowError, ValueError):
                return shift(env, start, amount)

        text = f"{amount.text} {unit.replace('_', ' ')} {'after' if adding else 'before'} " + (
            base.text
        )
        facts_used = base.facts | amount.facts
    return Expr(
        arithmetic,
        result_type,
        text,
        base.interpretations | interps,
        facts_used,
        from_datetime or base.uses_working_days_from_datetime,
    )


def _stepper(unit: str) -> Callable[[Any, int, Env], Any]:
    """``add_duration`` for one unit, with the unit's checks done once, at compile time."""
    if unit == "working_days":

        def working_days(start: Any, n: int, env: Env) -> Any:
            if isinstance(start, dt.datetime):
                start = received_day(start, env.calendar, env.closes_at)
            return env.calendar.add_working_days(start, n)

        return working_days
    if unit in ("minutes", "hours"):
        scale = dt.timedelta(minutes=1) if unit == "minutes" else dt.timedelta(hours=1)

        def elapsed(start: Any, n: int, env: Env) -> Any:
            if not isinstance(start, dt.datetime):
                raise ValueError("elapsed time needs a date and time")
            return (to_london(start).astimezone(dt.UTC) + n * scale).astimezone(LONDON)

        return elapsed
    days = {"days": 1, "weeks": 7}.get(unit)
    months = 12 if unit == "years" else 1

    def calendar_step(start: Any, n: int, env: Env) -> Any:
        local = to_london(start).date() if isinstance(start, dt.datetime) else start
        if days is not None:
            return local + dt.timedelta(days=n * days)
        return add_months(local, n * months)

    return calendar_step


def _comparison(op: str, arg: Any, path: Path_, scope: Scope) -> Expr:
    if not isinstance(arg, list) or len(arg) != 2:
        raise scope.fail(path, f"'{op}' takes a list of two values")
    left = compile_value(arg[0], (*path, 0), scope)
    right = compile_value(arg[1], (*path, 1), scope)
    kinds = {left.type.kind, right.type.kind}
    times = {"date", "datetime", "moment"}
    if op != "equal" and not (kinds <= times or kinds <= {"int", "any"}):
        raise scope.fail(path, f"'{op}' compares dates, date-times or numbers, not "
                         f"{' and '.join(sorted(kinds))}")
    if len(kinds) == 2 and not kinds <= times and "any" not in kinds:
        raise scope.fail(path, f"'{op}' compares values of different kinds: {sorted(kinds)}")
    compare, words = COMPARISONS[op]
    lfn, rfn = left.fn, right.fn
    if kinds <= times and kinds != {"date"}:

        def moments(env: Env) -> bool:
            return compare(*_comparable(lfn(env), rfn(env)))

        fn: Fn = moments
    else:

        def plain(env: Env) -> bool:
            return compare(lfn(env), rfn(env))

        fn = plain

    return Expr(
        fn,
        BOOL,
        f"{left.text} {words} {right.text}",
        left.interpretations | right.interpretations,
        left.facts | right.facts,
        left.uses_working_days_from_datetime or right.uses_working_days_from_datetime,
    )


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    """Two date-times compare as instants; a date against a date-time compares London days."""
    a_dt, b_dt = isinstance(a, dt.datetime), isinstance(b, dt.datetime)
    if a_dt and b_dt:
        return _instant(a), _instant(b)
    if a_dt or b_dt:
        return _as_day(a), _as_day(b)
    return a, b


def _instant(value: Any) -> Any:
    """Aware date-times compared as instants (two London times compare by wall clock)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def _as_day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value


def _sample(spec: Any, path: Path_, scope: Scope) -> Expr:
    if not isinstance(spec, dict) or set(spec) != {"of", "percent", "salt"}:
        raise scope.fail(path, "'sample' takes 'of', 'percent' and 'salt'")
    key = compile_value(spec["of"], (*path, "of"), scope)
    percent = spec["percent"]
    if isinstance(percent, dict) and set(percent) != {"interpretation"}:
        raise scope.fail((*path, "percent"), "'percent' is a number from 0 to 100, or "
                         "{interpretation: name} (a fixed share: not a fact)")
    if isinstance(percent, dict):
        pct_expr = compile_value(percent, (*path, "percent"), scope)
        percent = pct_expr.fn(None)  # type: ignore[arg-type]  # an interpretation is constant
        interps = pct_expr.interpretations
    else:
        interps = frozenset()
    if not isinstance(percent, int | float) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise scope.fail((*path, "percent"), "'percent' is a number from 0 to 100")
    if not isinstance(spec["salt"], str) or not spec["salt"]:
        raise scope.fail((*path, "salt"), "'salt' is a fixed, non-empty string")
    salt = spec["salt"]
    threshold = int(percent * 100)  # in hundredths of a percent
    kfn = key.fn

    def sample(env: Env) -> bool:
        return in_sample(str(kfn(env)), salt, threshold)

    return Expr(
        sample,
        BOOL,
        f"{key.text} falls in the {percent}% sample (salt '{salt}')",
        key.interpretations | interps,
        key.facts,
    )


def in_sample(key: str, salt: str, hundredths_of_percent: int) -> bool:
    """A reproducible draw: SHA-256 of salt and key, read as a number from 0 to 9999."""
    # surrogatepass: a key an app passed as text that is not valid Unicode still draws (and the
    # same way every time) rather than crash the decision
    digest = hashlib.sha256(f"{salt}\x00{key}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < hundredths_of_percent


def check_assignable(
    expr: Expr, target: ValueType, path: Path_, scope: Scope, outcome: str
) -> None:
    """Check that a computed value fits the declared type of an outcome."""
    got = expr.type
    if target.kind == "any" or got.kind == "any":
        return
    if target.kind == "enum":
        if got.kind not in ("string", "enum"):
            raise scope.fail(path, f"outcome '{outcome}' takes {target.describe()}, not {got.kind}")
        return
    if target.kind == "string" and got.kind in ("string", "enum"):
        return
    if target.kind == "moment" and got.kind in ("date", "datetime", "moment"):
        return
    if target.kind == "list" and got.kind == "list":
        return
    if target.kind != got.kind:
        raise scope.fail(
            path, f"outcome '{outcome}' is {target.describe()}, but this value is {got.describe()}"
        )


def check_literal_members(
    node: Any, target: ValueType, path: Path_, scope: Scope, name: str
) -> None:
    """Check enum literals written directly in a ``then`` value against the outcome's type."""
    if isinstance(node, dict):
        return
    if target.kind == "enum":
        _check_member(target, node, path, scope, name)
    elif target.kind == "list" and target.of is not None and isinstance(node, list):
        for i, item in enumerate(node):
            check_literal_members(item, target.of, (*path, i), scope, name)
