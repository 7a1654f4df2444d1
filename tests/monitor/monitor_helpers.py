"""Shared by the monitor tests: case types, events, snapshots, and the engines to run on."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from policyengine.monitor import Monitor

COMPLAINT = "platform_commitments.complaint"
CONTACT = "platform_commitments.contact"
ASB = "platform_commitments.asb_report"
CONDUCT = "halton_conduct.conduct_case"
HISTORY = "citizen_persistent_contact.contact_history"

HAS_DURABLE = importlib.util.find_spec("durable") is not None
needs_durable = pytest.mark.skipif(not HAS_DURABLE,
                                   reason="durable_rules (the 'monitor' extra) is not installed")
ENGINES = ["python", pytest.param("durable", marks=needs_durable)]

SANCTION_FACTS = {
    "severity": "medium",
    "prior_warning_given": True,
    "corrected_immediately": False,
    "channel": "telephone",
    "posted_on_social_media": False,
    "in_involved_groups": False,
    "vexatious_or_persistent": False,
}


def ev(case: str, type_: str, at: str, data: dict[str, Any] | None = None,
       case_type: str | None = None, id_: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"case": case, "type": type_, "at": at}
    if data is not None:
        out["data"] = data
    if case_type is not None:
        out["case_type"] = case_type
    if id_ is not None:
        out["id"] = id_
    return out


def snapshot(m: Monitor) -> dict[str, Any]:
    """Everything a monitor answers, as JSON (for comparing two monitors or two moments)."""
    return {
        "now": str(m.now),
        "cases": {
            c: {"state": m.state(c).to_dict(),
                "obligations": [o.to_dict() for o in m.obligations(c)]}
            for c in m.cases()
        },
        "overdue": [o.to_dict() for o in m.overdue()],
    }
