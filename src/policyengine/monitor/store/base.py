"""The event store every monitor writes through: one relational schema, three back ends.

The store is the truth. A case's row holds its state, its version (its number of events), its
counters and its open obligations; each accepted event is one row with what it did (its history
step); each obligation is one row indexed by when it falls due and when it closed, so questions
over all cases (what is overdue, what falls due between two moments) are answered by the index,
never by reading every case. Every event is written in one transaction with its case row and
its obligation rows, so a crash keeps either all of an event or none of it. The rows' layout is
in :mod:`.rows`.

Back ends: :mod:`.sqlite` (a file: the embedded default), :mod:`.memory` (SQLite in memory, for
tests and replays) and :mod:`.postgres` (psycopg 3, for several processes sharing cases: the
case row is locked ``FOR UPDATE`` while an event is applied).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from .rows import SCHEMA_VERSION, ObligationRow, StoredCase, StoredEvent


@dataclass(slots=True)
class Change:
    """Everything one accepted event writes (computed before anything is written)."""

    record: dict[str, Any]  # the case's lean record after the event
    at_us: int  # the event's moment, microseconds since 1970 (UTC)
    event_type: str
    at: str
    data: str | None  # the event's validated data as JSON text (None: it has none)
    ref: str | None
    seq: int  # the event's number in its case (0 for the one that opens it)
    rule: str
    from_state: str | None
    to_state: str
    effects: str | None  # the non-empty lists of its history step, as JSON (see rows)
    # obligations it opened: [ordinal in the case, their entry as opened, status, late] (the
    # status is "open", or "lapsed" when the event also closed the case)
    opened: list[list[Any]]
    closed: list[tuple[str, str, bool]]  # (id, status, late) of earlier obligations it closed


class Conflict(Exception):
    """Another writer got there first (a unique key taken): retry the whole event."""


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

    @property
    def holding(self) -> bool:
        """Whether a batch is keeping its writes until it commits (nothing else can write)."""
        return False

    def case(self, case_id: str, *, lock: bool = False) -> StoredCase | None:
        raise NotImplementedError

    def prefetch(self, events: Sequence[Any]) -> None:
        """In a batch, read at once the cases and ids these events name (where it helps)."""

    def event_by_ref(self, ref: str) -> StoredEvent | None:
        raise NotImplementedError

    def journal(self, case_id: str) -> list[dict[str, Any]]:
        """The case's events so far (type, at, data, ref), oldest first."""
        raise NotImplementedError

    def history(self, case_id: str) -> list[StoredEvent]:
        raise NotImplementedError

    def obligations(self, case_id: str) -> list[dict[str, Any]]:
        """Every obligation entry of the case, open or closed, in the order they opened."""
        raise NotImplementedError

    def write(self, case_id: str, case_type: str, policy: str, was: int, change: Change) -> None:
        """Write an event's change to a case at version ``was`` (0: the event opens it)."""
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
        raise StoreError(f"the store {url} has layout (schema) version {found}, which this "
                         f"policyengine cannot read: it reads version {SCHEMA_VERSION} and "
                         "rewrites version 1 to it; open the store with the policyengine that "
                         "wrote it, or replay its events into a new store")


__all__ = ["Change", "Conflict", "ObligationRow", "Store", "StoredCase", "StoredEvent",
           "check_schema"]
