"""A policy rendered as a document its owner can read and sign off (``policyengine render``).

The whole policy on one page, HTML or Markdown: its metadata and review status; each decision as
a table of rules (conditions and outcomes in words, the hit policy in words, the clause each rule
encodes quoted beside it); the interpretations beyond the text with their notes and sign-off
status; the invariants ``verify`` checks; the scenario tests as worked examples (each run, so the
page says whether the engine answers it today); and the source documents themselves, with an
anchor at every quoted passage, which each quote links to.

The source documents are part of the same page (one file to send to a policy owner), read from
``--sources DIR`` (default ``../shared/seeds`` beside the repository when present). A quote is
located as ``check --sources`` locates it (:mod:`.sources`); without the documents, or for a
quote not found, the quote is shown without a link and the page says so.

The templates are Jinja2 (the ``render`` extra), shipped in ``policyengine/render/templates``:
:mod:`.model` gathers the data, :mod:`.cli` is the command.
"""

from .cli import add_cli, render_policy

__all__ = ["add_cli", "render_policy"]
