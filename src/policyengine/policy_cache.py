"""Policy files read and validated once, then kept on disk by their bytes (as Python keeps
byte code in ``__pycache__``).

Reading a policy file's YAML (:mod:`~policyengine.load`) and checking its shape
(:func:`~policyengine.schema.parse_policy`) is much of what a new process spends before its
first decision, and it gives the same answer for the same bytes every time. So a file that reads
and validates cleanly is kept in the cache directory as a pickle of its
:class:`~policyengine.loaded.LoadedYaml` and :class:`~policyengine.schema.PolicyFile`, under a
name that is the digest of everything that answer depends on: the file's path and the sha256 of
its bytes, the input limits in force, the versions of Python, pydantic and PyYAML, and the
engine's own modules (each one's name, size and modification time). Change any of them and the
name changes: an entry is never stale, it is simply not found. A large file
(:data:`MAX_CACHED_CHARACTERS`) is not kept, as it would gain nothing. A file with any problem
is never kept, so every problem is found, worded and positioned afresh. Compiling
(conditions, dates, rule indexes) is not cached: it runs as before on what was read.

Where: ``$POLICYENGINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/policyengine``, else
``~/.cache/policyengine``. ``POLICYENGINE_NO_CACHE=1`` turns the cache off. The directory is
made private (mode 0700); an entry is read only from a directory and a file that the user owns
and no one else may write (a pickle runs code as it is read: the cache is trusted as
``__pycache__`` is, and no further). A cache that cannot be made, read or written is passed
over: the file is then read as if there were none. The newest :data:`MAX_ENTRIES` entries,
within :data:`MAX_BYTES`, are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from ._version import __version__
from .inputs import Limits
from .load import read_file_text
from .loaded import LoadedYaml
from .runtime import installed_version
from .schema import PolicyFile, parse_policy

__all__ = ["MAX_BYTES", "MAX_CACHED_CHARACTERS", "MAX_ENTRIES", "PolicyRead", "cache_directory",
           "read_policy_file", "validated_section"]

T = TypeVar("T")

#: How many entries, and how many bytes of them, the directory keeps; when a write takes it past
#: either, the oldest go (an entry is about four times its file's size: a bundled policy's is
#: ~170 KB, a 10,000-rule table's 11 MB).
MAX_ENTRIES = 256
MAX_BYTES = 256_000_000

#: Files longer than this (characters) are not kept: reading one from its entry is no faster
#: than reading its YAML (a 10,000-rule table of 1.4 MB: 0.6 s either way, the cyclic garbage
#: collector's passes over millions of new objects being most of both), and writing the entry
#: would add ~0.3 s to its first load. Below it, an entry spares a new process the YAML reader's
#: and the validators' imports and builds, which is most of what a small file costs.
MAX_CACHED_CHARACTERS = 500_000

#: Written first in every entry; a change to what an entry holds changes this.
_FORMAT = "policyengine policy cache 2"
_SUFFIX = ".policy.pickle"


def cache_directory() -> Path | None:
    """The directory entries are kept in, or ``None`` when the cache is off (by
    ``POLICYENGINE_NO_CACHE``, or on a system without file ownership to check)."""
    if os.environ.get("POLICYENGINE_NO_CACHE", "").strip() or not hasattr(os, "geteuid"):
        return None
    chosen = os.environ.get("POLICYENGINE_CACHE_DIR", "").strip()
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "policyengine"


class PolicyRead:
    """A policy file read and validated (``loaded``, ``spec``), and its cache entry, kept by
    :meth:`keep` once the file has compiled."""

    __slots__ = ("_directory", "_key", "_sections_kept", "loaded", "spec")

    def __init__(self, loaded: LoadedYaml, spec: PolicyFile, directory: Path | None, key: str,
                 sections_kept: frozenset[str] | None) -> None:
        self.loaded = loaded
        self.spec = spec
        self._directory = directory
        self._key = key
        self._sections_kept = sections_kept  # None: no entry was found

    def keep(self) -> None:
        """Keep the file's entry, with every section its compilers validated, if it is new or
        has gained sections since it was read (a file first compiled for its decisions only,
        then whole); nothing when the cache is off or the file too large."""
        if self._directory is None:
            return
        sections = frozenset(self.loaded.validated_sections)
        if self._sections_kept is not None and sections <= self._sections_kept:
            return
        _write_entry(self._directory, self._key, self.loaded, self.spec)
        self._sections_kept = sections


def read_policy_file(path: Path, limits: Limits | None = None) -> PolicyRead:
    """A policy file read and validated: from the cache when this engine has read these bytes
    at this path before, else read (:func:`~policyengine.load.read_yaml_text`) and validated
    (:func:`~policyengine.schema.parse_policy`). Call :meth:`PolicyRead.keep` once it has
    compiled: a file with any problem is never kept.

    Raises :class:`~policyengine.errors.PolicyError` exactly as reading and validating do."""
    limits = limits or Limits.from_environment()
    text, sha256 = read_file_text(path, limits)
    directory = cache_directory() if len(text) <= MAX_CACHED_CHARACTERS else None
    key = _key(str(path), sha256, limits) if directory is not None else ""
    if directory is not None:
        found = _read_entry(directory / (key + _SUFFIX), key)
        if found is not None:  # (its key names this path and these bytes)
            loaded, spec = found
            return PolicyRead(loaded, spec, directory, key,
                              frozenset(loaded.validated_sections))
    from .load import read_yaml_text  # the YAML reader is imported only when a file is read

    loaded = read_yaml_text(text, str(path), limits, sha256=sha256)
    return PolicyRead(loaded, parse_policy(loaded), directory, key, None)


def validated_section(loaded: LoadedYaml, name: str, validate: Callable[[], T | None]
                      ) -> T | None:
    """The section ``name`` of a file validated by ``validate`` (which gives its model, or
    ``None`` having reported its problems), once a file: from the cache's entry when it holds
    the section, unpickled only when asked for (so a process that never asks never imports the
    section's models)."""
    held = loaded.validated_sections.get(name)
    if isinstance(held, bytes):
        try:
            held = pickle.loads(held)
        except Exception:  # an entry this engine cannot read back: validate afresh
            held = None
    if held is None:
        held = validate()
        if held is None:
            loaded.validated_sections.pop(name, None)
            return None
    loaded.validated_sections[name] = held
    return cast(T, held)


def _key(file: str, sha256: str, limits: Limits) -> str:
    digest = hashlib.sha256()
    for part in (_FORMAT, _engine_fingerprint(), file, sha256, repr(limits)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _engine_fingerprint() -> str:
    """What, besides the file, decides how it reads: Python, pydantic, PyYAML and the modules
    at the top of this package (name, size, modification time), looked up once a process.
    Reading and validating use only those (the loader, the schema and what they import); the
    subpackages compile and run what was read, which is never cached."""
    import pydantic_core
    from pydantic.version import VERSION as pydantic_version

    yaml_version = installed_version("PyYAML", "yaml")
    if yaml_version is None:
        import yaml

        yaml_version = str(yaml.__version__)
    parts = [sys.version, __version__, pydantic_version, pydantic_core.__version__, yaml_version]
    with os.scandir(Path(__file__).parent) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                info = entry.stat()
                parts.append(f"{entry.name} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(parts)


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_entry(entry: Path, key: str) -> tuple[LoadedYaml, PolicyFile] | None:
    try:
        if not _private(os.stat(entry.parent)):
            return None
        fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return None
            held = pickle.load(stream)
    except Exception:  # a damaged or foreign entry is passed over, and rewritten
        return None
    if (isinstance(held, tuple) and len(held) == 5 and held[0] == _FORMAT and held[1] == key
            and isinstance(held[2], LoadedYaml) and isinstance(held[3], PolicyFile)
            and isinstance(held[4], dict)
            and all(isinstance(v, bytes) for v in held[4].values())):
        held[2].validated_sections = dict(held[4])
        return held[2], held[3]
    return None


def _write_entry(directory: Path, key: str, loaded: LoadedYaml, spec: PolicyFile) -> None:
    """Keep one entry, written whole to a temporary file and renamed into place (a reader sees
    the old entry or the new, never half of one); any failure leaves the cache as it was."""
    temporary = directory / f".{key}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(directory)):
            return
        sections = {name: held if isinstance(held, bytes)
                    else pickle.dumps(held, protocol=pickle.HIGHEST_PROTOCOL)
                    for name, held in loaded.validated_sections.items()}
        plain = dataclasses.replace(loaded, validated_sections={})  # sections kept apart
        data = pickle.dumps((_FORMAT, key, plain, spec, sections),
                            protocol=pickle.HIGHEST_PROTOCOL)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temporary, directory / (key + _SUFFIX))
        _prune(directory)
    except Exception:  # a cache that cannot be written is not used
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _prune(directory: Path) -> None:
    with os.scandir(directory) as found:
        entries = [(e.stat().st_mtime_ns, e.stat().st_size, e.path) for e in found
                   if e.name.endswith(_SUFFIX)]
    entries.sort()
    count, size = len(entries), sum(e[1] for e in entries)
    for _, bytes_, path in entries:
        if count <= MAX_ENTRIES and size <= MAX_BYTES:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
        count, size = count - 1, size - bytes_
