"""The decision log: every decision served, kept so it can be audited and replayed.

Each entry is a request id, when it was logged (UTC), where the request came from (``api`` or
``explorer``) and the decision's full record (:meth:`Decision.to_dict`: facts, status, outcome,
trace, citations, interpretations, warnings, and the provenance: the policy's version and the
sha256 of its file, the calendar and its data version, the engine, ``holidays`` and ``tzdata``
versions). Two formats, chosen by the file name:

* SQLite (the default; any name but ``*.jsonl``): one row per entry, indexed by time, with the
  policy, decision, status, policy sha256 and calendar version as columns beside the entry's
  JSON, so that an auditor can query it with any SQLite client;
* JSON lines (``*.jsonl``): one entry per line, appended.

The file holds personal data, so it is created readable and writable by its owner only (mode
0600) and an existing log that others may read is refused. With a redaction key, the facts are
not stored: the record keeps ``"facts": null`` and ``"facts_redacted"`` with the HMAC-SHA256 of
the facts under that key (:func:`policyengine.replay.facts_digest`), so a replay given the facts
can prove they are the ones decided on. Outcomes can still repeat what a fact said (a list of
behaviours reported, a count of contacts), and the log keeps them. With a retention period,
entries older than that are deleted when the log is opened and then at most hourly as entries
are appended.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .decision import Decision
from .errors import PolicyEngineError
from .inputs import UnreadableInput, require_regular_file
from .records import record
from .replay import REDACTION_ALGORITHM, facts_digest

__all__ = [
    "DecisionLog",
    "DecisionLogError",
    "LogEntry",
    "open_decision_log",
    "read_decision_log",
]

PRUNE_EVERY = dt.timedelta(hours=1)
MIN_KEY_BYTES = 16
_SQLITE_MAGIC = b"SQLite format 3\x00"
Clock = Callable[[], dt.datetime]


class DecisionLogError(PolicyEngineError):
    """A decision log that cannot be opened, written or read."""


@record
class LogEntry:
    """One logged decision."""

    request_id: str
    logged_at: str  # ISO 8601, UTC
    source: str
    record: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "logged_at": self.logged_at,
                "source": self.source, "decision": self.record}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_private(path: Path) -> None:
    """Create ``path`` with mode 0600 if absent; refuse an existing one others may read."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise DecisionLogError(f"decision log {path} is not a regular file") from None
        if mode & 0o077:
            raise DecisionLogError(
                f"decision log {path} may be read by others (mode {stat.S_IMODE(mode):o}); it "
                "holds personal data: 'chmod 600' it or choose another file"
            ) from None
        return
    except OSError as exc:
        raise DecisionLogError(f"cannot create the decision log {path}: {exc.strerror}") from None
    os.close(fd)


class DecisionLog:
    """Appends decisions to a log file. Safe to share between threads."""

    format = ""

    def __init__(self, path: Path, *, redaction_key: bytes | None = None,
                 retention_days: int | None = None, clock: Clock = _utc_now) -> None:
        if redaction_key is not None and len(redaction_key) < MIN_KEY_BYTES:
            raise DecisionLogError(
                f"the redaction key must be at least {MIN_KEY_BYTES} bytes long"
            )
        if retention_days is not None and retention_days < 1:
            raise DecisionLogError("the retention period is a whole number of days, 1 or more")
        self.path = path
        self.redaction_key = redaction_key
        self.retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        self._last_prune: dt.datetime | None = None
        _check_private(path)

    @property
    def redacts(self) -> bool:
        return self.redaction_key is not None

    def entry(self, decision: Decision, *, request_id: str, source: str) -> LogEntry:
        record = decision.to_dict()
        if self.redaction_key is not None:
            digest = facts_digest(record["facts"], self.redaction_key)
            record["facts"] = None
            record["facts_redacted"] = {"algorithm": REDACTION_ALGORITHM, "digest": digest}
        logged_at = self._clock().astimezone(dt.UTC).isoformat(timespec="microseconds")
        return LogEntry(request_id, logged_at, source, record)

    def append(self, decision: Decision, *, request_id: str, source: str = "api") -> LogEntry:
        """Log one decision (its facts redacted if the log redacts)."""
        entry = self.entry(decision, request_id=request_id, source=source)
        with self._lock:
            try:
                self._write(entry)
            except (OSError, sqlite3.Error) as exc:
                raise DecisionLogError(f"cannot write to the decision log: {exc}") from None
            if self.retention_days is not None and (
                self._last_prune is None or self._clock() - self._last_prune >= PRUNE_EVERY
            ):
                self._prune_locked()
        return entry

    def prune(self) -> int:
        """Delete the entries older than the retention period; how many were deleted."""
        with self._lock:
            return self._prune_locked()

    def _prune_locked(self) -> int:
        now = self._clock()
        self._last_prune = now
        if self.retention_days is None:
            return 0
        cutoff = (now - dt.timedelta(days=self.retention_days)).astimezone(dt.UTC)
        try:
            return self._delete_before(cutoff.isoformat(timespec="microseconds"))
        except (OSError, sqlite3.Error) as exc:
            raise DecisionLogError(f"cannot prune the decision log: {exc}") from None

    def entries(self) -> Iterator[LogEntry]:
        return read_decision_log(self.path)

    def close(self) -> None:
        pass

    def _write(self, entry: LogEntry) -> None:
        raise NotImplementedError

    def _delete_before(self, cutoff: str) -> int:
        raise NotImplementedError


class JsonLinesLog(DecisionLog):
    """One JSON object per line, appended and flushed per entry."""

    format = "jsonl"

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(path, **options)
        self._stream = open(  # noqa: SIM115 (kept open for the log's life)
            os.open(path, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8"
        )
        if self.retention_days is not None:
            self.prune()

    def _write(self, entry: LogEntry) -> None:
        self._stream.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
        self._stream.flush()

    def _delete_before(self, cutoff: str) -> int:
        self._stream.flush()
        kept: list[str] = []
        dropped = 0
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                logged_at = _logged_at(line)
                if logged_at is not None and logged_at < cutoff:
                    dropped += 1
                else:
                    kept.append(line)  # a line that cannot be read is kept, never lost silently
        if not dropped:
            return 0
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".decisions-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
                out.writelines(kept)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stream.close()
        self._stream = open(  # noqa: SIM115
            os.open(self.path, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8"
        )
        return dropped

    def close(self) -> None:
        with self._lock:
            self._stream.close()


def _logged_at(line: str) -> str | None:
    try:
        value = json.loads(line).get("logged_at")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    request_id TEXT PRIMARY KEY,
    logged_at TEXT NOT NULL,
    source TEXT NOT NULL,
    policy TEXT NOT NULL,
    decision TEXT NOT NULL,
    status TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    calendar_version TEXT NOT NULL,
    facts_redacted INTEGER NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_logged_at ON decisions (logged_at);
"""


class SqliteLog(DecisionLog):
    """An SQLite database: one row per entry (WAL journal, one commit per entry)."""

    format = "sqlite"

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(path, **options)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise DecisionLogError(f"cannot open the decision log {path}: {exc}") from None
        if self.retention_days is not None:
            self.prune()

    def _write(self, entry: LogEntry) -> None:
        record = entry.record
        provenance = record["provenance"]
        self._db.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.request_id, entry.logged_at, entry.source, record["policy"],
             record["decision"], record["status"], provenance["policy_sha256"],
             str(provenance["calendar"].get("data_version", "")),
             int("facts_redacted" in record), json.dumps(record, ensure_ascii=False)),
        )

    def _delete_before(self, cutoff: str) -> int:
        cursor = self._db.execute("DELETE FROM decisions WHERE logged_at < ?", (cutoff,))
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_decision_log(path: str | Path, *, redaction_key: bytes | None = None,
                      retention_days: int | None = None, clock: Clock = _utc_now
                      ) -> DecisionLog:
    """Open (creating, mode 0600) the decision log at ``path``: JSON lines for ``*.jsonl``,
    SQLite otherwise."""
    target = Path(path)
    kind = JsonLinesLog if target.suffix in (".jsonl", ".ndjson") else SqliteLog
    return kind(target, redaction_key=redaction_key, retention_days=retention_days,
                clock=clock)


def read_decision_log(path: str | Path) -> Iterator[LogEntry]:
    """Every entry of a log, oldest first, whichever format it is in (read from its content)."""
    source = Path(path)
    try:
        require_regular_file(source)
    except UnreadableInput as exc:
        raise DecisionLogError(f"cannot read the decision log {source}: {exc.reason}") from None
    try:
        with source.open("rb") as stream:
            head = stream.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise DecisionLogError(f"cannot read the decision log {source}: {exc.strerror}") from None
    if head == _SQLITE_MAGIC:
        return _read_sqlite(source)
    return _read_jsonl(source)


def _read_sqlite(path: Path) -> Iterator[LogEntry]:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DecisionLogError(f"{path} is not a readable decision log: {exc}") from None
    try:
        rows = db.execute(
            "SELECT request_id, logged_at, source, entry FROM decisions ORDER BY logged_at"
        )
        for request_id, logged_at, source, entry in rows:
            yield LogEntry(request_id, logged_at, source, json.loads(entry))
    except sqlite3.Error as exc:
        raise DecisionLogError(f"{path} is not a readable decision log: {exc}") from None
    finally:
        db.close()


def _read_jsonl(path: Path) -> Iterator[LogEntry]:
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                yield _entry_from_line(path, number, line)
    except UnicodeDecodeError:
        raise DecisionLogError(f"{path} is not a decision log (not UTF-8 text)") from None
    except OSError as exc:
        raise DecisionLogError(f"cannot read the decision log {path}: {exc.strerror}") from None


def _entry_from_line(path: Path, number: int, line: str) -> LogEntry:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        raise DecisionLogError(f"{path}:{number}: not a JSON object") from None
    if not (isinstance(data, dict) and isinstance(data.get("decision"), dict)
            and isinstance(data.get("request_id"), str)):
        raise DecisionLogError(
            f"{path}:{number}: not a decision log entry (it needs 'request_id' and 'decision')"
        )
    return LogEntry(data["request_id"], str(data.get("logged_at", "")),
                    str(data.get("source", "")), data["decision"])
