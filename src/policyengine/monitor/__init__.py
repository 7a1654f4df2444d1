"""Follow live cases through time: events in, what is owed, overdue and in which state, out.

A :class:`Monitor` takes a stream of case events (a complaint received, acknowledged, escalated;
a code of conduct implemented, reviewed, appealed; a customer's contacts) and follows each case
with the lifecycle its policy declares under ``lifecycles:`` (see :mod:`policyengine.lifecycle`
and docs/monitor.md), keeping every case in an event store so that nothing is lost.

The subpackage, one job a module: :mod:`.events` (an event's envelope and values),
:mod:`.effects` (an event's effect on a case record, due dates from the decisions),
:mod:`.matcher` (the plain-Python matcher) and :mod:`.durable` (durable_rules behind a guarded
boundary), :mod:`.store` (SQLite, memory, PostgreSQL), :mod:`.views` (answers from stored
records), :mod:`.core` (the :class:`Monitor`), :mod:`.cli` (``policyengine monitor``).

Importing it imports neither durable_rules nor psycopg and starts no thread.
"""

from __future__ import annotations

from .answers import CaseState, HistoryEntry, Obligation, Posted
from .cli import add_cli, read_events, replay, report_json, report_text
from .core import ENGINES, Monitor
from .errors import (
    INSTALL_HINT,
    POSTGRES_HINT,
    CaseClosedError,
    ClockError,
    DuplicateEventError,
    EngineError,
    EventError,
    EventNotAllowedError,
    EventOrderError,
    EventsFileError,
    MonitorClosedError,
    MonitorError,
    MonitorUnavailableError,
    StoreError,
    UnknownCaseError,
    UnknownCaseTypeError,
    UnknownEventTypeError,
)
from .events import parse_moment

__all__ = [
    "ENGINES",
    "INSTALL_HINT",
    "POSTGRES_HINT",
    "CaseClosedError",
    "CaseState",
    "ClockError",
    "DuplicateEventError",
    "EngineError",
    "EventError",
    "EventNotAllowedError",
    "EventOrderError",
    "EventsFileError",
    "HistoryEntry",
    "Monitor",
    "MonitorClosedError",
    "MonitorError",
    "MonitorUnavailableError",
    "Obligation",
    "Posted",
    "StoreError",
    "UnknownCaseError",
    "UnknownCaseTypeError",
    "UnknownEventTypeError",
    "add_cli",
    "parse_moment",
    "read_events",
    "replay",
    "report_json",
    "report_text",
]
