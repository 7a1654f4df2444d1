"""The SQLite store: one file, write-ahead logged, each commit synced before ``post`` returns.

Writers take the database's write lock at the start of each event (``BEGIN IMMEDIATE``), so
several processes may share one file; each event is read and written under that lock. With
``durability="full"`` (the default) a commit is on disk before it is acknowledged, so neither a
killed process nor a power cut loses an acknowledged event; ``"normal"`` survives a killed
process but may lose the last commits on a power cut (SQLite's ``synchronous=NORMAL``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ..errors import StoreError
from .sql import SQLStore, store_failure

DURABILITY = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}
CACHE_KIB = 16384  # SQLite's page cache for a file store (its default is 2 MiB)
CHECKPOINT_PAGES = 8192  # pages in the write-ahead log before it is copied into the file


class SQLiteStore(SQLStore):
    conflicts = (sqlite3.IntegrityError,)
    WRITE_BACK = True  # BEGIN IMMEDIATE holds the database's write lock for a whole batch

    def __init__(self, path: str, *, durability: str = "full", memory: bool = False) -> None:
        super().__init__(":memory:" if memory else path)
        if durability not in DURABILITY:
            raise StoreError(f"durability must be one of {', '.join(DURABILITY)}; got "
                             f"{durability!r}")
        try:
            self.db = sqlite3.connect(":memory:" if memory else path, isolation_level=None,
                                      check_same_thread=False, timeout=30)
            if not memory:
                mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"the SQLite store {path} cannot use write-ahead logging")
                # a page cache that holds a replay's working set of index pages, and the log
                # copied into the file every 32 MiB rather than every 4 MiB (fewer syncs of
                # the file; every commit is still synced to the log before it is acknowledged)
                self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                self.db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self.db.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
            self.create()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {path}: {exc}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.db.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise store_failure(self.url, exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        try:
            return self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise store_failure(self.url, exc) from None

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def close(self) -> None:
        self.db.close()
