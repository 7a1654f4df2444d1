"""What a decision ran on (policyengine.runtime): versions read without importlib.metadata
agree with importlib.metadata's (the oracle)."""

from __future__ import annotations

import importlib.metadata

import pytest

from policyengine import __version__
from policyengine.runtime import engine_version, installed_version, runtime_versions


@pytest.mark.parametrize(("distribution", "module"), [
    ("PyYAML", "yaml"), ("pydantic", "pydantic"), ("pydantic-core", "pydantic_core"),
    ("holidays", "holidays"), ("tzdata", "tzdata"), ("hypothesis", "hypothesis"),
])
def test_an_installed_version_is_importlib_metadatas(distribution: str, module: str) -> None:
    assert installed_version(distribution, module) == importlib.metadata.version(distribution)


def test_a_module_that_is_not_installed_has_no_version() -> None:
    assert installed_version("no-such-distribution", "no_such_module_here") is None
    # a module found but not beside a dist-info folder of that name (the standard library)
    assert installed_version("json", "json") is None


def test_the_engine_names_the_installed_release() -> None:
    assert engine_version() == __version__ == importlib.metadata.version("housing-policyengine")


def test_the_data_versions_are_importlib_metadatas() -> None:
    assert runtime_versions()["holidays"] == importlib.metadata.version("holidays")
    assert runtime_versions()["tzdata"] not in ("", "unknown")
