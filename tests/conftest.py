from __future__ import annotations

from pathlib import Path

import pytest

import policyengine
from policyengine import PolicySet

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    return policyengine.load_policies(POLICIES)


@pytest.fixture(scope="session")
def halton() -> PolicySet:
    return policyengine.load_policies(POLICIES / "halton_conduct.yaml")
