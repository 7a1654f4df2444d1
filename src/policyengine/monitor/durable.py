"""The durable_rules engine, behind a guarded boundary, with its sessions in a bounded LRU.

durable_rules (the ``[monitor]`` extra) runs each lifecycle's rules as a ruleset; each case
being worked on has its own session holding the case's record. The store stays the truth:

* **Sessions are a cache.** At most ``sessions`` cases have a live session (least recently used
  are deleted first); a case without one, or whose session is older than the store's row (another
  monitor wrote it), gets a fresh session restored from the stored record by a ``pe.restore``
  rule before its event is posted. Memory is bounded by the active cases, not the open ones.
* **Shards.** durable_rules keeps at most 1024 live sessions per ruleset, so each lifecycle has as
  many copies of its ruleset as needed, of at most ``shard_size`` sessions.
* **The boundary.** Every call into durable_rules is wrapped: its own errors become
  :class:`EngineError` (the event is not applied and the case's session is dropped, to be
  restored from the store), and an error inside a rule's action (durable would swallow it) is
  re-raised as it was once ``post`` returns. What durable_rules cannot run safely never reaches
  it: lifecycles past its limits are refused at load (:mod:`policyengine.lifecycle.rules`),
  events with integers outside 64 bits or invalid text at post (:mod:`.events`), and an event
  no rule takes is refused before it is posted (a session made for it crashes durable_rules when
  deleted).
* **No threads.** Each monitor has its own ``Host`` (never the process-global ``durable.lang``)
  whose two timer threads are never started: the monitor uses no durable timers.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..lifecycle import CompiledLifecycle, Rule
from .effects import Applied, Decisions, Journal, apply_effect
from .errors import INSTALL_HINT, EngineError, MonitorError, MonitorUnavailableError
from .events import Envelope
from .matcher import Table

#: Cases per ruleset copy: durable_rules 2.0.28 keeps at most 1024 live sessions per ruleset.
SHARD_SIZE = 1000
RESTORE = "pe.restore"
_HOSTS: dict[int, type] = {}


def load_durable() -> tuple[Any, Any]:
    """durable_rules' engine module and its C extension, or a clear error saying how to install."""
    try:
        from durable import engine

        dre = importlib.import_module("durable_rules_engine")
    except ImportError as exc:
        raise MonitorUnavailableError(
            "engine='durable' needs durable_rules, which is not installed here "
            f"({exc}); install the 'monitor' extra: {INSTALL_HINT} (or use engine='python')"
        ) from None
    return engine, dre


def _host_class(engine: Any) -> type:
    cls = _HOSTS.get(id(engine))
    if cls is None:

        class _QuietHost(engine.Host):  # type: ignore[misc]
            def _run(self) -> None:
                # the stock Host starts two self-rescheduling Timer threads to dispatch timers;
                # the monitor uses no durable timers (time is logical), so none are started
                pass

            # Closure.post(ruleset, message) calls host.assert_event, which Host lacks upstream
            assert_event = engine.Host.post

        cls = _QuietHost
        _HOSTS[id(engine)] = cls
    return cls


@dataclass
class _Shard:
    name: str
    live: int = 0


@dataclass
class _Session:
    shard: _Shard
    sid: str
    version: int


@dataclass
class _Pending:
    msg_id: str
    lc: CompiledLifecycle
    env: Envelope
    current: dict[str, Any]
    journal: Journal
    state: str
    version: int
    restore: Mapping[str, Any] | None = None
    applied: Applied | None = None
    error: BaseException | None = None


def _release(host: Any, dre: Any, live: dict[str, _Session], lock: threading.RLock) -> None:
    """Free a monitor's durable memory: every live session, then every ruleset."""
    with lock:
        for session in list(live.values()):
            with contextlib.suppress(Exception):
                host.delete_state(session.shard.name, session.sid)
        live.clear()
        for ruleset in list(host._ruleset_list):
            with contextlib.suppress(Exception):
                dre.delete_ruleset(ruleset._handle)
        host._ruleset_list.clear()
        host._ruleset_directory.clear()


class DurableEngine:
    name = "durable"

    def __init__(self, decisions: Decisions, *, sessions: int = 1000,
                 shard_size: int = SHARD_SIZE) -> None:
        if not 1 <= shard_size <= 1000:
            raise MonitorError("shard_size must be between 1 and 1000 (durable_rules keeps at "
                               "most 1024 live sessions per ruleset)")
        if sessions < 1:
            raise MonitorError("sessions (the durable sessions kept live) must be at least 1")
        engine, dre = load_durable()
        self.engine = engine
        self.decisions = decisions
        self.capacity = sessions
        self.shard_size = shard_size
        self.host = _host_class(engine)()
        self.prefix = f"pe{uuid.uuid4().hex[:12]}"
        self.shards: dict[str, list[_Shard]] = {}
        self.live: OrderedDict[str, _Session] = OrderedDict()  # case id -> its session
        self.ids = itertools.count(1)
        self.pending: _Pending | None = None
        self.lock = threading.RLock()
        self.finalizer = weakref.finalize(self, _release, self.host, dre, self.live, self.lock)

    # ------------------------------------------------------------------ sessions
    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # durable_rules' own error types stop here
            raise EngineError(f"durable_rules failed to {what}: {type(exc).__name__}: {exc}; "
                              "the event was not applied") from None

    def _shard(self, lc: CompiledLifecycle) -> _Shard:
        shards = self.shards.setdefault(lc.case_type, [])
        for shard in shards:
            if shard.live < self.shard_size:
                return shard
        name = f"{self.prefix}.{lc.case_type}.{len(shards)}"
        definition = lc.ruleset_definition(self._action_maker(lc))
        definition["pe.restore"] = {"all": [{"m": {"type": RESTORE}}], "pri": 1,
                                    "run": self._action_maker(lc)(None)}
        self._call("register a ruleset", self.host.register_rulesets, {name: definition})
        shard = _Shard(name)
        shards.append(shard)
        return shard

    def _drop(self, case_id: str) -> None:
        session = self.live.pop(case_id, None)
        if session is not None:
            session.shard.live -= 1
            with contextlib.suppress(Exception):
                self.host.delete_state(session.shard.name, session.sid)

    def _new_session(self, lc: CompiledLifecycle, case_id: str, version: int) -> _Session:
        while len(self.live) >= self.capacity:
            self._drop(next(iter(self.live)))
        shard = self._shard(lc)
        shard.live += 1
        session = _Session(shard, f"c{next(self.ids)}", version)
        self.live[case_id] = session
        return session

    def forget(self, case_ids: list[str]) -> None:
        with self.lock:
            for case_id in case_ids:
                self._drop(case_id)

    def close(self) -> None:
        self.finalizer()

    # ------------------------------------------------------------------ actions
    def _action_maker(self, lc: CompiledLifecycle) -> Callable[[Rule | None],
                                                               Callable[[Any], None]]:
        ref = weakref.ref(self)

        def make(rule: Rule | None) -> Callable[[Any], None]:
            def action(c: Any) -> None:
                engine = ref()
                if engine is not None:
                    engine._run_action(rule, c)

            return action

        return make

    def _run_action(self, rule: Rule | None, c: Any) -> None:
        """A rule fired: compute the whole effect, then (only then) change the session."""
        pending = self.pending
        if pending is None:
            return
        try:
            message = c.m._d if c.m is not None else {}
            if message.get("id") != pending.msg_id:
                raise MonitorError(f"internal: a rule fired for message {message.get('id')!r}, "
                                   f"not {pending.msg_id!r}")
            record = c.s._d
            if rule is None:  # pe.restore: the session takes the stored record
                assert pending.restore is not None
                record.update(pending.restore)
                pending.restore = None
                return
            held = record.get("state", "(new)")
            if held != pending.state or int(record.get("events", 0)) != pending.version:
                raise MonitorError(f"internal: case {pending.env.case_id} is '{held}' in "
                                   f"durable_rules but the store has '{pending.state}'")
            applied = apply_effect(self.decisions, pending.lc, rule, rule.effects[pending.state],
                                   record, pending.env, pending.current, pending.journal)
        except BaseException as exc:  # durable would swallow it; re-raised after post()
            pending.error = exc
            return
        record.update(applied.record)
        pending.applied = applied

    def _post(self, session: _Session, pending: _Pending, message: dict[str, Any]) -> None:
        self.pending = pending
        try:
            self._call("take the event", self.host.post, session.shard.name, message)
        finally:
            self.pending = None

    # ------------------------------------------------------------------ one event
    def apply(self, lc: CompiledLifecycle, table: Table, case_id: str, version: int,
              record: Mapping[str, Any], state: str, env: Envelope, current: dict[str, Any],
              journal: Journal, matched: Rule) -> Applied:
        """``matched`` is not used: durable_rules chooses the rule itself."""
        with self.lock:
            session = self.live.get(case_id)
            if session is not None and session.version != version:
                self._drop(case_id)  # another writer moved the case on: restore it
                session = None
            pending = _Pending(f"m{next(self.ids)}", lc, env, current, journal, state, version)
            try:
                if session is None:
                    session = self._new_session(lc, case_id, version)
                    if version > 0:
                        pending.restore = dict(record)
                        self._post(session, pending, {"sid": session.sid, "id": pending.msg_id,
                                                      "type": RESTORE})
                        if pending.error is not None or pending.restore is not None:
                            raise pending.error or EngineError(
                                f"durable_rules did not restore case {case_id}")
                        pending.msg_id = f"m{next(self.ids)}"
                else:
                    self.live.move_to_end(case_id)
                spec = lc.events[env.type]
                data = current["data"]
                message = {"sid": session.sid, "id": pending.msg_id, "type": env.type,
                           "state": state,
                           "data": {f: data[f] for f in spec.when_fields if f in data}}
                self._post(session, pending, message)
                if pending.error is not None:
                    raise pending.error
                if pending.applied is None:
                    raise EngineError(f"durable_rules applied no rule to '{env.type}' on case "
                                      f"{case_id}, which the lifecycle accepts")
            except BaseException:
                self._drop(case_id)
                raise
            applied = pending.applied
            session.version = version + 1
            if applied.record["closed"]:
                self._drop(case_id)
            return applied
