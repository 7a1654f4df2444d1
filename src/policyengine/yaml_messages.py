"""Say what a YAML syntax error means for the person who wrote the file, at the line to fix.

PyYAML's messages describe the parser's state ("did not find expected key", "found character
that cannot start any token") and often point past the mistake: a missing closing quote is
reported where the next quote happens to be, lines later. This module recognises the common
mistakes of people who edit YAML by hand (a tab used for indentation, an unclosed quote, a line
indented out of step with its neighbours, an unquoted value starting with a reserved character)
and names the cause and the fix, at the line where the fix goes.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem
from .inputs import one_line

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INDENTATION = (
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
    "mapping values are not allowed",
    "block sequence entries are not allowed",
)

_RESERVED_START = {
    "@": "'@'",
    "`": "a backquote",
    "%": "'%'",
}

_INDENT_RULE = ("indent with spaces so that the keys of one mapping, and the '-' of the items "
                "of one list, start in the same column")


def syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """One positioned problem for a PyYAML syntax error, in words an author can act on."""
    problem = _syntax_problem(exc, text, file)
    return Problem(problem.file, problem.line, problem.column, one_line(problem.message))


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = str(exc.problem or "")
    lines = text.splitlines()
    current = lines[line - 1] if 0 < line <= len(lines) else ""

    tab = _tab_in_indentation(lines, line)
    if tab is not None or "tab" in problem:
        tab_line, tab_column = tab if tab is not None else (line, column)
        return Problem(file, tab_line, tab_column,
                       "a tab character is used for indentation; YAML indents with spaces "
                       "only: replace the tab with spaces")

    quoted = _unclosed_quote(exc, text)
    if quoted is not None:
        q_line, q_column, quote, ran_to = quoted
        where = f"to line {ran_to}" if ran_to > q_line else "to the end of the file"
        return Problem(file, q_line, q_column,
                       f"this quoted value is not closed on its line: YAML read on {where} "
                       f"looking for the closing {quote}; add the closing {quote} (or, for a "
                       "long text, use '>-' and indented lines)")

    if "cannot start any token" in problem and mark is not None:
        char = current[mark.column] if mark.column < len(current) else ""
        if char in _RESERVED_START:
            return Problem(file, line, column,
                           f"a value cannot start with {_RESERVED_START[char]} unquoted; put "
                           "the whole value in quotes")

    if problem.startswith("found undefined alias"):
        return Problem(file, line, column,
                       f"{_alias_name(problem)} refers to an anchor that is not defined above it "
                       "(an anchor is written &name before the value it names)")

    if any(problem.startswith(p) for p in _INDENTATION):
        return _indentation_problem(exc, file, line, column, lines, problem)

    context = f" ({exc.context})" if exc.context else ""
    return Problem(file, line, column, f"YAML syntax: {problem}{context}")


def _tab_in_indentation(lines: list[str], line: int) -> tuple[int, int] | None:
    """(line, column) of a tab in the leading whitespace of the error line or the one above."""
    for number in (line, line - 1):
        if 0 < number <= len(lines):
            text = lines[number - 1]
            lead = text[: len(text) - len(text.lstrip(" \t"))]
            if "\t" in lead:
                return number, lead.index("\t") + 1
    return None


def _unclosed_quote(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str, int] | None:
    """A quoted scalar that ran on past its line into the error: (line, column, quote, end)."""
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        start = exc.context_mark
        quote = text[start.index] if start.index < len(text) else '"'
        return start.line + 1, start.column + 1, quote, 0
    mark = exc.problem_mark
    if mark is None:
        return None
    last: Any = None
    try:
        for token in yaml.scan(text, Loader=_SAFE_LOADER):
            if token.start_mark.index >= mark.index:
                break
            if isinstance(token, yaml.ScalarToken):
                last = token
    except yaml.YAMLError:
        pass
    if last is None or getattr(last, "style", None) not in ('"', "'"):
        return None
    start, end = last.start_mark, last.end_mark
    if start.line == end.line or end.line != mark.line:
        return None
    return start.line + 1, start.column + 1, str(last.style), end.line + 1


def _indentation_problem(
    exc: yaml.MarkedYAMLError, file: str, line: int, column: int, lines: list[str], problem: str
) -> Problem:
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = len(current) - len(current.lstrip(" "))
    at = f"line {line} starts at column {indent + 1}"
    near = _neighbour(lines, line, indent)
    if near is not None:
        at += f", line {near[0]} above it at column {near[1]}"
    if problem.startswith("mapping values are not allowed"):
        return Problem(file, line, indent + 1,
                       f"YAML cannot place the ':' on this line: {at}, so the line is read as "
                       "part of the value above; line its key up with the keys above it, or, "
                       "if the value holds ': ', put the value in quotes")
    block = ""
    ctx = exc.context_mark
    if ctx is not None and exc.context:
        kind = "list" if "collection" in exc.context or "sequence" in exc.context else "mapping"
        what = "its items' '-'" if kind == "list" else "its keys"
        block = (f"; the {kind} that begins at line {ctx.line + 1} has {what} at column "
                 f"{ctx.column + 1}")
    return Problem(file, line, indent + 1,
                   f"bad indentation: {at}{block}; {_INDENT_RULE} (YAML: {problem})")


def _neighbour(lines: list[str], line: int, indent: int) -> tuple[int, int] | None:
    """The nearest line above of the same kind (a '-' item, or a key) indented 1-3 apart."""
    if not 0 < line <= len(lines):
        return None
    dash = lines[line - 1].lstrip(" ").startswith("- ")
    for number in range(line - 1, max(0, line - 200), -1):
        text = lines[number - 1]
        body = text.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        other = len(text) - len(body)
        if other < indent - 3:
            return None
        if body.startswith("- ") == dash and 0 < abs(other - indent) <= 3:
            return number, other + 1
    return None


def _alias_name(problem: str) -> str:
    name = problem.removeprefix("found undefined alias").strip()
    return f"the alias {name}" if name else "an alias"
