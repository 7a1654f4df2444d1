"""A store written by the layout-1 policyengine is rewritten in the lean layout when opened,
and then answers, and takes the rest of its events, exactly as the old monitor did.

``data/schema1_store.sql`` is the SQL dump of a SQLite store that policyengine at main 469226e
(store layout 1) wrote from ``streams.stream(12, 11)``'s first 20 events, with its clock advanced
to the 21st event's moment. ``data/schema1_expected.json`` holds what that monitor answered then
(``before``), to the rest of the events and three redeliveries (``answers``), and after them
(``after``): every state, history and obligation, without the policy's prose (citations,
interpretations, descriptions, traces), which later edits of the policies may change.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from policyengine import PolicySet
from policyengine.monitor import Monitor, StoreError

from .monitor_helpers import needs_durable, snapshot
from .streams import stream

DATA = Path(__file__).parent / "data"
PROSE = {"citations", "interpretations", "description", "because", "trace", "considerations",
         "requirements"}


def stored_view(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: stored_view(v) for k, v in value.items() if k not in PROSE}
    if isinstance(value, list):
        return [stored_view(v) for v in value]
    return value


def old_store(path: Path) -> str:
    db = sqlite3.connect(path)
    db.executescript((DATA / "schema1_store.sql").read_text(encoding="utf-8"))
    db.close()
    return str(path)


def answers(m: Monitor, events: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        try:
            out.append(m.post(event).to_dict())
        except Exception as exc:
            out.append([type(exc).__name__, str(exc)])
    return out


def copy_into_postgres(url: str, sqlite_path: str) -> None:
    """The layout-1 tables and rows of the SQLite dump, in a PostgreSQL database."""
    import psycopg

    source = sqlite3.connect(sqlite_path)
    with psycopg.connect(url, autocommit=True) as db:
        for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
            db.execute(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)
                       .replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
                       .replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1))
        for table in ("pe_meta", "pe_cases", "pe_events", "pe_obligations"):
            rows = source.execute(f"SELECT * FROM {table}").fetchall()
            if rows:
                marks = ", ".join(["%s"] * len(rows[0]))
                with db.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    source.close()


@pytest.mark.parametrize(("kind", "engine"), [
    ("sqlite", "python"), ("postgres", "python"),
    pytest.param("sqlite", "durable", marks=needs_durable)])
def test_a_layout_1_store_is_rewritten_and_resumes_exactly(
        policies: PolicySet, tmp_path: Path, kind: str, engine: str,
        request: pytest.FixtureRequest) -> None:
    expected = json.loads((DATA / "schema1_expected.json").read_text(encoding="utf-8"))
    events = stream(12, 11)
    split = expected["split"]
    store = old_store(tmp_path / "old.db")
    if kind == "postgres":
        url = str(request.getfixturevalue("pg_url"))
        copy_into_postgres(url, store)
        store = url
    with Monitor(policies, store=store, engine=engine) as m:
        assert stored_view(snapshot(m)) == expected["before"]
    with Monitor(policies, store=store, engine=engine) as m:  # rewritten once only
        assert stored_view(snapshot(m)) == expected["before"]
        assert answers(m, events[split:] + events[:3]) == expected["answers"]
        assert stored_view(snapshot(m)) == expected["after"]
    with Monitor(policies, store=store, engine=engine) as m:
        assert stored_view(snapshot(m)) == expected["after"]


def test_a_failed_rewrite_leaves_the_old_layout_whole(policies: PolicySet,
                                                      tmp_path: Path) -> None:
    store = old_store(tmp_path / "old.db")
    db = sqlite3.connect(store)
    db.execute("UPDATE pe_events SET step = '{}' WHERE seq = 1")  # a step without its rule
    db.commit()
    before = db.execute("SELECT COUNT(*), MAX(seq) FROM pe_events").fetchone()
    db.close()
    with pytest.raises(StoreError) as caught:
        Monitor(policies, store=store, engine="python")
    assert store in str(caught.value) and "left as it was" in str(caught.value)
    db = sqlite3.connect(store)
    assert db.execute("SELECT value FROM pe_meta WHERE key = 'schema'").fetchone() == ("1",)
    assert db.execute("SELECT COUNT(*), MAX(seq) FROM pe_events").fetchone() == before
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"pe_meta", "pe_cases", "pe_events", "pe_obligations"}
    db.close()


def test_a_store_of_an_unknown_layout_is_refused_naming_it_and_what_to_do(
        policies: PolicySet, tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Monitor(policies, store=str(path), engine="python"):
        pass
    db = sqlite3.connect(path)
    db.execute("UPDATE pe_meta SET value = '3' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as caught:
        Monitor(policies, store=str(path), engine="python")
    message = str(caught.value)
    assert str(path) in message and "version 3" in message
    assert "replay its events into a new store" in message
