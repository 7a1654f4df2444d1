"""A write-back batch: what a batch of events writes, kept in memory until the batch commits.

Only where the batch holds the store's write lock from start to end (SQLite's ``BEGIN
IMMEDIATE``), so that nobody else can read or write what it holds. The batch keeps each case's
latest record, and the new event and obligation rows; at commit they are written with one
``executemany`` a statement, in the same transaction, so the batch is kept whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import StoreError
from ..events import due_us
from .base import Change, Conflict
from .rows import (
    CLOSE_OB,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_OB,
    UPDATE_CASE,
    StoredCase,
    StoredEvent,
    dumps,
    record_body,
    stored_case,
    stored_event,
)

Run = Callable[[str, Sequence[Any]], Any]
RunMany = Callable[[str, Sequence[Sequence[Any]]], Any]


def event_row(case_id: str, change: Change) -> tuple[Any, ...]:
    return (case_id, change.seq, change.ref, change.event_type, change.at, change.data,
            change.rule, change.from_state, change.to_state, change.effects)


def ob_row(case_id: str, case_type: str, change: Change, item: list[Any]) -> tuple[Any, ...]:
    """The insert row of an obligation the event opened (closed too, if it lapsed at once)."""
    ordinal, entry, status, late = item
    due = entry["due"]
    if status == "open":
        return (case_id, entry["id"], ordinal, case_type, entry["kind"], int(entry["judgement"]),
                None if due is None else due_us(due), change.at_us, None, dumps(entry), status,
                None, None, None, int(late))
    return (case_id, entry["id"], ordinal, case_type, entry["kind"], int(entry["judgement"]),
            None if due is None else due_us(due), change.at_us, change.at_us, dumps(entry),
            status, change.seq, change.at, change.event_type, int(late))


def close_row(case_id: str, change: Change, ob_id: str, status: str,
              late: bool) -> tuple[Any, ...]:
    return (status, change.seq, change.at, change.at_us, change.event_type, int(late), case_id,
            ob_id)


class Held:
    """What a write-back batch keeps until it commits.

    Rows are kept as the tuples of text and numbers they are written as (which the garbage
    collector stops tracking), and turned into events or cases again only when asked for.
    """

    def __init__(self) -> None:
        # case id -> (the case now, its policy, its version before the batch)
        self.cases: dict[str, tuple[StoredCase, str, int]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.journals: dict[str, list[tuple[Any, ...]]] = {}  # case id -> its event rows
        self.refs: dict[str, tuple[Any, ...]] = {}  # event id -> its row
        self.new_obs: dict[tuple[str, str], tuple[Any, ...]] = {}  # opened in the batch
        self.closes: dict[tuple[str, str], tuple[Any, ...]] = {}  # opened before it
        self.clock: tuple[str | None] | None = None
        # rows the batch read ahead from the tables (None: not there)
        self.known_cases: dict[str, tuple[Any, ...] | None] = {}
        self.known_refs: dict[str, tuple[Any, ...] | None] = {}

    def knows_case(self, case_id: str) -> bool:
        return case_id in self.cases or case_id in self.known_cases

    def case(self, case_id: str) -> StoredCase | None:
        held = self.cases.get(case_id)
        if held is not None:
            return held[0]
        row = self.known_cases.get(case_id)
        return None if row is None else stored_case(case_id, row)

    def knows_ref(self, ref: str) -> bool:
        return ref in self.refs or ref in self.known_refs

    def event_by_ref(self, ref: str) -> StoredEvent | None:
        row = self.refs.get(ref) or self.known_refs.get(ref)
        return None if row is None else stored_event(row[0], row[1:])

    def keep(self, case_id: str, case_type: str, policy: str, was: int, change: Change) -> None:
        # every row first, then the batch changed: a failure leaves the batch as it was
        row = event_row(case_id, change)
        opened = [ob_row(case_id, case_type, change, item) for item in change.opened]
        closes = [close_row(case_id, change, ob_id, status, late)
                  for ob_id, status, late in change.closed]
        record = change.record
        now = StoredCase(case_id, case_type, record["events"], record, change.at_us)
        held = self.cases.get(case_id)
        self.cases[case_id] = (now, policy, was if held is None else held[2])
        self.events.append(row)
        journal = self.journals.get(case_id)
        if journal is None:
            self.journals[case_id] = [row]
        else:
            journal.append(row)
        if change.ref is not None:
            self.refs[change.ref] = row
        for ob in opened:
            self.new_obs[(case_id, ob[1])] = ob
        for close in closes:
            key = (case_id, close[7])
            new = self.new_obs.get(key)
            if new is None:
                self.closes[key] = close
            else:  # opened earlier in this batch: its insert row closes it
                self.new_obs[key] = (*new[:8], close[3], new[9], close[0], close[1], close[2],
                                     close[4], close[5])

    def flush(self, run: Run, run_many: RunMany, q: Callable[[str], str]) -> None:
        """Write everything held (inside the batch's transaction)."""
        new: list[tuple[Any, ...]] = []
        moved: list[tuple[Any, ...]] = []
        for case_id, (case, policy, was) in self.cases.items():
            record = case.record
            body = record_body(record)
            if was == 0:
                new.append((case_id, case.case_type, policy, record["state"],
                            int(record["closed"]), case.version, 0, record["opened_at"],
                            record["last_at"], case.last_us, body))
            else:
                moved.append((record["state"], int(record["closed"]), case.version,
                              record["last_at"], case.last_us, body, case_id, was))
        if new:
            first = int(run("SELECT COALESCE(MAX(opened_seq), 0) FROM pe_cases", ()).fetchone()[0])
            new = [(*row[:6], first + i, *row[7:]) for i, row in enumerate(new, 1)]
            run_many(q(INSERT_CASE), new)
        if moved:
            done = run_many(q(UPDATE_CASE), moved)
            if done is not None and getattr(done, "rowcount", len(moved)) != len(moved):
                raise Conflict("a case changed under this batch")
        if self.events:
            self.events.sort()  # by case and number: the index takes them in order
            run_many(q(INSERT_EVENT), self.events)
        if self.new_obs:
            run_many(q(INSERT_OB), list(self.new_obs.values()))
        if self.closes:
            done = run_many(q(CLOSE_OB), list(self.closes.values()))
            if done is not None and getattr(done, "rowcount", len(self.closes)) != len(
                    self.closes):
                raise StoreError("internal: an obligation this batch closes is not stored")

