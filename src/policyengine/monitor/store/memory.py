"""The in-memory store, for tests and replays: SQLite in memory, so the same SQL, the same
indexes and the same answers as a file, gone when the monitor closes."""

from __future__ import annotations

from .sqlite import SQLiteStore


class MemoryStore(SQLiteStore):
    def __init__(self) -> None:
        super().__init__(":memory:", durability="off", memory=True)
