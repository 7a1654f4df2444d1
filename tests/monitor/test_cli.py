"""``policyengine monitor`` with a store: replay into it, report from it, replay again safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyengine.cli import main

from .monitor_helpers import ASB, COMPLAINT, CONDUCT, SANCTION_FACTS, ev
from .test_store import EVENTS


def write(path: Path, events: list[dict[str, object]]) -> str:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(path)


def test_replay_into_a_store_then_report_from_it(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "cases.db")
    events = write(tmp_path / "events.jsonl", EVENTS)
    assert main(["monitor", events, "--store", store]) == 0
    out = capsys.readouterr().out
    assert "12 events, 5 cases (4 open)" in out
    # replaying the same file again: every event has an id, so each is acknowledged once
    assert main(["monitor", events, "--store", store, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["events_applied"] == 12 and len(again["cases"]) == 5
    assert main(["monitor", "report", "--store", store, "--as-of", "2026-04-01"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("as of 2026-04-01T00:00:00+01:00: 5 cases (4 open), ")
    assert "overdue:" in report and "respond_formal.1" in report
    assert main(["monitor", "report", "--store", store, "--as-of", "2026-03-09T12:00",
                 "--days", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["events_applied"] is None
    soon = {(o["case"], o["id"]): o["due"] for o in record["due_soon"]}
    # C1 was escalated on 5 March: its acknowledgement falls due within the three days
    assert ("C1", "acknowledge_formal.1") in soon
    assert "2026-03-09" <= soon[("C1", "acknowledge_formal.1")] <= "2026-03-12"
    assert all(o["status"] == "open" for o in record["due_soon"])


def test_report_shows_targets_apart_from_overdue_duties(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "cases.db")
    events = write(tmp_path / "events.jsonl", [
        ev("K1", "code_implemented", "2026-03-09T11:00", SANCTION_FACTS, CONDUCT),
        ev("K1", "notified", "2026-03-11T09:00"),
        ev("K1", "appeal_lodged", "2026-03-24T15:00"),
        ev("A1", "reported", "2026-03-24T15:00", {"report_type": "hate_crime"}, ASB),
    ])
    assert main(["monitor", events, "--store", store]) == 0
    capsys.readouterr()
    assert main(["monitor", "report", "--store", store, "--as-of", "2026-05-01"]) == 0
    out = capsys.readouterr().out
    overdue, _, targets = out.partition("past target (not a breach):")
    assert "A1  acknowledge.1" in overdue.split("overdue:")[1]
    assert "K1  appeal_decision.1" in targets and "appeal_decision.1" not in \
        overdue.split("overdue:")[1]


def test_bad_uses_exit_2_with_a_reason(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "report"]) == 2
    assert "give --store" in capsys.readouterr().err
    assert main(["monitor", "report", "--store", str(tmp_path / "none.db")]) == 2
    assert "no store at" in capsys.readouterr().err
    assert main(["monitor"]) == 2
    assert "give an events file" in capsys.readouterr().err
    store = str(tmp_path / "cases.db")
    no_ids = write(tmp_path / "no-ids.jsonl", [
        ev("C1", "received", "2026-03-02T10:00", {"stage": "formal"}, COMPLAINT)])
    assert main(["monitor", no_ids, "--store", store]) == 0
    capsys.readouterr()
    # without ids a second replay is new events, refused with the line that failed
    assert main(["monitor", no_ids, "--store", store]) == 2
    err = capsys.readouterr().err
    assert f"{no_ids}:1:" in err and "does not open" not in err and "not allowed" in err
