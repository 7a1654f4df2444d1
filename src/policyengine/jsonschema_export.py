"""JSON Schemas for policy files and scenario files, generated from the pydantic models.

The schemas are what an editor's YAML language server needs for completion, hover text and
problems as you type (docs/editor.md). They are generated from the models the loader validates
with (:mod:`~policyengine.schema`, :mod:`~policyengine.lifecycle`, :mod:`~policyengine.scenarios`),
so they cannot drift from it; the descriptions are the models' field docstrings. A few things the
models accept through a ``mode="before"`` validator (a single citation without the list around
it, an obligation opened by an event's bare name) are written into the schema here.

The schemas ship in the package as ``policyengine/schemas/*.json``; ``policyengine schema
--write`` (or ``python -m policyengine.jsonschema_export``) regenerates them and a test checks
they are up to date. ``policyengine schema [policy|scenario]`` prints one.

What a schema cannot check, ``policyengine check`` does: names (facts, outcomes, rules,
interpretations) that must refer to each other, conditions and values, and YAML 1.1 readings
(``no`` as false, ``17:00`` as a number) that an editor reading YAML 1.2 sees as text.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from .facts import ALL_KINDS
from .lifecycle import _LIST_FIELDS, LifecycleSpec
from .scenarios import ScenarioFile
from .schema import PolicyFile

#: Where the generated schemas live inside the package.
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
#: The schemas by kind, and their file names.
FILES = {"policy": "policy.schema.json", "scenario": "scenario.schema.json"}
DIALECT = "https://json-schema.org/draft/2020-12/schema"
GENERATED = "Generated from the policyengine models by 'policyengine schema --write'"

#: Fields whose ``mode="before"`` validator also accepts one item without the list around it.
_ONE_OR_MANY: dict[str, frozenset[str]] = {"Rule": frozenset({"cite"})}


def _collapse(node: Any) -> Any:
    """Descriptions on one line (docstrings wrap); no generated titles (the key says it)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                out[key] = " ".join(value.split())
            elif key == "title" and isinstance(value, str):
                continue
            elif key in ("properties", "$defs") and isinstance(value, dict):
                out[key] = {name: _collapse(sub) for name, sub in value.items()}
            else:
                out[key] = _collapse(value)
        return out
    if isinstance(node, list):
        return [_collapse(v) for v in node]
    return node


def _one_or_many(prop: dict[str, Any]) -> dict[str, Any]:
    """A list property that also takes a single item."""
    keep = {k: v for k, v in prop.items() if k in ("description", "default")}
    array = {k: v for k, v in prop.items() if k not in keep}
    if "anyOf" in array:  # an optional list: list | None
        return {**keep, "anyOf": [
            alt for a in array["anyOf"]
            for alt in ([a["items"], a] if a.get("type") == "array" else [a])
        ]}
    return {**keep, "anyOf": [array["items"], array]}


def _model_defs(defs: dict[str, Any], models: dict[str, type[BaseModel]]) -> None:
    """Write what the before-validators accept into the model definitions."""
    for name, model in models.items():
        definition = defs.get(name)
        if definition is None:
            continue
        fields = _ONE_OR_MANY.get(name, frozenset())
        if model.__module__ == LifecycleSpec.__module__:
            fields = fields | {f.alias or n for n, f in model.model_fields.items()
                               if n in _LIST_FIELDS}
        for field in fields:
            if field in definition.get("properties", {}):
                definition["properties"][field] = _one_or_many(definition["properties"][field])
    opened = defs.get("OpenedBySpec")
    if opened is not None:
        defs["OpenedBySpec"] = {
            "description": opened.get("description", ""),
            "anyOf": [{"type": "string", "description": "The name of the event that opens it."},
                      {k: v for k, v in opened.items() if k != "description"}],
        }
    fact_type = defs.get("FactType")
    if fact_type is not None:  # suggest the built-in kinds (any named type is allowed too)
        fact_type["properties"]["type"]["examples"] = list(ALL_KINDS)


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``root`` through its fields, by class name."""
    found: dict[str, type[BaseModel]] = {}
    todo = [root]
    while todo:
        model = todo.pop()
        if model.__name__ in found:
            continue
        found[model.__name__] = model
        for field in model.model_fields.values():
            todo.extend(_inner_models(field.annotation))
    return found


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) or () for m in _inner_models(arg)]


def field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The docstring written under each field of ``model``'s own class body, by field name.

    The models do not ask pydantic for them (``use_attribute_docstrings``): that reads and parses
    each class's source whenever the package is imported, and only these schemas need them."""
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(model)))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef)).body
    docs: dict[str, str] = {}
    for stmt, after in itertools.pairwise(body):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


class _DocumentedFields(GenerateJsonSchema):
    """Each field's docstring as its description, where pydantic would put a description: after
    the field's own schema, before its ``json_schema_extra``."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        model: type[BaseModel] = schema["cls"]
        docs = field_docstrings(model)
        props = json_schema.get("properties", {})
        for name, field in model.model_fields.items():
            key = field.alias or name
            if name not in docs or key not in props or "description" in props[key]:
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            prop = props[key]
            props[key] = {**{k: v for k, v in prop.items() if k not in extra},
                          "description": docs[name],
                          **{k: v for k, v in prop.items() if k in extra}}
        return json_schema


def _schema(root: type[BaseModel], extra: Sequence[type[BaseModel]], title: str
            ) -> dict[str, Any]:
    models = _models(root)
    for model in extra:
        models.update(_models(model))
    for model in models.values():
        # built now (their validators are built on first use): a default that is a model
        # instance (calendar: CalendarSpec()) is written with its class's serializer, which
        # pydantic before 2.10 does not build on demand
        model.model_rebuild()
    _, top = models_json_schema([(m, "validation") for m in (root, *extra)],
                                ref_template="#/$defs/{model}",
                                schema_generator=_DocumentedFields)
    defs: dict[str, Any] = top["$defs"]
    _model_defs(defs, models)
    body = defs.pop(root.__name__)
    return {
        "$schema": DIALECT,
        "$comment": f"{GENERATED} (pydantic {pydantic.VERSION}); do not edit",
        "title": title,
        **_collapse(body),
        "$defs": _collapse(dict(sorted(defs.items()))),
    }


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file (``policies/*.yaml``)."""
    schema = _schema(PolicyFile, [LifecycleSpec], "policyengine policy file")
    schema["properties"]["lifecycles"]["additionalProperties"] = {"$ref": "#/$defs/LifecycleSpec"}
    return schema


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (``policies/scenarios/*.yaml``)."""
    return _schema(ScenarioFile, [], "policyengine scenario file")


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "policy": policy_schema,
    "scenario": scenario_schema,
}


def schema_text(kind: str) -> str:
    """A schema as the JSON text the package ships."""
    return json.dumps(SCHEMAS[kind](), indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)write every schema into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, name in FILES.items():
        path = directory / name
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written


def shape(schema: dict[str, Any]) -> list[tuple[str, tuple[str, ...], tuple[str, ...],
                                              tuple[tuple[str, str], ...]]]:
    """What a schema says, whatever pydantic version wrote it: each model's keys, required keys
    and descriptions (versions differ in how they wrap a ``$ref`` and order a few entries)."""
    models = {"": schema, **schema.get("$defs", {})}
    out = []
    for name, model in sorted(models.items()):
        props = model.get("properties", {})
        out.append((name, tuple(sorted(props)), tuple(sorted(model.get("required", []))),
                    tuple(sorted((k, v.get("description", "")) for k, v in props.items()))))
    return out


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """The schema files in ``directory`` that differ from what the models generate. A file
    written with another pydantic version is compared by :func:`shape` only."""
    stale: list[Path] = []
    for kind, name in FILES.items():
        path = directory / name
        fresh = schema_text(kind)
        shipped = path.read_text(encoding="utf-8") if path.is_file() else ""
        if shipped == fresh:
            continue
        try:
            old = json.loads(shipped)
        except json.JSONDecodeError:
            old = {}
        same_writer = old.get("$comment") == json.loads(fresh)["$comment"]
        if same_writer or shape(old) != shape(json.loads(fresh)):
            stale.append(path)
    return stale


def cmd_schema(args: argparse.Namespace) -> int:
    if args.write is not None or args.check:
        directory = Path(args.write) if args.write else SCHEMA_DIR
        if args.check:
            stale = stale_schemas(directory)
            for path in stale:
                print(f"{path}: out of date; run 'policyengine schema --write'")
            return 1 if stale else 0
        for path in write_schemas(directory):
            print(f"wrote {path}")
        return 0
    print(schema_text(args.kind), end="")
    return 0


def add_cli(sub: Any, policies_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``schema`` command to the ``policyengine`` parser."""
    p = sub.add_parser("schema", help="print the JSON Schema of policy or scenario files "
                                      "(for editors: see docs/editor.md)")
    p.add_argument("kind", nargs="?", choices=sorted(FILES), default="policy",
                   help="policy (default) or scenario")
    p.add_argument("--write", nargs="?", const="", default=None, metavar="DIR",
                   help="write every schema into DIR (default: the package's schemas/)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the shipped schemas differ from the models")
    p.set_defaults(handler=cmd_schema)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m policyengine.jsonschema_export [--check]``: regenerate the shipped schemas."""
    parser = argparse.ArgumentParser(prog="python -m policyengine.jsonschema_export")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas()
        for path in stale:
            print(f"{path}: out of date", file=sys.stderr)
        return 1 if stale else 0
    for path in write_schemas():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
