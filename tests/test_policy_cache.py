"""The cache of read and validated policy files (policyengine.policy_cache; issue 10, item 5).

A cache is only right if what it gives back is what reading would have given: every test here
compares a read through the cache with a read without one (the loader and the schema, run
afresh), on the bundled policies, on every bundled scenario decided both ways, and on mutants of
the bundled policies (hypothesis), and checks that an entry is found only for the same path,
bytes, limits and engine, and is read only from a private directory.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_load_speed import BUNDLED, _answer, _mutants, _scenario_cases

import policyengine
from policyengine import load, policy_cache
from policyengine.errors import PolicyError
from policyengine.inputs import Limits
from policyengine.loaded import LoadedYaml
from policyengine.schema import PolicyFile, parse_policy

ROOT = Path(__file__).resolve().parents[1]


class Reads:
    """Counts the files the YAML reader is asked to read (a read from the cache asks none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = load.build_document

        def counting(text: str, file: str, limits: Limits) -> LoadedYaml:
            self.count += 1
            return real(text, file, limits)

        monkeypatch.setattr(load, "build_document", counting)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "cache"
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(directory))
    monkeypatch.delenv("POLICYENGINE_NO_CACHE", raising=False)
    yield directory


def uncached(path: Path) -> tuple[LoadedYaml, PolicyFile]:
    loaded = load.read_yaml_file(path)
    return loaded, parse_policy(loaded)


def summary(read: tuple[LoadedYaml, PolicyFile]) -> Any:
    loaded, spec = read
    return (loaded.file, loaded.text, loaded.data, loaded.sha256, loaded.value_positions,
            loaded.key_positions, loaded.written, loaded.problems, loaded.invalid,
            spec.model_dump(mode="python"))


def outcome(path: Path) -> Any:
    try:
        return ("read", summary(policy_cache.read_policy_file(path)))
    except PolicyError as exc:
        return ("refused", [(p.file, p.line, p.column, p.message) for p in exc.problems])


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.policy.pickle"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_a_bundled_policy_reads_the_same_from_the_cache(
        path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    first = policy_cache.read_policy_file(path)
    second = policy_cache.read_policy_file(path)
    assert reads.count == 1  # the second came from the cache
    assert len(entries(cache)) == 1
    assert summary(first) == summary(second) == summary(uncached(path))
    assert second[1] == uncached(path)[1]


def test_every_bundled_scenario_is_decided_the_same_from_the_cache(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYENGINE_NO_CACHE", "1")
    fresh = policyengine.load_policies()
    monkeypatch.delenv("POLICYENGINE_NO_CACHE")
    policyengine.load_policies()  # fills the cache
    reads = Reads(monkeypatch)
    cached = policyengine.load_policies()
    assert reads.count == 0
    cases = _scenario_cases()
    assert len(cases) > 50
    for case in cases:
        assert _answer(cached, case) == _answer(fresh, case), case


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutants())
def test_a_mutant_reads_the_same_with_and_without_the_cache(text: str) -> None:
    """Missed, then found: both as a read without the cache, or refused with the same
    problems (and then nothing is kept)."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        path = Path(folder) / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        patch.setenv("POLICYENGINE_NO_CACHE", "1")
        expected = outcome(path)
        patch.delenv("POLICYENGINE_NO_CACHE")
        patch.setenv("POLICYENGINE_CACHE_DIR", str(Path(folder) / "cache"))
        assert outcome(path) == expected
        assert outcome(path) == expected
        assert len(entries(Path(folder) / "cache")) == (expected[0] == "read")


def copy_of(policy: Path, folder: Path, name: str = "policy.yaml") -> Path:
    target = folder / name
    target.write_bytes(policy.read_bytes())
    return target


def test_an_entry_is_found_only_for_the_same_path_bytes_limits_and_engine(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    path = copy_of(BUNDLED[0], tmp_path)
    policy_cache.read_policy_file(path)
    policy_cache.read_policy_file(path)
    assert reads.count == 1
    # the same bytes at another path: a file of its own (its problems name that path)
    other = copy_of(BUNDLED[0], tmp_path, "other.yaml")
    assert policy_cache.read_policy_file(other)[0].file == str(other)
    assert reads.count == 2
    # one byte more
    path.write_bytes(path.read_bytes() + b"\n")
    assert policy_cache.read_policy_file(path)[0].text.endswith("\n\n")
    assert reads.count == 3
    # other limits
    monkeypatch.setenv("POLICYENGINE_MAX_NESTING", "50")
    policy_cache.read_policy_file(path)
    assert reads.count == 4
    # another engine (a module changed, or another pydantic)
    monkeypatch.setattr(policy_cache, "_engine_fingerprint", lambda: "another engine")
    policy_cache.read_policy_file(path)
    assert reads.count == 5
    assert len(entries(cache)) == 5


def test_the_engine_fingerprint_names_the_modules_and_versions() -> None:
    import pydantic

    fingerprint = policy_cache._engine_fingerprint()
    assert sys.version in fingerprint and pydantic.VERSION in fingerprint
    for module in ("load.py", "schema.py", "yaml_build.py", "loaded.py", "inputs.py"):
        assert f"\n{module} " in fingerprint


def test_a_file_with_a_problem_is_refused_as_before_and_not_kept(
        cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("policy:\n  id: x\n  surprise: 1\n", encoding="utf-8")
    with pytest.raises(PolicyError) as without:
        parse_policy(load.read_yaml_file(path))
    for _ in range(2):
        with pytest.raises(PolicyError) as through:
            policy_cache.read_policy_file(path)
        assert through.value.problems == without.value.problems
    assert not cache.exists() or entries(cache) == []


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign", "another key"])
def test_a_damaged_entry_is_passed_over_and_rewritten(
        damage: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    expected = summary(policy_cache.read_policy_file(path))
    (entry,) = entries(cache)
    whole = entry.read_bytes()
    entry.write_bytes({
        "truncated": whole[: len(whole) // 2],
        "garbage": b"not a pickle at all",
        "foreign": pickle.dumps(("something else", 1, 2, 3)),
        "another key": pickle.dumps(("policyengine policy cache 1", "0" * 64,
                                     *pickle.loads(whole)[2:])),
    }[damage])
    reads = Reads(monkeypatch)
    assert summary(policy_cache.read_policy_file(path)) == expected
    assert reads.count == 1
    assert entry.read_bytes() == whole  # written again


def test_an_entry_is_read_only_from_a_private_directory_and_file(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    policy_cache.read_policy_file(path)
    assert cache.stat().st_mode & 0o777 == 0o700
    (entry,) = entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600
    reads = Reads(monkeypatch)
    entry.chmod(0o666)  # anyone could have written it
    policy_cache.read_policy_file(path)
    assert reads.count == 1
    entry.chmod(0o600)
    cache.chmod(0o777)  # anyone could have put it there
    policy_cache.read_policy_file(path)
    assert reads.count == 2
    cache.chmod(0o700)
    policy_cache.read_policy_file(path)
    assert reads.count == 2


def test_an_entry_that_is_a_symbolic_link_is_not_followed(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    policy_cache.read_policy_file(path)
    (entry,) = entries(cache)
    elsewhere = tmp_path / "elsewhere.pickle"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    reads = Reads(monkeypatch)
    policy_cache.read_policy_file(path)
    assert reads.count == 1


def test_no_cache_when_turned_off_or_when_it_cannot_be_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POLICYENGINE_NO_CACHE", "1")
    assert policy_cache.cache_directory() is None
    expected = summary(policy_cache.read_policy_file(path))
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv("POLICYENGINE_NO_CACHE")
    blocker = tmp_path / "a file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(blocker / "cache"))
    assert summary(policy_cache.read_policy_file(path)) == expected
    assert summary(policy_cache.read_policy_file(path)) == expected


def test_a_large_file_is_not_kept(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    size = len(load.read_file_text(path)[0])
    monkeypatch.setattr(policy_cache, "MAX_CACHED_CHARACTERS", size - 1)
    expected = summary(uncached(path))
    assert summary(policy_cache.read_policy_file(path)) == expected
    assert not cache.exists() or entries(cache) == []
    monkeypatch.setattr(policy_cache, "MAX_CACHED_CHARACTERS", size)
    policy_cache.read_policy_file(path)
    assert len(entries(cache)) == 1


def test_where_the_cache_is_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLICYENGINE_NO_CACHE", raising=False)
    monkeypatch.delenv("POLICYENGINE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert policy_cache.cache_directory() == tmp_path / "policyengine"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert policy_cache.cache_directory() == tmp_path / ".cache" / "policyengine"


def test_the_oldest_entries_go_past_the_limit(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_cache, "MAX_ENTRIES", 3)
    paths = [copy_of(BUNDLED[0], tmp_path, f"p{i}.yaml") for i in range(5)]
    for i, path in enumerate(paths):
        policy_cache.read_policy_file(path)
        for entry in entries(cache):  # distinct ages, whatever the clock's resolution
            os.utime(entry, ns=(entry.stat().st_mtime_ns - 10**9,) * 2)
        assert len(entries(cache)) == min(i + 1, 3)
    reads = Reads(monkeypatch)
    policy_cache.read_policy_file(paths[4])
    policy_cache.read_policy_file(paths[0])
    assert reads.count == 1  # the newest was kept, the oldest was not


def test_the_oldest_entries_go_past_the_byte_budget(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [copy_of(BUNDLED[0], tmp_path, f"p{i}.yaml") for i in range(3)]
    policy_cache.read_policy_file(paths[0])
    (entry,) = entries(cache)
    monkeypatch.setattr(policy_cache, "MAX_BYTES", 2 * entry.stat().st_size + 1000)
    for path in paths[1:]:
        for old in entries(cache):
            os.utime(old, ns=(old.stat().st_mtime_ns - 10**9,) * 2)
        policy_cache.read_policy_file(path)
    assert len(entries(cache)) == 2
    reads = Reads(monkeypatch)
    policy_cache.read_policy_file(paths[2])
    assert reads.count == 0


def test_a_new_process_deciding_from_the_cache_imports_no_yaml_reader(tmp_path: Path) -> None:
    """What the cache is for: the second `policyengine decide` reads nothing but the entry
    (no PyYAML, no pydantic validator built, so no importlib.metadata either)."""
    facts = tmp_path / "facts.json"
    facts.write_text('{"person_type": "tenant"}', encoding="utf-8")
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['policyengine', 'decide', 'halton_conduct', 'in_scope', '--facts', "
        f"{str(facts)!r}, '--as-of', '2026-01-05']\n"
        "try:\n"
        "    runpy.run_module('policyengine', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(sorted(m for m in ('yaml', 'importlib.metadata', 'pydantic.plugin._loader',"
        " 'policyengine.yaml_build') if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "POLICYENGINE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("POLICYENGINE_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=env, timeout=120, check=True) for _ in range(2)]
    assert '"in_scope"' in runs[1].stdout and runs[0].stdout == runs[1].stdout
    assert "policyengine.yaml_build" in runs[0].stderr
    assert runs[1].stderr.strip() == "[]"
