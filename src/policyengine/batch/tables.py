"""The input of ``decide_many``: a pandas DataFrame, a pyarrow Table or a list of mappings.

A table's columns are facts (a null cell: the fact is not given) or ``carry`` columns, copied
into the result unchanged (a case id, say). A column that is neither, or a required fact with
no column, is a mistake in the whole table: :class:`~policyengine.errors.FactsError` before any
row is decided. A list of mappings is read as ``decide`` reads each mapping, so there every
problem is the row's own.

:meth:`Source.facts_of` gives row ``i``'s facts exactly as the row-by-row path passes them to
``decide``; the column decoders read the same cells the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import FactProblem, FactsError, did_you_mean
from ..facts import ValueType
from .decode import NULL, cell_value


class Source:
    """One input table, normalised: fact columns, carried columns, and each row's facts."""

    def __init__(self, n: int, output: str) -> None:
        self.n = n
        self.output = output  # "pandas" or "arrow"
        self.index: Any = None  # a pandas input's index, kept for the result
        self.columns: dict[str, pa.Array | list[Any]] = {}
        self.carried: dict[str, pa.Array] = {}
        self.rows: Sequence[Any] | None = None
        self.carry: tuple[str, ...] = ()
        self.unclean: np.ndarray | None = None  # list input: rows that are not plain mappings
        self.types: dict[str, ValueType] = {}

    def facts_of(self, i: int) -> Any:
        """Row ``i``'s facts, as the row-by-row path gives them to ``decide``."""
        if self.rows is not None:
            row = self.rows[i]
            drop = [k for k in self.carry if k not in self.types]
            if drop and isinstance(row, Mapping):
                return {k: v for k, v in row.items() if k not in drop}
            return row
        facts: dict[str, Any] = {}
        for name, column in self.columns.items():
            if isinstance(column, pa.Array):
                cell = cell_value(column[i].as_py(), self.types[name],
                                  typed=pa.types.is_timestamp(column.type))
            else:
                cell = column[i]
            if cell is not NULL:
                facts[name] = cell
        return facts


def read(
    table: Any, facts: Mapping[str, ValueType], carry: Sequence[str], where: str
) -> Source:
    """Normalise ``table`` for the decision ``where`` whose facts are ``facts``."""
    carry = tuple(carry)
    if isinstance(table, pa.Table):
        source = Source(table.num_rows, "arrow")
        _check_columns([str(c) for c in table.column_names], facts, carry, where)
        for name in table.column_names:
            column = table.column(name).combine_chunks()
            if name in carry:
                source.carried[name] = column
            if name in facts:
                source.columns[name] = column
    elif _is_dataframe(table):
        source = Source(len(table), "pandas")
        source.index = table.index
        names = list(table.columns)
        _check_columns([str(c) for c in names], facts, carry, where)
        if len(set(names)) != len(names):
            raise FactsError(f"{where}: the table has two columns with the same name")
        for name in names:
            series = table[name]
            if name in carry:
                source.carried[name] = _arrow_of(series, None)
            if name in facts:
                source.columns[name] = _pandas_column(series, facts[name])
    elif isinstance(table, Sequence) and not isinstance(table, str | bytes):
        source = _read_rows(table, facts, carry)
    else:
        raise TypeError(
            f"{where}: decide_many takes a pandas DataFrame, a pyarrow Table or a list of "
            f"mappings, not {type(table).__name__}"
        )
    source.carry = carry
    source.types = dict(facts)
    return source


def _is_dataframe(table: Any) -> bool:
    module = type(table).__module__
    return module.startswith("pandas") and hasattr(table, "columns") and hasattr(table, "index")


def _check_columns(
    names: list[str], facts: Mapping[str, ValueType], carry: tuple[str, ...], where: str
) -> None:
    problems: list[FactProblem] = []
    known = list(facts)
    for name in names:
        if name not in facts and name not in carry:
            hint = did_you_mean(name, known)
            problems.append(FactProblem(
                name,
                f"column '{name}' is not a fact of {where}{hint}; its facts are: "
                f"{', '.join(known) or '(none)'} (to copy it into the result, carry it: "
                f"carry=['{name}'], or --carry {name})",
                None,
                "unknown",
            ))
    for name, vt in facts.items():
        if not vt.optional and name not in names:
            problems.append(FactProblem(
                name, f"fact '{name}' is required ({vt.describe()}) but the table has no "
                f"column '{name}'", None, "missing",
            ))
    for name in carry:
        if name not in names:
            problems.append(FactProblem(
                name, f"carry column '{name}' is not in the table", None, "missing"
            ))
    if problems:
        raise FactsError(
            f"{where}: " + "; ".join(p.message for p in problems),
            fact=problems[0].path,
            problems=problems,
        )


def _pandas_column(series: Any, vt: ValueType) -> pa.Array | list[Any]:
    if series.dtype == object:
        return [cell_value(v, vt, typed=False) for v in series.to_numpy(dtype=object)]
    return _arrow_of(series, vt)


def _arrow_of(series: Any, vt: ValueType | None) -> pa.Array:
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        values = series.to_numpy(dtype=object)
        if vt is None:
            return pa.array([str(v) if v is not None else None for v in values], pa.string())
        raise
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def _read_rows(rows: Sequence[Any], facts: Mapping[str, ValueType], carry: tuple[str, ...]
               ) -> Source:
    source = Source(len(rows), "pandas")
    source.rows = rows
    unclean = np.zeros(len(rows), bool)
    allowed = set(facts) | set(carry)
    for i, row in enumerate(rows):
        if type(row) is not dict or any(k not in allowed for k in row):
            unclean[i] = True
    for name in facts:
        source.columns[name] = [
            row.get(name, NULL) if type(row) is dict else NULL for row in rows
        ]
    for name in carry:
        values = [row.get(name) if isinstance(row, Mapping) else None for row in rows]
        try:
            source.carried[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            source.carried[name] = pa.array([None if v is None else str(v) for v in values])
    source.unclean = unclean
    return source
