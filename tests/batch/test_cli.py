"""``policyengine decide-many``: files in, one result row per case out, per-row errors kept,
bad files refused with one line and exit code 2, a progress bar only on a terminal."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import policyengine
from policyengine.cli import main

CASES = """case,channel,received_at,resolved_at_first_contact
A1,email,2026-06-06T11:00,false
A2,fax,2026-06-05T17:00,true
A3,web_chat,2026-03-29T01:30,TRUE
A4,letter,,false
A5,letter,2026-06-05T17:00:00+01:00,yes
"""
ARGS = ["decide-many", "platform_commitments", "contact_deadlines", "--as-of", "2026-06-06"]


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main([*ARGS, *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(CASES)
    return path


def _expected(row: dict[str, object]) -> dict[str, object]:
    policies = policyengine.load_policies()
    try:
        answer = policies.decide("platform_commitments", "contact_deadlines", row, "2026-06-06")
    except policyengine.FactsError as exc:
        return {"error": str(exc)}
    return answer.to_dict()["outcome"]


def test_csv_in_jsonl_out_has_one_row_per_case_with_decide_s_answers(
    tmp_path: Path, cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    code, stdout, err = _run(tmp_path, capsys, "--input", str(cases), "--output", str(out),
                             "--carry", "case")
    assert code == 0, err
    assert err == ""  # no terminal: no progress bar
    assert "5 cases, 2 decided, 3 with an error" in stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["case"] for r in rows] == ["A1", "A2", "A3", "A4", "A5"]
    first = _expected({"channel": "email", "received_at": "2026-06-06T11:00",
                       "resolved_at_first_contact": False})
    for key in ("update_by", "acknowledge_by", "full_response_by", "acknowledge_standard"):
        assert rows[0][key] == first[key]
    chat = _expected({"channel": "web_chat", "received_at": "2026-03-29T01:30",
                      "resolved_at_first_contact": True})
    assert rows[2]["acknowledge_by_at"] == chat["acknowledge_by"]  # 02:32 BST: after the gap
    assert rows[1]["error"] == _expected({"channel": "fax", "received_at": "2026-06-05T17:00",
                                          "resolved_at_first_contact": True})["error"]
    assert rows[1]["error_problems"][0]["path"] == "channel"
    assert "'received_at' is required" in rows[3]["error"]  # an empty cell: not given
    assert "resolved_at_first_contact" in rows[4]["error"] and "'yes'" in rows[4]["error"]


def test_csv_and_parquet_outputs_keep_the_same_rows(
    tmp_path: Path, cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parquet, csv_out = tmp_path / "r.parquet", tmp_path / "r.csv"
    assert _run(tmp_path, capsys, "--input", str(cases), "--output", str(parquet),
                "--carry", "case")[0] == 0
    table = pq.read_table(parquet)
    assert table.schema.field("update_by").type == pa.date32()
    assert table.schema.field("acknowledge_by_at").type == pa.timestamp("us", tz="Europe/London")
    assert json.loads(table.schema.metadata[b"policyengine"])["decision"] == "contact_deadlines"
    assert table.column("update_by").to_pylist()[0] == dt.date(2026, 6, 10)
    # Parquet in (typed columns), CSV out
    assert _run(tmp_path, capsys, "--input", str(parquet.with_name("in.parquet")), "--output",
                str(csv_out))[0] == 2
    pq.write_table(pa.table({
        "case": ["B1"], "channel": ["email"],
        "received_at": pa.array([dt.datetime(2026, 6, 5, 17, 0)], pa.timestamp("us")),
        "resolved_at_first_contact": [False],
    }), tmp_path / "in.parquet")
    code, _, err = _run(tmp_path, capsys, "--input", str(tmp_path / "in.parquet"),
                             "--output", str(csv_out), "--carry", "case")
    assert code == 0, err
    with csv_out.open(newline="") as handle:
        (values,) = list(csv.DictReader(handle))
    assert values["update_by"] == "2026-06-10"  # Friday 17:00 counts from Saturday
    assert values["follow_up_needed"] == "true"
    assert json.loads(values["fired_rules"])[0] == "first_point_of_contact"


def test_jsonl_cases_are_read_as_decide_reads_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"notification_received": "2026-04-02"}\n\n'
                    '{"notification_received": "2026-04-02", "appeal_received": "2026-04-01"}\n'
                    '[1, 2]\n')
    out = tmp_path / "r.jsonl"
    assert main(["decide-many", "halton_conduct", "appeal_deadline", "--input", str(path),
                 "--output", str(out), "--as-of", "2026-06-06"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # "within 10 working days of receipt of the notification" (Halton): Thursday 2 April 2026;
    # 3 April (Good Friday) and 6 April (Easter Monday) are bank holidays, so the ten are
    # 7-10, 13-17 and 20 April
    assert rows[0]["appeal_by"] == "2026-04-20"
    assert rows[0]["appeal_by"] == policyengine.load_policies().decide(
        "halton_conduct", "appeal_deadline", {"notification_received": "2026-04-02"},
        "2026-06-06").to_dict()["outcome"]["appeal_by"]
    assert rows[1]["error"].endswith("appeal_received cannot be before notification_received")
    assert "facts must be a mapping" in rows[2]["error"]


@pytest.mark.parametrize(("content", "name", "expected"), [
    (None, "missing.csv", "cannot read {path}: no such file"),
    ("case,channel\n", "cases.xlsx", "unknown input format '.xlsx'"),
    ("", "cases.csv", "the file is empty"),
    ("chanel,received_at,resolved_at_first_contact\nemail,2026-06-06T10:00,false\n", "cases.csv",
     "column 'chanel' is not a fact of platform_commitments.contact_deadlines (did you mean "
     "'channel'?)"),
    ("received_at\n2026-06-06T10:00\n", "cases.csv", "fact 'channel' is required"),
    ('{"channel": "email"}\n{"channel": \n', "cases.jsonl", "cases.jsonl:2: not valid JSON"),
    ("PAR1 not really", "cases.parquet", "cannot read"),
])
def test_a_bad_cases_file_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, name: str,
    expected: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code, stdout, err = _run(tmp_path, capsys, "--input", str(path), "--output",
                             str(tmp_path / "out.csv"))
    assert code == 2
    assert stdout == ""
    assert len(err.strip().splitlines()) == 1, err
    assert expected.format(path=path) in err
    assert "Traceback" not in err


def test_an_unknown_output_suffix_is_refused_before_reading(
    tmp_path: Path, cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(tmp_path, capsys, "--input", str(cases), "--output",
                        str(tmp_path / "out.xlsx"))
    assert code == 2
    assert "unknown output format '.xlsx'; use .csv, .parquet, .jsonl" in err
    assert not (tmp_path / "out.xlsx").exists()


def test_progress_bar_on_a_terminal_only(tmp_path: Path, cases: Path) -> None:
    out = tmp_path / "r.csv"
    command = [sys.executable, "-m", "policyengine", *ARGS, "--input", str(cases), "--output",
               str(out), "--carry", "case", "--chunk-rows", "2"]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    leader, follower = pty.openpty()
    try:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, timeout=120,
                             check=False)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert run.returncode == 0
    text = shown.decode()
    assert "\rdecide-many [" in text and "2/5 cases" in text and "5/5 cases (100%)" in text


def test_the_command_line_starts_without_numpy_pandas_or_pyarrow() -> None:
    probe = ("import sys; from policyengine.cli import build_parser; build_parser(); "
             "import policyengine; print(sorted(m for m in ('numpy', 'pandas', 'pyarrow', "
             "'dask') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True)
    assert run.stdout.strip() == "[]"
