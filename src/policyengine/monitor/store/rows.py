"""How a case, an event and an obligation are laid out in the store's tables, and read back.

The layout is lean so that writing an event costs little: a case row keeps its state, version
and moments as columns and, as one small JSON document, only its counters and its *open*
obligations (id, name, due); an event row keeps its type, moment, rule and states as columns, its
data as the JSON text it arrived with (validated), and, as JSON, only the non-empty lists of what
it did; an obligation row is written once with everything known when it opens (its facts
included) and, when it closes, only its closing columns change. Every obligation of a case, open
or closed, is one row: the case row never repeats them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = "2"

META = "CREATE TABLE IF NOT EXISTS pe_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pe_cases (case_id TEXT PRIMARY KEY, case_type TEXT NOT NULL, "
    "policy TEXT NOT NULL, state TEXT NOT NULL, closed INTEGER NOT NULL, version INTEGER NOT "
    "NULL, opened_seq BIGINT NOT NULL, opened_at TEXT NOT NULL, last_at TEXT NOT NULL, "
    "last_at_us BIGINT NOT NULL, record TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pe_cases_opened ON pe_cases (opened_seq, case_id)",
    "CREATE INDEX IF NOT EXISTS pe_cases_last ON pe_cases (last_at_us)",
    "CREATE TABLE IF NOT EXISTS pe_events (case_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "ref TEXT, event_type TEXT NOT NULL, event_at TEXT NOT NULL, data TEXT, rule TEXT NOT NULL, "
    "from_state TEXT, to_state TEXT NOT NULL, effects TEXT, PRIMARY KEY (case_id, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS pe_events_ref ON pe_events (ref) WHERE ref IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS pe_obligations (case_id TEXT NOT NULL, ob_id TEXT NOT NULL, "
    "ordinal INTEGER NOT NULL, case_type TEXT NOT NULL, kind TEXT NOT NULL, judgement INTEGER "
    "NOT NULL, due_us BIGINT, opened_at_us BIGINT NOT NULL, closed_at_us BIGINT, entry TEXT NOT "
    "NULL, status TEXT NOT NULL, closed_seq INTEGER, closed_at TEXT, closed_by TEXT, late "
    "INTEGER NOT NULL, PRIMARY KEY (case_id, ob_id))",
    # what is owed now: open obligations by due moment
    "CREATE INDEX IF NOT EXISTS pe_ob_open ON pe_obligations (due_us) "
    "WHERE closed_at_us IS NULL AND due_us IS NOT NULL",
    # what was owed at an earlier moment: closed obligations by when they closed
    "CREATE INDEX IF NOT EXISTS pe_ob_closed ON pe_obligations (closed_at_us, due_us) "
    "WHERE closed_at_us IS NOT NULL AND due_us IS NOT NULL",
)

CASE_COLUMNS = "case_type, version, state, closed, opened_at, last_at, last_at_us, record"
INSERT_CASE = ("INSERT INTO pe_cases (case_id, case_type, policy, state, closed, version, "
               "opened_seq, opened_at, last_at, last_at_us, record) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
UPDATE_CASE = ("UPDATE pe_cases SET state = ?, closed = ?, version = ?, last_at = ?, "
               "last_at_us = ?, record = ? WHERE case_id = ? AND version = ?")
EVENT_COLUMNS = "seq, ref, event_type, event_at, data, rule, from_state, to_state, effects"
INSERT_EVENT = (f"INSERT INTO pe_events (case_id, {EVENT_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
OB_COLUMNS = "case_id, case_type, entry, status, closed_seq, closed_at, closed_by, late"
INSERT_OB = ("INSERT INTO pe_obligations (case_id, ob_id, ordinal, case_type, kind, judgement, "
             "due_us, opened_at_us, closed_at_us, entry, status, closed_seq, closed_at, "
             "closed_by, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
CLOSE_OB = ("UPDATE pe_obligations SET status = ?, closed_seq = ?, closed_at = ?, "
            "closed_at_us = ?, closed_by = ?, late = ? WHERE case_id = ? AND ob_id = ?")
#: the lists of an event's history step (kept in ``effects`` when not empty)
STEP_LISTS = ("opened", "not_opened", "discharged", "discharged_late", "cancelled", "lapsed")

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps_checked(value: Any) -> str:
    """``value`` as compact JSON (UTF-8 text kept as it is): the standard encoder."""
    return _ENCODER.encode(value)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The standard library's C encoder, made once with dumps_checked's settings: json.dumps makes
# a new one on every call, which costs more than encoding a row's small document. Without the
# C extension (another Python), dumps is dumps_checked. A test holds the two to the same text.
_MAKE = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE = _MAKE(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False,
                  True) if _MAKE is not None else None


def dumps(value: Any) -> str:
    """Like :func:`dumps_checked`, faster."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


@dataclass(slots=True)
class StoredCase:
    """A case as stored: ``record`` is the lean record (see :mod:`policyengine.monitor.effects`);
    ``last_us`` its last event's moment in microseconds since 1970."""

    case_id: str
    case_type: str
    version: int
    record: dict[str, Any]
    last_us: int


@dataclass(frozen=True)
class StoredEvent:
    case_id: str
    seq: int
    event: dict[str, Any]
    step: dict[str, Any]


@dataclass(frozen=True)
class ObligationRow:
    case_id: str
    case_type: str
    entry: dict[str, Any]


def stored_case(case_id: str, row: Sequence[Any]) -> StoredCase:
    """A case from its columns, in the order of :data:`CASE_COLUMNS`."""
    body = json.loads(row[7])
    record = {"state": row[2], "closed": bool(row[3]), "opened_at": row[4], "last_at": row[5],
              "events": int(row[1]), "counts": body["counts"], "open": body["open"]}
    return StoredCase(case_id, row[0], int(row[1]), record, int(row[6]))


def record_body(record: Mapping[str, Any]) -> str:
    return dumps({"counts": record["counts"], "open": record["open"]})


def event_entry(event_type: str, at: str, data: str | None, ref: str | None,
                shared: bool = False) -> dict[str, Any]:
    """An event's entry (type, at, data, ref); ``shared``: its data may be a dict other entries
    hold too (for a journal, which is only read)."""
    entry: dict[str, Any] = {"type": event_type, "at": at, "data": data_of(data, shared)}
    if ref is not None:
        entry["ref"] = ref
    return entry


def journal_entries(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """A case's events as entries for its journal, from rows that begin (case id, seq, ref,
    type, at, data), as an event row does; their data are shared (a journal is only read)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        text = row[5]
        data = (_PARSED.get(text) or data_of(text, True)) if text else {}
        entry = {"type": row[3], "at": row[4], "data": data}
        if row[2] is not None:
            entry["ref"] = row[2]
        out.append(entry)
    return out


_ATOMS = (str, int, bool, float, type(None))
_PARSED: dict[str, dict[str, Any]] = {}  # data text -> its flat data (a case's journal repeats)


def data_of(text: str | None, shared: bool = False) -> dict[str, Any]:
    """An event's data from their JSON text (flat data are parsed once): a new dict, or with
    ``shared`` one that is never to be changed."""
    if not text:
        return {}
    found = _PARSED.get(text)
    if found is not None:
        return found if shared else dict(found)
    data: dict[str, Any] = json.loads(text)
    if all(type(v) in _ATOMS for v in data.values()):
        if len(_PARSED) >= 4096:
            _PARSED.clear()
        _PARSED[text] = dict(data)
    return data



def stored_event(case_id: str, row: Sequence[Any]) -> StoredEvent:
    """An event from its columns, in the order of :data:`EVENT_COLUMNS`."""
    seq = int(row[0])
    lists = json.loads(row[8]) if row[8] else {}
    step: dict[str, Any] = {"event": seq, "rule": row[5], "from": row[6], "to": row[7]}
    for name in STEP_LISTS:
        step[name] = lists.get(name, [])
    return StoredEvent(case_id, seq, event_entry(row[2], row[3], row[4], row[1]), step)


def step_effects(step: Mapping[str, Any]) -> str | None:
    """The non-empty lists of a history step, as JSON (None when it did nothing)."""
    found: dict[str, Any] | None = None
    for name in STEP_LISTS:
        items = step[name]
        if items:
            if found is None:
                found = {}
            found[name] = items
    return None if found is None else dumps(found)


def entry_of(row: Sequence[Any]) -> dict[str, Any]:
    """An obligation's whole entry from its columns, in the order of :data:`OB_COLUMNS`
    (from the third: entry JSON, status, closed_seq, closed_at, closed_by, late)."""
    entry: dict[str, Any] = json.loads(row[2])
    entry["status"] = row[3]
    entry["closed"] = None if row[4] is None else int(row[4])
    entry["closed_at"] = row[5]
    entry["closed_by"] = row[6]
    entry["late"] = bool(row[7])
    return entry
