"""The :class:`Monitor`: events in, through a store and an engine; answers out.

One event, :meth:`Monitor.post`: its envelope is checked; then, in one store transaction, a
redelivered id is answered with what it did the first time; the case's row is read (locked,
where the store can); the event is checked against the case (type, order, data, state, the
decision it requires); the engine picks the rule and computes the effect; the event, the case
row and the changed obligation rows are written; the transaction commits; only then does
``post`` return. Anything refused or failing leaves the store and the engine as they were.

Time is logical: event timestamps and :meth:`Monitor.advance_to` drive it, never the wall clock,
so replaying the same events always gives the same answers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..durations import format_moment
from ..lifecycle import NEW, CompiledLifecycle, lifecycles_of
from ..policyset import PolicySet
from .answers import CaseState, Obligation, Posted
from .checks import Checks, no_rule, not_allowed
from .effects import Decisions, check_requires, event_entry
from .errors import (
    CaseClosedError,
    ClockError,
    EventOrderError,
    MonitorClosedError,
    MonitorError,
    StoreError,
    UnknownCaseError,
)
from .events import EPOCH, Envelope, micros, parse_moment, read_envelope
from .matcher import Engine, PythonEngine
from .queries import Queries
from .store import Store, StoredCase, open_store
from .store.base import Conflict
from .views import Views

ENGINES = ("python", "durable")


class _Journal:
    """A case's earlier events, read from the store the first time they are asked for."""

    __slots__ = ("case_id", "events", "store")

    def __init__(self, store: Store, case_id: str | None) -> None:
        self.store = store
        self.case_id = case_id  # None: a new case, which has none
        self.events: list[dict[str, Any]] | None = None

    def __call__(self) -> list[dict[str, Any]]:
        if self.events is None:
            self.events = self.store.journal(self.case_id) if self.case_id is not None else []
        return self.events


class Monitor(Queries):
    """Follows cases through their lifecycles. Use it as a context manager, or call close().

    ``store``: None or ``":memory:"`` (in memory), a file path (SQLite), a ``postgresql://``
    URL, or a :class:`Store`. ``engine``: ``"python"`` (the compiled plain-Python matcher) or
    ``"durable"`` (durable_rules, the ``[monitor]`` extra; ``sessions`` cases at most keep a
    live durable session). See docs/monitor.md.
    """

    def __init__(self, policies: PolicySet, *, store: Store | str | Path | None = None,
                 engine: str = "python", sessions: int = 1000, shard_size: int = 1000,
                 durability: str = "full") -> None:
        if engine not in ENGINES:
            raise MonitorError(f"engine must be 'python' or 'durable'; got {engine!r}")
        self._policies = policies
        self._lifecycles: dict[str, CompiledLifecycle] = {
            lc.case_type: lc for policy in policies for lc in lifecycles_of(policy).values()
        }
        self._checks = Checks(self._lifecycles)
        self._decisions = Decisions(policies)
        self._views = Views(policies, self._decisions)
        self._lock = threading.RLock()
        self._engine: Engine
        if engine == "durable":
            from .durable import DurableEngine

            self._engine = DurableEngine(self._decisions, sessions=sessions,
                                         shard_size=shard_size)
        else:
            self._engine = PythonEngine(self._decisions)
        try:
            self._store = open_store(store, durability=durability)
        except BaseException:
            self._engine.close()
            raise
        self._batched: list[str] | None = None
        self._clock_read: tuple[str, int] | None = None  # the clock's text and microseconds
        self._closed = False

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the engine's sessions and close the store. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._engine.close()
            self._store.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def engine(self) -> str:
        return self._engine.name

    @property
    def store(self) -> Store:
        return self._store

    def _check_open(self) -> None:
        if self._closed:
            raise MonitorClosedError("this monitor is closed; make a new Monitor")

    # ------------------------------------------------------------------ reading
    @property
    def case_types(self) -> list[str]:
        """The case types the loaded policies declare (``policy.lifecycle``)."""
        return sorted(self._lifecycles)

    def lifecycle(self, case_type: str) -> CompiledLifecycle:
        return self._checks.lifecycle(case_type)

    @property
    def now(self) -> dt.datetime | None:
        """The logical clock: the later of the last advance_to() and the latest event stored."""
        with self._lock:
            self._check_open()
            return self._now()

    def _now(self) -> dt.datetime | None:
        clock = self._store.clock()
        latest = self._store.latest()
        moments = [parse_moment(clock, "clock")] if clock else []
        if latest is not None:
            moments.append(EPOCH + dt.timedelta(microseconds=latest))
        return parse_moment(max(moments), "now") if moments else None

    def cases(self, *, include_closed: bool = True) -> list[str]:
        """Case ids in the order they were opened."""
        with self._lock:
            self._check_open()
            return self._store.case_ids(include_closed=include_closed)

    # ------------------------------------------------------------------ time
    def advance_to(self, moment: dt.datetime | dt.date | str) -> dt.datetime:
        """Move the logical clock forward to ``moment`` (never back). Returns the clock."""
        with self._lock:
            self._check_open()
            when = parse_moment(moment, "advance_to's moment")
            with self._store.transaction():
                now = self._now()
                if now is not None and when < now:
                    raise ClockError(
                        f"the clock only moves forward: it is at {format_moment(now)}, and "
                        f"{format_moment(when)} is earlier")
                self._store.set_clock(format_moment(when))
            return when

    # ------------------------------------------------------------------ events
    def post(self, event: Mapping[str, Any]) -> Posted:
        """Apply one event, committed to the store before this returns; see docs/monitor.md.

        An event with an ``id`` already stored is answered as the first time (``duplicate``)
        and changes nothing. A refused event changes nothing.
        """
        env = read_envelope(event)
        with self._lock:
            self._check_open()
            for attempt in (1, 2):
                touched: list[str] = [env.case_id]
                try:
                    with self._store.transaction():
                        posted = self._post(env)
                except Conflict as exc:
                    self._engine.forget(touched)
                    if attempt == 2:
                        raise StoreError(f"case {env.case_id}: another writer kept changing "
                                         f"the case ({exc}); the event was not applied") from None
                    continue
                except BaseException:
                    self._engine.forget(touched)  # a session is a cache: restored when needed
                    raise
                if self._batched is not None:
                    self._batched.append(env.case_id)
                return posted
        raise AssertionError("unreachable")  # pragma: no cover

    def post_many(self, events: Iterable[Mapping[str, Any]], *, batch: int = 1000
                  ) -> Iterator[Posted]:
        """Post events, committing every ``batch`` of them (a replay's speed). Each Posted is
        yielded once its batch has committed; an event that is refused stops the replay after
        the events before it were committed, and raises."""
        pending: list[Posted] = []
        source = iter(events)
        while True:
            failure: BaseException | None = None
            chunk = list(itertools.islice(source, batch))
            with self._lock:
                self._check_open()
                try:
                    with self._batch():
                        self._store.prefetch(chunk)
                        failure = self._post_chunk(chunk, pending)
                except BaseException:
                    pending.clear()
                    raise
            yield from pending
            if failure is not None:
                raise failure
            if not pending:
                return
            pending = []

    def _post_chunk(self, chunk: list[Mapping[str, Any]], pending: list[Posted]
                    ) -> Exception | None:
        """Post a batch's events in turn; the error that stopped it, if one did."""
        if not self._store.holding:  # each event in a savepoint of the batch's transaction
            for event in chunk:
                try:
                    pending.append(self.post(event))
                except Exception as exc:  # commit those before it, then raise
                    return exc
            return None
        # the store keeps the batch's writes until it commits, holding its write lock: no
        # other writer can get in between, and a refused event has written nothing
        batched = self._batched
        assert batched is not None
        for event in chunk:
            env = None
            try:
                env = read_envelope(event)
                posted = self._post(env)
            except Exception as exc:
                if env is not None:
                    self._engine.forget([env.case_id])
                return exc
            batched.append(env.case_id)
            pending.append(posted)
        return None

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._batched = []
        try:
            with self._store.batch():
                yield
        except BaseException:
            self._engine.forget(self._batched)
            raise
        finally:
            self._batched = None

    def _post(self, env: Envelope) -> Posted:
        store = self._store
        checks = self._checks
        # the case's row first (locked where the store can), then the id: a redelivery that
        # another monitor committed meanwhile is then seen as one
        stored = store.case(env.case_id, lock=True)
        if env.ref is not None:
            first = store.event_by_ref(env.ref)
            if first is not None:
                return checks.redelivered(store, env, first)
        lc = checks.resolve(env, stored)
        record: dict[str, Any] = stored.record if stored is not None else {}
        state = record.get("state", NEW)
        if record.get("closed"):
            raise CaseClosedError(
                f"case {env.case_id} is closed (state '{state}'); it takes no more events",
                case=env.case_id, event=env.type)
        if stored is not None and env.at_us < stored.last_us:
            raise EventOrderError(
                f"case {env.case_id}: the '{env.type}' event at {env.at_text} is earlier than "
                f"the case's last event ({record['last_at']}); post a case's events in the "
                "order they happened", case=env.case_id, event=env.type)
        clock = self._clock()
        if clock is not None and env.at_us < clock[1]:
            raise EventOrderError(
                f"case {env.case_id}: the '{env.type}' event at {env.at_text} is earlier than "
                f"the monitor's clock ({clock[0]}, set by advance_to)", case=env.case_id,
                event=env.type)
        spec = lc.events[env.type]
        data_json = checks.validated(lc, env)  # FactsError naming the field
        table = checks.tables[lc.case_type]
        if stored is not None and not table.takes(env.type, state):
            raise not_allowed(lc, env, state)
        rule = table.match(env.type, state, data_json)
        if rule is None:
            raise no_rule(lc, env, state, data_json)
        current = event_entry(env, data_json)
        journal = _Journal(store, env.case_id if stored is not None else None)
        if spec.requires is not None:
            check_requires(self._decisions, lc, spec.requires, current, journal, env.case_id)
        version = stored.version if stored is not None else 0
        applied = self._engine.apply(lc, table, env.case_id, version, record, state, env,
                                     current, journal, rule)
        store.write(env.case_id, lc.case_type, lc.policy, version, applied.change)
        return applied.posted

    def _clock(self) -> tuple[str, int] | None:
        """The clock advance_to set (its text and microseconds), read once per text."""
        text = self._store.clock()
        if text is None:
            return None
        found = self._clock_read
        if found is None or found[0] != text:
            found = self._clock_read = (text, micros(parse_moment(text, "clock")))
        return found

    # ------------------------------------------------------------------ answers
    def _case(self, case_id: str) -> tuple[CompiledLifecycle, StoredCase]:
        stored = self._store.case(case_id)
        if stored is None:
            raise UnknownCaseError(f"no case {case_id!r} has been opened", case=case_id)
        return self.lifecycle(stored.case_type), stored

    def state(self, case_id: str) -> CaseState:
        """The case's state, its history of events and transitions, with citations."""
        with self._lock:
            self._check_open()
            lc, stored = self._case(case_id)
            return self._views.case_state(case_id, lc, stored.record,
                                          self._store.history(case_id))

    def _as_of(self, as_of: dt.datetime | dt.date | str | None) -> dt.datetime | None:
        return self._now() if as_of is None else parse_moment(as_of, "as_of")

    def obligations(self, case_id: str, as_of: dt.datetime | dt.date | str | None = None
                    ) -> list[Obligation]:
        """Every obligation the case's events opened, with its status as of ``as_of``.

        ``as_of`` defaults to :attr:`now`; obligations opened after ``as_of`` are left out.
        """
        with self._lock:
            self._check_open()
            moment = self._as_of(as_of)
            lc, _ = self._case(case_id)
            return self._views.obligations(case_id, lc, self._store.obligations(case_id),
                                           moment)
