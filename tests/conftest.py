from __future__ import annotations

from pathlib import Path

import pytest

import policyengine
from policyengine import PolicySet

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
SEEDS = ROOT.parent / "shared" / "seeds"
#: For tests that read the source documents (quotes linked to their passages): skipped, saying
#: so, when the documents are not beside the repository (README: "Two commands").
needs_sources = pytest.mark.skipif(not SEEDS.is_dir(),
                                   reason="the source documents are not beside the repo")


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    return policyengine.load_policies(POLICIES)


@pytest.fixture(scope="session")
def halton() -> PolicySet:
    return policyengine.load_policies(POLICIES / "halton_conduct.yaml")
