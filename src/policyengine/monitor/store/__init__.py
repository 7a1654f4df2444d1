"""Event stores: where the monitor keeps every case (see :mod:`.base`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreError
from .base import Store, StoredCase, StoredEvent
from .memory import MemoryStore
from .sqlite import SQLiteStore


def open_store(store: Store | str | Path | None, *, durability: str = "full") -> Store:
    """A store from what a caller gives: None or ``":memory:"`` (in memory), a path (SQLite),
    a ``postgresql://`` URL (PostgreSQL), or a store already made."""
    if store is None or store == ":memory:":
        return MemoryStore()
    if isinstance(store, Store):
        return store
    text = str(store)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(text)
    if "://" in text:
        raise StoreError(f"unknown store {text!r}: give a file path (SQLite), ':memory:', or a "
                         "postgresql:// URL")
    return SQLiteStore(text, durability=durability)


__all__ = ["MemoryStore", "SQLiteStore", "Store", "StoredCase", "StoredEvent", "open_store"]
