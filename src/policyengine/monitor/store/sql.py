"""The store's SQL, shared by SQLite and PostgreSQL (only placeholders and locking differ)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from ..errors import StoreError
from .base import Change, Conflict, Store, check_schema
from .held import Held, close_row, event_row, ob_row
from .index import IndexQueries
from .migrate import migrate_from_1
from .rows import (
    CASE_COLUMNS,
    CLOSE_OB,
    EVENT_COLUMNS,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_OB,
    META,
    OB_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    UPDATE_CASE,
    StoredCase,
    StoredEvent,
    entry_of,
    journal_entries,
    record_body,
    stored_case,
    stored_event,
)

_NOTHING: AbstractContextManager[None] = nullcontext()
_CHUNK = 500  # values in one IN (...) list


class SQLStore(IndexQueries, Store):
    """A store over one DB-API connection; subclasses say how to begin, lock and conflict."""

    P = "?"  # the placeholder
    LOCK = ""  # appended to the case query to lock the row (PostgreSQL: FOR UPDATE)
    LOCK_META = ""  # locks the meta table while the store is opened (SQLite: BEGIN IMMEDIATE)
    conflicts: tuple[type[BaseException], ...] = ()

    #: In a batch, keep each case's latest row and the new event and obligation rows in memory
    #: and write them all when the batch commits (only where the batch holds the store's write
    #: lock throughout, as SQLite's BEGIN IMMEDIATE does, so nobody else can read or write them).
    WRITE_BACK = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.depth = 0
        self.held: Held | None = None
        self._sql: dict[str, str] = {}

    # ------------------------------------------------------------------ to implement
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ setup
    def q(self, sql: str) -> str:
        """``sql`` with this back end's placeholder."""
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = sql.replace("?", self.P)
        return found

    def create(self) -> None:
        with self.transaction():
            self.execute(META)
            if self.LOCK_META:  # two monitors opening one store: one migrates, one waits
                self.execute(self.LOCK_META)
            row = self.execute("SELECT value FROM pe_meta WHERE key = 'schema'").fetchone()
            if row is not None and row[0] == "1":
                try:
                    migrate_from_1(self.execute, self.executemany, self.q)
                except (KeyError, TypeError, ValueError) as exc:  # rows not as layout 1 wrote
                    raise StoreError(f"cannot rewrite the store {self.url} from layout "
                                     f"(schema) version 1 to {SCHEMA_VERSION}: a row is not as "
                                     f"version 1 writes it ({type(exc).__name__}: {exc}); the "
                                     "store is left as it was") from None
                self.execute(self.q("UPDATE pe_meta SET value = ? WHERE key = 'schema'"),
                             (SCHEMA_VERSION,))
            else:
                check_schema(row[0] if row else None, self.url)
            for statement in SCHEMA:
                self.execute(statement)
            if row is None:
                self.execute(self.q("INSERT INTO pe_meta (key, value) VALUES ('schema', ?)"),
                             (SCHEMA_VERSION,))

    # ------------------------------------------------------------------ transactions
    def transaction(self) -> AbstractContextManager[None]:
        """One event's writes: all or none (a savepoint inside a batch)."""
        if self.held is not None:  # a held event's rows are only kept once all of it is known
            return _NOTHING
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.depth:
            name = f"pe_sp{self.depth}"
            self.execute(f"SAVEPOINT {name}")
            self.depth += 1
            try:
                yield
            except BaseException:
                self.depth -= 1
                self.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.depth -= 1
            self.execute(f"RELEASE SAVEPOINT {name}")
            return
        self.begin()
        self.depth = 1
        try:
            yield
        except BaseException:
            self.depth = 0
            self.rollback()
            raise
        self.depth = 0
        self.commit()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many events in one transaction: acknowledged together when it commits."""
        with self.transaction():
            if self.WRITE_BACK:
                self.held = Held()
            try:
                yield
                held, self.held = self.held, None
                if held is not None:
                    try:
                        held.flush(self.execute, self.executemany, self.q)
                    except self.conflicts as exc:
                        raise Conflict(str(exc)) from None
            finally:
                self.held = None

    @property
    def holding(self) -> bool:
        return self.held is not None

    # ------------------------------------------------------------------ reads
    def prefetch(self, events: Sequence[Any]) -> None:
        """Read the cases and ids a batch's events name in a few queries, so that each event
        needs none (only while the batch holds the write lock: nothing else can change them)."""
        held = self.held
        if held is None:
            return
        cases: set[str] = set()
        ids: set[str] = set()
        for e in events:
            if type(e) is dict or isinstance(e, Mapping):
                case_id, ref = e.get("case"), e.get("id")
                if type(case_id) is str and not held.knows_case(case_id):
                    cases.add(case_id)
                if type(ref) is str and not held.knows_ref(ref):
                    ids.add(ref)
        self._read_ahead(held, sorted(cases), sorted(ids))

    def _read_ahead(self, held: Held, ids: list[str], refs: list[str]) -> None:
        for start in range(0, len(ids), _CHUNK):
            part = ids[start:start + _CHUNK]
            marks = ", ".join([self.P] * len(part))
            held.known_cases.update(dict.fromkeys(part))
            for row in self.execute(f"SELECT case_id, {CASE_COLUMNS} FROM pe_cases WHERE "
                                    f"case_id IN ({marks})", part).fetchall():
                held.known_cases[row[0]] = row[1:]
        for start in range(0, len(refs), _CHUNK):
            part = refs[start:start + _CHUNK]
            marks = ", ".join([self.P] * len(part))
            held.known_refs.update(dict.fromkeys(part))
            for row in self.execute(f"SELECT case_id, {EVENT_COLUMNS} FROM pe_events WHERE "
                                    f"ref IN ({marks})", part).fetchall():
                held.known_refs[row[2]] = row

    def case(self, case_id: str, *, lock: bool = False) -> StoredCase | None:
        held = self.held
        if held is not None:
            found = held.cases.get(case_id)
            if found is not None:
                return found[0]
            if case_id in held.known_cases:
                return held.case(case_id)
        row = self.execute(self.q(f"SELECT {CASE_COLUMNS} FROM pe_cases WHERE case_id = ?")
                           + (self.LOCK if lock else ""), (case_id,)).fetchone()
        return None if row is None else stored_case(case_id, row)

    def event_by_ref(self, ref: str) -> StoredEvent | None:
        held = self.held
        if held is not None and (ref in held.refs or ref in held.known_refs):
            return held.event_by_ref(ref)
        row = self.execute(self.q(f"SELECT case_id, {EVENT_COLUMNS} FROM pe_events WHERE "
                                  "ref = ?"), (ref,)).fetchone()
        return None if row is None else stored_event(row[0], row[1:])

    def journal(self, case_id: str) -> list[dict[str, Any]]:
        rows: list[Any] = self.execute(self.q(
            "SELECT case_id, seq, ref, event_type, event_at, data FROM pe_events WHERE "
            "case_id = ? ORDER BY seq"), (case_id,)).fetchall()
        if self.held is not None:
            rows.extend(self.held.journals.get(case_id, ()))
        return journal_entries(rows)

    def history(self, case_id: str) -> list[StoredEvent]:
        rows = self.execute(self.q(f"SELECT {EVENT_COLUMNS} FROM pe_events WHERE case_id = ? "
                                   "ORDER BY seq"), (case_id,)).fetchall()
        return [stored_event(case_id, r) for r in rows]

    def obligations(self, case_id: str) -> list[dict[str, Any]]:
        rows = self.execute(self.q(f"SELECT {OB_COLUMNS} FROM pe_obligations WHERE case_id = ? "
                                   "ORDER BY ordinal"), (case_id,)).fetchall()
        return [entry_of(r) for r in rows]

    def clock(self) -> str | None:
        if self.held is not None and self.held.clock is not None:
            return self.held.clock[0]  # a batch's clock cannot move (advance_to waits for it)
        row = self.execute("SELECT value FROM pe_meta WHERE key = 'clock'").fetchone()
        found = str(row[0]) if row else None
        if self.held is not None:
            self.held.clock = (found,)
        return found

    def latest(self) -> int | None:
        row = self.execute("SELECT MAX(last_at_us) FROM pe_cases").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def case_ids(self, *, include_closed: bool = True) -> list[str]:
        where = "" if include_closed else " WHERE closed = 0"
        rows = self.execute(f"SELECT case_id FROM pe_cases{where} ORDER BY opened_seq, case_id")
        return [str(r[0]) for r in rows.fetchall()]

    def count_cases(self, *, include_closed: bool = True) -> int:
        where = "" if include_closed else " WHERE closed = 0"
        return int(self.execute(f"SELECT COUNT(*) FROM pe_cases{where}").fetchone()[0])

    # ------------------------------------------------------------------ writes
    def write(self, case_id: str, case_type: str, policy: str, was: int, change: Change) -> None:
        if self.held is not None:  # everything is known: keep it all at once
            self.held.keep(case_id, case_type, policy, was, change)
            return
        try:
            self._write_case(case_id, case_type, policy, change, was)
            self.execute(self.q(INSERT_EVENT), event_row(case_id, change))
            for item in change.opened:
                self.execute(self.q(INSERT_OB), ob_row(case_id, case_type, change, item))
            for ob_id, status, late in change.closed:
                cur = self.execute(self.q(CLOSE_OB), close_row(case_id, change, ob_id, status,
                                                               late))
                if cur.rowcount != 1:
                    raise StoreError(f"internal: case {case_id} has no obligation {ob_id}")
        except self.conflicts as exc:
            raise Conflict(str(exc)) from None

    def _write_case(self, case_id: str, case_type: str, policy: str, change: Change,
                    was: int) -> None:
        """Insert the case's row (``was`` 0: a new case) or update it from version ``was``."""
        record = change.record
        state, closed, body = record["state"], int(record["closed"]), record_body(record)
        if was == 0:
            seq = self.execute("SELECT COALESCE(MAX(opened_seq), 0) + 1 FROM pe_cases"
                               ).fetchone()[0]
            self.execute(self.q(INSERT_CASE), (
                case_id, case_type, policy, state, closed, record["events"], seq,
                record["opened_at"], record["last_at"], change.at_us, body))
        else:
            cur = self.execute(self.q(UPDATE_CASE), (
                state, closed, record["events"], record["last_at"], change.at_us, body, case_id,
                was))
            if cur.rowcount != 1:
                raise Conflict(f"case {case_id} changed under this event")

    def set_clock(self, text: str) -> None:
        self.execute(self.q("INSERT INTO pe_meta (key, value) VALUES ('clock', ?) ON CONFLICT "
                            "(key) DO UPDATE SET value = excluded.value"), (text,))


def store_failure(url: str, exc: BaseException) -> StoreError:
    return StoreError(f"the event store {url} failed: {exc}; nothing was acknowledged")
