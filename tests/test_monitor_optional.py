"""The library without durable_rules: it imports, decides, runs the Python matcher, and says how
to get the durable engine."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import PolicySet
from policyengine.cli import main
from policyengine.monitor import INSTALL_HINT, Monitor, MonitorUnavailableError

REPLAY = [
    {"case": "C1", "case_type": "platform_commitments.complaint", "type": "received",
     "at": "2026-03-02T10:00", "data": {"stage": "quick_resolution"}},
]


def test_importing_the_library_imports_no_durable_and_starts_no_thread() -> None:
    code = (
        "import sys, threading\n"
        "n = threading.active_count()\n"
        "import policyengine, policyengine.monitor, policyengine.cli\n"
        "policyengine.cli.build_parser()\n"
        "print(threading.active_count() - n, 'durable' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["0", "False"]


def test_without_durable_the_library_works_and_monitor_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, policies: PolicySet, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("durable", "durable.engine", "durable_rules_engine"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MonitorUnavailableError, match=r"housing-policyengine\[monitor\]"):
        Monitor(policies, engine="durable")
    with Monitor(policies) as monitor:  # the plain-Python matcher needs nothing more
        assert monitor.engine == "python"
        assert monitor.post(REPLAY[0]).opened == ("quick_resolution.1",)
    decision = policies.decide("platform_commitments", "complaint_deadlines",
                               {"stage": "formal", "received_at": "2026-03-02T10:00"},
                               "2026-03-02")
    assert decision.outcome["respond_by"] == dt.date(2026, 3, 23)
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(REPLAY[0]) + "\n")
    assert main(["monitor", str(events), "--as-of", "2026-03-10"]) == 0
    assert "quick_resolution.1" in capsys.readouterr().out
    code = main(["monitor", str(events), "--as-of", "2026-03-10", "--engine", "durable"])
    err = capsys.readouterr().err
    assert code == 2
    assert INSTALL_HINT in err


