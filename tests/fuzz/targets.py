"""The fuzz targets: one hypothesis property per kind of hostile input, sized by a profile.

Each target is a function of a hypothesis ``data`` object that draws one case, runs it and
checks the contract (:mod:`contracts`). The pytest files run them with the CI profile; ``./dev
fuzz`` (``run.py``) runs the long profile. ``CASES`` counts the cases each target tried.
"""

from __future__ import annotations

import collections
import json
import reprlib
import time
from collections.abc import Callable
from typing import Any

from contracts import (
    ContractBreak,
    check_decision,
    check_facts_error,
    check_policy_text,
    timed,
)
from gen_events import event_streams
from gen_facts import AS_OF, decisions, facts_for
from gen_policy import schema_documents, shape_mutants, text_mutants
from hostile import holds_huge
from hypothesis import note
from hypothesis import strategies as st
from sandbox import memory_cap, run_capped

from policyengine import FactsError, PolicyEngineError, PolicyError

#: Cases tried by each target in this process (shrinking included).
CASES: collections.Counter[str] = collections.Counter()

_POLICY_SOURCES = st.one_of(text_mutants(), text_mutants(), shape_mutants(), schema_documents())


def policy_case(data: Any) -> None:
    """A mutated or generated policy file compiles, or is refused with positions."""
    CASES["policy"] += 1
    text = data.draw(_POLICY_SOURCES, label="policy text")
    note(f"policy text:\n{text}")
    with memory_cap():
        check_policy_text(text)


TARGETS: dict[str, Callable[[Any], None]] = {
    "policy": policy_case,
}


def facts_case(data: Any) -> None:
    """Facts for any decision give a Decision, or a FactsError that names the fact."""
    CASES["facts"] += 1
    policies, policy, decision = data.draw(st.sampled_from(decisions()), label="decision")
    facts = data.draw(facts_for(policies, policy, decision), label="facts")
    as_of = data.draw(AS_OF, label="as_of")
    full_trace = data.draw(st.booleans(), label="full_trace")
    note(f"policies.decide({policy!r}, {decision!r}, {_short(facts)}, {as_of!r}, "
         f"full_trace={full_trace})")

    def decide() -> None:
        started = time.perf_counter()
        try:
            result = policies.decide(policy, decision, facts, as_of, full_trace=full_trace)
        except FactsError as exc:
            timed("refusing the facts", started)
            check_facts_error(exc, facts)
            timed("refusing the facts (and reading the error)", started)
            return
        except PolicyError as exc:
            raise ContractBreak(f"a bundled policy has a defect for these facts: {exc}") from None
        timed("deciding", started)
        check_decision(result)

    if holds_huge(facts) or holds_huge(as_of):
        outcome = run_capped(decide, timeout=10)
        if outcome.died is not None:
            raise ContractBreak(f"deciding on a huge value died ({outcome.died}) after "
                                f"{outcome.elapsed:.1f} s")
        if outcome.error is not None:
            raise ContractBreak(f"deciding on a huge value: {outcome.error}: "
                                f"{outcome.message[:3000]}")
    else:
        with memory_cap():
            decide()


def _short(value: Any) -> str:
    text = reprlib.repr(value)
    return text if len(text) <= 2000 else text[:2000] + "..."


TARGETS["facts"] = facts_case


def _snapshot(monitor: Any) -> Any:
    cases = monitor.cases()
    return (
        monitor.now,
        cases,
        [(monitor.state(c).to_dict(), [o.to_dict() for o in monitor.obligations(c)])
         for c in cases],
    )


def events_case(data: Any) -> None:
    """Every event is accepted, or refused with a PolicyEngineError that changes nothing."""
    CASES["events"] += 1
    policies, case_type, events = data.draw(event_streams(), label="events")
    note(f"case type {case_type}; events:\n" + "\n".join(_short(e) for e in events))

    def replay() -> None:
        _replay_events(policies, events)

    if any(holds_huge(e) for e in events):
        outcome = run_capped(replay, timeout=20)
        if outcome.died is not None:
            raise ContractBreak(f"posting a huge value died ({outcome.died}) after "
                                f"{outcome.elapsed:.1f} s")
        if outcome.error is not None:
            raise ContractBreak(f"posting a huge value: {outcome.error}: "
                                f"{outcome.message[:3000]}")
    else:
        with memory_cap():
            replay()


def _replay_events(policies: Any, events: list[Any]) -> None:
    from policyengine.monitor import Monitor

    with Monitor(policies) as monitor:
        for i, event in enumerate(events):
            before = _snapshot(monitor)
            started = time.perf_counter()
            try:
                posted = monitor.post(event)
            except PolicyEngineError as exc:
                timed(f"refusing event {i}", started)
                if len(str(exc)) > 20_000:
                    raise ContractBreak(f"an event error of {len(str(exc)):,} characters") from None
                after = _snapshot(monitor)
                if after != before:
                    raise ContractBreak(f"event {i} was refused ({exc}) but the monitor "
                                        "changed") from None
                continue
            timed(f"posting event {i}", started)
            json.dumps(posted.to_dict(), allow_nan=False)
        json.dumps([o.to_dict() for o in monitor.overdue()], allow_nan=False)
        json.dumps(_snapshot(monitor)[2], allow_nan=False, default=str)


TARGETS["events"] = events_case


#: One case in this many also runs in a fresh interpreter (the real thing, slower).
FRESH_EVERY = 40


def cli_case(data: Any) -> None:
    """A command line exits 0, 1 or 2, says why on stderr, never hangs or prints a traceback."""
    from cli_harness import judge, run_forked, run_fresh
    from gen_cli import command_lines, environment, workspace

    CASES["cli"] += 1
    argv, streams, env = data.draw(command_lines(), label="command line")
    fresh = data.draw(st.integers(0, FRESH_EVERY - 1), label="fresh") == 0
    note(f"argv={argv!r} stdin={_short(streams.stdin)} stdout={streams.stdout} env={env!r}")
    run = run_fresh if fresh else run_forked
    result = run(argv, streams, environment(env), workspace())
    note(f"exit {result.code} ({result.how}, {result.elapsed:.2f} s)\nstdout: "
         f"{result.out[:1000]!r}\nstderr: {result.err[:3000]!r}")
    judge(result, streams, argv)


TARGETS["cli"] = cli_case
