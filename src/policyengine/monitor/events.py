"""An event as it arrives: its envelope checked, its moment read, its values kept in range.

Checked here, before any case is read: the keys, the case id, the type, the optional ``id``,
``at`` (an ISO 8601 date-time, naive = London), and that nothing in it is a string that is not
valid Unicode (a lone surrogate) or an integer outside 64 bits: both are refused with a
:class:`FactsError` naming where, because durable_rules clamps such integers and rejects such
strings with its own error, and no store can keep them as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..durations import LONDON, format_moment, parse_date, parse_datetime, to_london
from ..errors import FactProblem, FactsError
from ..lifecycle import INT64
from ..reprs import short_repr
from .errors import EventError, MonitorError

EVENT_KEYS = ("case", "case_type", "type", "at", "data", "id")
MAX_ID = 200
MAX_DEPTH = 64  # levels of nesting in an event's data (records hold plain values)


@dataclass(slots=True)
class Envelope:
    """The parts of an event that need no case to check (``at_us``: ``at`` in microseconds since
    1970). ``data_text`` is set once the data are validated: their JSON text, None if empty."""

    case_id: str
    type: str
    at: dt.datetime
    at_text: str
    ref: str | None
    case_type: str | None
    data: Mapping[str, Any]
    at_us: int = 0
    data_text: str | None = None


_KEYS = frozenset(EVENT_KEYS)
_LO, _HI = INT64


def read_envelope(event: Any) -> Envelope:
    """The event's envelope, checked (see the module docstring). Events of the common shape (a
    dict of ASCII text, flat data of text, true-or-false, whole numbers and nulls, ``at`` as
    date-time text) take a short path; anything else, and every refusal, the full one
    (:func:`read_envelope_checked`), which a differential test holds the short path to."""
    try:
        if type(event) is not dict or not _KEYS.issuperset(event):
            raise _Slow
        case_id = event["case"]
        etype = event["type"]
        ref = event.get("id")
        case_type = event.get("case_type")
        at_value = event["at"]
        data = event.get("data")
        if (type(case_id) is not str or not 0 < len(case_id) <= MAX_ID or not case_id.isascii()
                or type(etype) is not str or not 0 < len(etype) <= MAX_ID
                or not etype.isascii() or type(at_value) is not str or len(at_value) <= 10
                or (ref is not None and (type(ref) is not str or not 0 < len(ref) <= MAX_ID
                                         or not ref.isascii()))
                or (case_type is not None and (type(case_type) is not str
                                               or len(case_type) > MAX_ID
                                               or not case_type.isascii()))):
            raise _Slow
        if data is None:
            data = {}
        elif type(data) is not dict:
            raise _Slow
        else:
            for key, value in data.items():
                kind = type(value)
                if type(key) is not str or not key.isascii() or not (
                        (kind is str and value.isascii()) or kind is bool or value is None
                        or (kind is int and _LO <= value <= _HI)):
                    raise _Slow
        naive = dt.datetime.fromisoformat(at_value)
        if naive.tzinfo is None and at_value[10] == "T":
            day = _DAYS.get(at_value[:10])
            if day is None:
                day = _day(naive)
                if len(_DAYS) >= 65536:
                    _DAYS.clear()
                _DAYS[at_value[:10]] = day
            if day:
                offset, suffix, iso_day = day
                size = len(at_value)
                if at_value[:10] == iso_day and at_value[13] == ":" and (
                        size == 16 or (size == 19 and at_value[16] == ":")):
                    text = at_value + suffix if size == 19 else at_value + ":00" + suffix
                else:  # another spelling of the moment (a week date, a fraction of a second)
                    text = naive.isoformat() + suffix
                return Envelope(case_id, etype, naive.replace(tzinfo=LONDON), text, ref,
                                case_type, data, (naive - _EPOCH_NAIVE - offset) // _MICRO)
        if naive.tzinfo is None or naive.utcoffset() is None:
            at = naive.replace(tzinfo=LONDON, fold=0).astimezone(dt.UTC).astimezone(LONDON)
        else:
            at = naive.astimezone(LONDON)
    except (_Slow, KeyError, IndexError, ValueError, OverflowError):
        return read_envelope_checked(event)
    return Envelope(case_id, etype, at, at.isoformat(), ref, case_type, data, micros(at))


_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_MICRO = dt.timedelta(microseconds=1)
#: London dates, as the event spelled them -> (UTC offset, its ISO text, the date's ISO text)
#: where every wall-clock moment of the day reads the same as with the full conversion (the
#: clocks do not change that day), or () where they do (those days take the full conversion)
_DAYS: dict[str, tuple[dt.timedelta, str, str] | tuple[()]] = {}


def _day(naive: dt.datetime) -> tuple[dt.timedelta, str, str] | tuple[()]:
    start = naive.replace(hour=0, minute=0, second=0, microsecond=0)
    points = [start + dt.timedelta(hours=h) for h in range(24)]
    points.append(start + dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999))
    read = [m.replace(tzinfo=LONDON, fold=0).astimezone(dt.UTC).astimezone(LONDON)
            for m in points]
    offsets = {r.utcoffset() for r in read}
    if len(offsets) != 1 or any(r.replace(tzinfo=None) != m or r.fold
                                for r, m in zip(read, points, strict=True)):
        return ()
    offset = offsets.pop()
    assert offset is not None
    return offset, read[0].isoformat()[len(start.isoformat()):], start.date().isoformat()


class _Slow(Exception):
    """The event is not of the common shape: take the full path."""


def read_envelope_checked(event: Any) -> Envelope:
    """The full path of :func:`read_envelope`: every check, and every refusal's message."""
    if not isinstance(event, Mapping):
        raise EventError("an event is a JSON object with 'case', 'type' and 'at' (and "
                         "'case_type' when it opens a case, 'data', 'id')")
    extra = [k for k in event if k not in EVENT_KEYS]
    if extra:
        raise EventError(f"unknown key(s) in the event: {', '.join(map(_name, extra[:10]))}; an "
                         f"event has {', '.join(EVENT_KEYS)}")
    check_values(event)
    case_id = event.get("case")
    if not isinstance(case_id, str) or not case_id or len(case_id) > MAX_ID:
        raise EventError(f"the event's 'case' must be a non-empty string (the case id, at "
                         f"most {MAX_ID} characters); got {short_repr(case_id)}")
    etype = event.get("type")
    if not isinstance(etype, str) or not etype or len(etype) > MAX_ID:
        raise EventError(f"case {case_id}: the event's 'type' must be a non-empty string (an "
                         f"event name, at most {MAX_ID} characters); got {short_repr(etype)}",
                         case=case_id)
    ref = event.get("id")
    if ref is not None and (not isinstance(ref, str) or not ref or len(ref) > MAX_ID):
        raise EventError(f"case {case_id}: the event's 'id' must be a non-empty string of at "
                         f"most {MAX_ID} characters", case=case_id, event=etype)
    if "at" not in event:
        raise EventError(f"case {case_id}: the '{etype}' event has no 'at' (when it "
                         "happened)", case=case_id, event=etype)
    at = event_moment(event["at"], case_id, etype)
    case_type = event.get("case_type")
    if case_type is not None and (not isinstance(case_type, str) or len(case_type) > MAX_ID):
        raise EventError(f"case {case_id}: 'case_type' must be a string (policy.lifecycle, at "
                         f"most {MAX_ID} characters); got {short_repr(case_type)}",
                         case=case_id)
    data = event.get("data")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise EventError(f"case {case_id}: the '{etype}' event's 'data' must be an object",
                         case=case_id, event=etype)
    return Envelope(case_id, etype, at, format_moment(at), ref, case_type, data, micros(at))


def check_values(event: Mapping[str, Any]) -> None:
    """Refuse lone surrogates and integers outside 64 bits anywhere in an event."""
    problems: list[FactProblem] = []

    def walk(value: Any, path: str, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            problems.append(FactProblem(path, f"{path} is nested more than {MAX_DEPTH} levels "
                                        "deep; an event's data is records of plain values",
                                        None, "too_deep"))
            return
        if isinstance(value, str):
            if not _is_unicode(value):
                problems.append(FactProblem(path, f"{path} is not valid Unicode text (it holds "
                                            "a lone surrogate)", None, "invalid"))
        elif isinstance(value, bool):
            return
        elif isinstance(value, int):
            if not INT64[0] <= value <= INT64[1]:
                problems.append(FactProblem(
                    path, f"{path} = {short_repr(value)} is outside the 64-bit range the "
                          f"monitor holds exactly ({INT64[0]} to {INT64[1]})", None,
                    "out_of_range"))
        elif isinstance(value, Mapping):
            for k, v in value.items():
                key = _name(k)
                if not _is_unicode(key):
                    problems.append(FactProblem(path, f"a key in {path} is not valid Unicode "
                                                "text", None, "invalid"))
                    continue
                walk(v, f"{path}.{key}" if path else key, depth + 1)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]", depth + 1)

    for key in ("case", "type", "id", "case_type"):
        value = event.get(key)
        if isinstance(value, str) and not _is_unicode(value):
            walk(value, key)
    data = event.get("data")
    if data is not None:
        walk(data, "data")
    extra = [k for k in event if k not in EVENT_KEYS]
    for k in extra:
        walk(event[k], _name(k))
    if problems:
        raise FactsError("; ".join(p.message for p in problems), fact=problems[0].path,
                         problems=problems)


def _name(key: Any) -> str:
    """A key as it may appear in a message: text, cut to a readable length."""
    text = key if isinstance(key, str) else short_repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def event_moment(value: Any, case: str, event: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return to_london(value)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError as exc:
            reason = str(exc) if len(str(exc)) <= 300 else f"got {short_repr(value)}"
            raise EventError(f"case {case}: the '{event}' event's 'at' must be a date and time "
                             f"(ISO 8601, naive = Europe/London): {reason}", case=case,
                             event=event) from None
    raise EventError(f"case {case}: the '{event}' event's 'at' must be an ISO 8601 date and "
                     f"time; got {short_repr(value)}", case=case, event=event)


def parse_moment(value: Any, what: str) -> dt.datetime:
    """An aware London date-time from a datetime, an ISO date-time, or a date (its start)."""
    if isinstance(value, dt.datetime):
        return to_london(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), LONDON)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            try:
                day = parse_date(value)
            except ValueError:
                raise MonitorError(
                    f"{what} must be an ISO 8601 date-time such as 2026-03-30T09:15 (naive = "
                    "Europe/London) or a date YYYY-MM-DD (the start of that day); got "
                    f"{short_repr(value)}"
                ) from None
            return dt.datetime.combine(day, dt.time(), LONDON)
    raise MonitorError(f"{what} must be a date-time; got {short_repr(value)}")


def parse_until(value: Any, what: str) -> dt.datetime:
    """Like :func:`parse_moment`, but a date means the end of that day (for a range's end)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _end_of(value)
    if isinstance(value, str) and len(value) == 10:
        try:
            return _end_of(parse_date(value))
        except ValueError:
            pass
    return parse_moment(value, what)


def _end_of(day: dt.date) -> dt.datetime:
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LONDON)
    return (start.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).astimezone(LONDON)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(moment: dt.datetime) -> int:
    """Microseconds since 1970 (UTC): how stores order and compare moments."""
    delta = moment.astimezone(dt.UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_due(text: str | None) -> dt.date | dt.datetime | None:
    if text is None:
        return None
    return _parse_due(text)


@functools.lru_cache(maxsize=65536)
def _parse_due(text: str) -> dt.date | dt.datetime:
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return to_london(dt.datetime.fromisoformat(text))


@functools.lru_cache(maxsize=65536)
def due_micros(due: dt.date | dt.datetime) -> int:
    """The last microsecond at which an obligation is still not overdue."""
    if isinstance(due, dt.datetime):
        return micros(due)
    return micros(_end_of(due))


_DUE_US: dict[str, int] = {}


def due_us(text: str) -> int:
    """:func:`due_micros` of a due date's or date-time's text (``YYYY-MM-DD``, or ISO 8601
    with its offset, as :func:`format_moment` writes them), read once per text."""
    found = _DUE_US.get(text)
    if found is None:
        if len(text) > 10:  # a date-time with its offset needs no time zone to be an instant
            moment = dt.datetime.fromisoformat(text)
            found = micros(moment if moment.tzinfo is not None else to_london(moment))
        else:
            found = due_micros(dt.date.fromisoformat(text))
        if len(_DUE_US) >= 65536:
            _DUE_US.clear()
        _DUE_US[text] = found
    return found


def past(due: dt.date | dt.datetime, moment: dt.datetime) -> bool:
    """Is ``moment`` after the due moment (the end of a due date; a due date-time itself)?"""
    return micros(moment) > due_micros(due)
