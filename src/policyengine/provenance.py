"""Check that every quoted clause in a policy occurs in the document it cites."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .compiler import CompiledPolicy
from .errors import Problem

_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold typographic quotes and dashes, Unicode compatibility forms and all whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class QuoteCheck:
    checked: int
    problems: list[Problem]


def check_quotes(policy: CompiledPolicy, sources_dir: Path) -> QuoteCheck:
    """Every citation's quote must occur in its document (after :func:`normalise`)."""
    documents: dict[str, str | None] = {}
    problems: list[Problem] = []
    checked = 0
    for path, cite in policy.all_citations:
        if cite.document not in documents:
            try:
                documents[cite.document] = normalise(
                    (sources_dir / cite.document).read_text(encoding="utf-8")
                )
            except OSError:
                documents[cite.document] = None
        text = documents[cite.document]
        checked += 1
        if text is None:
            problems.append(
                policy.loaded.problem(
                    path, f"cannot read the cited document {sources_dir / cite.document}"
                )
            )
        elif normalise(cite.clause) not in text:
            problems.append(
                policy.loaded.problem(
                    path,
                    f"the quote does not occur in {cite.document}: \"{_short(cite.clause)}\"",
                )
            )
    return QuoteCheck(checked, problems)


def _short(text: str) -> str:
    text = normalise(text)
    return text if len(text) <= 80 else text[:77] + "..."
