"""Measure a YAML document against the limits, event by event, as it is read.

:class:`Measure` is told each event of the parser's stream as :mod:`~policyengine.yaml_build`
builds from it. It counts the values written, the values that aliases (``*name``) add once
followed (this is what stops an "alias bomb", never the size of a plain file), and how deeply the
document nests with its aliases followed; it finds an alias that refers to the value containing
it (which would never end), an alias to an anchor not yet defined, and a second document. Each
refusal is a :class:`~policyengine.errors.PolicyError` naming the place and, for a limit, the
setting that raises it (:class:`~policyengine.inputs.Limits`). :func:`refuse_characters` refuses
the characters YAML does not allow before the text is parsed.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import PolicyError, Problem
from .inputs import Limits

#: Characters YAML does not allow in a file (control characters, lone surrogates, ...).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def refuse_characters(text: str, file: str) -> None:
    """Refuse a character YAML does not allow, at its line and column."""
    bad = _NOT_YAML.search(text)
    if bad is None:
        return
    index = bad.start()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    code = ord(text[index])
    what = ("not a valid character (half of a surrogate pair)" if 0xD800 <= code <= 0xDFFF
            else "a control character")
    raise PolicyError(Problem(file, line, column, f"the character U+{code:04X} is {what} and "
                                                  "cannot appear in a YAML file; remove it"))


class _Open:
    """A list or mapping of the document that has begun and not yet ended."""

    __slots__ = ("anchor", "depth", "size")

    def __init__(self, anchor: str | None) -> None:
        self.anchor = anchor
        self.size = 1  # values it spans, aliases followed
        self.depth = 0  # levels below this one, aliases followed


class Measure:
    """The running count of one document against the limits; each method refuses at once."""

    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.max_values = limits.max_yaml_values
        self.values = 0
        self.alias_values = 0
        self.documents = 0
        self.open: list[_Open] = []
        #: anchor -> (values it spans once followed, its depth)
        self.anchors: dict[str, tuple[int, int]] = {}

    def refuse(self, event: Any, message: str) -> PolicyError:
        mark = event.start_mark
        return PolicyError(Problem(self.file, mark.line + 1, mark.column + 1, message))

    def document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self.refuse(event, "one YAML document per file, found a second one here (a "
                                     "line '---' starts a new document)")

    def _too_many(self, event: Any) -> PolicyError:
        return self.refuse(event, f"the document has more than "
                                  f"{self.limits.max_yaml_values:,} values; "
                                  f"{self.limits.hint('max_yaml_values')}")

    def scalar(self, event: Any) -> None:
        self.values += 1
        if self.values > self.max_values:
            raise self._too_many(event)
        if self.open:  # a value of the collection: following an alias to it adds it too
            parent = self.open[-1]
            parent.size += 1
            if parent.depth < 1:
                parent.depth = 1
        if event.anchor:
            self.anchors[event.anchor] = (1, 1)

    def start(self, event: Any) -> None:
        self.values += 1
        if self.values > self.max_values:
            raise self._too_many(event)
        self.open.append(_Open(event.anchor))
        if len(self.open) > self.limits.max_nesting:
            raise self.refuse(event, f"lists and mappings nest more than "
                                     f"{self.limits.max_nesting} deep here; "
                                     f"{self.limits.hint('max_nesting')}")

    def end(self) -> None:
        ended = self.open.pop()
        depth = ended.depth + 1
        if ended.anchor:
            self.anchors[ended.anchor] = (ended.size, depth)
        self._add(ended.size, depth)

    def alias(self, event: Any) -> None:
        name = event.anchor
        if any(o.anchor == name for o in self.open):
            raise self.refuse(event, f"the alias *{name} refers to a value that contains it, so "
                                     "it would never end; refer to another value")
        if name not in self.anchors:
            raise self.refuse(event, f"the alias *{name} refers to an anchor that is not defined "
                                     f"above it (an anchor is written &{name} before the value "
                                     "it names)")
        size, depth = self.anchors[name]
        self.alias_values += size
        if self.alias_values > self.limits.max_alias_values:
            raise self.refuse(event, f"following its aliases (*name) would add more than "
                                     f"{self.limits.max_alias_values:,} values to the document; "
                                     f"refusing it; {self.limits.hint('max_alias_values')}")
        if len(self.open) + depth > self.limits.max_nesting:
            raise self.refuse(event, f"with its aliases followed, the document nests more than "
                                     f"{self.limits.max_nesting} deep; "
                                     f"{self.limits.hint('max_nesting')}")
        self._add(size, depth)

    def _add(self, size: int, depth: int) -> None:
        if self.open:
            parent = self.open[-1]
            parent.size += size
            if parent.depth < depth:
                parent.depth = depth

    def finish(self) -> None:
        if self.values == 0:
            raise PolicyError(Problem(self.file, 1, 1, "the file is empty"))
