"""The JSON Schemas for editors: shipped up to date, every key described, the bundled files valid,
and the schema agreeing with the loader on what is malformed."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import POLICIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from policyengine import PolicyError
from policyengine.cli import main
from policyengine.jsonschema_export import (
    SCHEMA_DIR,
    policy_schema,
    scenario_schema,
    stale_schemas,
    write_schemas,
)
from policyengine.lifecycle import LifecycleSpec
from policyengine.load import iter_paths, load_yaml_file, load_yaml_text
from policyengine.scenarios import ScenarioFile
from policyengine.schema import PolicyFile

jsonschema = pytest.importorskip("jsonschema")

POLICY_VALIDATOR = jsonschema.Draft202012Validator(
    policy_schema(), format_checker=jsonschema.FormatChecker())
SCENARIO_VALIDATOR = jsonschema.Draft202012Validator(
    scenario_schema(), format_checker=jsonschema.FormatChecker())


def as_json(value: Any) -> Any:
    """What an editor's YAML language server hands the schema: dates as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def schema_errors(validator: Any, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(as_json(data))]


def models_accept(data: Any) -> bool:
    """Whether the pydantic stage of the loader accepts a policy document (lifecycles too)."""
    try:
        PolicyFile.model_validate(data)
        for raw in (data.get("lifecycles") or {}).values():
            LifecycleSpec.model_validate(raw)
    except (ValidationError, AttributeError, TypeError):
        return False
    return True


def test_the_shipped_schemas_are_up_to_date(tmp_path: Path) -> None:
    assert stale_schemas() == [], "run: policyengine schema --write"
    assert stale_schemas(tmp_path) == [tmp_path / "policy.schema.json",
                                       tmp_path / "scenario.schema.json"]
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []
    for name in ("policy.schema.json", "scenario.schema.json"):
        assert json.loads((SCHEMA_DIR / name).read_text())["$schema"].endswith("2020-12/schema")


def _properties(node: Any, where: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found += [(f"{where}.{name}", prop) for name, prop in value.items()]
            found += _properties(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _properties(value, f"{where}[{i}]")
    return found


@pytest.mark.parametrize("make", [policy_schema, scenario_schema])
def test_every_key_has_a_description(make: Any) -> None:
    props = _properties(make())
    assert len(props) >= 20
    undescribed = [where for where, prop in props if not prop.get("description")]
    assert undescribed == []
    for model in make()["$defs"].values():
        assert model.get("description"), model


def test_schema_command_prints_each_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "scenario"]) == 0
    assert json.loads(capsys.readouterr().out) == scenario_schema()
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == policy_schema()
    assert main(["schema", "--check"]) == 0


BUNDLED = sorted(POLICIES.glob("*.yaml"))
SCENARIOS = sorted((POLICIES / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_policy_validates(path: Path) -> None:
    assert schema_errors(POLICY_VALIDATOR, load_yaml_file(path).data) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_bundled_scenario_file_validates(path: Path) -> None:
    assert schema_errors(SCENARIO_VALIDATOR, load_yaml_file(path).data) == []


GOOD = """\
policy:
  id: tiny
  organisation: Test Org
  title: Tiny
  version: "1"
  issued: 2024-01-01
  nation: england-and-wales
sources:
  doc: {file: doc.txt, title: Doc}
calendar:
  office_closes_at: "17:00"
  office_closes_at_interpretation: hours
interpretations:
  hours: {value: "17:00", note: office hours, signed_off: {by: Jo, on: 2024-02-01}}
decisions:
  colour:
    description: what colour
    facts:
      shade: {type: enum, values: [light, dark]}
    outcomes:
      ok: {type: bool}
    hit_policy: first
    rules:
      - id: light
        when: {shade: light}
        then: {ok: true}
        cite: {source: doc, quote: "light is fine"}
      - id: dark
        then: {ok: false}
        cite: [{source: doc, quote: "dark is not fine"}]
    invariants:
      - {id: decided, kind: status_in, description: always decided, statuses: [decided]}
"""

#: Broken files: (what is wrong, text to replace, replacement). The loader and the schema both
#: refuse each.
BROKEN = [
    ("misspelt top-level key", "decisions:", "decision:"),
    ("misspelt rule key", "        when: {shade: light}", "        wen: {shade: light}"),
    ("missing nation", "  nation: england-and-wales\n", ""),
    ("unknown nation", "nation: england-and-wales", "nation: england"),
    ("unquoted version", 'version: "1"', "version: 2.1"),
    ("unknown hit policy", "hit_policy: first", "hit_policy: any"),
    ("bad rule id", "id: light", "id: Light"),
    ("date written d/m/y", "issued: 2024-01-01", "issued: 16/03/2014"),
    ("date without leading zeros", "issued: 2024-01-01", "issued: 2009-3-16"),
    ("unquoted office time", 'office_closes_at: "17:00"', "office_closes_at: 17:00"),
    ("signed off without who and when", "signed_off: {by: Jo, on: 2024-02-01}",
     "signed_off: true"),
    ("sign-off without a date", "signed_off: {by: Jo, on: 2024-02-01}", "signed_off: {by: Jo}"),
    ("no citation", 'cite: [{source: doc, quote: "dark is not fine"}]', "cite: []"),
    ("unknown status", "  nation: england-and-wales\n",
     "  nation: england-and-wales\n  status: active\n"),
    ("a rule under invariants",
     "      - {id: decided, kind: status_in, description: always decided, statuses: [decided]}",
     "      - {id: odd, then: {ok: true}, cite: {source: doc, quote: \"light is fine\"}}"),
    ("no rules", "    rules:\n", "    rules: []\n    old_rules:\n"),
    ("bad invariant kind", "kind: status_in", "kind: sometimes"),
    ("fact type not a mapping", "shade: {type: enum, values: [light, dark]}", "shade: enum"),
    ("no sources", "  doc: {file: doc.txt, title: Doc}\n", "  {}\n"),
]


def test_the_good_file_is_good() -> None:
    loaded = load_yaml_text(GOOD, "p.yaml")
    assert models_accept(loaded.data)
    assert schema_errors(POLICY_VALIDATOR, loaded.data) == []


@pytest.mark.parametrize(("what", "old", "new"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_schema_rejects_what_the_loader_rejects(what: str, old: str, new: str) -> None:
    from policyengine.policyset import compile_policy_text

    assert old in GOOD
    text = GOOD.replace(old, new)
    with pytest.raises(PolicyError):
        compile_policy_text(text, "p.yaml")
    assert schema_errors(POLICY_VALIDATOR, load_yaml_text(text, "p.yaml").data), what


SCENARIO = """\
policy: tiny
as_of: 2024-03-01
scenarios:
  - name: light is ok
    decision: colour
    facts: {shade: light}
    expect: {status: decided, outcome: {ok: true}, fired: [light]}
  - name: a misspelt fact
    decision: colour
    facts: {shde: light}
    expect_error: {kind: facts, fact: shde}
"""

BROKEN_SCENARIOS = [
    ("misspelt expect", "expect: {status", "expcet: {status"),
    ("no decision", "    decision: colour\n    facts: {shade: light}\n",
     "    facts: {shade: light}\n"),
    ("unknown status", "status: decided", "status: done"),
    ("unknown error kind", "kind: facts", "kind: fact"),
    ("no scenarios", "scenarios:\n", "scenarios: []\nold:\n"),
    ("fired is a list", "fired: [light]", "fired: light"),
]


def scenario_models_accept(text: str) -> bool:
    try:
        ScenarioFile.model_validate(load_yaml_text(text, "s.yaml").data)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("what", "old", "new"), BROKEN_SCENARIOS,
                         ids=[b[0] for b in BROKEN_SCENARIOS])
def test_the_scenario_schema_rejects_what_the_runner_rejects(what: str, old: str,
                                                             new: str) -> None:
    assert scenario_models_accept(SCENARIO)
    assert schema_errors(SCENARIO_VALIDATOR, load_yaml_text(SCENARIO, "s.yaml").data) == []
    assert old in SCENARIO
    text = SCENARIO.replace(old, new)
    assert not scenario_models_accept(text)
    assert schema_errors(SCENARIO_VALIDATOR, load_yaml_text(text, "s.yaml").data), what


# A differential property: mutate a real policy (with a lifecycle) at random places, and the
# schema and the loader's models agree on whether the result is well-formed.
HALTON = load_yaml_file(POLICIES / "halton_conduct.yaml").data
HALTON_PATHS = [p for p in iter_paths(HALTON) if p]
ODD_VALUES = [0, 7, 1.5, True, False, "text", [], {}, None, ["a"], {"zzz_unknown": 1}]


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for step in path[:-1]:
        node = node[step]
    return node


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(HALTON_PATHS), st.integers(0, 2),
                          st.sampled_from(ODD_VALUES)), min_size=1, max_size=2))
def test_schema_and_models_agree_on_mutated_policies(
    mutations: list[tuple[tuple[Any, ...], int, Any]]
) -> None:
    data = copy.deepcopy(HALTON)
    for path, how, value in mutations:
        try:
            parent = _parent(data, path)
            key = path[-1]
            if how == 0 and isinstance(parent, dict):
                del parent[key]
            elif how == 1 and isinstance(parent, dict):
                parent["zzz_unknown"] = value
            else:
                parent[key] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue
    assert models_accept(data) == (not schema_errors(POLICY_VALIDATOR, data)), (
        mutations, schema_errors(POLICY_VALIDATOR, data)[:3])


def test_a_schema_from_another_pydantic_is_compared_by_what_it_says(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    path = tmp_path / "policy.schema.json"
    other = json.loads(path.read_text())
    other["$comment"] = "written by an older pydantic"
    other["$defs"]["Rule"]["properties"]["cite"] = {"allOf": [{"description": "wrapped"}],
                                                    **other["$defs"]["Rule"]["properties"]["cite"]}
    path.write_text(json.dumps(other))
    assert stale_schemas(tmp_path) == []  # only the wrapping differs
    other["$defs"]["Rule"]["properties"]["because"]["description"] = "something else"
    path.write_text(json.dumps(other))
    assert stale_schemas(tmp_path) == [path]


@pytest.mark.parametrize("path", BUNDLED + SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_files_name_their_schema_for_the_editor(path: Path) -> None:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    kind = "scenario" if path.parent.name == "scenarios" else "policy"
    target = (path.parent / first[len(prefix):]).resolve()
    assert target == (SCHEMA_DIR / f"{kind}.schema.json").resolve()
