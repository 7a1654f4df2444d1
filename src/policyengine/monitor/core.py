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

from ..decision import to_json_value
from ..durations import format_moment
from ..lifecycle import NEW, CompiledLifecycle, lifecycles_of
from ..policyset import PolicySet
from ..reprs import short_repr
from .answers import CaseState, Obligation, Posted
from .effects import Decisions, check_requires, event_entry, posted_from
from .errors import (
    CaseClosedError,
    ClockError,
    DuplicateEventError,
    EventError,
    EventNotAllowedError,
    EventOrderError,
    MonitorClosedError,
    MonitorError,
    StoreError,
    UnknownCaseError,
    UnknownCaseTypeError,
    UnknownEventTypeError,
)
from .events import EPOCH, Envelope, parse_moment, read_envelope
from .matcher import Engine, PythonEngine, Table
from .queries import Queries
from .store import Store, StoredCase, StoredEvent, open_store
from .store.base import Conflict
from .views import Views

ENGINES = ("python", "durable")


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
        self._tables = {ct: Table(lc) for ct, lc in self._lifecycles.items()}
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
        self._seen_data: dict[tuple[Any, ...], dict[str, Any]] = {}
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
        try:
            return self._lifecycles[case_type]
        except KeyError:
            raise UnknownCaseTypeError(
                f"unknown case type '{case_type}'; case types: "
                f"{', '.join(sorted(self._lifecycles)) or '(none: no policy declares lifecycles)'}"
            ) from None

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
                        for event in chunk:
                            try:
                                pending.append(self.post(event))
                            except Exception as exc:  # commit those before it, then raise
                                failure = exc
                                break
                except BaseException:
                    pending.clear()
                    raise
            yield from pending
            if failure is not None:
                raise failure
            if not pending:
                return
            pending = []

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
        # the case's row first (locked where the store can), then the id: a redelivery that
        # another monitor committed meanwhile is then seen as one
        stored = store.case(env.case_id, lock=True)
        if env.ref is not None:
            first = store.event_by_ref(env.ref)
            if first is not None:
                return self._redelivered(env, first)
        lc = self._resolve(env, stored)
        record: dict[str, Any] = stored.record if stored is not None else {}
        state = record.get("state", NEW)
        if record.get("closed"):
            raise CaseClosedError(
                f"case {env.case_id} is closed (state '{state}'); it takes no more events",
                case=env.case_id, event=env.type)
        if stored is not None and env.at < parse_moment(record["last_at"], "last"):
            raise EventOrderError(
                f"case {env.case_id}: the '{env.type}' event at {env.at_text} is earlier than "
                f"the case's last event ({record['last_at']}); post a case's events in the "
                "order they happened", case=env.case_id, event=env.type)
        clock = store.clock()
        if clock is not None and env.at < parse_moment(clock, "clock"):
            raise EventOrderError(
                f"case {env.case_id}: the '{env.type}' event at {env.at_text} is earlier than "
                f"the monitor's clock ({clock}, set by advance_to)", case=env.case_id,
                event=env.type)
        spec = lc.events[env.type]
        data_json = self._validated(lc, env)  # FactsError naming the field
        table = self._tables[lc.case_type]
        if stored is not None and not table.takes(env.type, state):
            where = lc.states_accepting(env.type)
            why = lc.states[state].description if state in lc.states else None
            raise EventNotAllowedError(
                f"case {env.case_id}: '{env.type}' is not allowed while the case is '{state}'"
                + (f" ({why})" if why else "")
                + (f"; it is allowed in: {', '.join(where)}" if where else
                   "; it only opens a case"), case=env.case_id, event=env.type)
        if table.match(env.type, state, data_json) is None:
            raise self._no_rule(lc, env, state, data_json)
        current = event_entry(env, data_json)
        journal_cache: list[list[dict[str, Any]]] = []

        def journal() -> list[dict[str, Any]]:
            if not journal_cache:
                journal_cache.append(store.journal(env.case_id) if stored is not None else [])
            return journal_cache[0]

        if spec.requires is not None:
            check_requires(self._decisions, lc, spec.requires, current, journal, env.case_id)
        version = stored.version if stored is not None else 0
        applied = self._engine.apply(lc, table, env.case_id, version, record, state, env,
                                     current, journal)
        store.write(env.case_id, lc.case_type, lc.policy, applied.record, applied.event,
                    applied.step, applied.changed)
        return applied.posted

    def _validated(self, lc: CompiledLifecycle, env: Envelope) -> dict[str, Any]:
        """The event's data, validated, as JSON; the same flat data are validated once."""
        try:
            key = (lc.case_type, env.type, *sorted(env.data.items()))
            found = self._seen_data.get(key)
        except TypeError:  # a list or record in the data: not hashable, validate each time
            key, found = None, None
        if found is not None:
            return found
        data: dict[str, Any] = to_json_value(lc.events[env.type].validator.validate(env.data))
        if key is not None:
            if len(self._seen_data) > 50_000:
                self._seen_data.clear()
            self._seen_data[key] = data
        return data

    def _resolve(self, env: Envelope, stored: StoredCase | None) -> CompiledLifecycle:
        if stored is not None:
            lc = self.lifecycle(stored.case_type)
            if env.case_type is not None and env.case_type != lc.case_type:
                raise EventError(f"case {env.case_id} is a {lc.case_type} case, not "
                                 f"{env.case_type}", case=env.case_id, event=env.type)
        else:
            if env.case_type is None:
                raise UnknownCaseError(
                    f"no case {env.case_id}: give 'case_type' on the event that opens it (case "
                    f"types: {', '.join(sorted(self._lifecycles)) or 'none'})", case=env.case_id)
            try:
                lc = self.lifecycle(env.case_type)
            except UnknownCaseTypeError as exc:
                raise UnknownCaseTypeError(f"case {env.case_id}: {exc}", case=env.case_id,
                                           event=env.type) from None
        if env.type not in lc.events:
            raise UnknownEventTypeError(
                f"case {env.case_id}: '{env.type}' is not an event of {lc.case_type}; its "
                f"events: {', '.join(lc.events)}", case=env.case_id, event=env.type)
        if stored is None and not lc.events[env.type].opening:
            raise UnknownCaseError(
                f"no case {env.case_id}: a '{env.type}' event does not open a {lc.case_type} "
                f"case (these do: {', '.join(lc.opened_by)})", case=env.case_id)
        return lc

    def _redelivered(self, env: Envelope, first: StoredEvent) -> Posted:
        stored = self._store.case(first.case_id)
        assert stored is not None
        lc = self.lifecycle(stored.case_type)
        same = env.case_id == first.case_id and env.type == first.event["type"] \
            and env.at_text == first.event["at"]
        if same:
            try:
                data = to_json_value(lc.events[env.type].validator.validate(env.data))
            except Exception:
                same = False
            else:
                same = data == first.event.get("data", {})
        if not same:
            raise DuplicateEventError(
                f"event id {env.ref!r} was already used by a different event (case "
                f"{first.case_id}, '{first.event['type']}' at {first.event['at']}); a "
                "redelivered event must be identical, and a new event needs a new id",
                case=env.case_id, event=env.type)
        closed = lc.states[first.step["to"]].terminal
        return posted_from(first.step, first.event, first.case_id, lc.case_type, closed)

    def _no_rule(self, lc: CompiledLifecycle, env: Envelope, state: str,
                 data: Mapping[str, Any]) -> EventNotAllowedError:
        import json

        options = [t for t in lc.transitions if t.event == env.type and
                   (t.from_states is None if state == NEW else state in (t.from_states or ()))]
        wanted = "; ".join(
            f"{t.id}: " + ", ".join(f"{k} in [{', '.join(map(str, v))}]" for k, v in t.when)
            for t in options if t.when)
        where = "a new case" if state == NEW else f"state '{state}'"
        try:
            shown = json.dumps(dict(data), sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            shown = ""
        if not shown or len(shown) > 300:  # hostile data is quoted short
            shown = short_repr(dict(data), 300)
        return EventNotAllowedError(
            f"case {env.case_id}: no transition of {lc.case_type} takes '{env.type}' with data "
            f"{shown} from {where}"
            + (f" (they need: {wanted})" if wanted else ""), case=env.case_id, event=env.type)

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
            lc, stored = self._case(case_id)
            return self._views.obligations(case_id, lc, stored.record, moment)
