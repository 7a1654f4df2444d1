"""Measure a YAML document against the limits before anything is built from it.

One pass over the parser's events (cheap: no nodes are kept) counts the values written, the values
that aliases (``*name``) would add once followed (this is what stops an "alias bomb", never the
size of a plain file), and how deeply the document nests with its aliases followed; it finds an
alias that refers to the value containing it (which would never end), a second document, and
characters YAML does not allow. Each refusal names the place and, for a limit, the setting that
raises it (:class:`~policyengine.inputs.Limits`).

When libyaml composes the document (its parser refuses nesting beyond 1,000 levels itself, and
keeps each alias as a reference, so composing is linear in the text), :func:`fits_limits` checks
the composed graph instead, which costs a fraction of a second pass over the text: a document it
cannot vouch for is measured event by event, so every refusal is still worded by :func:`measure`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import PolicyError, Problem
from .inputs import Limits
from .yaml_messages import syntax_problem

#: libyaml's C parser when PyYAML was built with it
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


def refuse_characters(text: str, file: str) -> None:
    """Refuse a character YAML does not allow (the first check :func:`measure` makes)."""
    bad = _NOT_YAML.search(text)
    if bad is not None:
        raise PolicyError(_bad_character(text, bad.start(), file))


def fits_limits(root: yaml.Node, limits: Limits) -> bool:
    """Whether a composed document is certainly within the limits :func:`measure` enforces.

    Walks the node graph once, each node once (an alias is the node it refers to): the nodes are
    the values written; the tree they span with every alias followed, less those, is what the
    aliases add; its height (a value counting one level) bounds how deep the document nests. A
    graph with a cycle (an alias inside the value it names) does not fit. False means "measure
    it": the refusal, in words and with its place, comes from :func:`measure`.
    """
    spanned: dict[int, tuple[int, int]] = {}  # id(node) -> (values spanned, height)
    open_ids: set[int] = set()
    budget = limits.max_yaml_values + limits.max_alias_values
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            size, height = 1, 0
            for child in _children(node):
                child_size, child_height = spanned[id(child)]
                size += child_size
                height = max(height, child_height)
            if size > budget:
                return False
            open_ids.discard(key)
            spanned[key] = (size, height + 1)
            continue
        if key in spanned:
            continue
        if key in open_ids:
            return False  # a cycle: an alias refers to a value that contains it
        if isinstance(node, yaml.ScalarNode):
            spanned[key] = (1, 1)
            continue
        open_ids.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_ids:
                return False
            if id(child) not in spanned:
                stack.append((child, False))
    size, height = spanned[id(root)]
    values = len(spanned)
    return (values <= limits.max_yaml_values and size - values <= limits.max_alias_values
            and height <= limits.max_nesting)


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
