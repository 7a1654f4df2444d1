"""Input columns read as fact values, with the rows whose values the scalar path must read.

Every fact column becomes a :class:`~policyengine.batch.vectors.Vec` (absent where the cell is
null) and a ``clean`` mask: True where the cell holds a value that ``decide`` would accept and
this module has read exactly as ``decide`` reads it. Any other row (a wrong type, an unknown
enum value, an impossible date, an ISO form the column parser does not read, a year outside the
fast range) is not clean and is decided row by row, so its result or its error is the scalar
path's own. Typed Arrow columns are read with Arrow and NumPy; Python objects (a list of
mappings, an object column) one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..facts import ValueType
from . import london
from .parse import arrow_dates, arrow_datetimes
from .vectors import Bools, Days, Ints, Members, Texts, Times, Vec

NULL: Any = object()  # a cell with no value: the fact is not given
_INT64 = np.iinfo(np.int64)
_PLACEHOLDER_DAY = np.datetime64("2000-01-03", "D")
_PLACEHOLDER_US = 946_900_800_000_000  # 2000-01-03T12:00
_MAX_STRING = 10_000
_MAX_MEMBERS = 62


class NotVectorised(Exception):
    """A fact, value form or outcome the vectoriser does not handle; says which and where."""


def check_fact_type(name: str, vt: ValueType) -> None:
    """Raise :class:`NotVectorised` for a fact type this module cannot read."""
    if vt.kind == "list":
        of = vt.of
        if of is None or of.kind != "enum" or len(of.values) > _MAX_MEMBERS:
            what = of.describe_plural() if of is not None else "items"
            raise NotVectorised(f"fact '{name}' is a list of {what}; only lists of enum values "
                                "are vectorised")
    elif vt.kind == "record":
        raise NotVectorised(f"fact '{name}' is a record")


def decode(values: pa.Array | Sequence[Any], vt: ValueType) -> tuple[Vec, np.ndarray]:
    """A column as a fact of type ``vt``: its value and its clean rows.

    ``values`` is an Arrow array, or a sequence of Python values with :data:`NULL` for a cell
    that has none (already converted as ``decide`` will receive them).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        vec, clean = _decode_arrow(values, vt)
    else:
        vec, clean = _decode_objects(values, vt)
    absent = vec.absent
    if not vt.optional and absent is not None:
        clean &= ~absent
    return vec, clean


def cell_value(value: Any, vt: ValueType, *, typed: bool) -> Any:
    """A table cell as the fact value ``decide`` receives for it (:data:`NULL`: not given).

    Nulls (None, NaN, NaT, pandas NA) mean the fact is not given; NumPy and pandas scalars
    become Python values; a whole float in an int column (pandas makes an int column with gaps
    float) is that int; in a typed timestamp column without a time zone, midnight is the date
    for a date fact (pandas has no date type).
    """
    if value is None or value is NULL:
        return NULL
    if isinstance(value, float) and value != value:
        return NULL
    module = type(value).__module__
    if module.startswith(("pandas", "numpy")):
        value = _plain_scalar(value)
        if value is NULL:
            return NULL
    if vt.kind == "int" and type(value) is float and value.is_integer():
        return int(value)
    if (typed and vt.kind == "date" and isinstance(value, dt.datetime) and value.tzinfo is None
            and value.time() == dt.time()):
        return value.date()
    return value


def _plain_scalar(value: Any) -> Any:
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return NULL
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime(warn=False)
    if isinstance(value, np.datetime64):
        return NULL if np.isnat(value) else pd.Timestamp(value).to_pydatetime(warn=False)
    if isinstance(value, np.ndarray):
        return [_plain_scalar(v) if type(v).__module__ == "numpy" else v for v in value.tolist()]
    if isinstance(value, np.generic):
        plain = value.item()
        return NULL if isinstance(plain, float) and plain != plain else plain
    return value


# ----------------------------------------------------------------------------- Arrow columns


def _null_mask(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.zeros(len(array), bool)
    return np.asarray(array.is_null())


def _raw_int64(array: pa.Array) -> np.ndarray:
    """The int64 values of a fixed-width array without copying (null slots hold anything)."""
    data = array.buffers()[1]
    return np.frombuffer(data, dtype=np.int64, count=len(array) + array.offset)[array.offset:]


def _dictionary_enum(array: pa.Array, vt: ValueType) -> tuple[Vec, np.ndarray]:
    """Enum codes of a dictionary array, by looking up its (few) dictionary values."""
    values = array.dictionary
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return _decode_arrow(array.dictionary_decode(), vt)
    index = {v: i for i, v in enumerate(vt.values)}
    lookup = np.array([*(index.get(v, -1) for v in values.to_pylist()), -1], dtype=np.int32)
    null = _null_mask(array)
    indices = np.asarray(array.indices.fill_null(-1) if array.null_count else array.indices)
    codes = lookup[indices.astype(np.int64)]
    return Texts(codes, vt.values).flags(null, None), (codes >= 0) | null


def _decode_arrow(array: pa.Array, vt: ValueType) -> tuple[Vec, np.ndarray]:
    kind, t = vt.kind, array.type
    if pa.types.is_dictionary(t):
        if kind == "enum":
            return _dictionary_enum(array, vt)
        array = array.dictionary_decode()
        t = array.type
    null = _null_mask(array)
    if pa.types.is_null(t):
        return _placeholder(vt, len(array)).flags(null, None), np.ones(len(array), bool)
    if kind == "bool" and pa.types.is_boolean(t):
        data = np.asarray(array.fill_null(False))
        return Bools(data).flags(null, None), np.ones(len(array), bool)
    if kind == "int" and (pa.types.is_integer(t) or pa.types.is_floating(t)):
        return _ints(array, vt, null)
    if kind == "enum" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        codes = pc.index_in(array, value_set=pa.array(list(vt.values), pa.string()))
        found = ~_null_mask(codes)
        data = np.asarray(codes.fill_null(-1)).astype(np.int32)
        return Texts(data, vt.values).flags(null, None), found | null
    if kind == "string" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        encoded = array.dictionary_encode()
        table = tuple(encoded.dictionary.to_pylist())
        data = np.asarray(encoded.indices.fill_null(-1)).astype(np.int32)
        short = np.asarray(pc.utf8_length(array).fill_null(0)) <= _MAX_STRING
        return Texts(data, table).flags(null, None), short
    if kind in ("date", "datetime") and pa.types.is_timestamp(t):
        return _timestamps(array, vt, null)
    if kind == "date" and (pa.types.is_date32(t) or pa.types.is_date64(t)):
        days = np.asarray(array.cast(pa.date32()).cast(pa.int32()).fill_null(0))
        data = days.astype(np.int64).astype("datetime64[D]")
        return Days(np.where(null, _PLACEHOLDER_DAY, data)).flags(null, None), np.ones(
            len(array), bool
        )
    if kind in ("date", "datetime") and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return _from_strings(array, vt, null)
    return _decode_objects([cell_value(v, vt, typed=True) for v in array.to_pylist()], vt)


def _ints(array: pa.Array, vt: ValueType, null: np.ndarray) -> tuple[Vec, np.ndarray]:
    if pa.types.is_floating(array.type):
        floats = np.asarray(array.fill_null(0.0), dtype=np.float64)
        clean = np.isfinite(floats) & (np.floor(floats) == floats) & (np.abs(floats) < 2.0**62)
        data = np.where(clean, floats, 0).astype(np.int64)
    elif pa.types.is_uint64(array.type):
        raw = np.asarray(array.fill_null(0), dtype=np.uint64)
        clean = raw <= np.uint64(_INT64.max)
        data = np.where(clean, raw, 0).astype(np.int64)
    else:
        data = np.asarray(array.fill_null(0)).astype(np.int64)
        clean = np.ones(len(array), bool)
    if vt.minimum is not None:
        clean &= data >= vt.minimum
    if vt.maximum is not None:
        clean &= data <= vt.maximum
    return Ints(data).flags(null, None), clean | null


_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_FIRST_DAY, _LAST_DAY = -719_162, 2_932_896  # 0001-01-01 and 9999-12-31, days since 1970


def _timestamps(array: pa.Array, vt: ValueType, null: np.ndarray) -> tuple[Vec, np.ndarray]:
    t = array.type
    raw = _raw_int64(array)
    some_null = bool(null.any())
    if some_null:
        raw = np.where(null, 0, raw)
    aware = t.tz is not None
    if vt.kind == "date":
        per_day = _PER_DAY[t.unit]
        days = np.floor_divide(raw, per_day)
        clean = (raw == days * per_day) if not aware else np.zeros(len(raw), bool)
        if days.min(initial=0) < _FIRST_DAY or days.max(initial=0) > _LAST_DAY:
            clean &= (days >= _FIRST_DAY) & (days <= _LAST_DAY)
            days = np.where(clean, days, 0)
        out = Days(days.astype("datetime64[D]")).flags(null if some_null else None, None)
        return out, clean | null if some_null else clean
    if t.unit in ("s", "ms"):
        factor = 1_000_000 if t.unit == "s" else 1000
        raw = np.where(np.abs(raw) < _INT64.max // factor, raw, 0)
        us = raw * factor
    else:
        us = raw if t.unit == "us" else np.floor_divide(raw, 1000)
    clean = _fast_range(us)
    if clean is not None:
        us = np.where(clean, us, _PLACEHOLDER_US)
        clean |= null
    else:
        clean = np.ones(len(us), bool)
    vec = Times(utc=us) if aware else Times(wall=us)
    return vec.flags(null if some_null else None, None), clean


def _fast_range(us: np.ndarray) -> np.ndarray | None:
    """Which µs values the date-time helpers convert (None: all of them)."""
    if len(us) == 0:
        return None
    low, high = int(us.min()), int(us.max())
    inside = np.array([low, high])
    if london.in_range(inside).all():
        return None
    return london.in_range(us)


def _from_strings(
    strings: pa.Array, vt: ValueType, null: np.ndarray
) -> tuple[Vec, np.ndarray]:
    if vt.kind == "date":
        days, ok = arrow_dates(strings)
        return Days(days).flags(null, None), ok | null
    value, aware, ok = arrow_datetimes(strings)
    inside = _fast_range(value)
    if inside is not None:
        ok &= inside
    value = np.where(ok, value, _PLACEHOLDER_US)
    if not aware.any():
        return Times(wall=value).flags(null, None), ok | null
    if aware.all():
        return Times(utc=value).flags(null, None), ok | null
    wall = np.where(aware, london.wall_from_utc(value), value)
    utc = np.where(aware, value, london.utc_from_wall(value))
    return Times(wall=wall, utc=utc).flags(null, None), ok | null


def _placeholder(vt: ValueType, n: int) -> Vec:
    kind = vt.kind
    if kind == "bool":
        return Bools(np.zeros(n, bool))
    if kind == "int":
        return Ints(np.zeros(n, np.int64))
    if kind in ("enum", "string"):
        return Texts(np.full(n, -1, np.int32), vt.values if kind == "enum" else ())
    if kind == "date":
        return Days(np.full(n, _PLACEHOLDER_DAY))
    if kind == "datetime":
        return Times(wall=np.full(n, _PLACEHOLDER_US, np.int64))
    if kind == "list":
        assert vt.of is not None
        return Members(np.zeros(n, np.int64), np.zeros(n, np.int64), vt.of.values)
    raise NotVectorised(f"a fact of type {kind}")


# ----------------------------------------------------------------------------- Python objects


def _decode_objects(values: Sequence[Any], vt: ValueType) -> tuple[Vec, np.ndarray]:
    n = len(values)
    null = np.fromiter((v is NULL or v is None for v in values), bool, n)
    kind = vt.kind
    if kind == "bool":
        clean = np.fromiter((type(v) is bool for v in values), bool, n)
        data = np.fromiter((v is True for v in values), bool, n)
        return Bools(data).flags(null, None), clean | null
    if kind == "int":
        ints = [v if type(v) is int and _INT64.min <= v <= _INT64.max else None for v in values]
        clean = np.fromiter((v is not None for v in ints), bool, n)
        data = np.fromiter((0 if v is None else v for v in ints), np.int64, n)
        if vt.minimum is not None:
            clean &= data >= vt.minimum
        if vt.maximum is not None:
            clean &= data <= vt.maximum
        return Ints(data).flags(null, None), clean | null
    if kind in ("enum", "string"):
        return _texts(values, vt, null)
    if kind in ("date", "datetime") and all(type(v) is str or v is None or v is NULL
                                            for v in values):
        strings = pa.array([None if v is NULL else v for v in values], pa.string())
        return _from_strings(strings, vt, null)
    if kind == "date":
        return _dates(values, null)
    if kind == "datetime":
        return _datetimes(values, null)
    assert kind == "list" and vt.of is not None
    return _members(values, vt, null)


def _texts(values: Sequence[Any], vt: ValueType, null: np.ndarray) -> tuple[Vec, np.ndarray]:
    n = len(values)
    index: dict[str, int] = {v: i for i, v in enumerate(vt.values)} if vt.kind == "enum" else {}
    grow = vt.kind == "string"
    codes = np.full(n, -1, np.int32)
    for i, v in enumerate(values):
        if type(v) is str:
            code = index.get(v)
            if code is None and grow and len(v) <= _MAX_STRING:
                code = index[v] = len(index)
            if code is not None:
                codes[i] = code
    table = vt.values if vt.kind == "enum" else tuple(index)
    return Texts(codes, table).flags(null, None), (codes >= 0) | null


def _dates(values: Sequence[Any], null: np.ndarray) -> tuple[Vec, np.ndarray]:
    n = len(values)
    days = np.full(n, _PLACEHOLDER_DAY)
    clean = np.zeros(n, bool)
    strings = [i for i, v in enumerate(values) if type(v) is str]
    for i, v in enumerate(values):
        if type(v) is dt.date:
            days[i] = np.datetime64(v.toordinal() - 719_163, "D")
            clean[i] = True
    if strings:
        parsed, ok = arrow_dates(pa.array([values[i] for i in strings], pa.string()))
        where = np.array(strings)
        days[where] = np.where(ok, parsed, _PLACEHOLDER_DAY)
        clean[where] = ok
    return Days(days).flags(null, None), clean | null


def _datetimes(values: Sequence[Any], null: np.ndarray) -> tuple[Vec, np.ndarray]:
    n = len(values)
    wall = np.full(n, _PLACEHOLDER_US, np.int64)
    utc = np.zeros(n, np.int64)
    aware = np.zeros(n, bool)
    clean = np.zeros(n, bool)
    strings: list[int] = []
    for i, v in enumerate(values):
        if type(v) is dt.datetime:
            if v.tzinfo is None or v.utcoffset() is None:
                wall[i] = london.wall_us_of(v)
            else:
                utc[i] = london.utc_us_of(v)
                aware[i] = True
            clean[i] = True
        elif type(v) is str:
            strings.append(i)
    if strings:
        where = np.array(strings)
        value, s_aware, ok = arrow_datetimes(pa.array([values[i] for i in strings], pa.string()))
        wall[where] = np.where(s_aware, _PLACEHOLDER_US, value)
        utc[where] = value
        aware[where] = s_aware
        clean[where] = ok
    if aware.any():
        wall = np.where(aware, london.wall_from_utc(np.where(aware, utc, 0)), wall)
    clean &= london.in_range(wall) & (london.in_range(utc) | ~aware)
    wall = np.where(clean, wall, _PLACEHOLDER_US)
    if not aware.any():
        return Times(wall=wall).flags(null, None), clean | null
    utc = np.where(aware & clean, utc, london.utc_from_wall(wall))
    return Times(wall=wall, utc=utc).flags(null, None), clean | null


def _members(values: Sequence[Any], vt: ValueType, null: np.ndarray) -> tuple[Vec, np.ndarray]:
    assert vt.of is not None
    n = len(values)
    bit = {v: 1 << i for i, v in enumerate(vt.of.values)}
    limit = vt.max_items if vt.max_items is not None else 10_000
    bits = np.zeros(n, np.int64)
    lengths = np.zeros(n, np.int64)
    clean = np.zeros(n, bool)
    for i, v in enumerate(values):
        if type(v) is not list or len(v) > limit:
            continue
        mask = 0
        for item in v:
            b = bit.get(item) if type(item) is str else None
            if b is None:
                break
            mask |= b
        else:
            bits[i], lengths[i], clean[i] = mask, len(v), True
    return Members(bits, lengths, vt.of.values).flags(null, None), clean | null
