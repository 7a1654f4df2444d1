"""Compile a decision's own YAML structures (its ``when`` conditions and ``then`` values) into
functions of a :class:`Frame` of columns: conditions give boolean masks, values give
:class:`~policyengine.batch.vectors.Vec` columns.

The forms mirror ``policyengine.expressions`` one for one, reading the same spec data the
scalar compiler read (the policy was already checked by it, so names and types are known to be
right here). A form this module does not handle raises :class:`NotVectorised` with its path, and
the decision is then decided row by row.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..durations import UNITS
from ..expressions import in_sample
from ..facts import ValueType
from . import ops
from .decode import NotVectorised, check_fact_type
from .frame import Fn, Frame, Pred, VExpr, VScope
from .ops import COMPARE
from .vectors import Bools, Const, Days, Ints, Lists, Members, Texts, Times, Vec

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt,
}


def _always(frame: Frame) -> np.ndarray:
    return np.ones(frame.n, bool)


def _present(name: str) -> Pred:
    def present(frame: Frame) -> np.ndarray:
        absent = frame.facts[name].absent
        return np.ones(frame.n, bool) if absent is None else ~absent

    return present


def _fail(scope: VScope, what: str) -> NotVectorised:
    return NotVectorised(f"{scope.where}: {what}")


# --------------------------------------------------------------------------- conditions


def condition(node: Any, scope: VScope) -> Pred:
    if node is None or node is True:
        return _always
    if isinstance(node, list):
        return _all([condition(n, scope) for n in node])
    assert isinstance(node, dict)
    parts: list[Pred] = []
    for key, spec in node.items():
        if key == "always":
            parts.append(_always)
        elif key in ("any", "all"):
            items = [condition(n, scope) for n in spec]
            parts.append(_any(items) if key == "any" else _all(items))
        elif key == "not":
            inner = condition(spec, scope)
            parts.append(_negation(inner))
        elif key == "holds":
            expr = value(spec, scope)
            parts.append(_holds(expr.fn))
        else:
            parts.append(_fact_test(str(key), spec, scope))
    return _all(parts)


def _negation(inner: Pred) -> Pred:
    def negated(frame: Frame) -> np.ndarray:
        return ~inner(frame)

    return negated


def _holds(fn: Fn) -> Pred:
    def holds(frame: Frame) -> np.ndarray:
        return frame.truth(fn(frame))

    return holds


def _all(parts: list[Pred]) -> Pred:
    parts = [p for p in parts if p is not _always]
    if not parts:
        return _always
    if len(parts) == 1:
        return parts[0]

    def all_of(frame: Frame) -> np.ndarray:
        out = parts[0](frame)
        for p in parts[1:]:
            out = out & p(frame)
        return out

    return all_of


def _any(parts: list[Pred]) -> Pred:
    if len(parts) == 1:
        return parts[0]

    def any_of(frame: Frame) -> np.ndarray:
        out = parts[0](frame)
        for p in parts[1:]:
            out = out | p(frame)
        return out

    return any_of


def _fact_test(name: str, spec: Any, scope: VScope) -> Pred:
    vt = scope.facts[name]
    check_fact_type(name, vt)
    if isinstance(spec, dict):
        ((op, arg),) = spec.items()
    elif isinstance(spec, list):
        op, arg = "in", spec
    else:
        op, arg = "is", spec
    present = _present(name)
    if op == "present":
        return present if arg else (lambda f: ~present(f))
    if vt.kind == "list":
        return _list_test(name, op, arg, present)
    test = _scalar_test(vt, op, arg)
    if test is None:
        raise _fail(scope, f"the test '{op}' on {name} ({vt.kind})")

    def fact_test(frame: Frame) -> np.ndarray:
        vec = frame.facts[name]
        result = test(vec)
        return result if vec.absent is None else result & ~vec.absent

    return fact_test


def _scalar_test(vt: ValueType, op: str, arg: Any) -> Callable[[Vec], np.ndarray] | None:
    kind = vt.kind
    if kind == "enum":
        ranks = {v: i for i, v in enumerate(vt.values)}
        if op in ("is", "in", "not_in"):
            wanted = [arg] if op == "is" else arg
            table = np.zeros(len(vt.values) + 1, bool)  # the last entry: code -1 (absent)
            table[[ranks[w] for w in wanted]] = True
            if op == "not_in":
                table[:-1] = ~table[:-1]
            return lambda v: table[v.codes]  # type: ignore[attr-defined]
        if op in _ORDER:
            bound, order = ranks[arg], _ORDER[op]
            return lambda v: np.asarray(order(v.codes, bound))  # type: ignore[attr-defined]
        return None
    if kind == "string":
        if op not in ("is", "in", "not_in"):
            return None
        wanted = [arg] if op == "is" else list(arg)

        def text_test(v: Vec) -> np.ndarray:
            assert isinstance(v, Texts)
            hit = np.isin(v.codes, [v.code_of(w) for w in wanted])
            return ~hit & (v.codes >= 0) if op == "not_in" else hit

        return text_test
    if kind not in ("bool", "int", "date"):
        return None

    def literal(x: Any) -> Any:
        return np.datetime64(x.isoformat(), "D") if kind == "date" else x

    if op == "is":
        target = literal(arg)
        return lambda v: np.asarray(v.data == target)  # type: ignore[attr-defined]
    if op in ("in", "not_in"):
        members = np.array([literal(x) for x in arg])
        invert = op == "not_in"
        return lambda v: np.isin(v.data, members, invert=invert)  # type: ignore[attr-defined]
    if op in _ORDER and kind != "bool":
        limit, order = literal(arg), _ORDER[op]
        return lambda v: np.asarray(order(v.data, limit))  # type: ignore[attr-defined]
    return None


def _list_test(name: str, op: str, arg: Any, present: Pred) -> Pred:
    def test(frame: Frame) -> np.ndarray:
        vec = frame.facts[name]
        assert isinstance(vec, Members)
        if op == "empty":
            result = (vec.lengths == 0) == bool(arg)
        elif op == "count_at_least":
            result = vec.lengths >= arg
        elif op == "count_below":
            result = vec.lengths < arg
        else:
            want = vec.mask_of([arg] if op == "includes" else list(arg))
            hits = vec.bits & want
            if op in ("includes", "includes_any"):
                result = hits != 0
            elif op == "includes_all":
                result = hits == want
            else:
                result = hits == 0
        return np.asarray(result & present(frame))

    return test


# ------------------------------------------------------------------------------- values


def _literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "any"


def _constant(value: Any, scope: VScope) -> VExpr:
    kind = _literal_kind(value)
    if kind in ("datetime", "any") or (
        kind == "list" and any(_literal_kind(v) in ("list", "any") for v in value)
    ):
        raise _fail(scope, f"the literal value {value!r}")
    const = Const(list(value) if isinstance(value, list) else value)
    return VExpr(lambda f: const, kind)


def value(node: Any, scope: VScope) -> VExpr:
    if not isinstance(node, dict):
        return _constant(node, scope)
    keys = set(node)
    if keys == {"fact"}:
        return _fact(node["fact"], scope)
    if keys == {"outcome"}:
        name = node["outcome"]
        vt = scope.outcomes[name]
        if vt.kind not in ("bool", "int", "string", "enum", "date", "datetime", "list"):
            raise _fail(scope, f"reading the {vt.kind} outcome '{name}'")
        return VExpr(lambda f: f.outcomes[name], vt.kind)
    if keys == {"interpretation"}:
        return _constant(scope.interpretations[node["interpretation"]], scope)
    if keys in ({"add", "to"}, {"subtract", "from"}):
        return _arithmetic(node, scope)
    if len(keys) == 1 and next(iter(keys)) in COMPARE:
        op = next(iter(keys))
        return _comparison(op, node[op], scope)
    if keys == {"holds"}:
        pred = condition(node["holds"], scope)
        return VExpr(lambda f: Bools(pred(f)), "bool")
    if keys == {"count"}:
        return _count(node["count"], scope)
    if keys == {"sample"}:
        return _sample(node["sample"], scope)
    if keys == {"if", "then", "else"}:
        return _choice(node, scope)
    raise _fail(scope, f"the value form {sorted(keys)}")


def _fact(name: str, scope: VScope) -> VExpr:
    if name == "as_of":
        return VExpr(lambda f: Const(f.as_of), "date")
    vt = scope.facts[name]
    check_fact_type(name, vt)
    return VExpr(lambda f: f.facts[name], "members" if vt.kind == "list" else vt.kind)


def _duration(node: Any, scope: VScope) -> tuple[str, int | VExpr]:
    if isinstance(node, dict) and set(node) == {"interpretation"}:
        node = scope.interpretations[node["interpretation"]]
    ((unit, amount),) = node.items()
    assert unit in UNITS
    if isinstance(amount, dict):
        expr = value(amount, scope)
        if expr.kind != "int":
            raise _fail(scope, f"a duration amount of kind {expr.kind}")
        return str(unit), expr
    return str(unit), int(amount)


def _arithmetic(node: dict[str, Any], scope: VScope) -> VExpr:
    adding = "add" in node
    unit, amount = _duration(node["add" if adding else "subtract"], scope)
    base = value(node["to" if adding else "from"], scope)
    sign = 1 if adding else -1
    kind = "datetime" if unit in ("hours", "minutes") else "date"
    bfn = base.fn
    if isinstance(amount, int):
        fixed = sign * amount
        return VExpr(lambda f: ops.shift(bfn(f), unit, fixed, f), kind)
    afn = amount.fn

    def arithmetic(frame: Frame) -> Vec:
        count = afn(frame)
        if isinstance(count, Const):
            return ops.shift(bfn(frame), unit, sign * int(count.value), frame)
        assert isinstance(count, Ints)
        signed = Ints(sign * count.data).flags(count.absent, count.bad)
        return ops.shift(bfn(frame), unit, signed, frame)

    return VExpr(arithmetic, kind)


def _comparison(op: str, arg: list[Any], scope: VScope) -> VExpr:
    left, right = value(arg[0], scope), value(arg[1], scope)
    kinds = {left.kind, right.kind}
    if not (kinds <= {"date", "datetime"} or len(kinds) == 1) or kinds & {"list", "members"}:
        raise _fail(scope, f"comparing {' and '.join(sorted(kinds))}")
    lfn, rfn = left.fn, right.fn
    return VExpr(lambda f: ops.compare(op, lfn(f), rfn(f), f), "bool")


def _count(node: Any, scope: VScope) -> VExpr:
    inner = value(node, scope)
    ifn = inner.fn

    def count(frame: Frame) -> Vec:
        vec = ifn(frame)
        if isinstance(vec, Const):
            return Const(len(vec.value)).flags(vec.absent, vec.bad)
        if isinstance(vec, Members):
            return Ints(vec.lengths).flags(vec.absent, vec.bad)
        assert isinstance(vec, Lists)
        lengths = np.array([*(len(t) for t in vec.table), 0], dtype=np.int64)
        return Ints(lengths[vec.codes]).flags(vec.absent, vec.bad)

    return VExpr(count, "int")


def _sample(spec: dict[str, Any], scope: VScope) -> VExpr:
    key = value(spec["of"], scope)
    if key.kind not in ("string", "enum"):
        raise _fail(scope, f"a sample of a {key.kind} value")
    percent = spec["percent"]
    if isinstance(percent, dict):
        percent = scope.interpretations[percent["interpretation"]]
    salt, threshold, kfn = spec["salt"], int(percent * 100), key.fn

    def sample(frame: Frame) -> Vec:
        vec = kfn(frame)
        if isinstance(vec, Const):
            return Const(in_sample(str(vec.value), salt, threshold)).flags(vec.absent, vec.bad)
        assert isinstance(vec, Texts)
        drawn = np.array([*(in_sample(str(v), salt, threshold) for v in vec.table), False])
        return Bools(drawn[vec.codes]).flags(vec.absent, vec.bad)

    return VExpr(sample, "bool")


def _choice(node: dict[str, Any], scope: VScope) -> VExpr:
    pred = condition(node["if"], scope)
    yes, no = value(node["then"], scope), value(node["else"], scope)
    kinds = {yes.kind, no.kind}
    if kinds <= {"string", "enum"}:
        kind = "string"
    elif len(kinds) == 1 and yes.kind in ("bool", "int", "date", "datetime", "list"):
        kind = yes.kind
    else:
        raise _fail(scope, f"an if/else choosing between {' and '.join(sorted(kinds))}")
    yfn, nfn = yes.fn, no.fn

    def choice(frame: Frame) -> Vec:
        cond = pred(frame)
        return ops.choose(cond, yfn(frame), nfn(frame), kind, frame)

    return VExpr(choice, kind)


def unset(vt: ValueType, n: int) -> Vec:
    """An outcome no rule has set yet: absent on every row."""
    everywhere = np.ones(n, bool)
    kind = vt.kind
    out: Vec
    if kind == "bool":
        out = Bools(np.zeros(n, bool))
    elif kind == "int":
        out = Ints(np.zeros(n, np.int64))
    elif kind == "date":
        out = Days(np.zeros(n, "datetime64[D]"))
    elif kind in ("string", "enum"):
        out = Texts(np.full(n, -1, np.int32), ())
    elif kind == "list":
        out = Lists(np.full(n, -1, np.int32), [])
    elif kind == "datetime":
        out = Times(utc=np.zeros(n, np.int64))
    else:  # a moment is never read by a value (the vectoriser refuses to)
        out = Const(None)
    return out.flags(everywhere, None)


__all__ = ["NotVectorised", "condition", "unset", "value"]
