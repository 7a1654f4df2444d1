"""The result table: one typed column per outcome, plus status, fired rules and errors.

Columns, in order: any carried input columns; ``status``; one column per declared outcome
(bool, int64, date32, timestamp[us, Europe/London] for a date-time, dictionary-encoded strings
for enum and string outcomes, lists of those, JSON text for anything else); a ``moment``
outcome as two columns, ``<name>`` (its London day) and ``<name>_at`` (the instant, where it is
a date-time);
``considerations`` and ``requirements`` (their ids) when the decision can need judgement;
``fired_rules``; ``error`` (the message ``decide`` raised for the row), ``error_type``
(``FactsError`` or ``PolicyError``) and ``error_problems`` (each problem's path, code, message
and allowed values; a policy problem's path is ``file:line:column`` and its code ``policy``).

Each builder is filled from the vectorised columns for most rows and from single
``Decision`` values (the row-by-row path) for the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pyarrow as pa

from ..decision import to_json_value
from ..durations import LONDON
from ..errors import FactsError, PolicyEngineError, PolicyError
from ..facts import ValueType
from . import london
from .outcomes import Moments
from .vectors import Const, Lists, Texts, Times, Vec, broadcast, recode

MISSING: Any = object()  # an outcome the decision did not set
ERROR_TYPES = ["FactsError", "PolicyError"]
TIMESTAMP = pa.timestamp("us", tz="Europe/London")
PROBLEM = pa.struct([
    ("path", pa.string()),
    ("code", pa.string()),
    ("message", pa.string()),
    ("allowed", pa.list_(pa.string())),
])
_ARROW_ITEM = {"bool": pa.bool_(), "int": pa.int64(), "string": pa.string(),
               "enum": pa.string(), "date": pa.date32()}


def _mask(valid: np.ndarray) -> np.ndarray | None:
    """Arrow's null mask for a validity array (None when every row has a value)."""
    return None if valid.all() else ~valid


class Builder:
    name: str

    def names(self) -> list[str]:
        return [self.name]

    def fill(self, rows: np.ndarray, vec: Vec) -> None:
        raise NotImplementedError

    def put(self, i: int, value: Any) -> None:
        raise NotImplementedError

    def arrays(self) -> list[tuple[str, pa.Array]]:
        raise NotImplementedError


class ScalarBuilder(Builder):
    """bool, int and date columns: a NumPy array and a validity mask."""

    def __init__(self, name: str, kind: str, n: int) -> None:
        self.name, self.kind = name, kind
        dtype = {"bool": np.dtype(bool), "int": np.dtype(np.int64),
                 "date": np.dtype("datetime64[D]")}[kind]
        self.data = np.zeros(n, dtype=dtype)
        self.valid = np.zeros(n, bool)

    def fill(self, rows: np.ndarray, vec: Vec) -> None:
        full = broadcast(vec, len(self.data), self.kind)
        valid = np.ones(len(rows), bool) if vec.absent is None else ~vec.absent
        if rows.all():  # nothing is left for the row-by-row path to write
            self.data, self.valid = full.data, valid  # type: ignore[attr-defined]
            return
        np.copyto(self.data, full.data, where=rows)  # type: ignore[attr-defined]
        np.copyto(self.valid, valid, where=rows)

    def put(self, i: int, value: Any) -> None:
        if value is MISSING or value is None:
            self.valid[i] = False
            return
        self.data[i] = np.datetime64(value.isoformat(), "D") if self.kind == "date" else value
        self.valid[i] = True

    def arrays(self) -> list[tuple[str, pa.Array]]:
        return [(self.name, pa.array(self.data, mask=_mask(self.valid)))]


class TimeBuilder(Builder):
    """Date-times as instants, shown in London time."""

    def __init__(self, name: str, n: int) -> None:
        self.name = name
        self.utc = np.zeros(n, np.int64)
        self.valid = np.zeros(n, bool)

    def fill(self, rows: np.ndarray, vec: Vec) -> None:
        assert isinstance(vec, Times)
        np.copyto(self.utc, vec.utc, where=rows)
        np.copyto(self.valid, True if vec.absent is None else ~vec.absent, where=rows)

    def put(self, i: int, value: Any) -> None:
        if value is MISSING or value is None:
            self.valid[i] = False
            return
        self.utc[i] = london.utc_us_of(value)
        self.valid[i] = True

    def arrays(self) -> list[tuple[str, pa.Array]]:
        return [(self.name, pa.array(self.utc, type=TIMESTAMP, mask=_mask(self.valid)))]


class MomentBuilder(Builder):
    """A moment: ``<name>`` its London day, ``<name>_at`` the instant of a date-time."""

    def __init__(self, name: str, n: int) -> None:
        self.name = name
        self.day = ScalarBuilder(name, "date", n)
        self.at = TimeBuilder(f"{name}_at", n)

    def fill(self, rows: np.ndarray, vec: Vec) -> None:
        assert isinstance(vec, Moments)
        assert vec.absent is not None
        np.copyto(self.day.data, vec.days, where=rows)
        np.copyto(self.day.valid, ~vec.absent, where=rows)
        np.copyto(self.at.utc, vec.utc, where=rows)
        np.copyto(self.at.valid, ~vec.absent & vec.timed, where=rows)

    def put(self, i: int, value: Any) -> None:
        if value is None:
            value = MISSING
        if isinstance(value, dt.datetime):
            self.at.put(i, value)
            self.day.put(i, value.astimezone(LONDON).date())
        else:
            self.day.put(i, value)
            self.at.put(i, MISSING)

    def names(self) -> list[str]:
        return [self.name, self.at.name]

    def arrays(self) -> list[tuple[str, pa.Array]]:
        return self.day.arrays() + self.at.arrays()


class CodedBuilder(Builder):
    """Values from a small table, as codes: strings (dictionary-encoded) and lists."""

    def __init__(
        self, name: str, n: int, item: pa.DataType | None = None, values: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.item = item  # a list column's item type; None for strings
        self.n = n
        self._codes: np.ndarray | None = None
        # an enum's values come first, in their declared order, whether any row has them or
        # not: the categories of the column are then the same for every table
        self.table: list[Any] = list(values)
        self.index: dict[Any, int] = {v: i for i, v in enumerate(values)}
        self.fixed = bool(values)

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:
            self._codes = np.full(self.n, -1, np.int32)
        return self._codes

    def _write(self, rows: np.ndarray, codes: np.ndarray) -> None:
        if self._codes is None and rows.all():
            self._codes = np.asarray(codes, dtype=np.int32)
        else:
            np.copyto(self.codes, codes, where=rows)

    def code(self, value: Any) -> int:
        key = tuple(value) if self.item is not None else value
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.table)
            self.table.append(key)
        return found

    def fill(self, rows: np.ndarray, vec: Vec) -> None:
        if isinstance(vec, Const):
            zeros = np.zeros(self.n, np.int32)
            single: Vec = (
                Texts(zeros, (vec.value,)) if self.item is None
                else Lists(zeros, [tuple(vec.value)])
            )
            vec = single.flags(vec.absent, vec.bad)
        assert isinstance(vec, Texts | Lists)
        where = [self.code(entry) for entry in vec.table]
        codes = recode(vec.codes, where)
        if vec.absent is not None:
            codes = np.where(vec.absent, -1, codes)
        self._write(rows, codes)

    def fill_codes(self, rows: np.ndarray, codes: np.ndarray, table: list[Any]) -> None:
        where = [self.code(entry) if entry is not None else -1 for entry in table]
        self._write(rows, recode(codes, where))

    def put(self, i: int, value: Any) -> None:
        self.codes[i] = -1 if value is MISSING or value is None else self.code(value)

    def arrays(self) -> list[tuple[str, pa.Array]]:
        indices = pa.array(self.codes, mask=self.codes < 0)
        if self.item is None:
            dictionary = pa.array(self.table, pa.string())
            return [(self.name, pa.DictionaryArray.from_arrays(indices, dictionary))]
        if pa.types.is_string(self.item):
            return [(self.name, self._token_lists())]
        kind = pa.list_(self.item)
        values = pa.array([list(entry) for entry in self.table], type=kind)
        return [(self.name, values.take(indices) if len(values) else pa.nulls(len(indices),
                                                                            kind))]

    def _token_lists(self) -> pa.Array:
        """Lists of strings, their items dictionary-encoded, built from the codes by offsets."""
        codes = self.codes
        tokens: dict[Any, int] = {}
        for entry in self.table:
            for item in entry:
                tokens.setdefault(item, len(tokens))
        lengths = np.array([*(len(e) for e in self.table), 0], dtype=np.int32)
        starts = np.zeros(len(self.table) + 1, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        flat = np.array([tokens[i] for e in self.table for i in e], dtype=np.int32)
        per_row = lengths[codes]
        offsets = np.zeros(len(codes) + 1, dtype=np.int32)
        np.cumsum(per_row, out=offsets[1:])
        total = int(offsets[-1])
        # item k of the column is flat[k + shift of its row]: a running sum of steps of one,
        # plus the change of shift at each row's first item
        if len(per_row) and per_row.min() > 0:  # every row has items: no row to skip
            first_items = offsets[:-1]
            shift = (starts[codes] - first_items).astype(np.int32)
        else:
            nonempty = np.flatnonzero(per_row)
            first_items = offsets[nonempty]
            shift = (starts[codes[nonempty]] - first_items).astype(np.int32)
        steps = np.ones(total, np.int32)
        steps[first_items] += np.diff(shift, prepend=np.int32(0))
        index = np.cumsum(steps, dtype=np.int32)
        index -= 1
        child = flat[index] if total else np.zeros(0, np.int32)
        items = pa.DictionaryArray.from_arrays(pa.array(child), pa.array(list(tokens), pa.string()))
        return pa.ListArray.from_arrays(pa.array(offsets), items, mask=pa.array(codes < 0))


class ErrorBuilder(Builder):
    """The rows the scalar path refused: message, type and problems (sparse)."""

    name = "error"

    def names(self) -> list[str]:
        return ["error", "error_type", "error_problems"]

    def __init__(self, n: int) -> None:
        self.n = n
        self.errors: dict[int, PolicyEngineError] = {}

    def fill(self, rows: np.ndarray, vec: Vec) -> None:  # vectorised rows never fail
        return

    def put(self, i: int, value: Any) -> None:
        self.errors[i] = value

    def arrays(self) -> list[tuple[str, pa.Array]]:
        if not self.errors:
            return [("error", pa.nulls(self.n, pa.string())),
                    ("error_type", pa.DictionaryArray.from_arrays(
                        pa.nulls(self.n, pa.int32()), pa.array(ERROR_TYPES))),
                    ("error_problems", pa.nulls(self.n, pa.list_(PROBLEM)))]
        messages: list[str | None] = [None] * self.n
        kinds: list[str | None] = [None] * self.n
        problems: list[list[dict[str, Any]] | None] = [None] * self.n
        for i, exc in self.errors.items():
            messages[i] = str(exc)
            kinds[i] = type(exc).__name__
            problems[i] = problems_of(exc)
        kind_codes = np.array([-1 if k is None else ERROR_TYPES.index(k) for k in kinds], np.int32)
        return [
            ("error", pa.array(messages, pa.string())),
            ("error_type", pa.DictionaryArray.from_arrays(
                pa.array(kind_codes, mask=kind_codes < 0), pa.array(ERROR_TYPES))),
            ("error_problems", pa.array(problems, pa.list_(PROBLEM))),
        ]


def problems_of(exc: PolicyEngineError) -> list[dict[str, Any]]:
    if isinstance(exc, FactsError):
        return [
            {"path": p.path, "code": p.code, "message": p.message,
             "allowed": list(p.allowed) if p.allowed is not None else None}
            for p in exc.problems
        ]
    if isinstance(exc, PolicyError):
        return [
            {"path": f"{p.file}:{p.line}:{p.column}", "code": "policy", "message": p.message,
             "allowed": None}
            for p in exc.problems
        ]
    return [{"path": "", "code": "error", "message": str(exc), "allowed": None}]


def outcome_builder(name: str, vt: ValueType, n: int) -> Builder:
    kind = vt.kind
    if kind in ("bool", "int", "date"):
        return ScalarBuilder(name, kind, n)
    if kind == "datetime":
        return TimeBuilder(name, n)
    if kind == "moment":
        return MomentBuilder(name, n)
    if kind == "enum":
        return CodedBuilder(name, n, values=vt.values)
    if kind == "string":
        return CodedBuilder(name, n)
    if kind == "list" and vt.of is not None and vt.of.kind in _ARROW_ITEM:
        return CodedBuilder(name, n, _ARROW_ITEM[vt.of.kind])
    return JsonBuilder(name, n)


class JsonBuilder(Builder):
    """Any other outcome (a record, a list of records): its JSON text."""

    def __init__(self, name: str, n: int) -> None:
        self.name = name
        self.texts: list[str | None] = [None] * n

    def fill(self, rows: np.ndarray, vec: Vec) -> None:  # never vectorised
        raise AssertionError(self.name)

    def put(self, i: int, value: Any) -> None:
        plain = None if value is MISSING or value is None else to_json_value(value)
        self.texts[i] = None if plain is None else json.dumps(plain)

    def arrays(self) -> list[tuple[str, pa.Array]]:
        return [(self.name, pa.array(self.texts, pa.string()))]
