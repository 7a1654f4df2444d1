"""The error contract, as checks the fuzz targets call on every case.

* a policy file gives a compiled policy or a :class:`PolicyError` whose every problem names the
  file, a 1-based line within the file and a 1-based column, in a one-line message;
* facts give a :class:`Decision` (whose ``to_dict()`` is JSON) or a :class:`FactsError` naming
  the fact, with a bounded message, quickly;
* an event is accepted, or refused with a :class:`PolicyEngineError` that changes nothing;
* the CLI exits 0, 1 or 2, never prints a traceback, never hangs, and says why on stderr.

A check raises :class:`ContractBreak` (an ``AssertionError``) with what broke; any other
exception that escapes the code under test is itself a break, and hypothesis reports it with its
origin, so distinct breaks are reported (and shrunk) separately.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from policyengine import FactsError, PolicyEngineError, PolicyError
from policyengine.compiler import CompiledPolicy
from policyengine.policyset import compile_policy_text

#: Seconds any one case may take before it counts as a hang.
SLOW = 20.0
#: The longest message an error may carry (bounded: no repr of a whole input).
LONGEST_MESSAGE = 5_000


class ContractBreak(AssertionError):
    """The code under test broke the error contract."""


def check_problems(exc: PolicyError, file: str, text: str | None) -> None:
    if not exc.problems:
        raise ContractBreak("a PolicyError with no problems")
    lines = text.count("\n") + 2 if text is not None else None
    for p in exc.problems:
        if p.file != file:
            raise ContractBreak(f"a problem names file {p.file!r}, not {file!r}: {p}")
        if not isinstance(p.line, int) or not isinstance(p.column, int):
            raise ContractBreak(f"a problem's position is not a pair of integers: {p!r}")
        if p.line < 1 or p.column < 1 or (lines is not None and p.line > lines):
            raise ContractBreak(f"a problem's position is outside the file: {p}")
        check_message(p.message)


def check_message(message: object) -> None:
    if not isinstance(message, str) or not message.strip():
        raise ContractBreak(f"an empty or non-text message: {message!r}")
    if "\n" in message:
        raise ContractBreak(f"a message of several lines: {message[:300]!r}")
    if len(message) > LONGEST_MESSAGE:
        raise ContractBreak(f"a message of {len(message):,} characters: {message[:200]!r}...")
    if "Traceback" in message or " object at 0x" in message:
        raise ContractBreak(f"a message with Python internals: {message[:300]!r}")


def check_policy_text(text: str, file: str = "fuzz.yaml") -> CompiledPolicy | None:
    """Compile a policy text: a policy, or a PolicyError that keeps the contract."""
    started = time.perf_counter()
    try:
        policy: CompiledPolicy | None = compile_policy_text(text, file)
    except PolicyError as exc:
        check_problems(exc, file, text)
        policy = None
    elapsed = time.perf_counter() - started
    if elapsed > SLOW:
        raise ContractBreak(f"loading took {elapsed:.1f} s")
    if policy is not None:
        _decide_each(policy)
    return policy


def _decide_each(policy: CompiledPolicy) -> None:
    """A policy that compiles takes decisions (with no facts) without crashing."""
    from policyengine import PolicySet

    policies = PolicySet({policy.id: policy})
    for name in ("policy_status", *policy.decisions):
        try:
            check_decision(policies.decide(policy.id, name, {}, "2026-03-02"))
        except FactsError as exc:
            check_facts_error(exc)
        except PolicyError as exc:  # a defect in the mutant policy: allowed, if well reported
            check_problems(exc, policy.file, policy.text)


def check_decision(decision: Any) -> None:
    record = decision.to_dict()
    try:
        json.dumps(record, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ContractBreak(f"Decision.to_dict() is not JSON: {exc}") from None


def check_facts_error(exc: FactsError, facts: object = None) -> None:
    message = str(exc)
    if len(message) > LONGEST_MESSAGE * 4:
        raise ContractBreak(f"a FactsError message of {len(message):,} characters")
    if "\n" in message:
        raise ContractBreak(f"a FactsError message of several lines: {message[:300]!r}")
    if not isinstance(exc.fact, str) and isinstance(facts, Mapping):
        raise ContractBreak(f"a FactsError that names no fact: {message[:300]}")
    if not exc.problems:
        raise ContractBreak(f"a FactsError with no problems: {message[:300]}")
    for problem in exc.problems:
        if not isinstance(problem.path, str):
            raise ContractBreak(f"a fact problem whose path is not text: {problem!r}")
        check_message(problem.message)


def timed(what: str, started: float) -> None:
    elapsed = time.perf_counter() - started
    if elapsed > SLOW:
        raise ContractBreak(f"{what} took {elapsed:.1f} s")


def is_contract_error(exc: BaseException) -> bool:
    return isinstance(exc, PolicyEngineError)
