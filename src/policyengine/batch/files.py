"""Cases files in and result files out for ``policyengine decide-many``: CSV, Parquet, JSONL.

Reading: a CSV file's cells are text, so each is read as its fact's type says (``true`` /
``false`` for a boolean, a whole number for an int, JSON text for a list or a record; other
facts stay text and are parsed as ``decide`` parses them; a cell that does not read stays text,
and ``decide`` words its error in the row). A Parquet file keeps its column types. A JSONL line
is one case's facts, passed as they are.

Writing: Parquet keeps the result's types (dates, London date-times, lists); CSV and JSONL
write each value as ``Decision.to_dict()`` does (dates ``YYYY-MM-DD``, date-times in London time
with their offset, lists as JSON in a CSV cell, booleans ``true``/``false``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..decision import to_json_value
from ..facts import ValueType
from .errors import InputError

_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_STRING_DICT = pa.dictionary(pa.int32(), pa.string())


def _unreadable(path: Path, exc: BaseException) -> InputError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(f"cannot read {path}: {reason.splitlines()[0] if reason else exc}")


def read_cases(path: Path, fmt: str, facts: Mapping[str, ValueType], carry: Sequence[str]) -> Any:
    """The cases in a file: a DataFrame (CSV), an Arrow table (Parquet) or mappings (JSONL)."""
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    if fmt == ".parquet":
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, exc) from None
    if fmt == ".jsonl":
        return _read_jsonl(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                            encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty (a CSV file starts with a header row)")\
            from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise _unreadable(path, exc) from None
    for name in frame.columns:
        if name in facts and name not in carry:
            frame[name] = _typed(frame[name], facts[name])
    return frame


def _read_jsonl(path: Path) -> list[Any]:
    cases: list[Any] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    cases.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number}: not valid JSON ({exc.msg}, column "
                                     f"{exc.colno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None
    return cases


def _typed(column: pd.Series, vt: ValueType) -> pd.Series:
    """A CSV column of text as its fact's values (text that does not read stays text)."""
    if vt.kind == "bool":
        words = {"true": True, "false": False}
        return pd.Series([words.get(v.lower(), v) if isinstance(v, str) else None
                          for v in column], index=column.index, dtype=object)
    if vt.kind == "int":
        return pd.Series([int(v) if isinstance(v, str) and _INT.fullmatch(v) else
                          (None if not isinstance(v, str) else v) for v in column],
                         index=column.index, dtype=object)
    if vt.kind in ("list", "record"):
        return pd.Series([_json_cell(v) for v in column], index=column.index, dtype=object)
    return column


def _json_cell(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def count(cases: Any) -> int:
    return cases.num_rows if isinstance(cases, pa.Table) else len(cases)


def chunks(cases: Any, size: int) -> Iterator[Any]:
    total = count(cases)
    for start in range(0, total, size):
        if isinstance(cases, pa.Table):
            yield cases.slice(start, size)
        elif isinstance(cases, pd.DataFrame):
            yield cases.iloc[start:start + size]
        else:
            yield cases[start:start + size]
    if total == 0:
        yield cases


def metadata(result: Any) -> dict[str, Any]:
    if isinstance(result, pa.Table):
        meta: dict[str, Any] = json.loads(result.schema.metadata[b"policyengine"])
        return meta
    found: dict[str, Any] = result.attrs["policyengine"]
    return found


def as_arrow(result: Any) -> pa.Table:
    """A result as an Arrow table with one schema for every chunk (string dictionaries int32)."""
    table = result if isinstance(result, pa.Table) else pa.Table.from_pandas(
        result, preserve_index=False
    )
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = _STRING_DICT
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields)).replace_schema_metadata(None)


class Writer:
    """Writes result chunks to one file; returns the number of rows with an error."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.schema: pa.Schema | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._jsonl: Any = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == ".jsonl":
                self._jsonl = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._jsonl is not None:
            self._jsonl.close()

    def write(self, result: Any) -> int:
        table = as_arrow(result)
        if self.schema is None:
            meta = {k: v for k, v in metadata(result).items()
                    if k not in ("rows", "rows_decided_one_by_one")}
            self.schema = table.schema.with_metadata({"policyengine": json.dumps(meta)})
        table = table.cast(self.schema)
        errors = int(table.num_rows - table.column("error").null_count)
        try:
            if self.fmt == ".parquet":
                if self._parquet is None:
                    self._parquet = pq.ParquetWriter(self.path, self.schema)
                self._parquet.write_table(table)
            elif self.fmt == ".csv":
                text = _as_text(table)
                if self._csv is None:
                    self._csv = pa_csv.CSVWriter(self.path, text.schema)
                self._csv.write_table(text)
            else:
                for row in table.to_pylist():
                    self._jsonl.write(json.dumps(to_json_value(row), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write {self.path}: {exc.strerror}") from None
        return errors


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text, as Decision.to_dict() writes the values."""
    columns = []
    for column in table.columns:
        array = column.combine_chunks()
        kind = array.type
        if pa.types.is_dictionary(kind):
            array = array.cast(pa.string())
        elif pa.types.is_boolean(kind):
            array = pc.if_else(array, "true", "false")
        elif pa.types.is_integer(kind) or pa.types.is_date32(kind):
            array = array.cast(pa.string())
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            array = pa.array([None if v is None else _text(v) for v in array.to_pylist()],
                             pa.string())
        columns.append(array)
    return pa.table(columns, names=table.column_names)


def _text(value: Any) -> str:
    plain = to_json_value(value)
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
