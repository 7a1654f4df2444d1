"""Read policy YAML safely, keeping the position of every key and value.

PyYAML's safe loader is used to compose the node graph; this module then builds plain Python
data from it itself, so that it can refuse duplicate keys (PyYAML keeps the last one silently),
remember where each value stood, and report every value it cannot read (an impossible date such
as ``2026-02-30``, a malformed number, a tag on the wrong kind of value) as a positioned
:class:`Problem`, all of them in one run, rather than let PyYAML's exception escape.

Before anything is built, :mod:`~policyengine.yaml_measure` measures the document against the
:class:`~policyengine.inputs.Limits` (values, aliases followed, nesting, characters). Only regular
files are read (see :func:`~policyengine.inputs.read_regular_file`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyError, Problem
from .inputs import Limits, UnreadableInput, decode_utf8, one_line, read_regular_file
from .yaml_measure import fits_limits, measure, refuse_characters
from .yaml_messages import syntax_problem

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int
    column: int


class _Invalid:
    """Stands in for a value that could not be read; its problem is already reported."""

    def __repr__(self) -> str:
        return "<unreadable value>"


#: The value built for a scalar that could not be read (see :attr:`LoadedYaml.invalid`).
INVALID: Any = _Invalid()


@dataclass
class LoadedYaml:
    """A YAML document as plain data, with the positions of its values and mapping keys.

    ``problems`` are the values that could not be read (each built as :data:`INVALID`, its path
    in ``invalid``); ``written`` keeps the source text of every plain scalar that YAML read as
    something other than a string (``17:00`` read as the number 1020, ``no`` as false), so that
    a later stage can say what was written.
    """

    file: str
    text: str
    data: Any
    #: sha256 of the file's bytes as read (of the text's UTF-8 encoding when loaded from text)
    sha256: str = ""
    #: the (line, column) of each value and mapping key, packed by :func:`_pack` (a plain int
    #: per entry: hundreds of thousands of them in a large file, which the cyclic garbage
    #: collector then need not traverse); read them with :meth:`position`
    value_positions: dict[Path_, int] = field(default_factory=dict)
    key_positions: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    invalid: set[Path_] = field(default_factory=set)
    written: dict[Path_, str] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> Position:
        """The position of the value (or its key) at ``path``, else of its nearest ancestor."""
        table = self.key_positions if key else self.value_positions
        probe = tuple(path)
        while True:
            if probe in table:
                return _unpack(table[probe])
            if key and probe in self.value_positions:
                return _unpack(self.value_positions[probe])
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        pos = self.position(path, key=key)
        return Problem(self.file, pos.line, pos.column, one_line(message))

    def within_invalid(self, path: Path_) -> bool:
        """Whether ``path`` is, or lies under, a value that could not be read."""
        probe = tuple(path)
        while True:
            if probe in self.invalid:
                return True
            if not probe:
                return False
            probe = probe[:-1]


#: libyaml's C parser when PyYAML was built with it (same nodes and marks, ~10x faster)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML = "tag:yaml.org,2002:"
_STR_TAG = _YAML + "str"
_INT_TAG = _YAML + "int"
_SCALAR_TAGS = frozenset(_YAML + n for n in ("str", "int", "float", "bool", "null", "timestamp"))
_TAG_KIND = {_YAML + "map": yaml.MappingNode, _YAML + "seq": yaml.SequenceNode}
_ALLOWED_TAGS = _SCALAR_TAGS | frozenset(_TAG_KIND)
_KIND_WORD = {yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list",
              yaml.ScalarNode: "a single value"}


def _mark(node: Any) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


_COLUMNS = 1 << 32  # a line of the 10 MB a file may hold never reaches 2**32 columns


def _pack(node: Any) -> int:
    """The position of a node's start as one int (see :attr:`LoadedYaml.value_positions`)."""
    mark = node.start_mark
    return int((mark.line + 1) * _COLUMNS + mark.column + 1)


def _unpack(packed: int) -> Position:
    line, column = divmod(packed, _COLUMNS)
    return Position(line, column)


def _tag_text(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


# ------------------------------------------------------------------------------ building


class _Builder:
    def __init__(self, loaded: LoadedYaml, limits: Limits) -> None:
        self.loaded = loaded
        self.limits = limits
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: Any, message: str, path: Path_ | None = None) -> Any:
        pos = _mark(node)
        self.loaded.problems.append(
            Problem(self.loaded.file, pos.line, pos.column, one_line(message)))
        if path is not None:
            self.loaded.invalid.add(path)
        return INVALID

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in node.value
        ):
            return list(node.value)
        self.fail(node, "'<<' merges a mapping or a list of them")
        return []

    def _key(self, key_node: yaml.Node) -> str | int | None:
        if not isinstance(key_node, yaml.ScalarNode):
            self.fail(key_node, "a key must be a plain value, not a list or mapping")
            return None
        if key_node.tag == _STR_TAG:
            return str(key_node.value)
        key = self.scalar(key_node, None)
        if key is INVALID:
            return None
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        return str(key_node.value)

    def _add_pair(
        self,
        result: dict[Any, Any],
        key_node: yaml.Node,
        value_node: yaml.Node,
        path: Path_,
        *,
        explicit: bool,
    ) -> None:
        if key_node.tag == "tag:yaml.org,2002:merge":  # a nested merge inside a merged mapping
            for source in self._merge_sources(value_node):
                for k, v in source.value:
                    self._add_pair(result, k, v, path, explicit=False)
            return
        key = self._key(key_node)
        if key is None:
            return
        if key in result:
            if not explicit:
                return
            first = _unpack(self.loaded.key_positions[(*path, key)])
            self.fail(key_node, f"duplicate key '{key}' (first given at line {first.line}, "
                                f"column {first.column}); keep one of them")
            return
        self.loaded.key_positions[(*path, key)] = _pack(key_node)
        result[key] = self.build(value_node, (*path, key))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.loaded.value_positions[path] = _pack(node)
        tag = node.tag
        if tag not in _ALLOWED_TAGS:
            return self.fail(node, f"the YAML tag '{_tag_text(tag)}' is not allowed in a policy "
                                   "file", path)
        wanted = _TAG_KIND.get(tag, yaml.ScalarNode)
        if not isinstance(node, wanted):
            return self.fail(node, f"the tag {_tag_text(tag)} does not fit "
                                   f"{_KIND_WORD[type(node)]}; remove the tag", path)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            merges: list[yaml.MappingNode] = []
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merges.extend(self._merge_sources(value_node))
                    continue
                self._add_pair(result, key_node, value_node, path, explicit=True)
            # YAML merge keys (<<): explicit keys win; the first merged mapping wins over later
            for source in merges:
                for key_node, value_node in source.value:
                    self._add_pair(result, key_node, value_node, path, explicit=False)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if tag == _STR_TAG:
            return node.value
        value = self.scalar(node, path)
        if not node.style and value is not INVALID:
            self.loaded.written[path] = node.value
        return value

    def scalar(self, node: yaml.ScalarNode, path: Path_ | None) -> Any:
        """A scalar of a resolved or explicit tag, or :data:`INVALID` with its problem."""
        tag = node.tag
        text = str(node.value)
        if tag == _INT_TAG:
            digits = sum(ch.isdigit() for ch in text)
            if digits > self.limits.max_number_digits:
                return self.fail(node, f"a whole number of {digits:,} digits is too long (at "
                                       f"most {self.limits.max_number_digits}); if it is text, "
                                       "put it in quotes", path)
        construct = self.constructor.yaml_constructors.get(tag)
        if construct is None:
            return self.fail(node, f"the YAML tag '{_tag_text(tag)}' is not allowed in a policy "
                                   "file", path)
        try:
            value = construct(self.constructor, node)
        except Exception as exc:  # PyYAML raises ValueError, KeyError, IndexError, ...
            return self.fail(node, _unreadable(tag, text, exc, explicit=_explicit(node)), path)
        if isinstance(value, float) and not math.isfinite(value):
            return self.fail(node, f"'{text}' is {'not a number' if value != value else 'infinite'}"
                                   ": a policy's numbers are finite (decisions are JSON); write a "
                                   "number, or quote the value if it is text", path)
        return value


_RESOLVER = yaml.resolver.Resolver()


def _explicit(node: yaml.ScalarNode) -> bool:
    """Whether a tag was written (``!!int x``) rather than resolved from a plain value."""
    if node.style:  # quoted ('' or None is plain: the C and Python parsers differ)
        return True
    resolved = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
    return bool(resolved != node.tag)


def _unreadable(tag: str, text: str, exc: Exception, *, explicit: bool) -> str:
    """Why a scalar could not be read, and what to write instead."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    kind = tag.removeprefix(_YAML)
    fix = (f"remove the tag {_tag_text(tag)} or correct the value" if explicit
           else "if it is text, put it in quotes")
    if kind == "timestamp":
        reason = str(exc) if isinstance(exc, ValueError) else "not in the form YYYY-MM-DD"
        if "offset" in reason:
            reason = "the UTC offset must be less than 24 hours"
        elif "year" in reason:
            reason = f"years run from {dt.MINYEAR} to {dt.MAXYEAR}"
        return (f"'{shown}' is not a real date or date-time ({reason}); write a date as "
                f"YYYY-MM-DD; {fix}")
    words = {"int": "a whole number", "float": "a number", "bool": "true or false",
             "null": "empty (null)"}.get(kind, kind)
    return f"'{shown}' cannot be read as {words}; {fix}"


def _compose(text: str, file: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(syntax_problem(exc, text, file)) from None
    except yaml.YAMLError as exc:
        raise PolicyError(Problem(file, 1, 1, f"YAML syntax: {exc}")) from None
    if root is None:
        raise PolicyError(Problem(file, 1, 1, "the file is empty"))
    return root


def _composed_within_limits(text: str, file: str, limits: Limits) -> yaml.Node:
    """The document's root node, once the document is known to be within the limits.

    With libyaml the document is composed first and its graph checked (:func:`fits_limits`);
    only a document that fails to compose or that the graph cannot vouch for is measured event
    by event, which words every refusal as it always has. Without libyaml (the pure-Python
    composer recurses), the document is measured before it is composed.
    """
    if _SAFE_LOADER is yaml.SafeLoader:
        measure(text, file, limits)
        return _compose(text, file)
    refuse_characters(text, file)
    try:
        root = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError:
        measure(text, file, limits)
        return _compose(text, file)  # measured: the syntax error, in words
    if root is None or not fits_limits(root, limits):
        measure(text, file, limits)  # refuses it, with the place and the setting
        if root is None:
            raise PolicyError(Problem(file, 1, 1, "the file is empty"))
    return root


def read_yaml_text(text: str, file: str, limits: Limits | None = None) -> LoadedYaml:
    """Parse one YAML document; values that cannot be read are left in ``problems``.

    Raises :class:`PolicyError` for what stops reading altogether: a syntax error, a document
    beyond the limits, several documents, an empty file.
    """
    limits = limits or Limits.from_environment()
    if len(text) > limits.max_file_bytes:
        raise PolicyError(Problem(file, 1, 1, f"the text is {len(text):,} characters, more than "
                                              f"the {limits.max_file_bytes:,} allowed; "
                                              f"{limits.hint('max_file_bytes')}"))
    root = _composed_within_limits(text, file, limits)
    loaded = LoadedYaml(file=file, text=text, data=None,
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    loaded.data = _Builder(loaded, limits).build(root, ())
    return loaded


def load_yaml_text(text: str, file: str, limits: Limits | None = None) -> LoadedYaml:
    """Parse one YAML document, raising :class:`PolicyError` with positions on any problem."""
    loaded = read_yaml_text(text, file, limits)
    if loaded.problems:
        raise PolicyError(loaded.problems)
    return loaded


def read_file_text(path: Path, limits: Limits | None = None) -> tuple[str, str]:
    """The UTF-8 text of a regular file (universal newlines) and the sha256 of its bytes, or a
    :class:`PolicyError` saying why it cannot be read."""
    try:
        raw = read_regular_file(path, limits)
        text = decode_utf8(raw)
    except UnreadableInput as exc:
        raise PolicyError(Problem(str(path), exc.line, exc.column, exc.reason)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), hashlib.sha256(raw).hexdigest()


def read_yaml_file(path: Path, limits: Limits | None = None) -> LoadedYaml:
    limits = limits or Limits.from_environment()
    text, sha256 = read_file_text(path, limits)
    loaded = read_yaml_text(text, str(path), limits)
    loaded.sha256 = sha256
    return loaded


def load_yaml_file(path: Path, limits: Limits | None = None) -> LoadedYaml:
    loaded = read_yaml_file(path, limits)
    if loaded.problems:
        raise PolicyError(loaded.problems)
    return loaded


def iter_paths(data: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every path in a nested structure of dicts and lists (used by tests and checks)."""
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, (*path, i))
