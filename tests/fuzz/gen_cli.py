"""Generators of command lines: every subcommand, with argv, stdin, stdout and files drawn.

The subcommands and their options are read from the parser itself (so a command another module
registers is fuzzed too). Each positional or option gets a value from a pool that fits its name
(policy ids for ``policy``, decision names for ``decision``, facts files for ``--facts``, ...)
or from the pool of hostile files: missing paths, a directory, a FIFO, a symlink to
``/dev/zero``, files that are not UTF-8, policies with impossible dates, alias bombs, JSON
with a 5,000-digit number or 100,000 levels of nesting, events with a lone-surrogate case id.
Standard input is some bytes, empty, or closed; standard output a file, closed, or
``/dev/full``; now and then a limit setting in the environment is bad or very low.

Nothing a case writes can reach the repository: every path is inside a scratch workspace (the
bundled policies are copied there), options that name an output file draw from a pool of
scratch paths, ``fmt`` always runs with ``--check``, ``schema`` never with ``--write``, and
``serve`` (a server runs until it is stopped; tests/server covers it) is left out.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from cli_harness import Streams
from hostile import JSON_TEXTS, NOT_UTF8
from hypothesis import strategies as st

from policyengine.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICIES = ROOT / "policies"

TINY = """\
policy:
  id: tiny
  organisation: Test Org
  title: Tiny
  version: "1"
  issued: 2024-01-01
  nation: england-and-wales
sources:
  doc: {file: doc.txt, title: Doc}
decisions:
  colour:
    description: what colour
    facts:
      shade: {type: enum, values: [light, dark, grey]}
    outcomes:
      ok: {type: bool}
    rules:
      - id: light
        when: {shade: light}
        then: {ok: true}
        cite: {source: doc, quote: "light is fine"}
      - id: dark
        when: {shade: dark}
        then: {ok: false}
        cite: {source: doc, quote: "dark is not fine"}
"""

_EVENTS_OK = (ROOT / "examples" / "events.jsonl").read_text(encoding="utf-8")


def _bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


@functools.cache
def workspace() -> Path:
    """A directory of files for the command lines to name (made once per process)."""
    root = Path(tempfile.mkdtemp(prefix="pe-fuzz-cli-"))
    atexit.register(shutil.rmtree, root, True)  # (forked children leave by os._exit: not them)
    text: dict[str, str | bytes] = {
        "tiny.yaml": TINY,
        "bad_date.yaml": TINY.replace("issued: 2024-01-01", "issued: 2024-01-01\n"
                                      "  review_due: 2014-02-30"),
        "closure.yaml": TINY.replace("sources:", "calendar:\n  closure_days: [2026-12-32]\n"
                                     "sources:"),
        "syntax.yaml": TINY.replace('  version: "1"', '  version: "1'),
        "tab.yaml": TINY.replace("  title: Tiny", "\ttitle: Tiny"),
        "notutf8.yaml": TINY.encode() + b"\n# \xff\xfe\n",
        "empty.yaml": "",
        "bomb.yaml": _bomb(),
        "recursive.yaml": "x: &a [*a]\n",
        "bigint.yaml": TINY.replace('version: "1"', "version: " + "9" * 5000),
        "scen_ok.yaml": "policy: tiny\nscenarios:\n  - name: light is ok\n    decision: colour\n"
                        "    facts: {shade: light}\n    expect: {outcome: {ok: true}}\n",
        "scen_typo.yaml": "policy: tiny\nscenarios:\n  - name: typo\n    decison: colour\n"
                          "    facts: {shade: light}\n    expect: {outcome: {ok: true}}\n",
        "scen_date.yaml": "policy: tiny\nas_of: 2026-02-30\nscenarios:\n  - name: x\n"
                          "    decision: colour\n    expect: {outcome: {ok: true}}\n",
        "facts_ok.json": json.dumps({"shade": "dark"}),
        "facts_gap.json": json.dumps({"shade": "grey"}),
        "facts_halton.json": json.dumps({"notification_received": "2026-04-01"}),
        "events_ok.jsonl": _EVENTS_OK,
        "events_bigint.jsonl": '{"case": ' + "9" * 5000 + "}\n",
        "events_deep.jsonl": "[" * 100_000 + "]" * 100_000 + "\n",
        "events_surrogate.jsonl": _EVENTS_OK.replace('"HH-17"', '"\\udcff"'),
        "events_bad.jsonl": "{not json}\n",
        "notutf8.json": NOT_UTF8[1],
    }
    for i, body in enumerate(JSON_TEXTS):
        text[f"json_{i}.json"] = body
    for name, body in text.items():
        path = root / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    (root / "policies").mkdir()
    (root / "policies" / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (root / "policies" / "scenarios").mkdir()
    (root / "policies" / "scenarios" / "tiny.yaml").write_text(
        str(text["scen_ok.yaml"]), encoding="utf-8")
    (root / "emptydir").mkdir()
    for name in ("sources_ok", "sources_bad", "sources_fifo"):
        (root / name).mkdir()
    (root / "sources_ok" / "doc.txt").write_text("light is fine; dark is not fine\n")
    (root / "sources_bad" / "doc.txt").write_bytes(b"light is \xff fine\n")
    os.mkfifo(root / "sources_fifo" / "doc.txt")
    os.mkfifo(root / "fifo")
    os.symlink("/dev/zero", root / "zero")
    shutil.copy(FIXTURES / "mini.yaml", root / "mini.yaml")
    shutil.copytree(POLICIES, root / "bundled")
    (root / "out").mkdir()
    return root


_FILES = (
    "tiny.yaml", "tiny.yaml", "tiny.yaml", "mini.yaml", "policies", "bad_date.yaml",
    "closure.yaml", "syntax.yaml", "tab.yaml", "notutf8.yaml", "empty.yaml", "bomb.yaml",
    "recursive.yaml", "bigint.yaml", "scen_ok.yaml", "scen_typo.yaml", "scen_date.yaml",
    "emptydir", "fifo", "zero", "missing", "missing/deeper.yaml", "/dev/null", "-", "",
    "bundled/halton_conduct.yaml", "facts_ok.json", "events_ok.jsonl", "\udcff.yaml",
)
_FACTS = ("facts_ok.json", "facts_gap.json", "facts_halton.json", "notutf8.json", "-", "fifo",
          "zero", "missing", "emptydir", *(f"json_{i}.json" for i in range(len(JSON_TEXTS))))
_EVENTS = ("events_ok.jsonl", "events_ok.jsonl", "events_bigint.jsonl", "events_deep.jsonl",
           "events_surrogate.jsonl", "events_bad.jsonl", "-", "fifo", "zero", "missing",
           "notutf8.json", "emptydir")
_POLICY_OPTION = ("tiny.yaml", "tiny.yaml", "mini.yaml", "policies", "bundled",
                  "bundled/halton_conduct.yaml", "bad_date.yaml", "fifo", "zero",
                  "missing", "emptydir", "notutf8.yaml", "bomb.yaml")
#: Where an output option (render -o, test --junit) may write: scratch paths only.
_OUTPUTS = ("out/report", "out/report.html", "out/missing/deeper.xml", "emptydir", "/dev/full",
            "-", "", "out")
_IDS = ("tiny", "mini", "halton_conduct", "platform_commitments", "nope", "", "\udcff")
_DECISIONS = ("colour", "policy_status", "reply", "band", "appeal_deadline", "in_scope",
              "nope", "")
_MOMENTS = ("2026-04-01", "2026-02-30", "2027-01-04T12:00", "soon", "", "0000-01-01",
            "9" * 5000, "2026-03-29T01:30")
_NUMBERS = ("1", "2", "0", "-1", "x", "99999999999999999999", "random", "")
#: Random words for argv, as an OS can deliver them: exec's arguments are C strings of bytes, so
#: no NUL (tests/fuzz/test_regressions.py checks a NUL handed to main() in-process), and Python
#: decodes them with surrogateescape, so the only surrogates are U+DC80..U+DCFF, which
#: ``_IDS`` and the hostile files already hold (a lone U+D800 cannot reach a fresh process).
_RANDOM = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                  max_size=12)


def _pool(dest: str) -> st.SearchStrategy[str]:
    pools = {"policy": _IDS, "decision": _DECISIONS, "facts": _FACTS, "events": _EVENTS,
             "as_of": _MOMENTS, "effort": _NUMBERS, "seed": _NUMBERS, "policies": _POLICY_OPTION,
             "output": _OUTPUTS, "junit": _OUTPUTS,
             "sources": ("sources_ok", "sources_bad", "sources_fifo", "missing", "tiny.yaml",
                         str(ROOT.parent / "shared" / "seeds"))}  # (read, never written)
    named = pools.get(dest, _FILES)
    if named is _OUTPUTS:
        return st.sampled_from(named)
    return st.one_of(st.sampled_from(named), st.sampled_from(named), st.sampled_from(named),
                     st.sampled_from(_FILES), _RANDOM)


#: Commands that run until stopped (a server): not fuzzed here.
LONG_RUNNING = frozenset({"serve"})
#: Options never given (they write into the package).
NEVER = frozenset({"write"})


#: Commands left out on request (``run.py --skip-command``): e.g. one whose known breaks
#: belong to another piece of work, so a long run explores the rest.
SKIPPED: set[str] = set(filter(None, os.environ.get("POLICYENGINE_FUZZ_SKIP", "").split(",")))


@functools.cache
def subcommands() -> dict[str, list[argparse.Action]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [a for a in p._actions if a.dest not in ("help", *NEVER)]
            for name, p in sub.choices.items() if name not in LONG_RUNNING | SKIPPED}


_STDIN = st.one_of(
    st.just(b""), st.none(), st.sampled_from([b'{"shade": "light"}', _EVENTS_OK.encode(),
                                              *NOT_UTF8, b"{", b"[]"]),
    st.sampled_from(JSON_TEXTS).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=30),
)
_ENV = st.one_of(
    st.just({}), st.just({}), st.just({}), st.just({}),
    st.sampled_from([{"POLICYENGINE_MAX_FILE_BYTES": "abc"}, {"POLICYENGINE_MAX_FILE_BYTES": "100"},
                     {"POLICYENGINE_MAX_NESTING": "2"}, {"POLICYENGINE_MAX_YAML_VALUES": "10"},
                     {"POLICYENGINE_MAX_ALIAS_VALUES": "-1"}, {"LANG": "C", "LC_ALL": "C"},
                     {"PYTHONIOENCODING": "ascii"}]),
)


@st.composite
def _arguments(draw: st.DrawFn, actions: list[argparse.Action]) -> list[str]:
    argv: list[str] = []
    for action in actions:
        if action.option_strings:
            # --policies left out (the bundled policies, slower to load) one time in ten
            if draw(st.integers(0, 9 if action.dest == "policies" else 2)) == 0:
                continue
            flag = draw(st.sampled_from(action.option_strings))
            if action.nargs == 0:
                argv.append(flag)
            else:
                argv += [flag, draw(_pool(action.dest))]
        elif action.nargs in ("*", "?"):
            # no paths (the bundled policies, slower) one time in twenty
            argv += draw(st.lists(_pool(action.dest), min_size=int(draw(st.integers(0, 19)) > 0),
                                  max_size=2))
        else:
            if draw(st.integers(0, 19)) == 0:
                continue  # a required argument left out
            argv.append(draw(_pool(action.dest)))
    if draw(st.integers(0, 14)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(
            ["--help", "--nope", "-", "--", "-x", "--facts"])))
    return argv


#: How often each command is drawn (others, registered later, get 5); verify and the bundled
#: policies are slow, so they come up less.
_WEIGHTS = {"decide": 20, "explain": 12, "check": 15, "list": 8, "test": 12, "monitor": 12,
            "verify": 2}
_SMALL = ("tiny.yaml", "mini.yaml", "bad_date.yaml", "syntax.yaml", "missing", "fifo", "zero")


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], Streams, dict[str, str]]:
    commands = subcommands()
    names = [n for n in sorted(commands) for _ in range(_WEIGHTS.get(n, 5))]
    name = draw(st.sampled_from(names))
    argv = [name, *draw(_arguments(commands[name]))]
    if name in ("verify", "check") and "--policies" not in argv and draw(st.integers(0, 9)):
        # verify (and check --strict) of the bundled policies takes seconds: mostly small ones
        argv = [a for a in argv if a not in _FILES or a.endswith(".json")]
        argv.insert(1, draw(st.sampled_from(_SMALL)))
    if name in ("verify", "diff"):
        argv += ["--effort", draw(st.sampled_from(["1", "2", "0", "x"]))]
    if name == "fmt":
        argv.append("--check")
    if draw(st.integers(0, 29)) == 0:
        argv = draw(st.lists(st.one_of(_RANDOM, st.sampled_from(sorted(commands))), max_size=4))
        if argv and argv[0] in SKIPPED:
            argv[0] = "list"
        if argv and argv[0] in ("fmt", "schema"):
            argv.append("--check")
    argv = _confined(argv)
    streams = Streams(stdin=draw(_STDIN), stdout=draw(st.sampled_from(
        ["file", "file", "file", "file", "file", "closed", "full"])))
    env = dict(draw(_ENV))
    return argv, streams, env


_SAFE_ABSOLUTE = ("/dev/null", "/dev/full", str(ROOT.parent / "shared" / "seeds"))


def _confined(argv: list[str]) -> list[str]:
    """No argument that could name a file outside the workspace, nor write the package's
    schemas (argparse takes any prefix of an option, so '--w' is '--write')."""
    out: list[str] = []
    for arg in argv:
        if (arg.startswith("/") and arg not in _SAFE_ABSOLUTE) or ".." in arg:
            arg = "missing"
        if out and out[0] == "schema" and arg.startswith("--w"):
            continue
        out.append(arg)
    return out


def environment(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment for a case: PATH, HOME and the source tree, plus the case's own."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workspace()),
           "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env

