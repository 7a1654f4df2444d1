"""Batch tests need the ``batch`` extra; without it (the floors run) they are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import policyengine
from policyengine import PolicySet

POLICIES = Path(__file__).resolve().parents[2] / "policies"

# Closure days (a weekday, one next to a bank holiday), open days (a Saturday, a bank holiday,
# a closure day) and another nation: the calendar features no bundled policy uses.
CALENDAR_VARIANT = """calendar:
  closure_days: [2026-12-24, 2026-12-29, 2026-06-08, 2027-01-04]
  open_days: [2026-06-06, 2026-08-31, 2026-12-29, 2026-04-03]
"""


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    """Platform with closure and open days, in Northern Ireland; Halton with closure days."""
    folder = tmp_path_factory.mktemp("variants")
    platform = (POLICIES / "platform_commitments.yaml").read_text()
    platform = platform.replace(
        'calendar:\n  office_closes_at: "17:00"',
        CALENDAR_VARIANT + '  office_closes_at: "16:30"',
    ).replace("nation: england-and-wales", "nation: northern-ireland")
    halton = (POLICIES / "halton_conduct.yaml").read_text().replace(
        "\nsources:", "\n" + CALENDAR_VARIANT.split("  open_days")[0] + "\nsources:", 1
    )
    (folder / "platform_commitments.yaml").write_text(platform)
    (folder / "halton_conduct.yaml").write_text(halton)
    loaded = policyengine.load_policies(folder)
    assert loaded.policy("platform_commitments").spec.calendar.open_days
    assert loaded.policy("halton_conduct").spec.calendar.closure_days
    return loaded
