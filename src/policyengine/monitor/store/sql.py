"""The store's SQL, shared by SQLite and PostgreSQL (only placeholders and locking differ)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from ..errors import StoreError
from .base import (
    SCHEMA_VERSION,
    Conflict,
    ObligationRow,
    Store,
    StoredCase,
    StoredEvent,
    check_schema,
    dumps,
    obligation_columns,
)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pe_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pe_cases (case_id TEXT PRIMARY KEY, case_type TEXT NOT NULL, "
    "policy TEXT NOT NULL, state TEXT NOT NULL, closed INTEGER NOT NULL, version INTEGER NOT "
    "NULL, opened_seq BIGINT NOT NULL, last_at_us BIGINT NOT NULL, record TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pe_cases_opened ON pe_cases (opened_seq, case_id)",
    "CREATE INDEX IF NOT EXISTS pe_cases_last ON pe_cases (last_at_us)",
    "CREATE TABLE IF NOT EXISTS pe_events (case_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "ref TEXT, event TEXT NOT NULL, step TEXT NOT NULL, PRIMARY KEY (case_id, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS pe_events_ref ON pe_events (ref) WHERE ref IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS pe_obligations (case_id TEXT NOT NULL, ob_id TEXT NOT NULL, "
    "case_type TEXT NOT NULL, kind TEXT NOT NULL, judgement INTEGER NOT NULL, due_us BIGINT, "
    "opened_at_us BIGINT NOT NULL, closed_at_us BIGINT, entry TEXT NOT NULL, "
    "PRIMARY KEY (case_id, ob_id))",
    # what is owed now: open obligations by due moment
    "CREATE INDEX IF NOT EXISTS pe_ob_open ON pe_obligations (due_us) "
    "WHERE closed_at_us IS NULL AND due_us IS NOT NULL",
    # what was owed at an earlier moment: closed obligations by when they closed
    "CREATE INDEX IF NOT EXISTS pe_ob_closed ON pe_obligations (closed_at_us, due_us) "
    "WHERE closed_at_us IS NOT NULL AND due_us IS NOT NULL",
)

_NOTHING: AbstractContextManager[None] = nullcontext()
_UPSERT_OB = (
    "INSERT INTO pe_obligations (case_id, ob_id, case_type, kind, judgement, due_us, opened_at_us, "
    "closed_at_us, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, ob_id) DO "
    "UPDATE SET closed_at_us = excluded.closed_at_us, entry = excluded.entry"
)
_OB = "SELECT case_id, case_type, entry, due_us, ob_id FROM pe_obligations WHERE "


class SQLStore(Store):
    """A store over one DB-API connection; subclasses say how to begin, lock and conflict."""

    P = "?"  # the placeholder
    LOCK = ""  # appended to the case query to lock the row (PostgreSQL: FOR UPDATE)
    conflicts: tuple[type[BaseException], ...] = ()

    #: In a batch, keep each case's latest row and the new event and obligation rows in memory
    #: and write them all when the batch commits (only where the batch holds the store's write
    #: lock throughout, as SQLite's BEGIN IMMEDIATE does, so nobody else can read or write them).
    WRITE_BACK = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.depth = 0
        self.in_batch = False
        self.held: _Held | None = None

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
    def create(self) -> None:
        with self.transaction():
            for statement in SCHEMA:
                self.execute(statement)
            row = self.execute("SELECT value FROM pe_meta WHERE key = 'schema'").fetchone()
            check_schema(row[0] if row else None, self.url)
            if row is None:
                self.execute(f"INSERT INTO pe_meta (key, value) VALUES ('schema', {self.P})",
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
            self.in_batch = True
            if self.WRITE_BACK:
                self.held = _Held()
            try:
                yield
                self.flush()
            finally:
                self.in_batch = False
                self.held = None

    def flush(self) -> None:
        """Write what a batch holds (inside its transaction)."""
        held = self.held
        if held is None:
            return
        self.held = None
        p = self.P
        for case_id, (case_type, policy, record, was) in held.cases.items():
            self._write_case(case_id, case_type, policy, record, was)
        if held.events:
            self.executemany(f"INSERT INTO pe_events (case_id, seq, ref, event, step) VALUES "
                             f"({p}, {p}, {p}, {p}, {p})", held.events)
        if held.obligations:
            self.executemany(_UPSERT_OB.replace("?", p), list(held.obligations.values()))
        self.held = _Held()

    # ------------------------------------------------------------------ reads
    def prefetch(self, events: Sequence[Any]) -> None:
        """Read the cases and ids a batch's events name in a few queries, so that each event
        needs none (only while the batch holds the write lock: nothing else can change them)."""
        held = self.held
        if held is None:
            return
        ids = sorted({e["case"] for e in events if isinstance(e, Mapping)
                      and isinstance(e.get("case"), str)} - set(held.cases))
        refs = sorted({e["id"] for e in events if isinstance(e, Mapping)
                       and isinstance(e.get("id"), str)} - set(held.refs))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join([self.P] * len(part))
            held.known_cases.update(dict.fromkeys(part))
            for row in self.execute(f"SELECT case_id, case_type, version, record FROM pe_cases "
                                    f"WHERE case_id IN ({marks})", part).fetchall():
                held.known_cases[row[0]] = StoredCase(row[0], row[1], int(row[2]),
                                                      json.loads(row[3]))
        for start in range(0, len(refs), 500):
            part = refs[start:start + 500]
            marks = ", ".join([self.P] * len(part))
            held.known_refs.update(dict.fromkeys(part))
            for row in self.execute(f"SELECT ref, case_id, seq, event, step FROM pe_events "
                                    f"WHERE ref IN ({marks})", part).fetchall():
                held.known_refs[row[0]] = StoredEvent(row[1], int(row[2]), json.loads(row[3]),
                                                      json.loads(row[4]))

    def case(self, case_id: str, *, lock: bool = False) -> StoredCase | None:
        held = self.held
        if held is not None:
            if case_id in held.cases:
                case_type, _, record, _ = held.cases[case_id]
                return StoredCase(case_id, case_type, int(record["events"]), record)
            if case_id in held.known_cases:
                return held.known_cases[case_id]
        row = self.execute(
            f"SELECT case_type, version, record FROM pe_cases WHERE case_id = {self.P}"
            + (self.LOCK if lock else ""), (case_id,)).fetchone()
        if row is None:
            return None
        return StoredCase(case_id, row[0], int(row[1]), json.loads(row[2]))

    def event_by_ref(self, ref: str) -> StoredEvent | None:
        held = self.held
        if held is not None:
            if ref in held.refs:
                return held.refs[ref]
            if ref in held.known_refs:
                return held.known_refs[ref]
        row = self.execute(f"SELECT case_id, seq, event, step FROM pe_events WHERE ref = {self.P}",
                           (ref,)).fetchone()
        if row is None:
            return None
        return StoredEvent(row[0], int(row[1]), json.loads(row[2]), json.loads(row[3]))

    def journal(self, case_id: str) -> list[dict[str, Any]]:
        rows = self.execute(f"SELECT event FROM pe_events WHERE case_id = {self.P} ORDER BY seq",
                            (case_id,)).fetchall()
        held = self.held.journals.get(case_id, []) if self.held is not None else []
        return [*(json.loads(r[0]) for r in rows), *held]

    def history(self, case_id: str) -> list[StoredEvent]:
        rows = self.execute(f"SELECT seq, event, step FROM pe_events WHERE case_id = {self.P} "
                            "ORDER BY seq", (case_id,)).fetchall()
        return [StoredEvent(case_id, int(r[0]), json.loads(r[1]), json.loads(r[2])) for r in rows]

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

    def _filters(self, kinds: Sequence[str], case_types: Sequence[str] | None,
                 params: list[Any]) -> str:
        sql = f" AND kind IN ({', '.join([self.P] * len(kinds))})"
        params.extend(kinds)
        if case_types is not None:
            sql += f" AND case_type IN ({', '.join([self.P] * max(1, len(case_types)))})"
            params.extend(case_types or [""])
        return sql

    def _rows(self, sql: str, params: Sequence[Any], limit: int | None) -> list[ObligationRow]:
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [ObligationRow(r[0], r[1], json.loads(r[2]))
                for r in self.execute(sql, params).fetchall()]

    def overdue(self, as_of: int, kinds: Sequence[str], case_types: Sequence[str] | None,
                limit: int | None) -> list[ObligationRow]:
        """Obligations past due at ``as_of`` and still open then (opened by then, closed after)."""
        now, later, params = self._late_sql(as_of, kinds, case_types)
        return self._rows(f"{_OB}{now} UNION ALL {_OB}{later} ORDER BY due_us, case_id, ob_id",
                          params, limit)

    def count_overdue(self, as_of: int, kinds: Sequence[str],
                      case_types: Sequence[str] | None) -> int:
        now, later, params = self._late_sql(as_of, kinds, case_types)
        one = "SELECT ob_id FROM pe_obligations WHERE "
        return int(self.execute(f"SELECT COUNT(*) FROM ({one}{now} UNION ALL {one}{later}) AS late",
                                params).fetchone()[0])

    def _late_sql(self, as_of: int, kinds: Sequence[str],
                  case_types: Sequence[str] | None) -> tuple[str, str, list[Any]]:
        """The conditions of what was late at ``as_of``: open then, and closed since."""
        params: list[Any] = []
        p = self.P
        open_now = (f"closed_at_us IS NULL AND due_us IS NOT NULL AND due_us < {p} AND "
                    f"opened_at_us <= {p} AND judgement = 0")
        params += [as_of, as_of]
        open_now += self._filters(kinds, case_types, params)
        closed_later = (f"closed_at_us IS NOT NULL AND due_us IS NOT NULL AND closed_at_us > {p} "
                        f"AND due_us < {p} AND opened_at_us <= {p} AND judgement = 0")
        params += [as_of, as_of, as_of]
        closed_later += self._filters(kinds, case_types, params)
        return open_now, closed_later, params

    def due_between(self, start: int, end: int, as_of: int, kinds: Sequence[str],
                    case_types: Sequence[str] | None, limit: int | None) -> list[ObligationRow]:
        """Obligations still open at ``as_of`` whose due moment is in [start, end]."""
        params: list[Any] = []
        p = self.P
        base = f"due_us IS NOT NULL AND due_us >= {p} AND due_us <= {p} AND opened_at_us <= {p}"
        open_now = f"closed_at_us IS NULL AND {base}"
        params += [start, end, as_of]
        open_now += self._filters(kinds, case_types, params)
        closed_later = f"closed_at_us IS NOT NULL AND closed_at_us > {p} AND {base}"
        params += [as_of, start, end, as_of]
        closed_later += self._filters(kinds, case_types, params)
        sql = f"{_OB}{open_now} UNION ALL {_OB}{closed_later} ORDER BY due_us, case_id, ob_id"
        return self._rows(sql, params, limit)

    # ------------------------------------------------------------------ writes
    def write(self, case_id: str, case_type: str, policy: str, record: Mapping[str, Any],
              event: Mapping[str, Any], step: Mapping[str, Any],
              changed: Sequence[Mapping[str, Any]]) -> None:
        version = int(record["events"])
        event_row = (case_id, version - 1, event.get("ref"), dumps(event), dumps(step))
        ob_rows = [_ob_row(case_id, case_type, entry) for entry in changed]
        held = self.held
        if held is not None:  # everything is known: keep it all at once
            was = held.cases[case_id][3] if case_id in held.cases else version - 1
            held.cases[case_id] = (case_type, policy, dict(record), was)
            held.events.append(event_row)
            held.journals.setdefault(case_id, []).append(dict(event))
            if event.get("ref") is not None:
                held.refs[str(event["ref"])] = StoredEvent(case_id, version - 1, dict(event),
                                                           dict(step))
            for row in ob_rows:
                held.obligations[(case_id, row[1])] = row
            return
        try:
            self._write_case(case_id, case_type, policy, record, version - 1)
            p = self.P
            self.execute(f"INSERT INTO pe_events (case_id, seq, ref, event, step) VALUES "
                         f"({p}, {p}, {p}, {p}, {p})", event_row)
            for row in ob_rows:
                self.execute(_UPSERT_OB.replace("?", p), row)
        except self.conflicts as exc:
            raise Conflict(str(exc)) from None

    def _write_case(self, case_id: str, case_type: str, policy: str, record: Mapping[str, Any],
                    was: int) -> None:
        """Insert the case's row (``was`` 0: a new case) or update it from version ``was``."""
        from datetime import datetime

        from ..events import micros

        p = self.P
        version = int(record["events"])
        last = micros(datetime.fromisoformat(record["last_at"]))
        state, closed, body = record["state"], int(bool(record["closed"])), dumps(record)
        try:
            if was == 0:
                seq = self.execute("SELECT COALESCE(MAX(opened_seq), 0) + 1 FROM pe_cases"
                                   ).fetchone()[0]
                self.execute(
                    f"INSERT INTO pe_cases (case_id, case_type, policy, state, closed, version, "
                    f"opened_seq, last_at_us, record) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, "
                    f"{p}, {p})", (case_id, case_type, policy, state, closed, version, seq, last,
                                   body))
            else:
                cur = self.execute(
                    f"UPDATE pe_cases SET state = {p}, closed = {p}, version = {p}, "
                    f"last_at_us = {p}, record = {p} WHERE case_id = {p} AND version = {p}",
                    (state, closed, version, last, body, case_id, was))
                if cur.rowcount != 1:
                    raise Conflict(f"case {case_id} changed under this event")
        except self.conflicts as exc:
            raise Conflict(str(exc)) from None

    def set_clock(self, text: str) -> None:
        p = self.P
        self.execute(f"INSERT INTO pe_meta (key, value) VALUES ('clock', {p}) ON CONFLICT (key) "
                     "DO UPDATE SET value = excluded.value", (text,))


class _Held:
    """What a write-back batch keeps until it commits."""

    def __init__(self) -> None:
        # case id -> (case type, policy, latest record, version in the table before the batch)
        self.cases: dict[str, tuple[str, str, dict[str, Any], int]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.journals: dict[str, list[dict[str, Any]]] = {}
        self.refs: dict[str, StoredEvent] = {}
        self.obligations: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.clock: tuple[str | None] | None = None
        # what the batch read ahead from the table (None: not there)
        self.known_cases: dict[str, StoredCase | None] = {}
        self.known_refs: dict[str, StoredEvent | None] = {}


def _ob_row(case_id: str, case_type: str, entry: Mapping[str, Any]) -> tuple[Any, ...]:
    due, opened, closed_at = obligation_columns(entry)
    return (case_id, entry["id"], case_type, entry["kind"], int(bool(entry["judgement"])), due,
            opened, closed_at, dumps(entry))


def store_failure(url: str, exc: BaseException) -> StoreError:
    return StoreError(f"the event store {url} failed: {exc}; nothing was acknowledged")
