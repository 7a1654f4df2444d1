"""The event store every monitor writes through: one relational schema, three back ends.

The store is the truth. A case's row holds its record (state, obligations and their counters)
and a version (its number of events); each accepted event is one row with what it did (its
history step); each obligation is one row indexed by when it falls due and when it closed, so
questions over all cases (what is overdue, what falls due between two moments) are answered by
the index, never by reading every case. Every event is written in one transaction with its case
row and its obligation rows, so a crash keeps either all of an event or none of it.

Back ends: :mod:`.sqlite` (a file: the embedded default), :mod:`.memory` (SQLite in memory, for
tests and replays) and :mod:`.postgres` (psycopg 3, for several processes sharing cases: the
case row is locked ``FOR UPDATE`` while an event is applied).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from ..events import due_micros, micros, parse_due

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class StoredCase:
    case_id: str
    case_type: str
    version: int
    record: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    case_id: str
    seq: int
    event: dict[str, Any]
    step: dict[str, Any]


@dataclass(frozen=True)
class ObligationRow:
    case_id: str
    case_type: str
    entry: dict[str, Any]


class Conflict(Exception):
    """Another writer got there first (a unique key taken): retry the whole event."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def obligation_columns(entry: Mapping[str, Any]) -> tuple[int | None, int, int | None]:
    """(due, opened, closed) of an obligation entry, as microseconds for the index."""
    due = parse_due(entry.get("due"))
    from datetime import datetime

    opened = micros(datetime.fromisoformat(entry["opened_at"]))
    closed = micros(datetime.fromisoformat(entry["closed_at"])) if entry.get("closed_at") else None
    return (due_micros(due) if due is not None else None), opened, closed


class Store:
    """What the monitor needs of a store; see :class:`.sql.SQLStore` for the one implementation.

    Writes happen inside :meth:`transaction` (or a :meth:`batch` of them); ``lock=True`` on
    :meth:`case` holds the case's row until the transaction ends (where the back end can).
    """

    url: str
    shared: bool = False  # True where other processes may write the same cases

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    @contextmanager
    def batch(self) -> Iterator[None]:
        raise NotImplementedError
        yield  # pragma: no cover

    def case(self, case_id: str, *, lock: bool = False) -> StoredCase | None:
        raise NotImplementedError

    def prefetch(self, events: Sequence[Any]) -> None:
        """In a batch, read at once the cases and ids these events name (where it helps)."""

    def event_by_ref(self, ref: str) -> StoredEvent | None:
        raise NotImplementedError

    def journal(self, case_id: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def history(self, case_id: str) -> list[StoredEvent]:
        raise NotImplementedError

    def write(self, case_id: str, case_type: str, policy: str, record: Mapping[str, Any],
              event: Mapping[str, Any], step: Mapping[str, Any],
              changed: Sequence[Mapping[str, Any]]) -> None:
        raise NotImplementedError

    def clock(self) -> str | None:
        raise NotImplementedError

    def latest(self) -> int | None:
        raise NotImplementedError

    def set_clock(self, text: str) -> None:
        raise NotImplementedError

    def case_ids(self, *, include_closed: bool = True) -> list[str]:
        raise NotImplementedError

    def count_cases(self, *, include_closed: bool = True) -> int:
        raise NotImplementedError

    def overdue(self, as_of: int, kinds: Sequence[str], case_types: Sequence[str] | None,
                limit: int | None) -> list[ObligationRow]:
        raise NotImplementedError

    def count_overdue(self, as_of: int, kinds: Sequence[str],
                      case_types: Sequence[str] | None) -> int:
        raise NotImplementedError

    def due_between(self, start: int, end: int, as_of: int, kinds: Sequence[str],
                    case_types: Sequence[str] | None, limit: int | None) -> list[ObligationRow]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def check_schema(found: str | None, url: str) -> None:
    if found is not None and found != SCHEMA_VERSION:
        raise StoreError(f"the store {url} has schema version {found}; this policyengine "
                         f"reads version {SCHEMA_VERSION}")
