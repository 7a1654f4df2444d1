"""Benchmark: record classes (policyengine.records) beside the frozen dataclasses they replace.

Run:  python benchmarks/bench_records.py

Printed side by side, with the ratio record / dataclass: defining 28 classes of three fields
(what expressions/nodes.py defines at import), plain and with ``slots``; and per instance,
construction (positional, keyword, positional with defaults left out), ``==``, ``hash`` and
``repr``, and reading three attributes. Nothing is asserted (the machine is shared and noisy).
"""

from __future__ import annotations

import dataclasses
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from policyengine.records import record


def define(decorate: Callable[[type], type], count: int = 28) -> float:
    """Seconds to define ``count`` classes of three annotated fields with ``decorate``."""
    start = time.perf_counter()
    for i in range(count):
        body = {"__annotations__": {"fact": "str", "values": "tuple", "n": "int"},
                "__module__": __name__, "__qualname__": f"Made{i}"}
        decorate(type(f"Made{i}", (), body))
    return time.perf_counter() - start


def per_call(fn: Callable[[], Any]) -> float:
    return min(timeit.repeat(fn, number=20_000, repeat=5)) / 20_000


def make(decorate: Callable[[type], type]) -> type:
    body = {"__annotations__": {"a": "int", "b": "int", "c": "int", "d": "int", "e": "int"},
            "__module__": __name__, "__qualname__": "Five", "d": 0, "e": 0}
    return decorate(type("Five", (), body))


def main() -> None:
    print("Defining 28 classes of three fields (ms, best of 5; ratio = record / dataclass)")
    for label, ours, theirs in (
        ("plain", record, dataclasses.dataclass(frozen=True)),
        ("slots", record(slots=True), dataclasses.dataclass(frozen=True, slots=True)),
    ):
        r = min(define(ours) for _ in range(5))
        d = min(define(theirs) for _ in range(5))
        print(f"  {label:<6} record {r * 1e3:7.2f}   dataclass {d * 1e3:7.2f}   {r / d:5.2f}x")
    print("\nPer instance of a class of five fields, two with defaults (µs)")
    instance_figures("plain", make(record), make(dataclasses.dataclass(frozen=True)))
    instance_figures("slots", make(record(slots=True)),
                     make(dataclasses.dataclass(frozen=True, slots=True)))


def instance_figures(label: str, r_cls: Any, d_cls: Any) -> None:
    r1, r2 = r_cls(1, 2, 3, 4, 5), r_cls(1, 2, 3, 4, 5)
    d1, d2 = d_cls(1, 2, 3, 4, 5), d_cls(1, 2, 3, 4, 5)
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("construct, all positional", lambda: r_cls(1, 2, 3, 4, 5),
         lambda: d_cls(1, 2, 3, 4, 5)),
        ("construct, defaults left out", lambda: r_cls(1, 2, 3), lambda: d_cls(1, 2, 3)),
        ("construct, by keyword", lambda: r_cls(a=1, b=2, c=3, e=5),
         lambda: d_cls(a=1, b=2, c=3, e=5)),
        ("==", lambda: r1 == r2, lambda: d1 == d2),
        ("hash", lambda: hash(r1), lambda: hash(d1)),
        ("repr", lambda: repr(r1), lambda: repr(d1)),
        ("read three attributes", lambda: (r1.a, r1.c, r1.e), lambda: (d1.a, d1.c, d1.e)),
    ]
    print(f"  {label}")
    for name, fr, fd in cases:
        tr, td = per_call(fr), per_call(fd)
        print(f"    {name:<30} record {tr * 1e6:6.3f}   dataclass {td * 1e6:6.3f}"
              f"   {tr / td:5.2f}x")

if __name__ == "__main__":
    main()
