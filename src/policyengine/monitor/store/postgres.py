"""The PostgreSQL store (psycopg 3, the ``[postgres]`` extra), for processes sharing cases.

Each event is applied in one transaction that locks its case's row (``SELECT ... FOR UPDATE``)
before reading it, and writes the row back only if its version is still the one read, so two
monitors posting to one case never both take a transition from the same state. A new case, or an
event id, that another monitor wrote first makes the transaction fail on a unique key; the
monitor then retries the event once against what is now stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import POSTGRES_HINT, MonitorUnavailableError, StoreError
from .sql import SQLStore, store_failure


class PostgresStore(SQLStore):
    P = "%s"
    LOCK = " FOR UPDATE"
    LOCK_META = "LOCK TABLE pe_meta IN SHARE ROW EXCLUSIVE MODE"
    shared = True

    def __init__(self, url: str) -> None:
        super().__init__(_redact(url))
        try:
            import psycopg
        except ImportError:
            raise MonitorUnavailableError(
                f"a PostgreSQL store needs psycopg 3, which is not installed here; install the "
                f"'postgres' extra: {POSTGRES_HINT}") from None
        self.psycopg = psycopg
        self.conflicts = (psycopg.errors.UniqueViolation,)
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store {self.url}: "
                             f"{str(exc).strip()}") from None
        self.create()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.db.execute(sql, params)
        except self.conflicts:
            raise
        except self.psycopg.Error as exc:
            raise store_failure(self.url, exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        try:
            with self.db.cursor() as cur:
                cur.executemany(sql, rows)
        except self.psycopg.Error as exc:
            raise store_failure(self.url, exc) from None

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except self.psycopg.Error as exc:
            raise StoreError(f"the PostgreSQL store {self.url} failed: {exc}") from None

    def close(self) -> None:
        self.db.close()


def _redact(url: str) -> str:
    """The URL without its password (for messages)."""
    head, at, tail = url.rpartition("@")
    if not at or "://" not in head:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}:***@{tail}" if ":" in user else url
