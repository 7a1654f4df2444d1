"""Hypothesis strategies for batch tests: rows of facts built from a decision's declared fact
types, weighted towards the days where deadlines go wrong (weekends, bank holidays, closure and
open days, clock changes, the office closing time, the ends of the holiday data), with a share
of bad values of every kind; and the same rows as typed DataFrame / Arrow columns.

Nothing here computes an expected answer: the tests compare ``decide_many`` with ``decide``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import strategies as st

from policyengine.facts import ValueType

LONDON = ZoneInfo("Europe/London")
ABSENT: Any = object()  # the fact is left out of the row


def _clock_change_days() -> list[dt.date]:
    days = []
    for year in (1947, 1968, 1971, 1995, 2020, 2024, 2025, 2026, 2027, 2100):
        for month in (3, 10):
            day = dt.date(year, month, 31)
            while day.weekday() != 6:
                day -= dt.timedelta(days=1)
            days.append(day)
    return days


INTERESTING_DAYS = sorted({
    # bank holidays and their substitutes, England and Wales / Scotland / Northern Ireland
    *(dt.date(2026, m, d) for m, d in [(1, 1), (1, 2), (3, 17), (4, 3), (4, 6), (5, 4),
                                       (5, 25), (7, 13), (8, 3), (8, 31), (12, 25), (12, 28)]),
    *(dt.date(2027, m, d) for m, d in [(1, 1), (3, 26), (3, 29), (12, 27), (12, 28)]),
    dt.date(2022, 9, 19), dt.date(2023, 5, 8), dt.date(2022, 6, 3),  # proclaimed one-off days
    # weekends and the days either side, closure and open days of the test variants
    dt.date(2026, 6, 5), dt.date(2026, 6, 6), dt.date(2026, 6, 7), dt.date(2026, 6, 8),
    dt.date(2026, 12, 24), dt.date(2026, 12, 29), dt.date(2026, 12, 31), dt.date(2026, 12, 19),
    # month ends and leap days
    dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2025, 8, 31), dt.date(2023, 2, 28),
    # the ends of the holiday data and of the fast date-time range
    dt.date(1872, 1, 1), dt.date(1871, 12, 29), dt.date(1899, 12, 31), dt.date(1900, 1, 2),
    dt.date(2100, 12, 17), dt.date(2100, 12, 31), dt.date(2101, 1, 3), dt.date(9999, 12, 30),
    dt.date(1, 1, 1),
    *_clock_change_days(),
})

TIMES = [dt.time(0, 0), dt.time(0, 30), dt.time(1, 0), dt.time(1, 30), dt.time(2, 0),
         dt.time(2, 30), dt.time(9, 0), dt.time(16, 30), dt.time(16, 59, 59, 999_999),
         dt.time(17, 0), dt.time(17, 0, 0, 1), dt.time(17, 30), dt.time(23, 59, 59, 999_999)]

ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=-5)),
         LONDON, ZoneInfo("America/New_York")]


def days() -> st.SearchStrategy[dt.date]:
    near = st.builds(lambda d, k: d + dt.timedelta(days=k), st.sampled_from(
        [d for d in INTERESTING_DAYS if dt.date(2, 1, 1) < d < dt.date(9999, 1, 1)]),
        st.integers(-3, 3))
    return st.one_of(
        st.sampled_from(INTERESTING_DAYS),
        near,
        st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)),
        st.dates(dt.date(1860, 1, 1), dt.date(2110, 12, 31)),
    )


def datetimes() -> st.SearchStrategy[dt.datetime]:
    times = st.one_of(st.sampled_from(TIMES), st.times())
    naive = st.builds(dt.datetime.combine, days(), times)
    folded = st.builds(lambda m, f: m.replace(fold=f), naive, st.integers(0, 1))
    aware = st.builds(lambda m, z: m.replace(tzinfo=z), folded, st.sampled_from(ZONES))
    return st.one_of(naive, naive, aware).filter(_representable)


def _representable(moment: dt.datetime) -> bool:
    try:
        moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return False
    return dt.datetime(1, 1, 2) < moment.replace(tzinfo=None) < dt.datetime(9999, 12, 30)


def good_value(vt: ValueType) -> st.SearchStrategy[Any]:
    kind = vt.kind
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        low = vt.minimum if vt.minimum is not None else -3
        high = vt.maximum if vt.maximum is not None else 30
        return st.one_of(st.sampled_from([6, 12, 0, 1]), st.integers(low, high))
    if kind == "enum":
        return st.sampled_from(vt.values)
    if kind == "string":
        return st.one_of(st.sampled_from(["R-1", "R-2", "R-77", "x"]), st.text(max_size=6))
    if kind == "date":
        return days()
    if kind == "datetime":
        return datetimes()
    if kind == "list":
        assert vt.of is not None
        return st.lists(good_value(vt.of), max_size=5)
    assert kind == "record"
    return st.fixed_dictionaries({k: good_value(v) for k, v in vt.fields})


def bad_value(vt: ValueType) -> st.SearchStrategy[Any]:
    """Values ``decide`` refuses (or reads in a form the column parser leaves to it)."""
    common = [None, "", 7, 2.5, True, [], {"x": 1}, "2026-02-30", "fax"]
    kind = vt.kind
    extra: list[Any] = []
    if kind == "int":
        extra = ["6", 10**30, -(10**30), (vt.minimum or 0) - 1, (vt.maximum or 0) + 1]
    elif kind == "date":
        extra = ["2026-06-06T10:00", "2026-6-6", "20260606", dt.datetime(2026, 6, 6),
                 "0000-01-01", " 2026-06-06"]
    elif kind == "datetime":
        extra = ["2026-06-06", dt.date(2026, 6, 6), "2026-06-06T24:00", "2026-06-06T10",
                 "2026-06-06T10:00:00.1234567", "2026-06-06t10:00", "2026-06-06T10:00+0100",
                 "2026-06-06T10:00:60", "2026-03-29T01:30", "2026-10-25 01:30:00Z"]
    elif kind == "list":
        extra = [("threats",), ["not_a_behaviour"], [1], "threats"]
    elif kind == "enum":
        extra = [vt.values[0].upper(), vt.values[0] + " "]
    return st.sampled_from(common + extra)


def rows(facts: dict[str, ValueType], *, messy: bool, extra_keys: bool) -> st.SearchStrategy[
    list[dict[str, Any]]
]:
    """Lists of fact mappings; ``messy`` adds bad values and left-out required facts."""
    def one_fact(vt: ValueType) -> st.SearchStrategy[Any]:
        options = [good_value(vt), good_value(vt), good_value(vt)]
        if vt.optional:
            options.append(st.just(ABSENT))
        if messy:
            options.append(bad_value(vt))
            if not vt.optional:
                options.append(st.just(ABSENT))
        return st.one_of(options)

    row = st.fixed_dictionaries({name: one_fact(vt) for name, vt in facts.items()}).map(
        lambda r: {k: v for k, v in r.items() if v is not ABSENT}
    )
    if extra_keys:
        row = st.builds(lambda r, extra: {**r, **extra}, row,
                        st.sampled_from([{}, {}, {}, {"chanel": "email"}]))
    return st.lists(row, min_size=0, max_size=25)


# -------------------------------------------------------------------- typed table columns


ENCODINGS = {
    "bool": ["bool", "object"],
    "int": ["Int64", "float", "object"],
    "enum": ["category", "str", "object"],
    "string": ["str", "object"],
    "date": ["datetime64", "date32", "iso", "object"],
    "datetime": ["naive64", "utc64", "iso", "object"],
    "list": ["object", "arrow_list"],
    "record": ["object"],
}


def _clean(vt: ValueType, value: Any) -> bool:
    """Whether a value fits a typed encoding of ``vt`` (else the column is left as objects)."""
    kind = vt.kind
    if value is None:
        return True
    if kind == "bool":
        return type(value) is bool
    if kind == "int":
        return type(value) is int and abs(value) < 2**50
    if kind == "enum":
        return type(value) is str and value in vt.values
    if kind == "string":
        return type(value) is str
    if kind == "date":
        return type(value) is dt.date and 1677 < value.year < 2262
    if kind == "datetime":
        return type(value) is dt.datetime and 1677 < value.year < 2262
    if kind == "list":
        return type(value) is list and all(type(v) is str for v in value)
    return False


def column(vt: ValueType, values: list[Any], encoding: str) -> pd.Series:
    """``values`` (None: no value) as a pandas column in the named encoding."""
    if encoding == "object" or not all(_clean(vt, v) for v in values):
        return pd.Series(values, dtype=object)
    missing = any(v is None for v in values)
    if encoding == "bool":
        return pd.Series(values, dtype="boolean" if missing else bool)
    if encoding == "Int64":
        return pd.Series(values, dtype="Int64")
    if encoding == "float":
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype=float)
    if encoding == "category":
        return pd.Series(pd.Categorical(values, categories=list(vt.values)))
    if encoding == "str":
        return pd.Series(values, dtype="str")
    if encoding == "datetime64":
        return pd.Series(np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D")
                                   for v in values], dtype="datetime64[D]").astype(
            "datetime64[s]"))
    if encoding == "date32":
        return pd.Series(pa.array(values, pa.date32()), dtype=pd.ArrowDtype(pa.date32()))
    if encoding == "iso":
        return pd.Series([None if v is None else v.isoformat() for v in values], dtype=object)
    if encoding == "naive64":
        if any(v is not None and v.tzinfo is not None for v in values):
            return column(vt, values, "iso")
        return pd.Series(pd.to_datetime([v for v in values]).as_unit("us"))
    if encoding == "utc64":
        if any(v is not None and v.tzinfo is None for v in values):
            return column(vt, values, "iso")
        utc = [None if v is None else v.astimezone(dt.UTC) for v in values]
        return pd.Series(pd.to_datetime(utc, utc=True).as_unit("us"))
    assert encoding == "arrow_list"
    return pd.Series(pa.array(values, pa.list_(pa.string())),
                     dtype=pd.ArrowDtype(pa.list_(pa.string())))


def frame(facts: dict[str, ValueType], table_rows: list[dict[str, Any]],
          encodings: dict[str, str]) -> pd.DataFrame:
    """The rows as a DataFrame: one column per fact any row gives (None where a row has none)."""
    names = [name for name in facts if any(name in r for r in table_rows)]
    for name, vt in facts.items():
        if not vt.optional and name not in names:
            names.append(name)
    data = {
        name: column(facts[name], [r.get(name) for r in table_rows], encodings[name])
        for name in names
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(table_rows)))
