"""policyengine fmt: a canonical layout that keeps comments, quoting, text blocks and anchors,
never changes what a file means, and settles in one pass."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import POLICIES
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.cli import main
from policyengine.errors import PolicyError
from policyengine.fmt import WIDTH, format_text
from policyengine.load import load_yaml_text

pytest.importorskip("ruamel.yaml")

MESSY = textwrap.dedent("""\
    # A policy (top comment kept)
    policy:
        id: tiny            # the id apps use
        version: "2.1"
        note: 'single quoted'
        nothing: null
        empty:

    # between sections
    decisions:
        colour:
            rules:
            -   id: light
                when: {shade: light}
                then: {ok: true}
                because: >-
                  folded text that
                  goes over two lines
            -   id: long
                when: {behaviours: {includes_any: [LONG_LIST]}}
                then: &then {ok: false}
            -   id: again
                then: *then
    """).replace("LONG_LIST", "foul_language, abusive_language, offensive_language, "
                              "discriminatory_remarks")


def test_layout_keeps_comments_quotes_text_and_anchors() -> None:
    out = format_text(MESSY)
    assert out.startswith("# A policy (top comment kept)\npolicy:\n  id: tiny")
    assert "# the id apps use" in out
    assert "# between sections" in out
    assert 'version: "2.1"' in out and "note: 'single quoted'" in out
    assert "because: >-\n          folded text that\n          goes over two lines" in out
    assert "then: &then {ok: false}" in out and "then: *then" in out
    assert "  nothing: null\n  empty: null\n" in out
    assert "      - id: light\n        when: {shade: light}\n" in out
    # the long condition no longer fits on a line: written as a block, its short parts as flow
    assert ("        when:\n          behaviours:\n            includes_any:\n"
            "              - foul_language\n") in out
    assert all(len(line) <= WIDTH for line in out.splitlines())
    assert load_yaml_text(out, "a").data == load_yaml_text(MESSY, "b").data
    assert format_text(out) == out


def test_a_short_flow_list_stays_on_its_line() -> None:
    text = "a:\n  b: [x, y, z]\n  c: {d: 1}\n"
    assert format_text(text) == text


def test_text_is_never_rewrapped() -> None:
    long = "because: " + " ".join(["word"] * 40) + "\n"
    assert format_text(long) == long


@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.yaml"))
                         + sorted((POLICIES / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_bundled_files_keep_their_meaning_and_settle(path: Path) -> None:
    text = path.read_text()
    once = format_text(text, str(path))
    assert load_yaml_text(once, "x").data == load_yaml_text(text, "y").data
    assert format_text(once, str(path)) == once
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    assert [line.strip() for line in once.splitlines() if line.strip().startswith("#")] == comments


def test_fmt_check_and_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    messy = tmp_path / "p.yaml"
    messy.write_text(MESSY)
    tidy = tmp_path / "sub" / "q.yaml"
    tidy.parent.mkdir()
    tidy.write_text("a: 1\n")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{messy}: not formatted" in out and "2 file(s) checked, 1 to reformat" in out
    assert messy.read_text() == MESSY  # --check changes nothing
    assert main(["fmt", str(tmp_path)]) == 0
    assert f"formatted {messy}" in capsys.readouterr().out
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_bad_yaml_and_missing_files_are_bad_input(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\nb: 3\n")
    assert main(["fmt", str(bad)]) == 2
    assert f"{bad}:" in capsys.readouterr().out
    assert bad.read_text() == "a: [1, 2\nb: 3\n"
    assert main(["fmt", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_fmt_without_ruamel_says_what_to_install(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ruamel.yaml", None)
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\n")
    assert main(["fmt", str(path)]) == 2
    assert "pip install 'housing-policyengine[fmt]'" in capsys.readouterr().err


def test_fmt_refuses_a_file_the_engine_would_not_read() -> None:
    with pytest.raises(PolicyError) as info:
        format_text("a: 1\na: 2\n", "dup.yaml")
    assert "duplicate key 'a'" in str(info.value)


# generated documents: whatever the layout they come in, fmt keeps their data and settles
_keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
_scalars = st.one_of(
    st.integers(-10**6, 10**6), st.booleans(), st.none(),
    st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]),
            max_size=60),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6),
                            st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=40,
)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(_keys, _documents, min_size=1, max_size=5), st.sampled_from([None, True,
       False]), st.integers(2, 6))
def test_fmt_keeps_the_data_of_any_document(data: dict[str, Any], flow: bool | None,
                                            indent: int) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, indent=indent, allow_unicode=True,
                          sort_keys=False, width=60)
    once = format_text(text)
    assert load_yaml_text(once, "x").data == load_yaml_text(text, "y").data
    assert format_text(once) == once


def test_fmt_on_a_copy_of_the_policies_directory(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    assert main(["fmt", str(copy)]) == 0
    assert main(["fmt", "--check", str(copy)]) == 0
    assert main(["check", str(copy)]) == 0
