"""ISO 8601 dates and date-times parsed for whole columns of strings at once.

Only the plain forms are read here, each exactly as ``datetime.date.fromisoformat`` /
``datetime.datetime.fromisoformat`` read it: ``YYYY-MM-DD`` for a date, and for a date-time
``YYYY-MM-DD`` + ``T`` or a space + ``HH:MM``, optionally ``:SS`` and then ``.f`` to
``.ffffff``, optionally followed by ``Z`` or ``+HH:MM`` / ``-HH:MM``. Any other string (another
ISO form, a typo, an impossible date) is not ``ok`` and its row is decided row by row, where the
scalar path reads it or words the error.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .london import US_PER_DAY, US_PER_SECOND

_MAX_WIDTH = 32
_ZERO = ord("0")


def _codes(strings: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Code points as an (n, width) uint32 matrix (zero padded) and each string's length."""
    fixed = np.asarray(strings, dtype=f"<U{width}")
    matrix = fixed.view(np.uint32).reshape(len(fixed), width)
    lengths = np.count_nonzero(matrix, axis=1)
    return matrix, lengths


def _digits(matrix: np.ndarray, columns: slice) -> tuple[np.ndarray, np.ndarray]:
    """The number written in these columns, and whether they are all ASCII digits."""
    part = matrix[:, columns].astype(np.int64) - _ZERO
    ok = np.all((part >= 0) & (part <= 9), axis=1)
    value = np.zeros(len(matrix), dtype=np.int64)
    for k in range(part.shape[1]):
        value = value * 10 + part[:, k]
    return value, ok


def _day_numbers(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of YYYY-MM-DD in columns 0..9, and whether it is a real date."""
    year, ok_y = _digits(matrix, slice(0, 4))
    month, ok_m = _digits(matrix, slice(5, 7))
    day, ok_d = _digits(matrix, slice(8, 10))
    ok = ok_y & ok_m & ok_d & (matrix[:, 4] == ord("-")) & (matrix[:, 7] == ord("-"))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    safe_month = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    first = safe_month.astype("datetime64[M]").astype("datetime64[D]")
    length = ((safe_month + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype(
        np.int64
    )
    ok &= day <= length
    days = first.view(np.int64) + np.where(ok, day - 1, 0)
    return days, ok


def parse_dates(strings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64[D]`` values of ``YYYY-MM-DD`` strings, and which strings were one."""
    if len(strings) == 0:
        return np.zeros(0, "datetime64[D]"), np.zeros(0, bool)
    matrix, lengths = _codes(strings, 11)
    days, ok = _day_numbers(matrix)
    ok &= lengths == 10
    return np.where(ok, days, 0).astype("datetime64[D]"), ok


def parse_datetimes(
    strings: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ISO date-time strings as µs since 1970-01-01.

    Returns ``(value, aware, offset_us, ok)``: for a string without an offset ``value`` is
    its wall-clock time; with one, ``value - offset_us`` is its instant.
    """
    n = len(strings)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, np.zeros(0, bool), z, np.zeros(0, bool)
    matrix, lengths = _codes(strings, _MAX_WIDTH + 1)  # one more: a longer string is refused
    rows = np.arange(n)
    last = np.maximum(lengths - 1, 0)

    def at(position: np.ndarray) -> np.ndarray:
        return np.asarray(matrix[rows, np.clip(position, 0, _MAX_WIDTH)])

    def is_digit(position: np.ndarray) -> np.ndarray:
        code = at(position)
        return (code >= _ZERO) & (code <= _ZERO + 9)

    has_z = at(last) == ord("Z")
    sign = at(lengths - 6)
    has_offset = (
        ((sign == ord("+")) | (sign == ord("-")))
        & (at(lengths - 3) == ord(":"))
        & is_digit(lengths - 5) & is_digit(lengths - 4)
        & is_digit(lengths - 2) & is_digit(lengths - 1)
    )
    has_z &= ~has_offset
    base = lengths - has_z - 6 * has_offset

    days, ok = _day_numbers(matrix)
    ok &= lengths <= _MAX_WIDTH
    separator = matrix[:, 10]
    ok &= (separator == ord("T")) | (separator == ord(" "))
    hour, ok_h = _digits(matrix, slice(11, 13))
    minute, ok_mi = _digits(matrix, slice(14, 16))
    ok &= ok_h & ok_mi & (matrix[:, 13] == ord(":")) & (hour <= 23) & (minute <= 59)
    with_seconds = base >= 19
    second, ok_s = _digits(matrix, slice(17, 19))
    ok &= ~with_seconds | (ok_s & (matrix[:, 16] == ord(":")) & (second <= 59))
    second = np.where(with_seconds, second, 0)
    with_fraction = base >= 21
    ok &= (base == 16) | (base == 19) | (with_fraction & (base <= 26))
    ok &= ~with_fraction | (matrix[:, 19] == ord("."))
    fraction = np.zeros(n, dtype=np.int64)
    for k in range(6):
        position = 20 + k
        inside = position < base
        digit = matrix[:, position].astype(np.int64) - _ZERO
        ok &= ~inside | ((digit >= 0) & (digit <= 9))
        fraction = fraction * 10 + np.where(inside & with_fraction, digit, 0)

    off_hours = (at(lengths - 5).astype(np.int64) - _ZERO) * 10 + at(lengths - 4) - _ZERO
    off_minutes = (at(lengths - 2).astype(np.int64) - _ZERO) * 10 + at(lengths - 1) - _ZERO
    ok &= ~has_offset | ((off_hours <= 23) & (off_minutes <= 59))
    offset = np.where(has_offset, (off_hours * 60 + off_minutes) * 60 * US_PER_SECOND, 0)
    offset = np.where(sign == ord("-"), -offset, offset)

    value = (
        days * US_PER_DAY
        + ((hour * 60 + minute) * 60 + second) * US_PER_SECOND
        + fraction
    )
    aware = has_z | has_offset
    return np.where(ok, value, 0), aware, np.where(ok, offset, 0), ok


# ------------------------------------------------------------------ Arrow string columns
# The same forms, validated by one regular expression (RE2, in Arrow) and read by Arrow's ISO
# 8601 cast; a subset Arrow refuses (an impossible day such as 30 February) is read by the
# NumPy parser above instead. Arrow reads year 0000, which Python refuses: checked after.

_DAY = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
_OFFSET = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN = f"^{_DAY}$"
NAIVE_PATTERN = f"^{_DAY}{_TIME}$"
AWARE_PATTERN = f"^{_DAY}{_TIME}{_OFFSET}$"
_FIRST_DAY = -719_162  # 0001-01-01, days since 1970-01-01


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(array, pattern)
    return np.asarray(found.fill_null(False) if found.null_count else found)


def _cast_subset(
    array: pa.Array, rows: np.ndarray, target: pa.DataType
) -> tuple[np.ndarray, np.ndarray] | None:
    """int64 values of ``array[rows]`` cast to ``target``; None if Arrow refuses one of them."""
    subset = array.take(pa.array(rows))
    try:
        cast = subset.cast(target)
    except (pa.ArrowInvalid, OverflowError):
        return None
    storage = pa.int32() if pa.types.is_date32(target) else pa.int64()
    values = np.asarray(cast.view(storage), dtype=np.int64)
    return values, np.ones(len(rows), bool)


def arrow_dates(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64[D]`` values of a string array's ``YYYY-MM-DD`` cells, and which were one."""
    ok = _matches(array, DATE_PATTERN)
    days = np.zeros(len(array), np.int64)
    rows = np.flatnonzero(ok)
    read = _cast_subset(array, rows, pa.date32())
    if read is None:
        strings = np.asarray(array.take(pa.array(rows)).to_numpy(zero_copy_only=False),
                             dtype=object)
        parsed, fine = parse_dates(strings)
        read = parsed.view(np.int64), fine
    days[rows], ok[rows] = read
    ok &= days >= _FIRST_DAY
    return np.where(ok, days, 0).view("datetime64[D]"), ok


def arrow_datetimes(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """µs values of a string array's ISO date-time cells: ``(value, aware, ok)``, where
    ``value`` is the wall-clock time of a cell without an offset and the UTC instant of one
    with an offset."""
    n = len(array)
    value = np.zeros(n, np.int64)
    naive = _matches(array, NAIVE_PATTERN)
    aware = np.zeros(n, bool)
    rest = np.flatnonzero(~naive)
    if len(rest):
        aware[rest] = _matches(array.take(pa.array(rest)), AWARE_PATTERN)
    ok = naive | aware
    for mask, target in ((naive, pa.timestamp("us")), (aware, pa.timestamp("us", tz="UTC"))):
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        read = _cast_subset(array, rows, target)
        if read is None:
            strings = np.asarray(array.take(pa.array(rows)).to_numpy(zero_copy_only=False),
                                 dtype=object)
            parsed, _, offset, fine = parse_datetimes(strings)
            read = parsed - offset, fine
        value[rows], ok[rows] = read
    return value, aware & ok, ok
