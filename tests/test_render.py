"""policyengine render: the policy as a document for its owner, in HTML and Markdown.

These tests read the rendered text; tests/test_render_browser.py opens it in a real browser."""

from __future__ import annotations

import datetime as dt
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import POLICIES, SEEDS, needs_sources

from policyengine import PolicySet, load_policies
from policyengine.cli import main
from policyengine.provenance import normalise
from policyengine.render import render_policy
from policyengine.render.sources import _folded, build_source

pytest.importorskip("jinja2")

POLICY_IDS = ["citizen_persistent_contact", "halton_conduct", "kingdom_relations",
              "platform_commitments"]
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies(POLICIES)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "id" and value:
                assert value not in self.ids, f"duplicate id {value}"
                self.ids.add(value)
            if tag == "a" and key == "href" and value:
                self.hrefs.append(value)


@pytest.mark.parametrize("policy_id", POLICY_IDS)
@needs_sources
def test_html_shows_every_rule_with_its_quotes_and_every_link_resolves(
    policies: PolicySet, policy_id: str
) -> None:
    policy = policies.policy(policy_id)
    html = render_policy(policy, "html", sources=SEEDS, today=TODAY)
    links = _Links()
    links.feed(html)
    assert links.hrefs and all(h.startswith("#") for h in links.hrefs)
    assert {h[1:] for h in links.hrefs} <= links.ids
    for d in policy.decisions.values():
        assert f'id="decision-{d.name}"' in html
        for rule in d.rules:
            assert f'data-rule="{d.name}.{rule.id}"' in html
    for entry in policy.interpretations.values():
        assert f'id="interpretation-{entry.name}"' in html
    assert 'class="passage-link"' in html
    assert "sources-note" not in html  # every document was found


def test_html_words_for_hit_policy_review_status_sign_off_invariants_examples(
    policies: PolicySet
) -> None:
    html = render_policy(policies.policy("halton_conduct"), "html", sources=SEEDS, today=TODAY)
    assert "Every rule whose conditions hold adds to the answer" in html  # collect
    assert "Exactly one rule may hold for any set of facts" in html  # unique
    assert "It was due for review by 2025-03-31: on 2026-06-01 it is past its own review date" \
        in html
    assert re.search(r"0 of \d+ interpretations signed off", html)
    assert "not signed off" in html
    assert "Properties checked by" in html and "always falls on a working day" in html
    assert "Worked examples (the scenario tests)" in html
    assert "✓ the engine answers this today" in html and "✗" not in html
    assert "notification on the Wednesday before Easter" in html


def test_a_signed_off_interpretation_shows_who_and_when(tmp_path: Path) -> None:
    text = (POLICIES / "kingdom_relations.yaml").read_text()
    first = re.search(r"^interpretations:\n  (\w+):\n((?:    .*\n)+)", text, re.MULTILINE)
    assert first is not None
    signed = text.replace(first.group(0), first.group(0)
                          + "    signed_off: {by: Pat Owner (Director), on: 2026-05-20}\n", 1)
    path = tmp_path / "kingdom_relations.yaml"
    path.write_text(signed)
    html = render_policy(load_policies(path).policy("kingdom_relations"), "html", today=TODAY)
    assert "signed off by Pat Owner (Director) on 2026-05-20" in html
    assert re.search(r"1 of \d+ interpretations signed off", html)


def test_without_sources_the_quotes_have_no_links_and_the_page_says_so(
    policies: PolicySet
) -> None:
    html = render_policy(policies.policy("halton_conduct"), "html", sources=None, today=TODAY)
    assert 'class="passage-link"' not in html
    assert "The source documents were not given" in html
    assert "Any appeal must be submitted within 10 working days" in html


@pytest.mark.parametrize("policy_id", POLICY_IDS)
@needs_sources
def test_every_quote_is_anchored_on_its_own_words(policies: PolicySet, policy_id: str
                                                  ) -> None:
    policy = policies.policy(policy_id)
    by_doc: dict[str, list[str]] = {}
    for _, cite in policy.all_citations:
        by_doc.setdefault(cite.document, []).append(cite.clause)
    for file, quotes in by_doc.items():
        doc = build_source("k", file, "t", quotes, SEEDS)
        text = (SEEDS / file).read_text(encoding="utf-8")
        for quote in quotes:
            passage = doc.passage(quote)
            assert passage is not None and passage.found, quote
            assert passage.start is not None and passage.end is not None
            assert normalise(text[passage.start:passage.end]) == normalise(quote)
        joined = "".join(seg.text for seg in doc.segments)
        assert joined == text  # the segments are the whole document, in order


def test_folding_keeps_where_each_character_came_from() -> None:
    text = "A  \u201cquoted\u201d\n\tclause \u2013 here "
    folded, where = _folded(text)
    assert folded == normalise(text) == 'A "quoted" clause - here'
    assert [text[i] for i in where][:3] == ["A", " ", "\u201c"]


@needs_sources
def test_markdown(policies: PolicySet) -> None:
    md = render_policy(policies.policy("platform_commitments"), "md", sources=SEEDS, today=TODAY)
    assert md.startswith("# Our Customer Commitments and Involved Customer Code of Conduct\n")
    assert "| Rule | When | Then | Why, and the text it encodes |" in md
    assert "## Interpretations beyond the text" in md
    assert "[the passage](#q-" in md
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', md))
    assert set(re.findall(r"\]\(#([^)]+)\)", md)) <= anchors


def test_render_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "halton.html"
    sources = ["--sources", str(SEEDS)] if SEEDS.is_dir() else []
    assert main(["render", "halton_conduct", "-o", str(out), *sources]) == 0
    assert out.read_text().startswith("<!doctype html>")
    md = tmp_path / "halton.md"
    assert main(["render", "halton_conduct", "-o", str(md)]) == 0  # .md: Markdown
    assert md.read_text().startswith("# Customer Code of Conduct")
    capsys.readouterr()
    assert main(["render", "halton_conduct", "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Customer Code of Conduct")
    assert main(["render", "nosuch"]) == 2
    assert "unknown policy 'nosuch'" in capsys.readouterr().err
    assert main(["render", "halton_conduct", "--sources", str(tmp_path / "none")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["render", "halton_conduct", "-o", str(tmp_path / "no" / "dir" / "x.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_render_without_jinja2_says_what_to_install(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)
    assert main(["render", "halton_conduct"]) == 2
    assert "pip install 'housing-policyengine[render]'" in capsys.readouterr().err
