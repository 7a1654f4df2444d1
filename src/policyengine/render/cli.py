"""``policyengine render POLICY --format html|md -o FILE``, and :func:`render_policy`."""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..compiler import CompiledPolicy
from ..errors import PolicyEngineError
from .model import build_document

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = {"html": "policy.html.j2", "md": "policy.md.j2"}
#: Where the source documents are when ``--sources`` is not given (beside the repository).
DEFAULT_SOURCES = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"


class RenderUnavailable(PolicyEngineError):
    """Jinja2 (the ``render`` extra) is not installed."""


def _md_cell(value: Any) -> str:
    text = " ".join(str(value).split())
    return html.escape(text, quote=False).replace("|", "\\|")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def _md_text(value: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))
    return text.replace("\n", "  \n")


def _environment() -> Any:
    try:
        import jinja2
    except ModuleNotFoundError:
        raise RenderUnavailable(
            "policyengine render needs Jinja2: pip install 'housing-policyengine[render]'"
        ) from None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _md_cell
    env.filters["text"] = _md_text
    return env


def render_policy(policy: CompiledPolicy, fmt: str = "html", *, sources: Path | None = None,
                  scenario_files: list[Path] | None = None,
                  today: dt.date | None = None) -> str:
    """The policy as an HTML or Markdown document (``fmt`` ``html`` or ``md``)."""
    if fmt not in FORMATS:
        raise PolicyEngineError(f"unknown format '{fmt}'; formats: {', '.join(FORMATS)}")
    template = _environment().get_template(FORMATS[fmt])
    doc = build_document(policy, sources, scenario_files, today)
    text: str = template.render(doc=doc)
    return text


def cmd_render(args: argparse.Namespace) -> int:
    from ..policyset import load_policies

    policies = load_policies(args.policies)
    policy = policies.policy(args.policy)
    sources: Path | None
    if args.sources:
        sources = Path(args.sources)
        if not sources.is_dir():
            raise PolicyEngineError(f"--sources {sources}: no such directory")
    else:
        sources = DEFAULT_SOURCES if DEFAULT_SOURCES.is_dir() else None
    fmt = args.format or ("md" if args.output and args.output.endswith(".md") else "html")
    text = render_policy(policy, fmt, sources=sources)
    if args.output in (None, "-"):
        print(text, end="")
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PolicyEngineError(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"wrote {args.output} ({policy.id}, {fmt})")
    return 0


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``render`` command to the ``policyengine`` parser."""
    p = sub.add_parser("render", help="the whole policy as a document for its owner to read "
                                      "and sign off (HTML or Markdown)")
    p.add_argument("policy", help="the policy id")
    p.add_argument("--format", choices=sorted(FORMATS), default=None,
                   help="html (default) or md (default for an -o FILE ending .md)")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write the document to FILE (default: standard output)")
    p.add_argument("--sources", metavar="DIR", default=None,
                   help="the source documents, to link each quote to its passage (default: "
                        "../shared/seeds beside the repository, when present)")
    policies_option(p)
    p.set_defaults(handler=cmd_render)
