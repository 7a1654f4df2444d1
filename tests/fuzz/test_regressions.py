"""Every reproducer of issue 9's table of contract breaks, as a regression test.

Rows, in the table's order: bad scalars in a policy, names of the wrong shape, a recursive
alias, size, paths that are not files, fact names pydantic or Python reserves, hostile Python
facts, and the CLI (bad bytes and JSON, closed or full standard streams, FIFOs, missing paths).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox import run_capped

from policyengine import FactsError, PolicyError, load_policies
from policyengine.policyset import compile_policy_text

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
HALTON = POLICIES / "halton_conduct.yaml"

TINY = textwrap.dedent(
    """\
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
          shade: {type: enum, values: [light, dark]}
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
)


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        compile_policy_text(text, "p.yaml")
    for p in info.value.problems:
        assert p.file == "p.yaml" and p.line >= 1 and p.column >= 1
        assert "\n" not in p.message
    return [str(p) for p in info.value.problems]


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail (rather than hang) if the block takes longer than ``seconds``."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------- 1. bad scalars

BAD_SCALARS = [
    ("2026-02-30", "'2026-02-30' is not a real date or date-time (day is out of range"),
    ("0000-01-01", "'0000-01-01' is not a real date or date-time (years run from 1 to 9999)"),
    ("2026-01-01T10:00:00+99:00", "(the UTC offset must be less than 24 hours)"),
    ("0x_", "'0x_' cannot be read as a whole number; if it is text, put it in quotes"),
    ("!!int abc", "'abc' cannot be read as a whole number; remove the tag !!int"),
    ("!!int", "'' cannot be read as a whole number; remove the tag !!int"),
    ("!!bool maybe", "'maybe' cannot be read as true or false; remove the tag !!bool"),
    ("!!timestamp soon", "'soon' is not a real date or date-time (not in the form YYYY-MM-DD)"),
    ("9" * 5000, "a whole number of 5,000 digits is too long (at most 100)"),
]


@pytest.mark.parametrize(("scalar", "message"), BAD_SCALARS, ids=[s[:20] for s, _ in BAD_SCALARS])
def test_a_bad_scalar_in_a_policy_is_a_positioned_problem(scalar: str, message: str) -> None:
    found = problems(TINY.replace("issued: 2024-01-01", f"issued: {scalar}"))
    assert any(p.startswith("p.yaml:6:11: ") and message in p for p in found), found


@pytest.mark.parametrize(("scalar", "message"), BAD_SCALARS[:3], ids=["day", "year", "offset"])
def test_a_bad_scalar_in_a_scenario_file_is_a_positioned_problem(
    tmp_path: Path, scalar: str, message: str
) -> None:
    from policyengine.scenarios import run_scenarios

    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"policy: halton_conduct\nas_of: {scalar}\nscenarios:\n  - name: x\n"
                        "    decision: in_scope\n    expect: {status: decided}\n")
    run = run_scenarios([scenario], load_policies(HALTON))
    (problem,) = run.problems
    assert str(problem).startswith(f"{scenario}:2:8: ") and message in str(problem)


def test_every_bad_value_of_a_file_is_reported_in_one_run() -> None:
    """The loader's problems and the schema's come together (the bad values are not re-reported
    by the schema)."""
    text = (TINY.replace("issued: 2024-01-01", "issued: 2024-02-30\n  natoin: x")
            .replace('version: "1"', "version: !!int x").replace("[light, dark]", "[light, 0x_]"))
    found = problems(text)
    assert [p.split(": ", 1)[0] for p in found] == ["p.yaml:5:12", "p.yaml:6:11", "p.yaml:7:3",
                                                    "p.yaml:15:43"]
    assert "unknown key 'natoin' (did you mean 'nation'?)" in found[2]


# ------------------------------------------------------------- 2. names of the wrong shape


def test_an_interpretation_name_given_as_a_list_is_a_problem() -> None:
    text = TINY.replace("then: {ok: true}", "then: {ok: {on_or_before: [{add: "
                        "{interpretation: [x]}, to: {fact: as_of}}, {fact: as_of}]}}")
    (msg,) = problems(text)
    assert msg.startswith("p.yaml:20:") and "unknown interpretation '['x']'" in msg


def test_a_sample_percent_from_a_fact_is_a_problem() -> None:
    text = TINY.replace("then: {ok: true}",
                        "then: {ok: {sample: {of: {fact: shade}, percent: {fact: shade}, "
                        "salt: s}}}")
    (msg,) = problems(text)
    assert "'percent' is a number from 0 to 100, or {interpretation: name}" in msg


LIFECYCLE = """\
lifecycles:
  thing:
    description: a thing
    cite: {source: doc, quote: "light is fine"}
    opened_by: opened
    initial: open
    states:
      open: {description: open}
    events:
      opened: {description: opened}
    obligations:
      answer:
        description: answer it
        opened_by: opened
        discharged_by: opened
        due: {decision: colour, facts: {shade: SOURCE}}
        cite: {source: doc, quote: "light is fine"}
"""


@pytest.mark.parametrize("source", ["{value: [at]}", "{value: {a: b}}", "{each: [opened]}",
                                    "{each: opened, fields: [a]}", "{value: at, 1: x}"])
def test_a_lifecycle_fact_source_of_the_wrong_shape_is_a_problem(source: str) -> None:
    found = problems(TINY + LIFECYCLE.replace("SOURCE", source))
    assert any("fact source for 'shade'" in p for p in found), found


# ----------------------------------------------------------------- 3. a recursive alias


def test_a_recursive_alias_is_refused_with_its_position() -> None:
    assert problems("x: &a [*a]\n") == [
        "p.yaml:1:8: the alias *a refers to a value that contains it, so it would never end; "
        "refer to another value"]


# ------------------------------------------------------------------------------ 4. size


def test_a_huge_flow_list_is_refused_quickly_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: [" + "1, " * 4_000_000 + "1]\n")  # 12 MB
    started = time.perf_counter()
    with pytest.raises(PolicyError) as info:
        load_policies(big)
    assert time.perf_counter() - started < 5
    assert "larger than the 10,000,000 bytes allowed; set POLICYENGINE_MAX_FILE_BYTES" in str(
        info.value)


def test_many_plain_values_are_refused_without_blaming_aliases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICYENGINE_MAX_YAML_VALUES", "1000")
    found = problems("".join(f"k{i}: {i}\n" for i in range(1000)))
    assert found == ["p.yaml:500:7: the document has more than 1,000 values; set "
                     "POLICYENGINE_MAX_YAML_VALUES to raise the limit of 1,000"]
    assert "alias" not in found[0]


def test_an_alias_bomb_is_refused_and_the_limit_can_be_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 5)]
    text = "\n".join(lines) + "\n"  # the aliases add 123,440 values (each list and its items)
    monkeypatch.setenv("POLICYENGINE_MAX_ALIAS_VALUES", "10000")
    (msg,) = problems(text)
    assert "following its aliases (*name) would add more than 10,000 values" in msg
    monkeypatch.setenv("POLICYENGINE_MAX_ALIAS_VALUES", "200000")
    assert not any("alias" in p for p in problems(text))  # past the limit: the schema's turn


def test_a_bad_limit_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from policyengine.inputs import LimitsError

    monkeypatch.setenv("POLICYENGINE_MAX_FILE_BYTES", "lots")
    with pytest.raises(LimitsError, match="POLICYENGINE_MAX_FILE_BYTES must be a positive whole "
                                          "number, not 'lots'"):
        load_policies(HALTON)


def generated_policy(rules: int) -> str:
    """A first-hit decision of ``rules`` rules, one per code, and a catch-all."""
    out = [TINY.split("decisions:")[0] + "decisions:", "  band:", "    description: the band",
           "    facts:", "      code: {type: int}", "      region: {type: enum, values: "
           "[north, south]}", "    outcomes:", "      band: {type: int}", "    rules:"]
    for i in range(rules):
        out += [f"      - id: r{i}", f"        description: code {i} in the north",
                f"        when: {{code: {i}, region: north}}", f"        then: {{band: {i % 7}}}",
                f'        cite: {{source: doc, quote: "the band for code {i}"}}']
    out += ["      - id: other", "        when: {always: true}", "        then: {band: -1}",
            '        cite: {source: doc, quote: "every other code has no band"}']
    return "\n".join(out) + "\n"


def test_a_generated_ten_thousand_rule_policy_loads(tmp_path: Path) -> None:
    """Issue 10 item 7: a plain 10,000-rule file (210,000 values) is not an alias bomb."""
    path = tmp_path / "big.yaml"
    path.write_text(generated_policy(10_000))
    policies = load_policies(path)
    assert len(policies.policy("tiny").decisions["band"].rules) == 10_001
    decided = policies.decide("tiny", "band", {"code": 9_999, "region": "north"}, "2026-01-01")
    assert decided.outcome == {"band": 9_999 % 7}


# ------------------------------------------------------------------------------ 5. paths


def test_a_fifo_as_a_policy_path_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    with within(10), pytest.raises(PolicyError) as info:
        load_policies(fifo)
    assert str(info.value) == (f"{fifo}:1:1: not a regular file (a device, FIFO or socket); "
                               "give the path of a file")


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with within(10), pytest.raises(PolicyError, match="not a regular file"):
        load_policies(link)


# ------------------------------------------------------------- 6. reserved fact names


@pytest.mark.parametrize("name", ["model_validate", "model_config", "model_x", "copy", "json",
                                  "dict", "schema", "validate"])
def test_a_fact_name_pydantic_reserves_is_refused_at_its_key(name: str) -> None:
    (msg,) = problems(TINY.replace("      shade: {type: enum", f"      {name}: {{type: enum")
                      .replace("{shade:", f"{{{name}:"))
    assert msg.startswith("p.yaml:14:7: ") and f"'{name}' is reserved" in msg


@pytest.mark.parametrize("name", ["__init__", "_x", "__class__", "Shade"])
def test_a_fact_name_that_is_not_a_lowercase_identifier_is_refused(name: str) -> None:
    found = problems(TINY.replace("      shade: {type: enum", f"      {name}: {{type: enum"))
    assert any(p.startswith("p.yaml:14:7: ") and f"'{name}' cannot name a fact" in p
               for p in found), found


@pytest.mark.parametrize("name", ["from", "class", "if"])
def test_a_python_keyword_cannot_name_a_fact(name: str) -> None:
    found = problems(TINY.replace("      shade: {type: enum", f"      {name}: {{type: enum"))
    assert any(f"'{name}' is a Python keyword" in p for p in found), found


# ------------------------------------------------------------------ 7. hostile Python facts


@pytest.fixture(scope="module")
def halton() -> object:
    return load_policies(HALTON)


def _deep(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value", [_deep(100_000), ["x" * 10_000_000] * 10_000],
                         ids=["deep list", "10,000 references to a 10 MB string"])
def test_a_hostile_fact_is_refused_quickly_with_a_short_message(halton: object,
                                                                value: object) -> None:
    outcome = run_capped(  # capped: a careless message would take gigabytes and minutes
        lambda: halton.decide("halton_conduct", "in_scope", {"person_type": value}),  # type: ignore[attr-defined]
        timeout=30, keep=("fact",))
    assert outcome.died is None and outcome.error == "FactsError", outcome
    assert outcome.elapsed < 5
    assert outcome.attributes == {"fact": "person_type"} and len(outcome.message) < 2_000


@pytest.mark.parametrize("facts", [{1: "tenant"}, {None: 1}, ["person_type"], "tenant"],
                         ids=["int key", "None key", "a list", "a string"])
def test_facts_that_are_not_a_mapping_of_names_are_a_facts_error(halton: object,
                                                                 facts: object) -> None:
    with pytest.raises(FactsError):
        halton.decide("halton_conduct", "in_scope", facts)  # type: ignore[attr-defined]


def test_a_bad_as_of_is_named_as_the_fact(halton: object) -> None:
    with pytest.raises(FactsError) as info:
        halton.decide("halton_conduct", "in_scope", {"person_type": "tenant"}, "2026-02-30")  # type: ignore[attr-defined]
    assert info.value.fact == "as_of"


# ------------------------------------------------------------------------------- 8. CLI


def cli(*argv: str, stdin: bytes | None = b"", stdout: str = "pipe",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m policyengine`` in a fresh interpreter, bounded in time."""
    closed = [fd for fd, shut in ((0, stdin is None), (1, stdout == "closed")) if shut]
    out: object = subprocess.PIPE
    if stdout == "full":
        out = open("/dev/full", "wb")  # noqa: SIM115 (closed below)
    try:
        return subprocess.run(
            [sys.executable, "-m", "policyengine", *argv], input=stdin if stdin else None,
            stdin=None if stdin else subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
            timeout=60, check=False, preexec_fn=lambda: [os.close(fd) for fd in closed],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        )
    finally:
        if stdout == "full":
            out.close()  # type: ignore[attr-defined]


def assert_refused(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "internal error" not in err, err
    assert err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_a_facts_file_that_is_not_utf8(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_bytes(b'{"person_type": "\xe9"}')
    assert_refused(cli("decide", "halton_conduct", "in_scope", "--facts", str(facts),
                       "--policies", str(HALTON)),
                   f"the facts file {facts}: the file is not UTF-8 text (byte 0xe9 at line 1, "
                   "column 18)")


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"person_type": ' + "9" * 5000 + "}", "a number of 5,000 digits is too long"),
    ("[" * 100_000 + "]" * 100_000, "the JSON nests lists and objects more than 100 deep"),
], ids=["5,000-digit number", "100,000-deep"])
def test_hostile_json_facts(text: str, fragment: str) -> None:
    assert_refused(cli("decide", "halton_conduct", "in_scope", "--facts", "-", "--policies",
                       str(HALTON), stdin=text.encode()), fragment)


def test_closed_stdin() -> None:
    assert_refused(cli("decide", "halton_conduct", "in_scope", "--facts", "-", "--policies",
                       str(HALTON), stdin=None), "standard input is closed")


def test_stdout_on_a_full_disk() -> None:
    assert_refused(cli("list", "--policies", str(HALTON), stdout="full"),
                   "cannot write the output: No space left on device")


def test_closed_stdout_is_an_error_not_a_silent_success() -> None:
    assert_refused(cli("list", "--policies", str(HALTON), stdout="closed"),
                   "standard output is closed")


def test_check_sources_with_a_document_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "001_213ea8107ce32abc.txt").write_bytes(b"\xff\xfe not text")
    result = cli("check", str(HALTON), "--sources", str(tmp_path))
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr
    assert "cannot read the cited document" in out and "not UTF-8" in out


@pytest.mark.parametrize("command", [
    ["check", "POLICY"], ["list", "--policies", "POLICY"], ["test", "--policies", "POLICY"],
    ["decide", "tiny", "colour", "--policies", "POLICY"], ["verify", "POLICY"],
])
@pytest.mark.parametrize("date", ["review_due: 2014-02-30", "closure_days: [2026-12-32]"])
def test_any_command_given_a_policy_with_an_impossible_date(tmp_path: Path, command: list[str],
                                                            date: str) -> None:
    policy = tmp_path / "p.yaml"
    if date.startswith("review_due"):
        policy.write_text(TINY.replace("  issued: 2024-01-01\n",
                                       f"  issued: 2024-01-01\n  {date}\n"))
        where = f"{policy}:7:15:"
    else:
        policy.write_text(TINY.replace("sources:", f"calendar:\n  {date}\nsources:"))
        where = f"{policy}:9:18:"
    result = cli(*[str(policy) if a == "POLICY" else a for a in command])
    text = (result.stdout + result.stderr).decode()
    assert result.returncode in (1, 2), text
    assert "Traceback" not in text and f"{where} '20" in text and "is not a real date" in text


def test_a_fifo_given_as_any_path_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert_refused(cli("list", "--policies", str(fifo)), "not a regular file")
    assert_refused(cli("decide", "halton_conduct", "in_scope", "--facts", str(fifo),
                       "--policies", str(HALTON)), "not a regular file")
    result = cli("check", str(fifo))
    assert result.returncode == 1 and "not a regular file" in result.stdout.decode()


@pytest.mark.parametrize("command", [["check", "nothere"], ["test", "nothere"]])
def test_a_missing_path_exits_2(command: list[str]) -> None:
    assert_refused(cli(*command), "nothere: no such file or directory")


@pytest.mark.parametrize("text", [
    pytest.param('{"case": ' + "9" * 5000 + "}", id="5,000-digit number"),
    pytest.param("[" * 100_000 + "]" * 100_000, id="100,000-deep"),
    pytest.param(json.dumps({"case": "\udcff", "case_type": "halton_conduct.conduct_case",
                             "type": "warning_given", "at": "2026-12-01T10:00"}),
                 id="lone-surrogate case id"),
])
def test_monitor_refuses_hostile_events(tmp_path: Path, text: str) -> None:
    pytest.importorskip("durable")
    events = tmp_path / "e.jsonl"
    events.write_text(text + "\n", encoding="utf-8", errors="surrogatepass")
    assert_refused(cli("monitor", str(events)), f"{events}:1:")


@pytest.mark.parametrize("command", [
    ["check", "SPECIAL"], ["list", "--policies", "SPECIAL"],
    ["test", "SPECIAL", "--policies", str(HALTON)],
    ["decide", "halton_conduct", "in_scope", "--facts", "SPECIAL", "--policies", str(HALTON)],
    ["replay", "SPECIAL", "--policies", str(HALTON)],
    ["replay", str(HALTON), "--facts", "SPECIAL", "--policies", str(HALTON)],
    ["fmt", "--check", "SPECIAL"],
])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_no_command_hangs_or_runs_out_of_memory_on_a_fifo_or_dev_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], special: str
) -> None:
    from policyengine.cli import main

    path = tmp_path / "special.yaml"
    if special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(special)
    with within(20):
        code = main([str(path) if a == "SPECIAL" else a for a in command])
    out, err = capsys.readouterr()
    assert code in (1, 2), (out, err)
    assert "not a regular file" in out + err, (out, err)


def test_json_lines_are_read_within_limits(tmp_path: Path) -> None:
    """The reader an events file needs (issue 9's monitor rows): every line within limits."""
    from policyengine.inputs import UnreadableInput, read_json_lines

    good = tmp_path / "ok.jsonl"
    good.write_text('{"case": "A"}\n\n{"case": "B"}\n')
    assert read_json_lines(str(good), "the events") == [(1, {"case": "A"}), (3, {"case": "B"})]
    for text, fragment in (('{"case": ' + "9" * 5000 + "}", "a number of 5,000 digits"),
                           ("[" * 100_000 + "]" * 100_000, "nests lists and objects more than"),
                           ('{"case": "\\udcff"}', "is not valid Unicode")):
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"case": "A"}\n' + text + "\n")
        with pytest.raises(UnreadableInput) as info:
            read_json_lines(str(bad), "the events")
        assert info.value.line == 2 and info.value.reason.startswith("line 2: ")
        assert fragment in info.value.reason
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with within(10), pytest.raises(UnreadableInput, match="not a regular file"):
        read_json_lines(str(fifo), "the events")


# ------------------------------------------------- found by the long profile (./dev fuzz)


def test_a_key_with_a_bracket_is_an_unknown_key_not_a_crash() -> None:
    found = problems(TINY.replace("policy:", "p[olicy:", 1))
    assert "p.yaml:1:1: unknown key 'p[olicy' (did you mean 'policy'?)" in found


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_a_number_that_json_cannot_carry_is_refused_at_its_place(value: str) -> None:
    """An interpretation's value of .nan compiled, then every decision's record was not JSON."""
    text = TINY.replace("decisions:", f"interpretations:\n  x: {{value: {value}, note: n}}\n"
                        "decisions:").replace("then: {ok: true}", "then: {ok: true}\n"
                                              "        interpretations: [x]")
    (msg,) = problems(text)
    assert msg.startswith(f"p.yaml:11:14: '{value}' is ") and "numbers are finite" in msg


def test_a_number_with_a_fraction_is_not_a_value() -> None:
    """A float literal passed the type check of a whole-number (or any) outcome."""
    text = TINY.replace("ok: {type: bool}", "ok: {type: bool}\n      band: {type: int}").replace(
        "then: {ok: true}", "then: {ok: true, band: 1.5}")
    (msg,) = problems(text)
    assert msg.endswith("1.5 is a number with a fraction; a policy's values are whole numbers, "
                        "dates, text, or true or false")


def test_a_sample_key_that_is_not_valid_unicode_still_decides() -> None:
    """Found by the long facts run: a lone surrogate in a string fact crashed a sample draw."""
    policies = load_policies(Path(__file__).resolve().parent / "fixtures" / "mini.yaml")
    first = policies.decide("mini", "band", {"level": "low", "sample_key": "\udc80"}, "2026-01-01")
    again = policies.decide("mini", "band", {"level": "low", "sample_key": "\udc80"}, "2026-01-01")
    assert first.outcome == again.outcome and isinstance(first.outcome["sampled"], bool)


@pytest.mark.parametrize("event, says", [
    ({"case": "C1", "type": "x" * 20_000, "at": "2026-12-01T10:00"},
     "the event's 'type' must be a non-empty string (an event name, at most 200 characters)"),
    ({"case": "C1", "type": "reported", "at": "2026-12-01T10:00", "case_type": "x" * 20_000},
     "'case_type' must be a string (policy.lifecycle, at most 200 characters)"),
    ({"case": "C1", "type": "reported", "at": "2026-12-01T10:00",
      "data": {"report_type": functools.reduce(lambda inner, _: [inner], range(100_000), [])}},
     "is nested more than 64 levels deep"),
    ({"case": "C1", "type": "reported", "at": "x" * 20_000},
     "the 'reported' event's 'at' must be a date and time"),
])
def test_the_monitor_refuses_huge_or_deep_events_in_a_short_message(
        event: dict[str, object], says: str) -> None:
    """Found by the long events run: the monitor's messages quoted a 20,000-character type or
    case type whole, and a list nested 100,000 deep in data exhausted the recursion limit."""
    from policyengine.errors import PolicyEngineError
    from policyengine.monitor import Monitor

    with Monitor(load_policies()) as monitor:
        with pytest.raises(PolicyEngineError) as caught:
            monitor.post(event)
        assert says in str(caught.value) and len(str(caught.value)) < 1_000
        assert monitor.cases() == []


@pytest.mark.parametrize("command", [
    ["check", "NUL"], ["test", "NUL"], ["list", "--policies", "NUL"],
    ["decide", "halton_conduct", "in_scope", "--facts", "NUL"], ["fmt", "--check", "NUL"],
    ["render", "halton_conduct", "--sources", "NUL"], ["monitor", "NUL"], ["replay", "NUL"],
    ["verify", "NUL"], ["diff", "NUL", "NUL"],
])
def test_a_file_name_with_a_nul_character_is_refused_in_words(
        capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """Found by the long CLI run: ``main()`` called in-process with a path holding a NUL (no
    real command line can carry one) reached ``replay``'s log reader as a bare ValueError."""
    from policyengine.cli import main

    code = main([a.replace("NUL", "bad\x00name") for a in command])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and ":0:" not in err
