"""Questions over all cases, answered by the store's index of obligations (never by reading
every case): what is overdue, what is past its target, what falls due between two moments;
filtered by case type and by policy."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from ..lifecycle import CompiledLifecycle
from ..policyset import PolicySet
from .answers import Obligation
from .events import micros, parse_moment, parse_until
from .store import Store
from .views import Views


class Queries:
    """The Monitor's questions over all cases (mixed into :class:`Monitor`)."""

    _lock: threading.RLock
    _store: Store
    _views: Views
    _policies: PolicySet
    _lifecycles: dict[str, CompiledLifecycle]

    def _check_open(self) -> None:
        raise NotImplementedError

    def _as_of(self, as_of: dt.datetime | dt.date | str | None) -> dt.datetime | None:
        raise NotImplementedError

    def lifecycle(self, case_type: str) -> CompiledLifecycle:
        raise NotImplementedError

    def _types(self, case_type: str | Sequence[str] | None,
               policy: str | None) -> list[str] | None:
        if case_type is None and policy is None:
            return None
        wanted = [case_type] if isinstance(case_type, str) else list(case_type or self._lifecycles)
        for name in wanted:
            self.lifecycle(name)
        if policy is not None:
            self._policies.policy(policy)
            wanted = [t for t in wanted if self._lifecycles[t].policy == policy]
        return wanted

    def overdue(self, as_of: dt.datetime | dt.date | str | None = None, *,
                case_type: str | Sequence[str] | None = None, policy: str | None = None,
                limit: int | None = None) -> list[Obligation]:
        """Every duty, across all cases, past due and undischarged at ``as_of`` (default now),
        earliest due first: answered from the store's index of obligations by due moment."""
        return self._late(("duty",), as_of, case_type, policy, limit)

    def past_target(self, as_of: dt.datetime | dt.date | str | None = None, *,
                    case_type: str | Sequence[str] | None = None, policy: str | None = None,
                    limit: int | None = None) -> list[Obligation]:
        """Every target (something "normally" done within a period) past it at ``as_of``."""
        return self._late(("target",), as_of, case_type, policy, limit)

    def count_overdue(self, as_of: dt.datetime | dt.date | str | None = None, *,
                      case_type: str | Sequence[str] | None = None, policy: str | None = None,
                      kind: str = "duty") -> int:
        """How many duties (``kind="target"``: targets) are overdue (past target) at ``as_of``:
        counted by the index, nothing built."""
        with self._lock:
            self._check_open()
            moment = self._as_of(as_of)
            if moment is None:
                return 0
            return self._store.count_overdue(micros(moment), (kind,),
                                             self._types(case_type, policy))

    def _late(self, kinds: tuple[str, ...], as_of: Any, case_type: Any, policy: str | None,
              limit: int | None) -> list[Obligation]:
        with self._lock:
            self._check_open()
            moment = self._as_of(as_of)
            if moment is None:
                return []
            rows = self._store.overdue(micros(moment), kinds, self._types(case_type, policy),
                                       limit)
            late = {"duty": "overdue", "target": "past_target"}[kinds[0]]
            return [self._views.obligation(r.case_id, self._lifecycles[r.case_type], r.entry,
                                           moment, late) for r in rows]

    def due_between(self, start: dt.datetime | dt.date | str, end: dt.datetime | dt.date | str,
                    *, as_of: dt.datetime | dt.date | str | None = None,
                    case_type: str | Sequence[str] | None = None, policy: str | None = None,
                    kinds: Sequence[str] = ("duty", "target", "window"),
                    limit: int | None = None) -> list[Obligation]:
        """Obligations not yet discharged, cancelled or lapsed at ``as_of`` (default now) that
        fall due from ``start`` to ``end`` (a date means its start for ``start``, its end for
        ``end``), earliest first; each one's status says whether it was open, overdue, past its
        target or expired at ``as_of``."""
        with self._lock:
            self._check_open()
            lo = parse_moment(start, "start")
            hi = parse_until(end, "end")
            moment = self._as_of(as_of) or hi
            rows = self._store.due_between(micros(lo), micros(hi), micros(moment), list(kinds),
                                           self._types(case_type, policy), limit)
            return [self._views.obligation(r.case_id, self._lifecycles[r.case_type], r.entry,
                                           moment) for r in rows]
