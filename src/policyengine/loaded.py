"""A YAML document as plain data, with where each value and key stood in the file.

:class:`LoadedYaml` is what :mod:`~policyengine.yaml_build` makes from a document and what every
later stage reads: the schema words its problems with :meth:`LoadedYaml.problem`, at the line and
column of the value concerned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .inputs import one_line
from .records import record

Path_ = tuple[str | int, ...]


@record
class Position:
    line: int
    column: int


class _Invalid:
    """Stands in for a value that could not be read; its problem is already reported."""

    def __repr__(self) -> str:
        return "<unreadable value>"


#: The value built for a scalar that could not be read (see :attr:`LoadedYaml.invalid`).
INVALID: Any = _Invalid()

_COLUMNS = 1 << 32  # a line of the 10 MB a file may hold never reaches 2**32 columns


def pack(line: int, column: int) -> int:
    """A 1-based (line, column) as one int (see :attr:`LoadedYaml.value_positions`)."""
    return line * _COLUMNS + column


def unpack(packed: int) -> Position:
    line, column = divmod(packed, _COLUMNS)
    return Position(line, column)


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
    #: the (line, column) of each value and mapping key, packed by :func:`pack` (a plain int
    #: per entry: hundreds of thousands of them in a large file, which the cyclic garbage
    #: collector then need not traverse); read them with :meth:`position`
    value_positions: dict[Path_, int] = field(default_factory=dict)
    key_positions: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    invalid: set[Path_] = field(default_factory=set)
    written: dict[Path_, str] = field(default_factory=dict)
    #: sections of the file that a section compiler has validated into its own models, by
    #: name (each a model, or its pickle as the policy cache's entry keeps it); see
    #: :func:`policyengine.policy_cache.validated_section`
    validated_sections: dict[str, Any] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> Position:
        """The position of the value (or its key) at ``path``, else of its nearest ancestor."""
        table = self.key_positions if key else self.value_positions
        probe = tuple(path)
        while True:
            if probe in table:
                return unpack(table[probe])
            if key and probe in self.value_positions:
                return unpack(self.value_positions[probe])
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
