"""How the command line writes to a terminal or a pipe that may fail: one-line messages on
stderr, characters the encoding cannot hold escaped, and standard output detached after a failed
write so the interpreter's last flush cannot fail too."""

from __future__ import annotations

import contextlib
import errno
import os
import sys

#: errno values of a failed write to standard output (a full disk, a closed descriptor, ...)
WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EIO, errno.EBADF, errno.EDQUOT, errno.EFBIG})


def say(message: str) -> None:
    """One message on stderr, one line (nothing if stderr is closed too)."""
    stream = sys.stderr
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        print(one_line(message), file=stream, flush=True)


def one_line(text: str) -> str:
    text = " ".join(text.split("\n")) if "\n" in text else text
    return text if len(text) <= 2000 else text[:1997] + "..."


def tolerant_output() -> None:
    """Write characters the output's encoding cannot hold as escapes, not as a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                reconfigure(errors="backslashreplace")


def detach_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
