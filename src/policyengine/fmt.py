"""``policyengine fmt``: one canonical layout for policy and scenario files, comments kept.

The layout: two spaces per mapping level; a list's dashes two spaces in from its key and its
items two spaces after the dash; ``null`` written out; no trailing spaces; one newline at the end.
A ``[flow, list]`` or ``{flow: mapping}`` stays on one line when it fits in :data:`WIDTH`
columns and is written as a block (one item a line) when it does not. Everything else is kept as
written: comments and blank lines, key order, quoting, folded and literal text (``>-``, ``|``),
anchors and aliases, and long lines of text (they are never re-wrapped).

It is a round trip through ruamel.yaml (the ``fmt`` extra). Before a file is rewritten, the
formatted text is read back with the loader the engine uses and compared with the original:
if the data differ in any way the file is left alone and the difference reported, so ``fmt``
can never change what a policy means.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import PolicyEngineError, PolicyError, Problem
from .load import load_yaml_text, read_file_text
from .records import record

#: Flow collections longer than this (with their indentation and key) are written as blocks.
WIDTH = 100
_NO_WRAP = 1 << 16  # ruamel's own line width: never re-wrap text


class FmtUnavailable(PolicyEngineError):
    """ruamel.yaml is not installed."""


def _yaml(width: int = _NO_WRAP) -> Any:
    try:
        from ruamel.yaml import YAML
    except ModuleNotFoundError:
        raise FmtUnavailable(
            "policyengine fmt needs ruamel.yaml: pip install 'housing-policyengine[fmt]'"
        ) from None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = width
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    yaml.brace_single_entry_mapping_in_flow_sequence = True
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _is_flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return bool(fa is not None and fa.flow_style())


def _anchor(node: Any) -> str | None:
    anchor = getattr(node, "anchor", None)
    return getattr(anchor, "value", None) if anchor is not None else None


class _Layout:
    """Decides which flow collections are written as blocks: those whose line would be longer
    than :data:`WIDTH` written on one line."""

    def __init__(self) -> None:
        self.defined: dict[int, tuple[Any, ...]] = {}  # an anchored node: where it is defined

    def anchors(self, node: Any, path: tuple[Any, ...] = ()) -> None:
        """Note where each anchored node first appears (later appearances are aliases)."""
        if _anchor(node) is not None:
            if id(node) in self.defined:
                return
            self.defined[id(node)] = path
        if isinstance(node, dict):
            for key, value in node.items():
                self.anchors(value, (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                self.anchors(item, (*path, i))

    def width(self, node: Any, path: tuple[Any, ...]) -> int:
        """The length of ``node`` written in flow style on one line."""
        anchor = _anchor(node)
        if anchor is not None and self.defined.get(id(node)) != path:
            return 1 + len(anchor)  # *alias
        extra = len(anchor) + 2 if anchor is not None else 0  # &anchor and a space
        if isinstance(node, dict):
            parts = [len(str(k)) + 2 + self.width(v, (*path, k)) for k, v in node.items()]
            return extra + 2 + sum(parts) + 2 * max(len(parts) - 1, 0)
        if isinstance(node, list):
            parts = [self.width(v, (*path, i)) for i, v in enumerate(node)]
            return extra + 2 + sum(parts) + 2 * max(len(parts) - 1, 0)
        return extra + _scalar_width(node)

    def unfold(self, node: Any, column: int, lead: int, path: tuple[Any, ...] = ()) -> None:
        """Write as a block every flow collection under ``node`` that does not fit on its
        line. ``column`` is where a block mapping's keys (or a block list's dashes) under
        ``node`` start; ``lead`` is how many characters come before ``node`` on its line."""
        if not isinstance(node, dict | list) or not hasattr(node, "fa"):
            return
        if _anchor(node) is not None and self.defined.get(id(node)) != path:
            return  # an alias: written as *name
        if _is_flow(node):
            if lead + self.width(node, path) <= WIDTH:
                return
            node.fa.set_block_style()
        if isinstance(node, dict):
            for key, value in node.items():
                self.unfold(value, column + 2, column + len(str(key)) + 2, (*path, key))
        else:
            for i, item in enumerate(node):
                self.unfold(item, column + 2, column + 2, (*path, i))


def _scalar_width(value: Any) -> int:
    import datetime as dt

    if value is None:
        return 4
    if isinstance(value, bool):
        return 4 if value else 5
    if isinstance(value, dt.date):
        return len(value.isoformat())
    if isinstance(value, str):
        style = getattr(value, "style", None)
        return len(value) + (2 if style in ("'", '"') else 0)
    return len(str(value))


@record
class Formatted:
    """A file, its text and its formatted text."""

    path: Path
    original: str
    formatted: str

    @property
    def changed(self) -> bool:
        return self.original != self.formatted


def format_text(text: str, file: str = "<text>") -> str:
    """The canonical layout of one YAML document; raises :class:`PolicyError` if the text is
    not YAML the engine reads, or if the layout would change its data."""
    before = load_yaml_text(text, file)  # refuse what the engine would not read
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except Exception as exc:  # ruamel's errors share no base class with PyYAML's
        raise PolicyError(Problem(file, 1, 1, f"fmt cannot read this YAML: {exc}")) from None
    layout = _Layout()
    layout.anchors(data)
    layout.unfold(data, 0, 0)
    out = io.StringIO()
    yaml.dump(data, out)
    dumped = out.getvalue()
    tidy = "\n".join(line.rstrip(" \t") for line in dumped.split("\n"))
    for formatted in (tidy, dumped):  # trailing spaces may be text (in a literal block)
        if load_yaml_text(formatted, file).data == before.data:
            break
    else:
        raise PolicyError(Problem(file, 1, 1, "fmt would change what this file means; it is "
                                              "left as it is (please report this)"))
    return formatted


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files at ``paths`` (directories searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                                and p.is_file()))
        else:
            found.append(path)
    return found


def format_files(paths: Iterable[Path]) -> tuple[list[Formatted], list[Problem]]:
    results: list[Formatted] = []
    problems: list[Problem] = []
    for path in yaml_files(paths):
        try:
            text = read_file_text(path)[0]  # a regular UTF-8 file within the size limit
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        try:
            results.append(Formatted(path, text, format_text(text, str(path))))
        except PolicyError as exc:
            problems.extend(exc.problems)
    return results, problems


def cmd_fmt(args: argparse.Namespace) -> int:
    from .policyset import BUNDLED_POLICIES

    paths = [Path(p) for p in args.paths] or [BUNDLED_POLICIES]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise PolicyError([Problem(str(p), 1, 1, "no such file or directory") for p in missing])
    results, problems = format_files(paths)
    for problem in problems:
        print(problem)
    changed = [r for r in results if r.changed]
    if args.check:
        for r in changed:
            print(f"{r.path}: not formatted (run: policyengine fmt {r.path})")
        print(f"{len(results)} file(s) checked, {len(changed)} to reformat")
        return 1 if changed or problems else 0
    for r in changed:
        r.path.write_text(r.formatted, encoding="utf-8")
        print(f"formatted {r.path}")
    print(f"{len(results)} file(s), {len(changed)} reformatted")
    return 2 if problems else 0


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``fmt`` command to the ``policyengine`` parser."""
    p = sub.add_parser("fmt", help="rewrite policy and scenario files in the canonical layout "
                                   "(comments kept)")
    p.add_argument("paths", nargs="*", help="files or directories (default: the bundled "
                                            "policies/)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if any file is not formatted")
    p.set_defaults(handler=cmd_fmt)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - a convenience
    from .cli import main as cli_main

    return cli_main(["fmt", *(argv or [])])
