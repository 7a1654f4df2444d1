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


@pytest.fixture(autouse=True, scope="session")
def _private_policy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Policy files read in the tests (and in the commands they run) are cached in a directory
    of this session's, not the user's (policyengine.policy_cache)."""
    import os

    os.environ["POLICYENGINE_CACHE_DIR"] = str(tmp_path_factory.mktemp("policy-cache"))
