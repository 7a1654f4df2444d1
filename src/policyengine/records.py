"""Immutable record classes that cost nothing to define.

``@record`` makes a class behave as ``@dataclass(frozen=True)`` does for everything this
package uses: fields from the class's own annotations in order (a record base's fields
first), defaults (``field(default_factory=...)`` too), positional and keyword construction
with the TypeErrors Python gives a function for a missing, unexpected or repeated argument,
``__post_init__``, ``__eq__`` (same class, equal field tuples), ``__hash__`` (of the field
tuple), ``__repr__`` (``QualName(a=1, b='x')``), ``__match_args__``, pickling and copying,
and ``dataclasses.FrozenInstanceError`` on assigning or deleting an attribute. ``ClassVar``
annotations are not fields; a method the class defines itself is kept.

Why not ``dataclasses``: it writes each generated method as source text and compiles it when
the class is defined, about half a millisecond a class, which a new process pays for every
record class it imports. Here every method is a closure over the class's field names, made
without compiling anything (a few microseconds a class).

``@record(slots=True)`` gives ``__slots__`` (the class is rebuilt, as ``dataclass(slots=True)``
does); the plain form keeps an instance ``__dict__``, so ``functools.cached_property`` works
on it. ``@record(frozen=False)`` is a mutable record (no ``__hash__``, as a dataclass).
:func:`replace` and :func:`fields` stand in for ``dataclasses.replace`` and
``dataclasses.fields``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from itertools import repeat
from threading import get_ident
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, overload

if TYPE_CHECKING:  # mypy reads frozen_default from typing_extensions' declaration
    from typing_extensions import dataclass_transform
else:  # Python 3.11's takes it too (as a keyword it keeps), without importing anything
    from typing import dataclass_transform

__all__ = ["Field", "field", "fields", "is_record", "record", "replace"]

T = TypeVar("T")
_C = TypeVar("_C", bound=type)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _FieldSpec:
    """What ``field(...)`` returns in a class body until ``@record`` reads it."""

    __slots__ = ("default", "default_factory")

    def __init__(self, default: Any, default_factory: Any) -> None:
        self.default = default
        self.default_factory = default_factory


class _Factory:
    """A default made afresh for every instance."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


class Field:
    """One field of a record class, as :func:`fields` describes it."""

    __slots__ = ("default", "default_factory", "name")

    def __init__(self, name: str, default: Any = MISSING, default_factory: Any = MISSING
                 ) -> None:
        self.name = name
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r}, default={self.default!r}, "
                f"default_factory={self.default_factory!r})")


@overload
def field(*, default: T) -> T: ...
@overload
def field(*, default_factory: Callable[[], T]) -> T: ...
def field(*, default: Any = MISSING, default_factory: Any = MISSING) -> Any:
    """A field's default given in full: ``field(default_factory=dict)``."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _FieldSpec(default, default_factory)


_set_attribute = object.__setattr__
_RECORD = "__record_fields__"
_DEFAULTS = "__record_defaults__"


@overload
def record(cls: _C, /) -> _C: ...
@overload
def record(*, slots: bool = False, eq: bool = True, frozen: bool = True
           ) -> Callable[[_C], _C]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: Any = None, /, *, slots: bool = False, eq: bool = True, frozen: bool = True
           ) -> Any:
    """Make ``cls`` an immutable record (see the module's docstring)."""

    def wrap(cls: type) -> type:
        return _make_record(cls, slots=slots, eq=eq, frozen=frozen)

    return wrap if cls is None else wrap(cls)


def is_record(obj: object) -> bool:
    """Whether ``obj`` is a record class or an instance of one."""
    cls = obj if isinstance(obj, type) else type(obj)
    return _RECORD in cls.__dict__


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """The fields of a record class (or of an instance's class), in order."""
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    if not is_record(cls):
        raise TypeError(f"{cls.__qualname__} is not a record class")
    return tuple(
        Field(name, MISSING, d.make) if type(d) is _Factory else Field(name, d)
        for name, d in zip(cls.__dict__[_RECORD], cls.__dict__[_DEFAULTS], strict=True)
    )


def replace(obj: T, /, **changes: Any) -> T:
    """A new record like ``obj`` with ``changes`` made (``__init__`` and ``__post_init__`` run)."""
    cls = type(obj)
    if not is_record(cls):
        raise TypeError(f"replace() should be called on a record, not {cls.__qualname__}")
    values = {name: getattr(obj, name) for name in cls.__dict__[_RECORD]}
    values.update(changes)
    made: T = cls(**values)
    return made


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        head = annotation.strip().split("[", 1)[0].strip()
        return head in ("ClassVar", "typing.ClassVar", "t.ClassVar")
    return getattr(annotation, "__origin__", annotation) is ClassVar


def _collect(cls: type) -> tuple[tuple[str, ...], tuple[Any, ...], tuple[str, ...]]:
    """The fields (inherited first), their defaults, and the names the class itself declares."""
    found: dict[str, Any] = {}
    for base in reversed(cls.__mro__[1:]):
        if _RECORD in base.__dict__:
            found.update(zip(base.__dict__[_RECORD], base.__dict__[_DEFAULTS], strict=True))
    declared: list[str] = []
    # the class's own annotations, as dataclasses reads them (no import of inspect)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if _is_classvar(annotation):
            continue
        # a default may be inherited, as a dataclass finds it (but a slot is no default)
        default = getattr(cls, name, MISSING)
        if type(default) is MemberDescriptorType:
            default = MISSING
        elif type(default) is _FieldSpec:
            if default.default_factory is not MISSING:
                default = _Factory(default.default_factory)
            else:
                default = default.default
        elif default is not MISSING and type(default).__hash__ is None:
            raise ValueError(f"mutable default {type(default)} for field {name} is not "
                             "allowed: use default_factory")
        declared.append(name)
        found[name] = default
    names = tuple(found)
    defaults = tuple(found.values())
    seen_default = False
    for name, default in found.items():
        if default is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    return names, defaults, tuple(declared)


def _make_record(cls: type, *, slots: bool, eq: bool, frozen: bool) -> type:
    names, defaults, declared = _collect(cls)
    if slots:
        cls = _with_slots(cls, names, declared)
    else:  # a plain default stays a class attribute, as a dataclass leaves it
        for name, default in zip(names, defaults, strict=True):
            if name in declared and name in cls.__dict__:
                if default is MISSING or type(default) is _Factory:
                    delattr(cls, name)
                else:
                    setattr(cls, name, default)
    setattr(cls, _RECORD, names)
    setattr(cls, _DEFAULTS, defaults)
    values_of = _getter(names)
    qualname = cls.__qualname__
    # as a dataclass: a __hash__ of the class's own is kept, but not the None that Python puts
    # in a class that defines __eq__ alone
    class_hash = cls.__dict__.get("__hash__", MISSING)
    own_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in cls.__dict__))
    methods: dict[str, Callable[..., Any]] = {
        "__init__": _make_init(cls, names, defaults, slots),
        "__repr__": _make_repr(qualname, names, values_of),
        "__reduce__": _make_reduce(values_of),
    }
    if eq:
        methods["__eq__"] = _make_eq(values_of)
    if frozen:
        methods["__setattr__"], methods["__delattr__"] = _make_frozen(cls, frozenset(names))
    own_dict = cls.__dict__
    for name, method in methods.items():
        if name not in own_dict:
            method.__qualname__ = f"{qualname}.{name}"
            setattr(cls, name, method)
    if "__match_args__" not in own_dict:
        setattr(cls, "__match_args__", names)  # noqa: B010 (a class made here)
    if eq and not own_hash:
        if frozen:
            hash_of = _make_hash(values_of)
            hash_of.__qualname__ = f"{qualname}.__hash__"
            cls.__hash__ = hash_of  # type: ignore[assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    return cls


def _with_slots(cls: type, names: tuple[str, ...], declared: tuple[str, ...]) -> type:
    """``cls`` made again with ``__slots__`` for its fields that no base has a slot for (as
    ``dataclass(slots=True)`` does; the defaults are kept aside)."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} already specifies __slots__")
    inherited: set[str] = set()
    for base in cls.__mro__[1:-1]:
        slots = base.__dict__.get("__slots__", ())
        inherited.update((slots,) if isinstance(slots, str) else slots)
    body = dict(cls.__dict__)
    slot_names = tuple(name for name in names if name not in inherited)
    for name in declared:
        body.pop(name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = slot_names
    made: type = type(cls)(cls.__name__, cls.__bases__, body)
    return made


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an instance's field values as a tuple."""
    if len(names) > 1:
        many: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
        return many
    if len(names) == 1:
        one = operator.attrgetter(names[0])

        def single(obj: Any) -> tuple[Any, ...]:
            return (one(obj),)

        return single

    def none(obj: Any) -> tuple[Any, ...]:
        return ()

    return none


def _items(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving a mapping's values of ``names`` as a tuple (KeyError if one is absent)."""
    if len(names) > 1:
        many: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*names)
        return many
    (name,) = names or ("",)

    def one(mapping: dict[str, Any]) -> tuple[Any, ...]:
        return (mapping[name],) if names else ()

    return one


def _make_init(cls: type, names: tuple[str, ...], defaults: tuple[Any, ...], slots: bool
               ) -> Callable[..., None]:
    count = len(names)
    required = sum(1 for default in defaults if default is MISSING)
    qualname = f"{cls.__qualname__}.__init__"
    post_init = getattr(cls, "__post_init__", None)
    setters = tuple(getattr(cls, name).__set__ for name in names) if slots else ()

    factories = any(type(default) is _Factory for default in defaults)
    # for each count of positional arguments: the defaults of the fields after them, and a
    # function taking those fields' values from a mapping, in order
    tail_defaults = tuple(
        {name: default for name, default in zip(names[given:], defaults[given:], strict=True)
         if default is not MISSING}
        for given in range(count + 1)
    )
    tail_values = tuple(_items(names[given:]) for given in range(count + 1))

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        given = len(args)
        if given < count:
            if not kwargs and given >= required and not factories:
                return args + defaults[given:]
            # every field after the positional ones is a keyword or has a default, and no
            # keyword is another name: the merged mapping holds exactly those fields
            merged = {**tail_defaults[given], **kwargs}
            if len(merged) == count - given:
                try:
                    values = args + tail_values[given](merged)
                except KeyError:
                    pass
                else:
                    if factories:
                        values = tuple([value.make() if type(value) is _Factory else value
                                        for value in values])
                    return values
        raise _call_error(qualname, names, required, args, kwargs)

    if slots:
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            if kwargs or len(args) != count:
                args = bind(args, kwargs)
            # (args is as long as setters; zip's strict= would cost a keyword call)
            for set_slot, value in zip(setters, args):  # noqa: B905
                set_slot(self, value)
            if post_init is not None:
                post_init(self)
    else:
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            if kwargs or len(args) != count:
                args = bind(args, kwargs)
            # one attribute at a time (a loop in C: any() of map() of object.__setattr__, which
            # gives None): an instance whose __dict__ was never asked for keeps its values
            # inline, and they read more than twice as fast as from a dict
            any(map(_set_attribute, repeat(self), names, args))
            if post_init is not None:
                post_init(self)

    init.__name__ = "__init__"
    return init


def _call_error(qualname: str, names: tuple[str, ...], required: int, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> TypeError:
    """The TypeError Python gives for a call of ``qualname(self, *names)`` that cannot bind."""
    count = len(names)
    given = len(args)
    for name in kwargs:
        if name not in names:
            return TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")
        if names.index(name) < given:
            return TypeError(f"{qualname}() got multiple values for argument {name!r}")
    if given > count:
        takes = f"{count + 1}" if required == count else f"from {required + 1} to {count + 1}"
        return TypeError(f"{qualname}() takes {takes} positional argument"
                         f"{'' if count == 0 else 's'} but {given + 1} were given")
    missing = [repr(name) for name in names[given:required] if name not in kwargs]
    said = missing[0] if len(missing) == 1 else (
        ", ".join(missing[:-1]) + (", and " if len(missing) > 2 else " and ") + missing[-1])
    return TypeError(f"{qualname}() missing {len(missing)} required positional "
                     f"argument{'s' if len(missing) > 1 else ''}: {said}")


def _make_repr(qualname: str, names: tuple[str, ...], values_of: Callable[[Any], tuple[Any, ...]]
               ) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            values = values_of(self)
            parts = ", ".join([f"{name}={value!r}"
                               for name, value in zip(names, values)])  # noqa: B905
        finally:
            running.discard(key)
        return f"{qualname}({parts})"

    return __repr__


def _make_eq(values_of: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return values_of(self) == values_of(other)
        return NotImplemented

    return __eq__


def _make_hash(values_of: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values_of(self))

    return __hash__


def _make_frozen(owner: type, names: frozenset[str]
                 ) -> tuple[Callable[[Any, str, Any], None], Callable[[Any, str], None]]:
    # as a dataclass: an instance of the record class itself takes no attribute at all; one of
    # a subclass that is not a record takes attributes other than the fields
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is owner or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cast(Any, owner), self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is owner or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cast(Any, owner), self).__delattr__(name)

    return __setattr__, __delattr__


def _make_reduce(values_of: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], Any]:
    def __reduce__(self: Any) -> Any:
        return (_rebuild, (type(self), values_of(self)))

    return __reduce__


def _rebuild(cls: type[T], values: tuple[Any, ...]) -> T:
    """An instance of record ``cls`` with these field values (as unpickling makes it: neither
    ``__init__`` nor ``__post_init__`` runs)."""
    obj: T = object.__new__(cls)
    for name, value in zip(cls.__dict__[_RECORD], values, strict=True):
        _set_attribute(obj, name, value)
    return obj
