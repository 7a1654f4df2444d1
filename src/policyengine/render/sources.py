"""The source documents as text with an anchor at each quoted passage.

A quote is found in its document as ``policyengine check --sources`` finds it: after folding
typographic quotes and dashes, Unicode compatibility forms and runs of whitespace
(:func:`policyengine.provenance.normalise`). Here the folded text keeps, for every character, the
position it came from, so a passage found in the folded text is marked in the document as written.
Passages may overlap; the document is cut at every passage boundary into segments, each knowing
which passages cover it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs import UnreadableInput, decode_utf8, read_regular_file
from ..provenance import _TYPOGRAPHIC, normalise


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded as :func:`normalise` folds it, and where each folded character came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).translate(_TYPOGRAPHIC)
        for c in folded:
            if c.isspace():
                if out and out[-1] != " ":
                    out.append(" ")
                    where.append(i)
            else:
                out.append(c)
                where.append(i)
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


@dataclass
class Passage:
    """A quoted passage: its anchor, the quote, and where it is in the document (or None)."""

    anchor: str
    quote: str
    start: int | None = None
    end: int | None = None

    @property
    def found(self) -> bool:
        return self.start is not None


@dataclass(frozen=True)
class Segment:
    """A piece of a document and the anchors of the passages that cover it."""

    text: str
    covered_by: tuple[str, ...]
    starts: tuple[str, ...]  # anchors of the passages that begin here


@dataclass
class SourceDocument:
    """One cited document, its passages, and its text cut into segments."""

    key: str
    file: str
    title: str
    anchor: str
    available: bool
    passages: dict[str, Passage] = field(default_factory=dict)  # by normalised quote
    segments: list[Segment] = field(default_factory=list)

    def passage(self, quote: str) -> Passage | None:
        return self.passages.get(normalise(quote))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


def build_source(key: str, file: str, title: str, quotes: list[str],
                   sources_dir: Path | None) -> SourceDocument:
    """The document ``file`` (from ``sources_dir``) with each of ``quotes`` anchored."""
    slug = _slug(Path(file).stem)
    text: str | None = None
    if sources_dir is not None:
        try:  # a regular UTF-8 file only (a FIFO would hang, a device never end)
            text = decode_utf8(read_regular_file(sources_dir / file))
        except UnreadableInput:
            text = None
    doc = SourceDocument(key, file, title, f"source-{slug}", text is not None)
    for quote in quotes:
        norm = normalise(quote)
        if norm not in doc.passages:
            doc.passages[norm] = Passage(f"q-{slug}-{len(doc.passages) + 1}", quote)
    if text is None:
        return doc
    folded, where = _folded(text)
    for norm, passage in doc.passages.items():
        at = folded.find(norm)
        if at >= 0 and norm:
            passage.start = where[at]
            passage.end = where[at + len(norm) - 1] + 1
    doc.segments = _segments(text, [p for p in doc.passages.values() if p.found])
    return doc


def _segments(text: str, passages: list[Passage]) -> list[Segment]:
    cuts = {0, len(text)}
    for p in passages:
        assert p.start is not None and p.end is not None
        cuts.update((p.start, p.end))
    points = sorted(cuts)
    segments: list[Segment] = []
    for a, b in itertools.pairwise(points):
        covered = tuple(p.anchor for p in passages if p.start is not None and p.end is not None
                        and p.start <= a and b <= p.end)
        starts = tuple(p.anchor for p in passages if p.start == a)
        segments.append(Segment(text[a:b], covered, starts))
    return segments
