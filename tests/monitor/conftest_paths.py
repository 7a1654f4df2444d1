"""Where the package's source is (children of the tests import it from there)."""

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
