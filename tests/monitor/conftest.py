"""Fixtures of the monitor tests: a PostgreSQL server for the whole session (started on first
use only), and a store of each kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .pg_server import fresh_database, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture()
def pg_url(pg_server: str) -> str:
    return fresh_database(pg_server)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location of each kind: memory, a SQLite file, a PostgreSQL database."""
    if request.param == "memory":
        return ":memory:"
    if request.param == "sqlite":
        return str(tmp_path / "cases.db")
    return str(request.getfixturevalue("pg_url"))
