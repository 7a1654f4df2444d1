"""Schema errors in words: a pydantic validation error as positioned problems an author can act on.

Each problem names the place (file, line, column) and says what to write instead: "did you mean"
for a misspelt key, what YAML read for an unquoted value (``2.1`` as a number, ``17:00`` as 1020,
``no`` as false), ``YYYY-MM-DD`` for a date written otherwise, one message for a rule placed
under ``invariants:``. Errors under a value the loader could not read are left out (the loader
reported it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem, did_you_mean
from .inputs import excerpt
from .load import LoadedYaml, Path_

#: The steps pydantic adds to an error's location (a dict key's own check, a validator
#: function, a member of a union such as list[str]); a key of the file is anything else.
_MARKER = re.compile(r"\[key\]$|function-|[a-z-]+\[.*\]$")

#: The pattern of a name (an id, a key of the policy's own vocabulary): lower_snake_case.
IDENT = r"^[a-z][a-z0-9_]*$"


def _model_holding(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose keys apply at ``loc`` (for "did you mean" on an unknown key)."""
    current: type[BaseModel] = model
    i = 0
    while i < len(loc):
        field = next(
            (f for n, f in current.model_fields.items() if (f.alias or n) == str(loc[i])), None
        )
        if field is None:
            return None
        inner = _inner_model(field.annotation)
        if inner is None:
            return None
        current, in_container = inner
        i += 2 if in_container else 1  # past the list index or dict key too
    return current if i == len(loc) else None


def _inner_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds, and whether it holds it in a list or dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            container = getattr(annotation, "__origin__", None) in (list, dict)
            return found[0], found[1] or container
    return None


def validation_problems(
    exc: ValidationError, model: type[BaseModel], loaded: LoadedYaml, base: Path_ = ()
) -> list[Problem]:
    """A pydantic error as positioned problems in plain words, with "did you mean" for keys.

    Errors under a value the loader could not read are left out (the loader reported it), and
    the errors of a rule placed under ``invariants:`` (or the reverse) become one message.
    """
    problems: list[Problem] = []
    misplaced: set[Path_] = set()
    for err in exc.errors():
        at_key = "[key]" in err["loc"]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and _MARKER.match(p)))
        path: Path_ = (*base, *loc)
        if loaded.within_invalid(path):
            continue
        item = _misplaced_item(loaded, path)
        if item is not None:
            if item[0] not in misplaced:
                misplaced.add(item[0])
                problems.append(loaded.problem(item[0], item[1]))
            continue
        if not loc:  # (only pydantic's own steps: say it of the whole file)
            problems.append(loaded.problem((), _wording(err, loaded, ())))
        elif err["type"] == "extra_forbidden":
            key = str(loc[-1])
            holder = _model_holding(model, loc[:-1])
            known = [f.alias or n for n, f in holder.model_fields.items()] if holder else []
            problems.append(loaded.problem(
                path, f"unknown key '{key}'{did_you_mean(key, known)}", key=True
            ))
        elif err["type"] == "missing":
            hint = _MISSING_HINTS.get(str(loc[-1]), "")
            problems.append(loaded.problem(
                path[:-1], f"missing required key '{loc[-1]}'{hint}", key=True
            ))
        else:
            problems.append(loaded.problem(path, _wording(err, loaded, path), key=at_key))
    return problems


#: What to write for a required key that is often forgotten.
_MISSING_HINTS = {
    "cite": " (every rule quotes the clause it encodes: cite: {source: KEY, quote: \"...\"})",
    "description": " (say in words what it is for)",
}

_KIND_WORDS = (
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (dt.datetime, "a date and time"),
    (dt.date, "a date"),
    (str, "text"),
    (list, "a list"),
    (dict, "a mapping"),
    (type(None), "empty"),
)


def _kind(value: Any) -> str:
    for cls, words in _KIND_WORDS:
        if isinstance(value, cls):
            return words
    return type(value).__name__


def _wording(err: Any, loaded: LoadedYaml, path: Path_) -> str:
    """What is wrong with one value, and how to write it instead."""
    where = ".".join(str(p) for p in path)
    kind = err["type"]
    got = err.get("input")
    written = loaded.written.get(path)
    if kind == "fact_name":
        return str(err["msg"])
    if kind == "value_error":
        return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"
    if kind in ("string_type", "literal_error") and written is not None:
        if isinstance(got, bool):
            read = f"as {'true' if got else 'false'}"
        elif isinstance(got, int) and ":" in written:
            read = f"as the number {got} (a time read in base 60)"
        elif isinstance(got, int | float):
            read = "as a number"
        elif isinstance(got, dt.date):
            read = "as a date"
        else:
            read = "as empty (null)" if got is None else f"as {_kind(got)}"
        return f"{where}: YAML read {written} {read}; write it in quotes: \"{written}\""
    if kind == "string_type":
        return f"{where}: must be text, not {_kind(got)}"
    if kind == "date_type":
        if isinstance(got, str):
            better = _iso_date(got)
            hint = f" ({better})" if better else ""
            return f"{where}: {excerpt(got)} is not a date; write dates as YYYY-MM-DD{hint}"
        if isinstance(got, dt.datetime):
            return f"{where}: a date (YYYY-MM-DD) without a time of day"
        return f"{where}: must be a date YYYY-MM-DD, not {_kind(got)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}: must be {expected}, not {_shown(got)}"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        if pattern == IDENT:
            return (f"{where}: {excerpt(got)} is not a valid name: use lowercase letters, "
                    "digits and _, starting with a letter")
        if ":" in pattern:
            return f"{where}: {excerpt(got)} is not a time: write it as \"HH:MM\" (24-hour)"
    if kind == "too_short":
        return f"{where}: must not be empty"
    if kind == "list_type" and isinstance(got, dict | str | int | float | bool):
        return (f"{where}: must be a list, not {_kind(got)}: put the item in [ ], or on a line of "
                "its own starting with '- '")
    simple = {"bool_type": "true or false", "int_type": "a whole number", "list_type": "a list",
              "dict_type": "a mapping of keys to values",
              "model_type": "a mapping of keys to values"}
    if kind in simple:
        return f"{where}: must be {simple[kind]}, not {_kind(got)}"
    return f"{where}: {err['msg']}"


def _shown(value: Any) -> str:
    return excerpt(value) if isinstance(value, str) else _kind(value)


_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\s*$")


def _iso_date(text: str) -> str | None:
    """The YYYY-MM-DD form of a date written 16/03/2014 or 2009-3-16, when it is one."""
    for pattern, order in ((_DMY, (2, 1, 0)), (_YMD, (0, 1, 2))):
        match = pattern.match(text)
        if match:
            parts = match.groups()
            try:
                day = dt.date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]))
            except ValueError:
                return None
            return day.isoformat()
    return None


def _misplaced_item(loaded: LoadedYaml, path: Path_) -> tuple[Path_, str] | None:
    """A rule listed under ``invariants:`` (or an invariant under ``rules:``), with a message."""
    if len(path) < 4 or path[0] != "decisions" or path[2] not in ("invariants", "rules"):
        return None
    try:
        item = loaded.data["decisions"][path[1]][path[2]][path[3]]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(item, dict):
        return None
    where: Path_ = tuple(path[:4])
    if path[2] == "invariants" and ("then" in item or "cite" in item) and "kind" not in item:
        return where, ("this looks like a rule (it has 'then' or 'cite'), but it is listed under "
                       "'invariants:'; move it under 'rules:' (an invariant is a check, with "
                       "'kind' and 'description')")
    if path[2] == "rules" and "kind" in item and "then" not in item:
        return where, ("this looks like an invariant (it has 'kind'), but it is listed under "
                       "'rules:'; move it under 'invariants:'")
    return None
