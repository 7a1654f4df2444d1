"""Read policy YAML safely, keeping the position of every key and value.

PyYAML's safe loader is used to compose the node graph; this module then builds plain Python
data from it itself, so that it can refuse duplicate keys (PyYAML keeps the last one silently),
refuse documents that expand aliases beyond a sane size, and remember where each value stood.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyError, Problem

#: The most nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = 200_000

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class LoadedYaml:
    """A YAML document as plain data, with the positions of its values and mapping keys."""

    file: str
    text: str
    data: Any
    #: sha256 of the file's bytes as read (of the text's UTF-8 encoding when loaded from text)
    sha256: str = ""
    value_positions: dict[Path_, Position] = field(default_factory=dict)
    key_positions: dict[Path_, Position] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> Position:
        """The position of the value (or its key) at ``path``, else of its nearest ancestor."""
        table = self.key_positions if key else self.value_positions
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.value_positions:
                return self.value_positions[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        pos = self.position(path, key=key)
        return Problem(self.file, pos.line, pos.column, message)


#: libyaml's C parser when PyYAML was built with it (same nodes and marks, ~10x faster)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


def _mark(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int = 0) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > 200:
        raise RecursionError
    memo[key] = 1  # guards against recursive aliases while we count
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, depth + 1) + _expanded_size(v, memo, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo, depth + 1)
    memo[key] = size
    return size


class _Builder:
    def __init__(self, loaded: LoadedYaml) -> None:
        self.loaded = loaded
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[Problem] = []

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in node.value
        ):
            return list(node.value)
        pos = _mark(node)
        self.problems.append(
            Problem(
                self.loaded.file, pos.line, pos.column, "'<<' merges a mapping or a list of them"
            )
        )
        return []

    def _add_pair(
        self,
        result: dict[Any, Any],
        key_node: yaml.Node,
        value_node: yaml.Node,
        path: Path_,
        *,
        explicit: bool,
    ) -> None:
        if not isinstance(key_node, yaml.ScalarNode):
            pos = _mark(key_node)
            self.problems.append(
                Problem(self.loaded.file, pos.line, pos.column, "a key must be a plain value")
            )
            return
        if key_node.tag == "tag:yaml.org,2002:merge":  # a nested merge inside a merged mapping
            for source in self._merge_sources(value_node):
                for k, v in source.value:
                    self._add_pair(result, k, v, path, explicit=False)
            return
        if key_node.tag == _STR_TAG:
            key = key_node.value
        else:
            key = self.constructor.construct_object(key_node)
        if not isinstance(key, str | int) or isinstance(key, bool):
            key = str(key_node.value)
        if key in result:
            if not explicit:
                return
            pos = _mark(key_node)
            first = self.loaded.key_positions[(*path, key)]
            self.problems.append(
                Problem(
                    self.loaded.file,
                    pos.line,
                    pos.column,
                    f"duplicate key '{key}' (first given at line {first.line}, "
                    f"column {first.column})",
                )
            )
            return
        self.loaded.key_positions[(*path, key)] = _mark(key_node)
        result[key] = self.build(value_node, (*path, key))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.loaded.value_positions[path] = _mark(node)
        if node.tag not in _ALLOWED_TAGS:
            pos = _mark(node)
            self.problems.append(
                Problem(self.loaded.file, pos.line, pos.column,
                        f"the YAML tag '{node.tag}' is not allowed in a policy file")
            )
            return None
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
        if node.tag == _STR_TAG:
            return node.value
        return self.constructor.construct_object(node)


def load_yaml_text(text: str, file: str) -> LoadedYaml:
    """Parse one YAML document, raising :class:`PolicyError` with positions on any problem."""
    loaded = LoadedYaml(file=file, text=text, data=None,
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    try:
        nodes = list(yaml.compose_all(text, Loader=_SAFE_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PolicyError(Problem(file, line, col, f"YAML syntax: {exc.problem}")) from None
    except yaml.YAMLError as exc:
        raise PolicyError(Problem(file, 1, 1, f"YAML syntax: {exc}")) from None
    if not nodes or nodes[0] is None:
        raise PolicyError(Problem(file, 1, 1, "the file is empty"))
    if len(nodes) > 1:
        raise PolicyError(Problem(file, 1, 1, "one YAML document per file, found several"))
    root = nodes[0]
    try:
        size = _expanded_size(root, {})
    except RecursionError:
        raise PolicyError(
            Problem(file, 1, 1, "the document nests too deeply or refers to itself")
        ) from None
    if size > MAX_EXPANDED_NODES:
        raise PolicyError(
            Problem(
                file,
                1,
                1,
                f"the document expands to {size} values through aliases "
                f"(the limit is {MAX_EXPANDED_NODES}); refusing it",
            )
        )
    builder = _Builder(loaded)
    try:
        loaded.data = builder.build(root, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PolicyError(Problem(file, line, col, f"YAML: {exc.problem}")) from None
    if builder.problems:
        raise PolicyError(builder.problems)
    return loaded


def load_yaml_file(path: Path) -> LoadedYaml:
    try:
        raw = path.read_bytes()
        # universal newlines, as read_text gives; the sha256 is of the bytes themselves
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror}"
        raise PolicyError(Problem(str(path), 0, 0, message)) from None
    except UnicodeDecodeError:
        raise PolicyError(Problem(str(path), 0, 0, "the file is not UTF-8 text")) from None
    loaded = load_yaml_text(text, str(path))
    loaded.sha256 = hashlib.sha256(raw).hexdigest()
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
