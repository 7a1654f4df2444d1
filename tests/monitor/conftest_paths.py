"""Where things are, for the monitor tests (tests/monitor/conftest.py shadows tests/conftest.py
as a module name, so paths are named here)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
POLICIES = ROOT / "policies"
SEEDS = ROOT.parent / "shared" / "seeds"
