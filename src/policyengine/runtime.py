"""What a decision ran on, for its record: the engine's version and the data it depends on.

The engine's version is ``policyengine.__version__``: the code that ran (a test keeps it equal to
the distribution's version in pyproject.toml, so an installed release names itself). The holiday
data is the ``holidays`` package; the time-zone rules are whichever Europe/London ``zoneinfo``
reads: the system's zoneinfo database when it has one (its ``tzdata.zi`` names the release), else
the ``tzdata`` package. Each is looked up once, on first use, and an installed distribution's
version is read from its ``*.dist-info`` folder beside the package: ``importlib.metadata`` costs a
new process more (~15 ms) than everything else here, so it is imported only if that fails.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import zoneinfo
from pathlib import Path

from ._version import __version__


def engine_version() -> str:
    """The version of the engine that is running."""
    return __version__


def installed_version(distribution: str, module: str) -> str | None:
    """The version of the installed ``distribution`` that provides the importable ``module``,
    from the ``Version:`` of its ``<name>-<version>.dist-info/METADATA`` beside the module, without
    importing either the module or ``importlib.metadata``; ``None`` when it is not found that way
    (not installed, or installed in a layout without a single dist-info folder beside it). Names
    compare as packaging normalises them (``PyYAML`` is ``pyyaml-6.0.4.dist-info``)."""
    try:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            return None
        wanted = _normalised(distribution)
        folder = Path(spec.origin).parent.parent
        found = [entry.path for entry in os.scandir(folder) if entry.name.endswith(".dist-info")
                 and _normalised(entry.name[: -len(".dist-info")].rpartition("-")[0]) == wanted]
        if len(found) != 1:
            return None
        with open(os.path.join(found[0], "METADATA"), encoding="utf-8") as metadata:
            for line in metadata:
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
                if not line.strip():
                    break
    except (OSError, ImportError, ValueError):
        return None
    return None


def _normalised(name: str) -> str:
    """A distribution's name as packaging compares them: case and runs of ``-_.`` ignored."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _package_version(distribution: str, module: str) -> str | None:
    found = installed_version(distribution, module)
    if found is not None:
        return found
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
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
        package = _package_version("tzdata", "tzdata")
        tz = f"{package} (tzdata package)" if package else "unknown"
    return {"holidays": _package_version("holidays", "holidays") or "unknown", "tzdata": tz}
