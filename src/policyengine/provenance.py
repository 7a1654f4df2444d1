"""Check that every quoted clause in a policy occurs in the document it cites."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .compiler import CompiledPolicy
from .errors import Problem
from .inputs import UnreadableInput, decode_utf8, read_regular_file
from .records import record

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


@record
class QuoteCheck:
    checked: int
    problems: list[Problem]


def check_quotes(policy: CompiledPolicy, sources_dir: Path) -> QuoteCheck:
    """Every citation's quote must occur in its document (after :func:`normalise`)."""
    documents: dict[str, str | UnreadableInput] = {}
    problems: list[Problem] = []
    checked = 0
    for path, cite in policy.all_citations:
        if cite.document not in documents:
            try:  # a regular file of UTF-8 text only (a FIFO would hang, a device never end)
                documents[cite.document] = normalise(
                    decode_utf8(read_regular_file(sources_dir / cite.document))
                )
            except UnreadableInput as exc:
                documents[cite.document] = exc
        text = documents[cite.document]
        checked += 1
        if isinstance(text, UnreadableInput):
            problems.append(
                policy.loaded.problem(
                    path, f"cannot read the cited document {sources_dir / cite.document}: "
                          f"{text.reason.removeprefix('cannot read the file: ')}"
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
