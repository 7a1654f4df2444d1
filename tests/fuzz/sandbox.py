"""Run one call in a forked child with a memory cap and a timeout, and bring back its outcome.

A hostile value (a 100,000-deep list, 10,000 references to a 10 MB string) can make a careless
error message take minutes and gigabytes; on a shared machine that must not take the test run
(or the machine) down with it. The child's address space is capped, so running out of memory
is a ``MemoryError`` in the child, and its time is bounded by an alarm.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What the call did: returned ``value`` (a summary), raised ``error``, or died."""

    value: Any = None
    error: str | None = None  # the exception's type name
    message: str = ""
    attributes: dict[str, Any] | None = None
    died: str | None = None  # "timeout", "signal N" or "exit N"
    elapsed: float = 0.0


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


def run_capped(call: Callable[[], Any], *, timeout: int = 20, memory: int = 1 << 30,
               keep: tuple[str, ...] = ()) -> Outcome:
    """``call()`` in a child; ``keep`` names the attributes of a raised exception to bring back."""
    reader, writer = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return
        os.close(reader)
        code = 0
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(timeout)
            limit = _address_space() + memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                outcome = Outcome(value=call())
            except BaseException as exc:
                attrs = {name: getattr(exc, name, None) for name in keep}
                outcome = Outcome(error=type(exc).__name__, message=str(exc)[:20_000],
                                  attributes=_picklable(attrs))
                if not isinstance(exc, Exception) or type(exc).__name__ == "MemoryError":
                    outcome = Outcome(error=type(exc).__name__, message=traceback.format_exc()[
                        -5_000:])
            data = pickle.dumps(outcome)
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - started
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return Outcome(died="timeout" if sig == signal.SIGALRM else f"signal {sig}",
                       elapsed=elapsed)
    if not data:
        return Outcome(died=f"exit {os.WEXITSTATUS(status)}", elapsed=elapsed)
    outcome: Outcome = pickle.loads(data)
    return Outcome(outcome.value, outcome.error, outcome.message, outcome.attributes,
                   outcome.died, elapsed)


@contextlib.contextmanager
def memory_cap(extra: int = 2 << 30) -> Iterator[None]:
    """Cap this process's address space at its size now plus ``extra`` bytes, for a block.

    A case that asks for more gets a ``MemoryError`` (a contract break, reported) instead of
    taking the machine's memory. The old limit is restored afterwards.
    """
    old = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + extra
    if old[1] != resource.RLIM_INFINITY:
        limit = min(limit, old[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


def _picklable(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        try:
            pickle.dumps(value)
        except Exception:
            value = repr(value)[:1000]
        out[name] = value
    return out
