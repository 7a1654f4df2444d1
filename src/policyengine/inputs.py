"""Read untrusted input within limits: regular files only, a size cap, JSON with bounded depth.

Policy files, scenario files, facts and events come from people and programs we do not control.
Everything here refuses, with a message that says what to do, rather than hang, run out of
memory or crash:

* only regular files are read: a FIFO would block for ever, ``/dev/zero`` never ends, a
  directory is not a file. The file is opened without blocking and checked before it is read;
* a file larger than :attr:`Limits.max_file_bytes` is refused before it is read;
* JSON is parsed with a bound on nesting depth and on the digits of a number, duplicate keys
  and ``NaN``/``Infinity`` are refused, and so are strings that are not valid Unicode (a lone
  surrogate escape such as ``"\\udc80"``).

The limits have defaults that fit any real policy with a wide margin (a generated policy of
10,000 rules is about 2 MB and 230,000 YAML values); each can be raised with an environment
variable, read when a file is loaded (see :meth:`Limits.from_environment`).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from typing import Any

from .errors import PolicyEngineError
from .records import fields, record

#: Environment variables that raise (or lower) each limit, by field of :class:`Limits`.
ENVIRONMENT = {
    "max_file_bytes": "POLICYENGINE_MAX_FILE_BYTES",
    "max_yaml_values": "POLICYENGINE_MAX_YAML_VALUES",
    "max_alias_values": "POLICYENGINE_MAX_ALIAS_VALUES",
    "max_nesting": "POLICYENGINE_MAX_NESTING",
    "max_number_digits": "POLICYENGINE_MAX_NUMBER_DIGITS",
}


class LimitsError(PolicyEngineError):
    """A limit setting in the environment is not a positive whole number."""


@record
class Limits:
    """How much input is read before refusing it."""

    #: bytes in one file (policy, scenario, facts or events)
    max_file_bytes: int = 10_000_000
    #: values (scalars, lists and mappings) in one YAML document as written
    max_yaml_values: int = 1_000_000
    #: values that following YAML aliases (``*name``) adds to a document
    max_alias_values: int = 100_000
    #: how deeply lists and mappings nest, in YAML (aliases followed) and in JSON
    max_nesting: int = 100
    #: digits in one whole number, in YAML and in JSON
    max_number_digits: int = 100

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with any limit given in the environment (``POLICYENGINE_MAX_...``)."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for f in fields(cls):
            name = ENVIRONMENT[f.name]
            text = env.get(name)
            if text is None or not text.strip():
                continue
            try:
                value = int(text.strip().replace("_", ""))
            except ValueError:
                value = 0
            if value < 1:
                raise LimitsError(f"{name} must be a positive whole number, not {text!r}")
            values[f.name] = value
        return cls(**values)

    def hint(self, field: str) -> str:
        """How to raise one limit, for the end of a refusal message."""
        return f"set {ENVIRONMENT[field]} to raise the limit of {getattr(self, field):,}"


class UnreadableInput(Exception):
    """A file that cannot be read as input; ``reason`` says why in words."""

    def __init__(self, reason: str, *, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def read_regular_file(path: str | os.PathLike[str], limits: Limits | None = None) -> bytes:
    """The bytes of a regular file, refusing FIFOs, devices, directories and oversized files."""
    limits = limits or Limits.from_environment()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableInput(_os_reason(exc)) from None
    except (ValueError, TypeError) as exc:  # an embedded NUL, say
        raise UnreadableInput(f"not a usable file name ({exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableInput("this is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableInput(
                "not a regular file (a device, FIFO or socket); give the path of a file")
        if info.st_size > limits.max_file_bytes:
            raise UnreadableInput(_too_big(info.st_size, limits))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limits.max_file_bytes:
                raise UnreadableInput(_too_big(total, limits, at_least=True))
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableInput(_os_reason(exc)) from None
    finally:
        os.close(fd)


def require_regular_file(path: str | os.PathLike[str]) -> None:
    """Refuse a path that is a directory, FIFO, device or socket before it is opened (a FIFO
    blocks the opening for ever; /dev/zero never ends). A missing path is left to the caller's
    own open, to report as it does."""
    try:
        info = os.stat(path)
    except ValueError:  # only a name handed over in-process can hold one (argv cannot)
        raise UnreadableInput("not a usable file name (it holds a NUL character)") from None
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableInput("this is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableInput("not a regular file (a device, FIFO or socket); give the path of "
                              "a file")


def read_stream(stream: Any, what: str, limits: Limits | None = None) -> bytes:
    """Every byte of a binary-capable stream (standard input), within the size limit."""
    limits = limits or Limits.from_environment()
    if stream is None:
        raise UnreadableInput(f"{what}: standard input is closed")
    raw = getattr(stream, "buffer", stream)
    try:
        data = raw.read(limits.max_file_bytes + 1)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UnreadableInput(f"{what}: cannot read standard input ({reason})") from None
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > limits.max_file_bytes:
        raise UnreadableInput(_too_big(len(data), limits, at_least=True))
    return bytes(data)


def decode_utf8(data: bytes) -> str:
    """The text of UTF-8 bytes (a leading byte-order mark dropped), or where it is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise UnreadableInput(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column "
            f"{column}); save it as UTF-8",
            line=line,
            column=column,
        ) from None
    return text.removeprefix("\ufeff")


def one_line(message: str, limit: int = 2_000) -> str:
    """A message on one line (a newline or control character in a quoted name escaped)."""
    if not message.isprintable():
        message = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)
    return message if len(message) <= limit else message[: limit - 3] + "..."


def excerpt(value: object, limit: int = 40) -> str:
    """A value quoted for a message: one line, control characters escaped, long text cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return f"'{text}'"


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"cannot read the file: {reason}"


def _too_big(size: int, limits: Limits, *, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return (f"the file is {more}{size:,} bytes, larger than the {limits.max_file_bytes:,} "
            f"bytes allowed; {limits.hint('max_file_bytes')}")


# ------------------------------------------------------------------------------------- JSON


class JSONInputError(ValueError):
    """Text that is not acceptable JSON; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def loads_json(text: str, limits: Limits | None = None) -> Any:
    """Parse JSON strictly and within limits, or raise :class:`JSONInputError`."""
    limits = limits or Limits.from_environment()
    depth, where = _json_depth(text, limits.max_nesting)
    if depth > limits.max_nesting:
        line, column = _line_column(text, where)
        raise JSONInputError(
            f"the JSON nests lists and objects more than {limits.max_nesting} deep; "
            f"{limits.hint('max_nesting')}", line, column)

    def number(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_number_digits:
            raise JSONInputError(
                f"a number of {len(digits.lstrip('-')):,} digits is too long (at most "
                f"{limits.max_number_digits}); {limits.hint('max_number_digits')}")
        return int(digits)

    def constant(name: str) -> Any:
        raise JSONInputError(f"{name} is not a JSON value")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise JSONInputError(f"the key {_short(key)} is given twice in one object")
            out[key] = value
        return out

    try:
        value = json.loads(text, parse_int=number, parse_constant=constant,
                           object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:  # the depth scan above makes this unreachable; kept as a guard
        raise JSONInputError(f"the JSON nests more than {limits.max_nesting} deep") from None
    for string in _strings(value):
        try:
            string.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONInputError(
                f"the string {_short(string)} is not valid Unicode (it holds a lone surrogate "
                "escape such as \\udc80)") from None
    return value


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _json_depth(text: str, limit: int) -> tuple[int, int]:
    """The deepest nesting of brackets outside strings (stops once past ``limit``)."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        ch = match.group()
        if ch in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest, match.start()
        elif ch in ("]", "}"):
            depth -= 1
    return deepest, 0


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _short(text: str) -> str:
    shown = ascii(text) if len(text) <= 40 else ascii(text[:37]) + "..."
    return shown


def read_json_lines(path: str, what: str, stdin: Any = None,
                    limits: Limits | None = None) -> list[tuple[int, Any]]:
    """The JSON values of a JSON-lines file (``-``: standard input), blank lines skipped, each
    with its 1-based line number; :class:`UnreadableInput` (with the line) for the first line
    that is not acceptable JSON, or for a file that cannot be read."""
    limits = limits or Limits.from_environment()
    data = read_stream(stdin, what, limits) if path == "-" else read_regular_file(path, limits)
    values: list[tuple[int, Any]] = []
    for number, line in enumerate(decode_utf8(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append((number, loads_json(line, limits)))
        except JSONInputError as exc:
            raise UnreadableInput(f"line {number}: {exc.message}", line=number,
                                  column=exc.column) from None
    return values


def read_json_file(path: str, what: str, stdin: Any = None,
                   limits: Limits | None = None) -> Any:
    """The JSON value in a file (``-``: standard input), or :class:`UnreadableInput`."""
    limits = limits or Limits.from_environment()
    data = read_stream(stdin, what, limits) if path == "-" else read_regular_file(path, limits)
    text = decode_utf8(data)
    if not text.strip():
        return None
    try:
        return loads_json(text, limits)
    except JSONInputError as exc:
        raise UnreadableInput(f"{exc.message} (line {exc.line}, column {exc.column})",
                              line=exc.line, column=exc.column) from None

