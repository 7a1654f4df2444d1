"""A pytest plugin: ``pytest policies/`` runs every YAML scenario as a test item of its own.

Registered through the ``pytest11`` entry point, so installing the package is enough. A YAML file
is a scenario file when it has top-level ``policy:`` and ``scenarios:`` keys; each of its
scenarios becomes an item named by the scenario (``policies/scenarios/halton_conduct.yaml::
notification on the Wednesday before Easter``), so pytest's ``-k``, ``-x``, ``--lf`` and
``--junitxml`` work on scenarios, and a failure shows the scenario's file, line and what differed.

The policies a scenario file tests are loaded from ``--policyengine-policies DIR`` when given;
otherwise from the directory above a ``scenarios/`` directory (``policies/scenarios/x.yaml``
tests ``policies/``), or else the scenario file's own directory. Each directory is loaded once
per session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .errors import PolicyEngineError, PolicyError
from .load import load_yaml_file
from .policyset import PolicySet, load_policies
from .scenarios import Scenario, ScenarioFile, run_scenario, run_scenario_file

_TOP_LEVEL = re.compile(r"^(policy|scenarios):", re.MULTILINE)
_POLICIES = pytest.StashKey[dict[Path, PolicySet | PolicyError]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("policyengine", "policyengine YAML scenarios")
    group.addoption("--policyengine-policies", metavar="DIR", default=None,
                    help="the policy file or directory the YAML scenarios test "
                         "(default: the directory above scenarios/)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_POLICIES] = {}
    config.addinivalue_line("markers", "policyengine: a YAML scenario (the policyengine plugin)")


def is_scenario_file(path: Path) -> bool:
    """Whether ``path`` looks like a scenario file (top-level ``policy:`` and ``scenarios:``)."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return {m.group(1) for m in _TOP_LEVEL.finditer(text)} == {"policy", "scenarios"}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path):
        collected: pytest.Collector = ScenarioYaml.from_parent(parent, path=file_path)
        return collected
    return None


def _policies_for(config: pytest.Config, path: Path) -> PolicySet | PolicyError:
    option = config.getoption("--policyengine-policies")
    if option:
        where = Path(option)
    elif path.parent.name == "scenarios":
        where = path.parent.parent
    else:
        where = path.parent
    where = where.resolve()
    cache = config.stash[_POLICIES]
    if where not in cache:
        try:
            cache[where] = load_policies(where)
        except PolicyError as exc:
            cache[where] = exc
    return cache[where]


class ScenarioYaml(pytest.File):
    """A scenario file: one item per scenario."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            loaded = load_yaml_file(self.path)
            spec = ScenarioFile.model_validate(loaded.data)
        except (PolicyError, ValueError):
            # report it as the command line does, with file:line:column
            run = run_scenario_file(self.path, PolicySet({}))
            raise self.CollectError("\n".join(str(p) for p in run.problems)) from None
        seen: dict[str, int] = {}
        for i, scenario in enumerate(spec.scenarios):
            name = scenario.name
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} [{seen[name]}]"
            line = loaded.position(("scenarios", i)).line
            yield ScenarioItem.from_parent(self, name=name, spec=spec, scenario=scenario,
                                           line=line)


class ScenarioFailed(Exception):
    """A scenario's decision did not come out as expected."""


class ScenarioItem(pytest.Item):
    """One YAML scenario."""

    def __init__(self, *, spec: ScenarioFile, scenario: Scenario, line: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.scenario = scenario
        self.line = line
        self.add_marker(pytest.mark.policyengine)

    def runtest(self) -> None:
        policies = _policies_for(self.config, self.path)
        if isinstance(policies, PolicyError):
            raise ScenarioFailed("the policies did not load:\n" + "\n".join(
                str(p) for p in policies.problems))
        result = run_scenario(self.spec, self.scenario, policies, str(self.path), self.line)
        if result.failures:
            raise ScenarioFailed("\n".join(result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed | PolicyEngineError):
            where = f"{self.path}:{self.line}"
            head = f"{self.spec.policy}.{self.scenario.decision}: {self.scenario.name} ({where})"
            body = "\n".join(f"  {line}" for line in str(excinfo.value).splitlines())
            return f"{head}\n{body}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, f"{self.spec.policy}.{self.scenario.decision}: {self.name}"
