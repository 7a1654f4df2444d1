"""Pause Python's cyclic garbage collector while a policy is read and compiled.

Reading a policy allocates many small containers (YAML nodes, dicts, tuples of positions,
compiled rules) that all live until the load ends; CPython's collector, triggered by the count
of allocations, traverses them again and again as they accumulate: a 10,000-rule table spent
four fifths of its load in the collector. Nothing made while loading is garbage before the load
ends, so the collector is paused for the load and resumed after (what bulk loaders commonly do;
``gc.disable`` is process-wide, so pauses from several threads are counted and the collector
is resumed when the last one ends, and only if it was running when the first began).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off; restore its state when the last pause ends."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
