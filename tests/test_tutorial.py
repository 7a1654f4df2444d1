"""docs/tutorial.md, run step by step in an empty folder: every file it writes, every edit it
makes and every command it shows, with the output it shows (``...`` matches anything)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

from policyengine.cli import main
from tests.oracle.reference import ReferenceCalendar

pytest.importorskip("jinja2")
pytest.importorskip("ruamel.yaml")

TUTORIAL = ROOT / "docs" / "tutorial.md"
_DIRECTIVE = re.compile(r"<!-- (file|insert|replace): (.+?) -->\n```\w*\n(.*?)```\n", re.DOTALL)
_CONSOLE = re.compile(r"```console\n(.*?)```\n", re.DOTALL)


@dataclass
class Step:
    kind: str  # file, insert, replace, command
    target: str
    body: str
    at: int


def steps() -> list[Step]:
    text = TUTORIAL.read_text(encoding="utf-8")
    found = [Step(m.group(1), m.group(2), m.group(3), m.start())
             for m in _DIRECTIVE.finditer(text)]
    found += [Step("command", "", m.group(1), m.start()) for m in _CONSOLE.finditer(text)]
    return sorted(found, key=lambda s: s.at)


def _apply(step: Step, root: Path) -> None:
    if step.kind == "file":
        path = root / step.target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(step.body, encoding="utf-8")
    elif step.kind == "insert":
        name, anchor = step.target.split(" after: ", 1)
        path = root / name
        lines = path.read_text(encoding="utf-8").split("\n")
        hits = [i for i, line in enumerate(lines) if line.strip().endswith(anchor.strip())]
        assert len(hits) == 1, f"insert anchor {anchor!r} found {len(hits)} times"
        lines[hits[0] + 1:hits[0] + 1] = step.body.rstrip("\n").split("\n")
        path.write_text("\n".join(lines), encoding="utf-8")
    else:  # replace: "PATH: OLD => NEW"
        name, change = step.target.split(": ", 1)
        old, new = change.split(" => ")
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"replace {old!r}: found {text.count(old)} times"
        path.write_text(text.replace(old, new), encoding="utf-8")
        assert step.body.strip() in path.read_text(encoding="utf-8")


def _run(command: str, root: Path) -> tuple[int, str]:
    argv = shlex.split(command, comments=True)
    if argv[0] == "cp":
        shutil.copy(root / argv[1], root / argv[2])
        return 0, ""
    if argv[0] == "pytest":
        done = subprocess.run([sys.executable, "-m", "pytest", *argv[1:]], cwd=root,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr
    assert argv[0] == "policyengine", command
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv[1:])
    return code, out.getvalue() + err.getvalue()


def _matches(shown: str, actual: list[str]) -> bool:
    """A line shown matches a line of output that begins with it (pytest pads its progress
    line); ``...`` in it matches any text."""
    pattern = re.compile(".*".join(re.escape(p) for p in shown.rstrip().split("...")))
    return any(pattern.match(line) for line in actual)


def _check_console(block: str, root: Path) -> None:
    command: str | None = None
    shown: list[str] = []
    for line in [*block.split("\n"), "$ "]:
        if line.startswith("$ "):
            if command:
                want = int(m.group(1)) if (m := re.search(r"# exit (\d+)", command)) else 0
                code, output = _run(command, root)
                actual = output.split("\n")
                assert code == want, f"{command}: exit {code}, expected {want}\n{output}"
                for expected in shown:
                    if expected.strip() and expected.strip() != "...":
                        assert _matches(expected, actual), (
                            f"{command}: the tutorial shows\n  {expected}\nbut the output "
                            f"was\n{output}")
            command, shown = line[2:].strip(), []
        elif command is not None:
            shown.append(line)


def test_the_tutorial_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # pytest in the folder finds no config
    ran = 0
    for step in steps():
        if step.kind == "command":
            _check_console(step.body, tmp_path)
            ran += step.body.count("\n$ ") + step.body.startswith("$ ")
        else:
            _apply(step, tmp_path)
    assert ran >= 15
    html = (tmp_path / "repairs.html").read_text(encoding="utf-8")
    assert "Our Repairs Standard" in html and 'class="passage-link"' in html


def test_the_tutorial_dates_agree_with_the_independent_calendar() -> None:
    """The dates the tutorial works out by hand, checked with numpy over GOV.UK's data."""
    cal = ReferenceCalendar("england-and-wales")
    monday = dt.date(2026, 6, 1)
    assert cal.add_working_days(monday, 5) == dt.date(2026, 6, 8)
    assert cal.add_working_days(monday, 20) == dt.date(2026, 6, 29)
    assert cal.add_working_days(dt.date(2026, 1, 12), 5) == dt.date(2026, 1, 19)
    assert cal.add_working_days(dt.date(2026, 1, 12), 3) == dt.date(2026, 1, 15)
    text = TUTORIAL.read_text(encoding="utf-8")
    for shown in ("due_by: 2026-06-08", "due_by: 2026-06-29",
                  'due_by: "2026-06-06T18:30:00+01:00"', '"2026-01-19" -> "2026-01-15"'):
        assert shown in text
