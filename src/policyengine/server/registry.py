"""The policies a server answers from, loaded once and replaced whole on a reload.

A request reads :attr:`PolicyRegistry.current` once and uses that :class:`Snapshot` throughout,
so it never sees half a reload: a reload compiles the complete new set first and then swaps one
reference. A reload that fails (a policy file now invalid, or gone) keeps the old set, logs
every problem and records that it failed (shown, without file paths, in ``/v1/health``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PolicyEngineError, PolicyError
from ..policyset import BUNDLED_POLICIES, PolicySet, load_policies, policy_files

log = logging.getLogger("policyengine.server")


@dataclass(frozen=True)
class Snapshot:
    """One complete, immutable set of loaded policies, and what is derived from it."""

    policies: PolicySet
    generation: int
    loaded_at: str

    @functools.cached_property
    def openapi(self) -> dict[str, Any]:
        from .openapi import openapi_document

        return openapi_document(self.policies)

    @functools.cached_property
    def schemas(self) -> dict[tuple[str, str], dict[str, Any]]:
        from ..fact_schema import decision_schema

        return {
            (p.id, name): decision_schema(self.policies, p.id, name)
            for p in self.policies
            for name in self.policies.decision_names(p.id)
        }


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    at: str
    message: str
    generation: int

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "at": self.at, "message": self.message,
                "generation": self.generation}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class PolicyRegistry:
    """Holds the current :class:`Snapshot`; :meth:`reload` replaces it atomically."""

    def __init__(self, source: Sequence[Path] | None = None,
                 policies: PolicySet | None = None) -> None:
        self.source = list(source) if source else None
        #: given a loaded PolicySet there are no files to read again: reload keeps it
        self.fixed = policies is not None
        self._lock = threading.Lock()
        self.last_reload: ReloadResult | None = None
        loaded = policies if policies is not None else load_policies(self.source)
        self.current = Snapshot(loaded, 1, _now())

    def files_signature(self) -> tuple[tuple[str, int, int], ...]:
        """(file, mtime, size) of every policy file the source names: a change means reload."""
        found: list[tuple[str, int, int]] = []
        for root in self.source or [BUNDLED_POLICIES]:
            try:
                files = policy_files(root) if root.exists() else []
            except OSError:
                files = []
            for file in files:
                try:
                    st = file.stat()
                except OSError:
                    continue
                found.append((str(file), st.st_mtime_ns, st.st_size))
        return tuple(sorted(found))

    def reload(self) -> ReloadResult:
        """Load the policies again; swap them in only if every file loads."""
        with self._lock:
            generation = self.current.generation
            if self.fixed:
                self.last_reload = ReloadResult(False, _now(), "the policies were given "
                                                "loaded, not as files: nothing to reload",
                                                generation)
                return self.last_reload
            try:
                fresh = load_policies(self.source)
            except PolicyError as exc:
                for problem in exc.problems:
                    log.error("reload failed, keeping the policies loaded before: %s", problem)
                result = ReloadResult(False, _now(),
                                      f"reload failed with {len(exc.problems)} problem(s); "
                                      "the policies loaded before are kept (see the server log)",
                                      generation)
            except (PolicyEngineError, OSError) as exc:
                log.error("reload failed, keeping the policies loaded before: %s", exc)
                result = ReloadResult(False, _now(), "reload failed; the policies loaded "
                                      "before are kept (see the server log)", generation)
            else:
                self.current = Snapshot(fresh, generation + 1, _now())
                log.info("reloaded %d policies (generation %d)", len(fresh), generation + 1)
                result = ReloadResult(True, _now(), f"reloaded {len(fresh)} policies",
                                      generation + 1)
            self.last_reload = result
            return result
