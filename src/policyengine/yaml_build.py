"""Build plain data from the YAML parser's events, keeping the position of every value and key.

A document is read in one pass over libyaml's event stream (PyYAML's own parser when libyaml is
absent); no node graph is composed, so a large file leaves the cyclic garbage collector nothing
to traverse but the data itself. As each event arrives it is measured against the limits
(:class:`~policyengine.yaml_measure.Measure`) and then built (:class:`_Tree`):

* an anchored value (``&name``) is kept as its events, and an alias (``*name``) replays them;
* the value of a merge key (``<<``) is kept the same way and merged when its mapping ends:
  explicit keys win, and the first merged mapping wins over later ones;
* what cannot be read is a positioned :class:`~policyengine.errors.Problem` in
  :attr:`~policyengine.loaded.LoadedYaml.problems`, all of them in one run, rather than an
  exception of PyYAML's: a duplicate key (PyYAML keeps the last one silently), an impossible
  date such as ``2026-02-30``, a malformed number, a tag on the wrong kind of value.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import PolicyError, Problem
from .inputs import Limits, one_line
from .loaded import INVALID, LoadedYaml, Path_, pack, unpack
from .yaml_measure import Measure, refuse_characters
from .yaml_messages import syntax_problem
from .yaml_scalars import (
    ALLOWED_TAGS,
    MAP_TAG,
    MERGE_TAG,
    RESOLVER,
    SEQ_TAG,
    STR_TAG,
    Unreadable,
    construct_scalar,
    tag_text,
)

#: libyaml's C parser when PyYAML was built with it (the same events, ~10x faster)
PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_KIND_WORD = {MAP_TAG: "a mapping", SEQ_TAG: "a list"}

_SCALAR = yaml.ScalarEvent
_MAP_START = yaml.MappingStartEvent
_SEQ_START = yaml.SequenceStartEvent
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _at(event: Any) -> int:
    mark = event.start_mark
    return pack(mark.line + 1, mark.column + 1)


# What an open collection does with its next value, and a mapping's state between values.
_LIST, _MAP, _SKIP, _CAPTURE = range(4)
_KEY: Any = object()  # the mapping's next value is a key
_SKIP_VALUE: Any = object()  # the next value belongs to a key that was refused: not built
_MERGE: Any = object()  # the next value is merged (the key was '<<')


class _Open:
    __slots__ = ("container", "events", "key", "kind", "merges", "path")

    def __init__(self, kind: int, container: Any = None, path: Path_ = ()) -> None:
        self.kind = kind
        self.container = container
        self.path = path
        self.key: Any = _KEY
        self.merges: list[list[Any]] = []
        self.events: list[Any] = []


class _Reader:
    """What every value built from one document shares: where problems and positions go."""

    def __init__(self, loaded: LoadedYaml, limits: Limits) -> None:
        self.loaded = loaded
        self.limits = limits
        self.value_positions = loaded.value_positions
        self.key_positions = loaded.key_positions
        self.constructor = yaml.constructor.SafeConstructor()
        self.resolved: dict[str, str] = {}  # plain scalar -> its tag

    def fail(self, event: Any, message: str, path: Path_ | None = None) -> Any:
        mark = event.start_mark
        self.loaded.problems.append(
            Problem(self.loaded.file, mark.line + 1, mark.column + 1, one_line(message)))
        if path is not None:
            self.loaded.invalid.add(path)
        return INVALID

    def scalar_tag(self, event: Any) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return str(tag)
        if not event.implicit[0]:  # quoted: a string
            return STR_TAG
        value = event.value
        resolved = self.resolved.get(value)
        if resolved is None:
            resolved = self.resolved[value] = str(
                RESOLVER.resolve(yaml.ScalarNode, value, event.implicit))  # type: ignore[no-untyped-call]
        return resolved

    def scalar_value(self, event: Any, path: Path_) -> Any:
        """The value of a scalar at ``path``, or :data:`INVALID` with its problem."""
        mark = event.start_mark
        self.value_positions[path] = pack(mark.line + 1, mark.column + 1)
        tag = self.scalar_tag(event)
        if tag == STR_TAG:
            return event.value
        if tag not in ALLOWED_TAGS:
            return self.fail(event, f"the YAML tag '{tag_text(tag)}' is not allowed in a "
                                    "policy file", path)
        if tag in (MAP_TAG, SEQ_TAG):
            return self.fail(event, f"the tag {tag_text(tag)} does not fit a single value; "
                                    "remove the tag", path)
        value = self.construct(event, tag, path)
        if not event.style and value is not INVALID:
            self.loaded.written[path] = event.value
        return value

    def collection_problem(self, event: Any, is_map: bool) -> str | None:
        """Why a list or mapping's tag does not fit it, or None."""
        tag = event.tag
        if tag is None or tag == "!":
            return None
        if tag not in ALLOWED_TAGS:
            return f"the YAML tag '{tag_text(tag)}' is not allowed in a policy file"
        if tag != (MAP_TAG if is_map else SEQ_TAG):
            kind = _KIND_WORD[MAP_TAG if is_map else SEQ_TAG]
            return f"the tag {tag_text(tag)} does not fit {kind}; remove the tag"
        return None

    def construct(self, event: Any, tag: str, path: Path_ | None) -> Any:
        """A scalar of a resolved or explicit tag, or :data:`INVALID` with its problem."""
        try:
            return construct_scalar(self.constructor, event, tag, self.limits)
        except Unreadable as exc:
            return self.fail(event, exc.reason, path)

    def key(self, event: Any, tag: str) -> str | int | None:
        """A mapping key: a string, or a whole number; None when it cannot be read."""
        if tag == STR_TAG:
            return str(event.value)
        key = self.construct(event, tag, None)
        if key is INVALID:
            return None
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        return str(event.value)

    # ------------------------------------------------------------------------------ merges

    def merge_sources(self, events: list[Any]) -> list[list[Any]]:
        """The mappings a merge key's value merges (each as its events), or a problem."""
        first = events[0].__class__
        if first is _MAP_START:
            return [events]
        if first is _SEQ_START:
            items = _items(events)
            if all(item[0].__class__ is _MAP_START for item in items):
                return items
        self.fail(events[0], "'<<' merges a mapping or a list of them")
        return []

    def merge(self, result: dict[Any, Any], sources: list[list[Any]], path: Path_) -> None:
        for source in sources:
            items = _items(source)
            for key_events, value_events in zip(items[::2], items[1::2], strict=True):
                self._merge_pair(result, key_events, value_events, path)

    def _merge_pair(self, result: dict[Any, Any], key_events: list[Any],
                    value_events: list[Any], path: Path_) -> None:
        first = key_events[0]
        if first.__class__ is not _SCALAR:
            self.fail(first, "a key must be a plain value, not a list or mapping")
            return
        tag = self.scalar_tag(first)
        if tag == MERGE_TAG:  # a merge inside a merged mapping
            self.merge(result, self.merge_sources(value_events), path)
            return
        key = self.key(first, tag)
        if key is None or key in result:
            return
        self.key_positions[(*path, key)] = _at(first)
        tree = _Tree(self, (*path, key))
        for event in value_events:
            tree.feed(event)
        result[key] = tree.root


def _items(events: list[Any]) -> list[list[Any]]:
    """The items of a list or mapping given as its events (a mapping's alternate key, value)."""
    items = []
    i, last = 1, len(events) - 1  # events[0] starts it, events[last] ends it
    while i < last:
        j = i + 1
        if events[i].__class__ is not _SCALAR:
            depth = 1
            while depth:
                kind = events[j].__class__
                if kind is _MAP_START or kind is _SEQ_START:
                    depth += 1
                elif kind is not _SCALAR:
                    depth -= 1
                j += 1
        items.append(events[i:j])
        i = j
    return items


class _Tree:
    """Builds one value (the document, or a merged value) from its node events, in order."""

    def __init__(self, reader: _Reader, path: Path_) -> None:
        self.reader = reader
        self.base = path
        self.root: Any = None
        self.stack: list[_Open] = []
        self.capture: list[Any] | None = None  # the events of a merge key's value

    def feed(self, event: Any) -> None:
        if self.capture is not None:
            self.capture.append(event)
        kind = event.__class__
        if kind is _SCALAR:
            top = self.stack[-1] if self.stack else None
            if top is not None and top.kind == _MAP:  # the common case first, inline
                key = top.key
                if key is _KEY:
                    self._key(event)
                    return
                if key is not _SKIP_VALUE and key is not _MERGE:
                    top.key = _KEY
                    top.container[key] = self.reader.scalar_value(event, (*top.path, key))
                    return
            self._scalar(event)
        elif kind is _MAP_START or kind is _SEQ_START:
            self._start(event, kind is _MAP_START)
        else:
            self._end()

    def _slot(self) -> tuple[Any, Path_]:
        """Where the next value goes: a path to build it at, or what to do with it instead."""
        if not self.stack:
            return None, self.base
        top = self.stack[-1]
        if top.kind == _LIST:
            return None, (*top.path, len(top.container))
        if top.kind == _MAP:
            key = top.key
            if key is _KEY:
                return _KEY, ()
            top.key = _KEY
            if key is _SKIP_VALUE or key is _MERGE:
                return key, ()
            return None, (*top.path, key)
        return _SKIP_VALUE, ()  # inside a value that is not built

    def _put(self, path: Path_, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if top.kind == _LIST:
            top.container.append(value)
        else:
            top.container[path[-1]] = value

    def _scalar(self, event: Any) -> None:
        instead, path = self._slot()
        if instead is None:
            self._put(path, self.reader.scalar_value(event, path))
        elif instead is _KEY:
            self._key(event)
        elif instead is _MERGE:
            self.stack[-1].merges.extend(self.reader.merge_sources([event]))

    def _start(self, event: Any, is_map: bool) -> None:
        instead, path = self._slot()
        if instead is _KEY:
            self.reader.fail(event, "a key must be a plain value, not a list or mapping")
            self.stack[-1].key = _SKIP_VALUE
            self.stack.append(_Open(_SKIP))
        elif instead is _SKIP_VALUE:
            self.stack.append(_Open(_SKIP))
        elif instead is _MERGE:
            captured = _Open(_CAPTURE)
            captured.events.append(event)
            self.capture = captured.events
            self.stack.append(captured)
        else:
            reader = self.reader
            reader.value_positions[path] = _at(event)
            problem = reader.collection_problem(event, is_map)
            if problem is not None:
                self._put(path, reader.fail(event, problem, path))
                self.stack.append(_Open(_SKIP))
                return
            container: Any = {} if is_map else []
            self._put(path, container)
            self.stack.append(_Open(_MAP if is_map else _LIST, container, path))

    def _end(self) -> None:
        ended = self.stack.pop()
        if ended.kind == _CAPTURE:
            self.capture = None
            self.stack[-1].merges.extend(self.reader.merge_sources(ended.events))
        elif ended.kind == _MAP and ended.merges:
            self.reader.merge(ended.container, ended.merges, ended.path)

    def _key(self, event: Any) -> None:
        top = self.stack[-1]
        reader = self.reader
        tag = reader.scalar_tag(event)
        if tag == MERGE_TAG:
            top.key = _MERGE
            return
        key = reader.key(event, tag)
        if key is None:
            top.key = _SKIP_VALUE
            return
        path = (*top.path, key)
        if key in top.container:
            first = unpack(reader.key_positions[path])
            reader.fail(event, f"duplicate key '{key}' (first given at line {first.line}, "
                               f"column {first.column}); keep one of them")
            top.key = _SKIP_VALUE
            return
        reader.key_positions[path] = _at(event)
        top.key = key


class _Anchored:
    """The events of an anchored value, gathered until it ends."""

    __slots__ = ("depth", "events", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.events: list[Any] = []
        self.depth = 0


def build_document(text: str, file: str, limits: Limits) -> LoadedYaml:
    """Read one YAML document; values that cannot be read are left in ``problems``.

    Raises :class:`PolicyError` for what stops reading altogether: a syntax error, a document
    beyond the limits, several documents, an anchor given twice, an empty file.
    """
    refuse_characters(text, file)
    loaded = LoadedYaml(file=file, text=text, data=None)
    tree = _Tree(_Reader(loaded, limits), ())
    measure = Measure(file, limits)
    anchored: dict[str, list[Any]] = {}
    first_anchor: dict[str, Any] = {}
    twice: tuple[str, Any, Any] | None = None
    gathering: list[_Anchored] = []
    try:
        events: Any = yaml.parse(text, Loader=PARSER)
        for event in events:
            kind = event.__class__
            if kind is _SCALAR or kind is _MAP_START or kind is _SEQ_START:
                if kind is _SCALAR:
                    measure.scalar(event)
                else:
                    measure.start(event)
                name = event.anchor
                if name:
                    if name in first_anchor:
                        twice = twice or (name, first_anchor[name], event)
                    else:
                        first_anchor[name] = event
                    gathering.append(_Anchored(name))
                if gathering:
                    _gather(gathering, anchored, event, 0 if kind is _SCALAR else 1)
                tree.feed(event)
            elif kind in _ENDS:
                measure.end()
                if gathering:
                    _gather(gathering, anchored, event, -1)
                tree.feed(event)
            elif kind is yaml.AliasEvent:
                measure.alias(event)
                replay = anchored[event.anchor]
                for open_anchor in gathering:
                    open_anchor.events.extend(replay)
                for replayed in replay:
                    tree.feed(replayed)
            elif kind is yaml.DocumentStartEvent:
                measure.document(event)
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(syntax_problem(exc, text, file)) from None
    except yaml.YAMLError as exc:
        raise PolicyError(Problem(file, 1, 1, f"YAML syntax: {exc}")) from None
    measure.finish()
    if twice is not None:
        name, first, second = twice
        where = unpack(_at(first))
        raise PolicyError(Problem(file, second.start_mark.line + 1, second.start_mark.column + 1,
                                  f"the anchor &{name} is given twice (first at line "
                                  f"{where.line}, column {where.column}); give each anchor its "
                                  "own name"))
    loaded.data = tree.root
    return loaded


def _gather(gathering: list[_Anchored], anchored: dict[str, list[Any]], event: Any,
            step: int) -> None:
    for open_anchor in gathering:
        open_anchor.events.append(event)
        open_anchor.depth += step
    while gathering and gathering[-1].depth == 0:
        done = gathering.pop()
        anchored[done.name] = done.events
