"""The policy loader before the one-pass reader of issue 10: the reference it is tested against.

Kept as it stood at 5502ec6 (``load.py`` and ``yaml_measure.py``): a first pass over the parser's
events measures the document against the limits (:func:`measure`), then PyYAML composes the node
graph and :class:`_Builder` builds plain data from it. ``tests/test_load_speed.py`` checks that
:func:`policyengine.load.read_yaml_text` gives the same data, positions, written forms and problems,
or the same refusal, on generated documents and on every bundled policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from typing import Any

import yaml

from policyengine.errors import PolicyError, Problem
from policyengine.inputs import Limits, one_line
from policyengine.loaded import INVALID, LoadedYaml, Path_, Position
from policyengine.yaml_messages import syntax_problem

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


#: Characters YAML does not allow in a file (control characters, lone surrogates, ...).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _bad_character(text: str, index: int, file: str) -> Problem:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    code = ord(text[index])
    what = ("not a valid character (half of a surrogate pair)" if 0xD800 <= code <= 0xDFFF
            else "a control character")
    return Problem(file, line, column, f"the character U+{code:04X} is {what} and cannot appear "
                                       "in a YAML file; remove it")



class _Frame:
    __slots__ = ("anchor", "depth", "size")

    def __init__(self, anchor: str | None) -> None:
        self.anchor = anchor
        self.size = 1
        self.depth = 0  # levels below this one, aliases followed


def measure(text: str, file: str, limits: Limits) -> None:
    """Refuse a document beyond the limits, with a character YAML does not allow, with several
    documents or with a recursive alias; a syntax error is refused here too, in words."""
    bad = _NOT_YAML.search(text)
    if bad is not None:
        raise PolicyError(_bad_character(text, bad.start(), file))

    def refuse(event: Any, message: str) -> PolicyError:
        mark = event.start_mark
        return PolicyError(Problem(file, mark.line + 1, mark.column + 1, message))

    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values once expanded, depth)
    stack: list[_Frame] = []
    values = alias_values = documents = 0
    try:
        for event in yaml.parse(text, Loader=_SAFE_LOADER):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise refuse(event, "one YAML document per file, found a second one here "
                                        "(a line '---' starts a new document)")
            elif isinstance(event, _NODE_EVENTS):
                values += 1
                if values > limits.max_yaml_values:
                    raise refuse(event, f"the document has more than "
                                        f"{limits.max_yaml_values:,} values; "
                                        f"{limits.hint('max_yaml_values')}")
                if isinstance(event, yaml.ScalarEvent):
                    if stack:  # a value of the collection: following an alias to it adds it too
                        stack[-1].size += 1
                        stack[-1].depth = max(stack[-1].depth, 1)
                    if event.anchor:
                        anchors[event.anchor] = (1, 1)
                    continue
                stack.append(_Frame(event.anchor))
                if len(stack) > limits.max_nesting:
                    raise refuse(event, f"lists and mappings nest more than "
                                        f"{limits.max_nesting} deep here; "
                                        f"{limits.hint('max_nesting')}")
            elif isinstance(event, yaml.CollectionEndEvent):
                frame = stack.pop()
                depth = frame.depth + 1
                if frame.anchor:
                    anchors[frame.anchor] = (frame.size, depth)
                if stack:
                    stack[-1].size += frame.size
                    stack[-1].depth = max(stack[-1].depth, depth)
            elif isinstance(event, yaml.AliasEvent):
                name = event.anchor
                if any(f.anchor == name for f in stack):
                    raise refuse(event, f"the alias *{name} refers to a value that contains it, "
                                        "so it would never end; refer to another value")
                if name not in anchors:
                    raise refuse(event, f"the alias *{name} refers to an anchor that is not "
                                        "defined above it (an anchor is written "
                                        f"&{name} before the value it names)")
                size, depth = anchors[name]
                alias_values += size
                if alias_values > limits.max_alias_values:
                    raise refuse(event, f"following its aliases (*name) would add more than "
                                        f"{limits.max_alias_values:,} values to the document; "
                                        f"refusing it; {limits.hint('max_alias_values')}")
                if len(stack) + depth > limits.max_nesting:
                    raise refuse(event, f"with its aliases followed, the document nests more "
                                        f"than {limits.max_nesting} deep; "
                                        f"{limits.hint('max_nesting')}")
                if stack:
                    stack[-1].size += size
                    stack[-1].depth = max(stack[-1].depth, depth)
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(syntax_problem(exc, text, file)) from None
    except yaml.YAMLError as exc:
        raise PolicyError(Problem(file, 1, 1, f"YAML syntax: {exc}")) from None
    if values == 0:
        raise PolicyError(Problem(file, 1, 1, "the file is empty"))


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


def read_yaml_text(text: str, file: str, limits: Limits) -> LoadedYaml:
    """The reference reading: measure, compose, build."""
    measure(text, file, limits)
    root = _compose(text, file)
    loaded = LoadedYaml(file=file, text=text, data=None,
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    loaded.data = _Builder(loaded, limits).build(root, ())
    return loaded
