"""Immutable containers: a decision is a value that nothing a caller does can change.

``FrozenDict`` and ``FrozenList`` are a ``dict`` and a ``list`` in every way that reads (they
compare equal to plain ones, ``json.dumps`` writes them, ``isinstance(x, dict)`` holds), but every
method that would change them raises ``TypeError``. ``dict(x)`` and ``list(x)`` give a caller a
copy of their own to edit. They pickle and copy as themselves.

:func:`freeze` turns JSON-like data (dicts, lists, tuples of scalars) into these, all the way
down. The engine freezes once what it shares between decisions (citations, interpretations, trace
steps) and freezes each decision's own outcome and facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar

__all__ = ["FrozenDict", "FrozenList", "freeze", "frozen_dict", "frozen_list"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(
        f"this {type(self).__name__} is part of a decision and cannot be changed; "
        f"copy it first (dict(x) or list(x))"
    )


class FrozenDict(dict[K, V]):
    """A ``dict`` whose contents cannot be changed."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> FrozenDict[K, V]:
        self = dict.__new__(cls)
        dict.update(self, *args, **kwargs)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # filled by __new__, never again
        pass

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def copy(self) -> dict[K, V]:
        """A plain, editable copy."""
        return dict(self)


class FrozenList(list[T]):
    """A ``list`` whose contents cannot be changed."""

    __slots__ = ()

    def __new__(cls, *args: Any) -> FrozenList[T]:
        self = list.__new__(cls)
        if args:
            list.extend(self, *args)
        return self

    def __init__(self, *args: Any) -> None:  # filled by __new__, never again
        pass

    __setitem__ = _refuse
    __delitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse
    append = _refuse
    extend = _refuse
    insert = _refuse
    pop = _refuse
    remove = _refuse
    clear = _refuse
    sort = _refuse
    reverse = _refuse

    def __reduce__(self) -> Any:
        return (FrozenList, (list(self),))

    def __repr__(self) -> str:
        return f"FrozenList({list.__repr__(self)})"

    def copy(self) -> list[T]:
        """A plain, editable copy."""
        return list(self)


_new_dict = dict.__new__
_fill_dict = dict.update
_new_list = list.__new__
_fill_list = list.extend


def frozen_dict(items: Mapping[K, V] | Iterable[tuple[K, V]]) -> FrozenDict[K, V]:
    """A FrozenDict of ``items`` (not frozen further down): the fast constructor."""
    out: FrozenDict[K, V] = _new_dict(FrozenDict)
    _fill_dict(out, items)
    return out


def frozen_list(items: Iterable[T]) -> FrozenList[T]:
    """A FrozenList of ``items`` (not frozen further down): the fast constructor."""
    out: FrozenList[T] = _new_list(FrozenList)
    _fill_list(out, items)
    return out


_SCALAR_SET = frozenset(
    (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta)
)


def freeze(value: Any) -> Any:
    """``value`` with every dict and list in it, at any depth, made immutable.

    Tuples stay tuples (of frozen items); scalars and other immutable values are returned as
    they are. Already-frozen containers are reused, not copied.
    """
    cls = value.__class__
    if cls in _SCALAR_SET:
        return value
    if (cls is FrozenDict or cls is FrozenList) and _frozen_inside(value):
        return value
    return _freeze_container(value)


def _frozen_inside(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return all(
        v.__class__ in _SCALAR_SET
        or ((v.__class__ is FrozenDict or v.__class__ is FrozenList) and _frozen_inside(v))
        for v in items
    )


def _freeze_container(value: Any) -> Any:
    if value.__class__ is list:
        for item in value:
            if item.__class__ not in _SCALAR_SET:
                return frozen_list([freeze(v) for v in value])
        return frozen_list(value)  # scalars only, the usual case: no call per item
    if isinstance(value, Mapping):
        return frozen_dict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return frozen_list([freeze(v) for v in value])
    if isinstance(value, tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(v) for v in value)
    return value
