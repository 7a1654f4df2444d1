"""Generators of hostile policy files: text mutants, and well-formed YAML of the wrong shape.

* :func:`text_mutants` edits the text of a bundled policy (or of the small fixture policy) a
  few times: bytes inserted or deleted, lines dropped, repeated, swapped or re-indented, a key
  renamed, a value replaced by a hostile YAML scalar (``2026-02-30``, ``!!int abc``, a
  5,000-digit number, a recursive alias, ...).
* :func:`shape_mutants` parses a policy, replaces a few of its values by values of the wrong
  shape and dumps it back to YAML: what goes in is generated from the policy schema itself (the
  pydantic models: each field gets a value of its own kind, of another kind, or nothing), and
  ``when``/``then``/``due`` expressions from the vocabulary of the expression language.
* :func:`schema_documents` generates whole documents from the schema, most of them wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from hostile import YAML_FRAGMENTS, YAML_SCALARS
from hypothesis import strategies as st
from pydantic import BaseModel

from policyengine.lifecycle import LifecycleSpec
from policyengine.schema import PolicyFile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUNDLED = {p.name: p.read_text(encoding="utf-8")
           for p in sorted((ROOT / "policies").glob("*.yaml"))}
MINI = {p.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.yaml"))}

_KEY = re.compile(r"(?m)^([ ]*(?:- )?)([A-Za-z_][\w]*)(:)")
_VALUE = re.compile(r"(?m)^([ ]*(?:- )?[A-Za-z_][\w]*: )([^\n#]+)$")

#: Words of the expression language and of the schema, to build keys and names from.
EXPRESSION_WORDS = (
    "any", "all", "not", "holds", "always", "fact", "outcome", "interpretation", "add", "to",
    "subtract", "from", "working_days", "days", "calendar_days", "weeks", "months", "years",
    "hours", "minutes", "count", "sample", "of", "percent", "salt", "if", "then", "else",
    "on_or_before", "before", "after", "on_or_after", "equal", "more_than", "at_least",
    "at_most", "above", "below", "is", "in", "not_in", "present", "includes", "includes_any",
    "includes_all", "includes_none", "empty", "count_at_least", "count_below", "value",
    "event", "each", "fields", "at", "date", "as_of", "one_of",
)


def _fields_of(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for inner in _models_in(info.annotation):
            if inner is not model:
                names |= _fields_of(inner)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


SCHEMA_WORDS = tuple(sorted(_fields_of(PolicyFile) | _fields_of(LifecycleSpec)))
WORDS = tuple(sorted(set(EXPRESSION_WORDS) | set(SCHEMA_WORDS)))


def _names_in(texts: dict[str, str]) -> tuple[str, ...]:
    found: set[str] = set()
    for text in texts.values():
        found.update(m.group(2) for m in _KEY.finditer(text))
    return tuple(sorted(found))


NAMES = tuple(sorted(set(_names_in(BUNDLED)) | set(_names_in(MINI)) | set(WORDS)))

# ------------------------------------------------------------------------------ text mutants


def _source_texts() -> st.SearchStrategy[str]:
    """The fixture policy most of the time (fast to compile), a bundled one otherwise."""
    return st.sampled_from(sorted(MINI.values()) * 12 + sorted(BUNDLED.values()))


@st.composite
def _mutate_text(draw: st.DrawFn, text: str) -> str:
    kind = draw(st.integers(0, 9))
    n = len(text)
    if kind == 0:  # insert a fragment of YAML syntax
        i = draw(st.integers(0, n))
        return text[:i] + draw(st.sampled_from(YAML_FRAGMENTS)) + text[i:]
    if kind == 1:  # delete a few characters
        i = draw(st.integers(0, max(0, n - 1)))
        return text[:i] + text[i + draw(st.integers(1, 30)):]
    if kind == 2:  # replace a value by a hostile scalar
        values = list(_VALUE.finditer(text))
        if not values:
            return text
        m = values[draw(st.integers(0, len(values) - 1))]
        return text[: m.start(2)] + draw(st.sampled_from(YAML_SCALARS)) + text[m.end(2):]
    if kind == 3:  # rename a key
        keys = list(_KEY.finditer(text))
        if not keys:
            return text
        m = keys[draw(st.integers(0, len(keys) - 1))]
        new = draw(st.one_of(st.sampled_from(NAMES), st.text("abcxyz_", min_size=1, max_size=8)))
        return text[: m.start(2)] + new + text[m.end(2):]
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    if kind == 4:
        del lines[i]
    elif kind == 5:
        lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
    elif kind == 6 and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif kind == 7:
        shift = draw(st.sampled_from([-2, -1, 1, 2]))
        lines[i] = " " * shift + lines[i] if shift > 0 else lines[i][-shift:]
    elif kind == 8:
        lines[i] = "\t" + lines[i].lstrip(" ")
    else:  # any characters at all
        j = draw(st.integers(0, n))
        return text[:j] + draw(st.text(max_size=6)) + text[j:]
    return "\n".join(lines)


@st.composite
def text_mutants(draw: st.DrawFn) -> str:
    text = draw(_source_texts())
    for _ in range(draw(st.integers(1, 4))):
        text = draw(_mutate_text(text))
    return text


# ------------------------------------------------------------------ values from the schema

_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES), st.text(max_size=20),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)),
    st.sampled_from(["", "x" * 500, "2026-02-30", "17:00", "no", "yes", "-1", "0x10"]),
)

expressions: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=3),
        st.dictionaries(st.one_of(st.integers(-3, 3), st.booleans(), st.none()), inner,
                        max_size=2),
    ),
    max_leaves=12,
)


def _is_any(annotation: Any) -> bool:
    return annotation is Any


@functools.cache
def values_for(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the kind a schema annotation asks for (recursing into models)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if _is_any(annotation) or depth > 3:
        return expressions
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([values_for(a, depth) for a in args])
    if origin is typing.Annotated:
        return values_for(args[0], depth)
    if origin is list:
        return st.lists(values_for(args[0], depth + 1), max_size=2)
    if origin is dict:
        return st.dictionaries(st.sampled_from(NAMES), values_for(args[1], depth + 1),
                               max_size=2)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_values(annotation, depth + 1)
    simple = {str: st.one_of(st.sampled_from(NAMES), st.text(max_size=12)),
              bool: st.booleans(), int: st.integers(-5, 100), float: st.floats(),
              dt.date: st.dates(), type(None): st.none()}
    for cls, strategy in simple.items():
        if annotation is cls:
            return strategy
    return _SCALARS


@functools.cache
def model_values(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping for a model: each field of its own kind, of a wrong kind, or left out."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            key = info.alias or name
            choice = draw(st.integers(0, 9))
            if choice < 7:
                out[key] = draw(values_for(info.annotation, depth))
            elif choice < 8:
                out[key] = draw(_SCALARS)
        if draw(st.integers(0, 9)) == 0:
            out[draw(st.sampled_from(NAMES))] = draw(_SCALARS)
        return out

    return build()


def schema_documents() -> st.SearchStrategy[str]:
    return model_values(PolicyFile).map(dump)


# --------------------------------------------------------------------- wrong-shape mutants


_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                     width=1_000_000)


def _parsed(text: str) -> Any:
    return yaml.safe_load(text)


PARSED = {name: _parsed(text) for name, text in {**MINI, **BUNDLED}.items()}


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            found.extend(_paths(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found.extend(_paths(v, (*path, i)))
    return found


PATHS = {name: _paths(data) for name, data in PARSED.items()}

_EXPRESSION_KEYS = {"when", "then", "require", "due", "facts", "value", "percent", "each",
                    "fields", "to", "from", "add", "subtract", "holds", "any", "all", "not"}


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


@st.composite
def _replacement(draw: st.DrawFn, old: Any, path: tuple[Any, ...]) -> Any:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return [old]
    if kind == 1 and isinstance(old, list) and old:
        return old[0]
    if kind == 2:
        return {draw(st.sampled_from(NAMES)): old}
    if kind == 3 and isinstance(old, dict) and old:
        return list(old)
    if kind == 4 or any(str(p) in _EXPRESSION_KEYS for p in path[-3:]):
        return draw(expressions)
    return draw(_SCALARS)


@st.composite
def shape_mutants(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(MINI) * 12 + sorted(BUNDLED)))
    data = _copy(PARSED[name])
    paths = PATHS[name]
    for _ in range(draw(st.integers(1, 3))):
        path = paths[draw(st.integers(1, len(paths) - 1))]
        parent: Any = data
        try:
            for p in path[:-1]:
                parent = parent[p]
            old = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):  # an earlier edit made it text: "ab"[0] is "a"
            continue
        action = draw(st.integers(0, 5))
        if action == 0 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == 1 and isinstance(parent, dict):
            parent[draw(st.sampled_from(NAMES))] = draw(expressions)
        else:
            parent[path[-1]] = draw(_replacement(old, path))
    return dump(data)
