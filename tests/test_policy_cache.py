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
import re
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


def read(path: Path) -> tuple[LoadedYaml, PolicyFile]:
    """Read through the cache and keep the entry, as compiling a file that compiles does."""
    found = policy_cache.read_policy_file(path)
    found.keep()
    return found.loaded, found.spec


def uncached(path: Path) -> tuple[LoadedYaml, PolicyFile]:
    loaded = load.read_yaml_file(path)
    return loaded, parse_policy(loaded)


def summary(read: tuple[LoadedYaml, PolicyFile]) -> Any:
    loaded, spec = read
    return (loaded.file, loaded.text, loaded.data, loaded.sha256, loaded.value_positions,
            loaded.key_positions, loaded.written, loaded.problems, loaded.invalid,
            spec.model_dump(mode="python"))  # (validated_sections: see the section tests)


def outcome(path: Path) -> Any:
    try:
        return ("read", summary(read(path)))
    except PolicyError as exc:
        return ("refused", [(p.file, p.line, p.column, p.message) for p in exc.problems])


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.policy.pickle"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_a_bundled_policy_reads_the_same_from_the_cache(
        path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    first = read(path)
    second = read(path)
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
    read(path)
    read(path)
    assert reads.count == 1
    # the same bytes at another path: a file of its own (its problems name that path)
    other = copy_of(BUNDLED[0], tmp_path, "other.yaml")
    assert read(other)[0].file == str(other)
    assert reads.count == 2
    # one byte more
    path.write_bytes(path.read_bytes() + b"\n")
    assert read(path)[0].text.endswith("\n\n")
    assert reads.count == 3
    # other limits
    monkeypatch.setenv("POLICYENGINE_MAX_NESTING", "50")
    read(path)
    assert reads.count == 4
    # another engine (a module changed, or another pydantic)
    monkeypatch.setattr(policy_cache, "_engine_fingerprint", lambda: "another engine")
    read(path)
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
            read(path)
        assert through.value.problems == without.value.problems
    assert not cache.exists() or entries(cache) == []


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign", "another key"])
def test_a_damaged_entry_is_passed_over_and_rewritten(
        damage: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    expected = summary(read(path))
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
    assert summary(read(path)) == expected
    assert reads.count == 1
    assert entry.read_bytes() == whole  # written again


def test_an_entry_is_read_only_from_a_private_directory_and_file(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    read(path)
    assert cache.stat().st_mode & 0o777 == 0o700
    (entry,) = entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600
    reads = Reads(monkeypatch)
    entry.chmod(0o666)  # anyone could have written it
    read(path)
    assert reads.count == 1
    entry.chmod(0o600)
    cache.chmod(0o777)  # anyone could have put it there
    read(path)
    assert reads.count == 2
    cache.chmod(0o700)
    read(path)
    assert reads.count == 2


def test_an_entry_that_is_a_symbolic_link_is_not_followed(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    read(path)
    (entry,) = entries(cache)
    elsewhere = tmp_path / "elsewhere.pickle"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    reads = Reads(monkeypatch)
    read(path)
    assert reads.count == 1


def test_no_cache_when_turned_off_or_when_it_cannot_be_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POLICYENGINE_NO_CACHE", "1")
    assert policy_cache.cache_directory() is None
    expected = summary(read(path))
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv("POLICYENGINE_NO_CACHE")
    blocker = tmp_path / "a file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(blocker / "cache"))
    assert summary(read(path)) == expected
    assert summary(read(path)) == expected


def test_a_large_file_is_not_kept(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_of(BUNDLED[0], tmp_path)
    size = len(load.read_file_text(path)[0])
    monkeypatch.setattr(policy_cache, "MAX_CACHED_CHARACTERS", size - 1)
    expected = summary(uncached(path))
    assert summary(read(path)) == expected
    assert not cache.exists() or entries(cache) == []
    monkeypatch.setattr(policy_cache, "MAX_CACHED_CHARACTERS", size)
    read(path)
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
        read(path)
        for entry in entries(cache):  # distinct ages, whatever the clock's resolution
            os.utime(entry, ns=(entry.stat().st_mtime_ns - 10**9,) * 2)
        assert len(entries(cache)) == min(i + 1, 3)
    reads = Reads(monkeypatch)
    read(paths[4])
    read(paths[0])
    assert reads.count == 1  # the newest was kept, the oldest was not


def test_the_oldest_entries_go_past_the_byte_budget(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [copy_of(BUNDLED[0], tmp_path, f"p{i}.yaml") for i in range(3)]
    read(paths[0])
    (entry,) = entries(cache)
    monkeypatch.setattr(policy_cache, "MAX_BYTES", 2 * entry.stat().st_size + 1000)
    for path in paths[1:]:
        for old in entries(cache):
            os.utime(old, ns=(old.stat().st_mtime_ns - 10**9,) * 2)
        read(path)
    assert len(entries(cache)) == 2
    reads = Reads(monkeypatch)
    read(paths[2])
    assert reads.count == 0


def test_a_new_process_deciding_from_the_cache_imports_no_yaml_reader(tmp_path: Path) -> None:
    """What the cache is for: a `policyengine decide` whose file is in the cache reads nothing
    but the entry (no PyYAML, no pydantic validator built, so no importlib.metadata either),
    and leaves the lifecycles an entry holds unread (their models never imported)."""
    facts = tmp_path / "facts.json"
    facts.write_text('{"person_type": "tenant"}', encoding="utf-8")
    watched = ("yaml", "importlib.metadata", "pydantic.plugin._loader", "policyengine.yaml_build",
               "policyengine.lifecycle")
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['policyengine', 'decide', 'halton_conduct', 'in_scope', '--facts', "
        f"{str(facts)!r}, '--as-of', '2026-01-05']\n"
        "try:\n"
        "    runpy.run_module('policyengine', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        f"print(sorted(m for m in {watched!r} if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "POLICYENGINE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("POLICYENGINE_NO_CACHE", None)

    def decide() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, timeout=120, check=True)

    first, second = decide(), decide()
    assert '"in_scope"' in second.stdout and first.stdout == second.stdout
    assert "policyengine.yaml_build" in first.stderr
    assert second.stderr.strip() == "[]"
    # after a whole load (the entry now holds the policy's lifecycles too)
    subprocess.run([sys.executable, "-c", "import policyengine; policyengine.load_policies()"],
                   env=env, timeout=120, check=True)
    third = decide()
    assert third.stdout == first.stdout and third.stderr.strip() == "[]"


def test_a_file_that_does_not_compile_is_not_kept(cache: Path, tmp_path: Path) -> None:
    """A file whose shape is right but whose rules do not compile (a condition on a fact it
    does not declare) is refused as before, and nothing is kept."""
    text = load.read_file_text(BUNDLED[0])[0]
    path = tmp_path / "p.yaml"
    assert "when: {" in text
    path.write_text(text.replace("when: {", "when: {no_such_fact_here: true, ", 1),
                    encoding="utf-8")
    with pytest.raises(PolicyError) as first:
        policyengine.load_policies(path)
    with pytest.raises(PolicyError) as second:
        policyengine.load_policies(path)
    assert first.value.problems == second.value.problems
    assert any("no_such_fact_here" in p.message for p in first.value.problems)
    assert not cache.exists() or entries(cache) == []


def lifecycle_policy() -> Path:
    for path in BUNDLED:
        if "\nlifecycles:" in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError("no bundled policy has lifecycles")


def test_validated_lifecycles_are_kept_and_come_back_the_same(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policyengine.lifecycle import spec as lifecycle_spec

    source = lifecycle_policy()
    path = copy_of(source, tmp_path, source.name)  # named for its policy, as `decide` finds it
    monkeypatch.setenv("POLICYENGINE_NO_CACHE", "1")
    fresh = policyengine.load_policies(path)
    monkeypatch.delenv("POLICYENGINE_NO_CACHE")
    calls: list[str] = []
    real = lifecycle_spec.LifecycleSpec.model_validate

    def counting(raw: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("validate")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(lifecycle_spec.LifecycleSpec, "model_validate", counting)
    # first the decisions only (as `decide` loads a file), then the whole file twice
    policyengine.policyset.load_policies_for(fresh.names[0], path.parent)
    assert calls == []
    assert len(entries(cache)) == 1
    first = policyengine.load_policies(path)
    validated = len(calls)
    assert validated >= 1
    (entry,) = entries(cache)
    assert len(pickle.loads(entry.read_bytes())[4]) == validated  # the entry gained them
    again = policyengine.load_policies(path)
    assert len(calls) == validated  # from the entry this time
    (policy_id,) = fresh.names
    for loaded in (first, again):
        lifecycles = loaded.policy(policy_id).lifecycles
        assert lifecycles.keys() == fresh.policy(policy_id).lifecycles.keys()
        for name, compiled in lifecycles.items():
            # the same structure (functions compared by name: each compile makes its own)
            assert plain(compiled) == plain(fresh.policy(policy_id).lifecycles[name])


def plain(compiled: Any) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", repr(compiled))


def test_a_section_that_cannot_be_read_back_is_validated_afresh(tmp_path: Path) -> None:
    loaded = load.read_yaml_file(copy_of(BUNDLED[0], tmp_path))
    loaded.validated_sections["s"] = b"not a pickle"
    assert policy_cache.validated_section(loaded, "s", lambda: 42) == 42
    assert loaded.validated_sections["s"] == 42
    assert policy_cache.validated_section(loaded, "t", lambda: None) is None
    assert "t" not in loaded.validated_sections
