"""What a decision ran on, for its record: the engine's version and the data it depends on.

The engine's version is the installed distribution's (``housing-policyengine``), so a record
names the release that produced it, falling back to ``policyengine.__version__`` when the code
runs from a checkout that is not installed. The holiday data is the ``holidays`` package; the
time-zone rules are whichever Europe/London ``zoneinfo`` reads: the system's zoneinfo database
when it has one (its ``tzdata.zi`` names the release), else the ``tzdata`` package. Each is
looked up once, on first use, so importing the library stays cheap.
"""

from __future__ import annotations

import functools
import importlib.metadata
import zoneinfo
from pathlib import Path

DISTRIBUTION = "housing-policyengine"


@functools.cache
def engine_version() -> str:
    """The installed distribution's version, or ``policyengine.__version__`` if not installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        from ._version import __version__

        return __version__


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _system_tzdata_version() -> str | None:
    """The release of the first zoneinfo directory that has Europe/London, as zoneinfo reads."""
    for root in zoneinfo.TZPATH:
        base = Path(root)
        if not (base / "Europe" / "London").is_file():
            continue
        try:
            with (base / "tzdata.zi").open(encoding="utf-8") as stream:
                first = stream.readline().strip()
        except OSError:
            return "system (release not recorded)"
        release = first.removeprefix("# version").strip()
        return f"{release} (system)" if release else "system (release not recorded)"
    return None


@functools.cache
def runtime_versions() -> dict[str, str]:
    """``holidays`` and ``tzdata``: the versions of the data a decision's dates depend on."""
    tz = _system_tzdata_version()
    if tz is None:
        package = _package_version("tzdata")
        tz = f"{package} (tzdata package)" if package else "unknown"
    return {"holidays": _package_version("holidays") or "unknown", "tzdata": tz}
