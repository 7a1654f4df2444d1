"""The engine's version: one constant, kept equal to pyproject.toml's (a test checks)."""

__version__ = "0.1.0"
