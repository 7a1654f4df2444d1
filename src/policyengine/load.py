"""Read policy YAML safely, keeping the position of every key and value.

A file is read only if it is a regular file (:func:`~policyengine.inputs.read_regular_file`), as
UTF-8 with universal newlines; :mod:`~policyengine.yaml_build` then builds plain data from the
parser's events, measuring the document against the :class:`~policyengine.inputs.Limits` as it
goes, and gives a :class:`~policyengine.loaded.LoadedYaml`: the data, where each value stood,
and every value it could not read as a positioned :class:`Problem`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import PolicyError, Problem
from .inputs import Limits, UnreadableInput, decode_utf8, read_regular_file
from .loaded import INVALID, LoadedYaml, Path_, Position

__all__ = ["INVALID", "LoadedYaml", "Path_", "Position", "iter_paths", "load_yaml_file",
           "load_yaml_text", "read_file_text", "read_yaml_file", "read_yaml_text"]


def read_yaml_text(text: str, file: str, limits: Limits | None = None, *,
                   sha256: str | None = None) -> LoadedYaml:
    """Parse one YAML document; values that cannot be read are left in ``problems``. Its
    ``sha256`` is the one given (of the file's bytes, when the text was read from a file), else
    that of the text's UTF-8.

    Raises :class:`PolicyError` for what stops reading altogether: a syntax error, a document
    beyond the limits, several documents, an anchor given twice, an empty file.
    """
    limits = limits or Limits.from_environment()
    if len(text) > limits.max_file_bytes:
        raise PolicyError(Problem(file, 1, 1, f"the text is {len(text):,} characters, more than "
                                              f"the {limits.max_file_bytes:,} allowed; "
                                              f"{limits.hint('max_file_bytes')}"))
    loaded = build_document(text, file, limits)
    loaded.sha256 = sha256 or hashlib.sha256(text.encode()).hexdigest()
    return loaded


def build_document(text: str, file: str, limits: Limits) -> LoadedYaml:
    """:func:`policyengine.yaml_build.build_document`, imported on first use: a process whose
    policies all come from the cache (:mod:`~policyengine.policy_cache`) never imports PyYAML."""
    from .yaml_build import build_document as build

    return build(text, file, limits)


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
    return read_yaml_text(text, str(path), limits, sha256=sha256)


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
