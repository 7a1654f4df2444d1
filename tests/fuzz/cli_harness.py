"""Run ``policyengine`` in a subprocess with a timeout and a memory cap, and judge the result.

Two ways, one contract:

* :func:`run_forked` forks this process (policyengine already imported, so a case costs
  milliseconds, not the half second of a fresh interpreter); the child points its standard
  streams where the case says (a file, closed, ``/dev/full``), rebuilds ``sys.stdin``/
  ``sys.stdout``/``sys.stderr`` as the interpreter does at start-up, caps its address space and
  its time, runs :func:`policyengine.cli.main`, then flushes its streams as the interpreter does
  at exit (a failed flush there prints "Exception ignored" and exits 120, as Python does);
* :func:`run_fresh` runs ``python -m policyengine`` in a new interpreter, for a share of the
  cases, so the forked runs are checked against the real thing.

:func:`judge` raises :class:`~contracts.ContractBreak` when the result breaks the contract.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from contracts import ContractBreak

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30
MEMORY = 1 << 30  # bytes of address space a case may add


@dataclass(frozen=True)
class Streams:
    """Where a case's standard streams go: stdin ``bytes`` or ``None`` (closed); stdout one of
    ``file``, ``closed`` or ``full`` (``/dev/full``)."""

    stdin: bytes | None = b""
    stdout: str = "file"


@dataclass(frozen=True)
class Result:
    code: int | None
    signal: int | None
    out: str
    err: str
    elapsed: float
    how: str


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


def _stdin_file(data: bytes | None) -> int | None:
    if data is None:
        return None
    fd, name = tempfile.mkstemp(prefix="pe-in-")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    os.unlink(name)
    return fd


def run_forked(argv: list[str], streams: Streams, env: dict[str, str], cwd: Path) -> Result:
    out = tempfile.TemporaryFile(prefix="pe-out-")  # noqa: SIM115 (closed by _read)
    err = tempfile.TemporaryFile(prefix="pe-err-")  # noqa: SIM115
    stdin_fd = _stdin_file(streams.stdin)
    limit = _address_space() + MEMORY
    started = time.perf_counter()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(argv, streams, env, cwd, stdin_fd, out.fileno(), err.fileno(), limit)
    if stdin_fd is not None:
        os.close(stdin_fd)
    code, sig = _wait(pid, TIMEOUT + 5)
    elapsed = time.perf_counter() - started
    return Result(code, sig, _read(out), _read(err), elapsed, "forked")


def _wait(pid: int, timeout: float) -> tuple[int | None, int | None]:
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.02)
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def _read(handle: object) -> str:
    assert hasattr(handle, "seek") and hasattr(handle, "read")
    handle.seek(0)
    data: bytes = handle.read()
    handle.close()  # type: ignore[attr-defined]
    return data.decode("utf-8", "backslashreplace")


def _child(argv: list[str], streams: Streams, env: dict[str, str], cwd: Path,
           stdin_fd: int | None, out_fd: int, err_fd: int, limit: int) -> None:
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(TIMEOUT)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        os.dup2(err_fd, 2)
        if stdin_fd is None:
            os.close(0)
        else:
            os.dup2(stdin_fd, 0)
        if streams.stdout == "closed":
            os.close(1)
        elif streams.stdout == "full":
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, 1)
            os.close(full)
        else:
            os.dup2(out_fd, 1)
        # the standard streams as a fresh interpreter makes them (None for a closed descriptor)
        sys.stdin = _text_stream(0, "r", "strict")  # type: ignore[assignment]
        sys.stdout = _text_stream(1, "w", "strict")  # type: ignore[assignment]
        sys.stderr = _text_stream(2, "w", "backslashreplace")  # type: ignore[assignment]
        sys.argv = ["policyengine", *argv]
        from policyengine.cli import main

        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        code = _flush_at_exit(code)
    except BaseException:
        try:
            traceback.print_exc()
        finally:
            code = 99
    finally:
        os._exit(code)


def _text_stream(fd: int, mode: str, errors: str) -> io.TextIOWrapper | None:
    try:
        os.fstat(fd)
    except OSError:
        return None
    return open(fd, mode, encoding="utf-8", errors=errors, closefd=False)


def _flush_at_exit(code: int) -> int:
    """What the interpreter does to the standard streams at exit (see Python's pylifecycle.c)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except Exception:
            print(f"Exception ignored in: {stream!r}", file=sys.__stderr__ or sys.stderr)
            traceback.print_exc()
            code = 120
    return code


def run_fresh(argv: list[str], streams: Streams, env: dict[str, str], cwd: Path) -> Result:
    """``python -m policyengine ARGV`` in a new interpreter, capped like the forked runs."""
    stdin_fd = _stdin_file(streams.stdin)
    full = open("/dev/full", "wb") if streams.stdout == "full" else None  # noqa: SIM115
    out = tempfile.TemporaryFile(prefix="pe-out-")  # noqa: SIM115 (closed by _read)
    closed = [fd for fd, shut in ((0, stdin_fd is None), (1, streams.stdout == "closed"))
              if shut]

    def prepare() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * MEMORY, 3 * MEMORY))
        for fd in closed:
            os.close(fd)

    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "policyengine", *argv],
            stdin=stdin_fd if stdin_fd is not None else subprocess.DEVNULL,
            stdout=full or out, stderr=subprocess.PIPE, env=env, cwd=cwd,
            timeout=TIMEOUT + 30, preexec_fn=prepare, check=False,
        )
        code: int | None = proc.returncode if proc.returncode >= 0 else None
        sig = -proc.returncode if proc.returncode < 0 else None
        err = proc.stderr.decode("utf-8", "backslashreplace")
    except subprocess.TimeoutExpired:
        code, sig, err = None, signal.SIGKILL, "(timed out)"
    finally:
        if stdin_fd is not None:
            os.close(stdin_fd)
        if full is not None:
            full.close()
    return Result(code, sig, _read(out), err, time.perf_counter() - started, "fresh")


_INTERNALS = ("Traceback (most recent call last)", "Exception ignored", "internal error",
              "out of memory", "Fatal Python error", "Segmentation fault")


def judge(result: Result, streams: Streams, argv: list[str]) -> None:
    """Raise :class:`ContractBreak` if the run broke the CLI's contract."""
    if result.signal is not None:
        what = "hung (killed after the timeout)" if result.signal in (
            signal.SIGKILL, signal.SIGALRM) else f"died of signal {result.signal}"
        raise ContractBreak(f"{result.how}: the command {what}; stderr: {result.err[-500:]!r}")
    for marker in _INTERNALS:
        if marker in result.err:
            raise ContractBreak(f"{result.how}: {marker!r} on stderr: {result.err[-1500:]}")
    if result.code not in (0, 1, 2):
        raise ContractBreak(f"{result.how}: exit code {result.code}; stderr: "
                            f"{result.err[-500:]!r}")
    if result.code == 2 and not result.err.strip():
        raise ContractBreak(f"{result.how}: exit 2 with nothing said on stderr")
    silent = "--check" in argv  # a check that passes may say nothing
    if streams.stdout in ("closed", "full") and result.code == 0 and not silent:
        raise ContractBreak(f"{result.how}: exit 0 although the output could not be written "
                            f"(stdout {streams.stdout})")
    if streams.stdout == "file" and result.code == 0 and not result.out.strip() and not silent:
        raise ContractBreak(f"{result.how}: exit 0 with no output")
    for line in result.err.splitlines():
        if len(line) > 2_100:
            raise ContractBreak(f"{result.how}: a message line of {len(line):,} characters")
