"""A store of layout 1 (policyengine before the lean layout) rewritten in layout 2, in place.

Layout 1 kept each case's whole record (every obligation in it) as one JSON document, each event
as its entry and its history step as two documents, and each obligation's whole entry as one.
Layout 2 (:mod:`.rows`) keeps what is asked for as columns. The rewrite moves what was recorded,
never deciding anything again: every state, due date, decision's facts and history step stays as
it was stored. It runs in the transaction that opens the store, so it is kept whole or not at
all (a crash midway leaves layout 1, rewritten on the next open); the new tables are written
under other names, the old ones dropped, and the new ones renamed into their place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .rows import (
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_OB,
    SCHEMA,
    STEP_LISTS,
    dumps,
    record_body,
    step_effects,
)

Run = Callable[[str, Sequence[Any]], Any]
RunMany = Callable[[str, Sequence[Sequence[Any]]], Any]
TABLES = ("pe_cases", "pe_events", "pe_obligations")
_CHUNK = 1000
_CLOSING = ("status", "closed", "closed_at", "closed_by", "late")


def migrate_from_1(run: Run, run_many: RunMany, q: Callable[[str], str]) -> None:
    """Rewrite the three tables of layout 1 in layout 2 (inside the caller's transaction)."""
    for statement in SCHEMA:
        if statement.startswith("CREATE TABLE"):
            run(_renamed(statement), ())
    ordinals: dict[tuple[str, str], int] = {}
    _copy(run, run_many, q(_renamed(INSERT_CASE)),
          "SELECT case_id, case_type, policy, state, closed, version, opened_seq, last_at_us, "
          "record FROM pe_cases", lambda row: _case(row, ordinals))
    _copy(run, run_many, q(_renamed(INSERT_EVENT)),
          "SELECT case_id, seq, ref, event, step FROM pe_events", _event)
    _copy(run, run_many, q(_renamed(INSERT_OB)),
          "SELECT case_id, ob_id, case_type, kind, judgement, due_us, opened_at_us, "
          "closed_at_us, entry FROM pe_obligations", lambda row: _obligation(row, ordinals))
    for table in TABLES:
        run(f"DROP TABLE {table}", ())
    for table in TABLES:
        run(f"ALTER TABLE {_new(table)} RENAME TO {table}", ())


def _new(table: str) -> str:
    return table.replace("pe_", "pe2_", 1)


def _renamed(sql: str) -> str:
    for table in TABLES:
        sql = sql.replace(f" {table} ", f" {_new(table)} ")
    return sql.replace("IF NOT EXISTS ", "")


def _copy(run: Run, run_many: RunMany, insert: str, select: str,
          convert: Callable[[Sequence[Any]], tuple[Any, ...]]) -> None:
    for rows in _chunks(run(select, ())):
        run_many(insert, [convert(row) for row in rows])


def _chunks(cursor: Any) -> Iterator[list[Any]]:
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            return
        yield rows


def _case(row: Sequence[Any], ordinals: dict[tuple[str, str], int]) -> tuple[Any, ...]:
    case_id, case_type, policy, state, closed, version, opened_seq, last_at_us, text = row
    record = json.loads(text)
    obligations = record.get("obligations", [])
    for ordinal, ob in enumerate(obligations):
        ordinals[(case_id, ob["id"])] = ordinal
    still = [[ob["id"], ob["name"], ob["due"]] for ob in obligations if ob["status"] == "open"]
    body = record_body({"counts": record.get("counts", {}), "open": still})
    return (case_id, case_type, policy, state, closed, version, opened_seq, record["opened_at"],
            record["last_at"], last_at_us, body)


def _event(row: Sequence[Any]) -> tuple[Any, ...]:
    case_id, seq, ref, event_text, step_text = row
    event, step = json.loads(event_text), json.loads(step_text)
    data = event.get("data") or None
    return (case_id, seq, ref, event["type"], event["at"], None if data is None else dumps(data),
            step["rule"], step["from"], step["to"],
            step_effects({name: step.get(name, []) for name in STEP_LISTS}))


def _obligation(row: Sequence[Any], ordinals: dict[tuple[str, str], int]) -> tuple[Any, ...]:
    case_id, ob_id, case_type, kind, judgement, due_us, opened_us, closed_us, text = row
    whole = json.loads(text)
    entry = {k: v for k, v in whole.items() if k not in _CLOSING}
    return (case_id, ob_id, ordinals[(case_id, ob_id)], case_type, kind, judgement, due_us,
            opened_us, closed_us, dumps(entry), whole["status"], whole.get("closed"),
            whole.get("closed_at"), whole.get("closed_by"), int(bool(whole.get("late"))))
