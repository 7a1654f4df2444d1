"""The error of a cases file ``decide-many`` cannot use (exit code 2)."""

from __future__ import annotations

from ..errors import PolicyEngineError


class InputError(PolicyEngineError):
    """A cases file that cannot be read or used: unreadable, an unknown format, bad JSON."""
