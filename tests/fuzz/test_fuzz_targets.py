"""The bounded (CI) profile of the fuzz targets: a few hundred seeded cases per target.

``./dev fuzz`` runs the same targets for 100,000 cases each (tests/fuzz/run.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from targets import CASES, TARGETS

#: Cases per target in CI: enough to cover every generator's branches, a minute or so in all.
CI_CASES = {"policy": 400, "facts": 2_000, "events": 200, "cli": 150}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_target_keeps_the_error_contract(name: str) -> None:
    before = CASES[name]
    run = seed(2026)(settings(
        max_examples=CI_CASES.get(name, 100), database=None, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )(given(st.data())(TARGETS[name])))
    run()
    assert CASES[name] - before >= CI_CASES.get(name, 100) // 2  # it really ran the cases
