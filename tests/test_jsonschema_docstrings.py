"""The JSON Schema's field descriptions come from the field docstrings, read by the export itself
(the models do not ask pydantic to read their source at import): the same text pydantic's own
``use_attribute_docstrings`` reading gives, for every model the schemas describe."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

from policyengine.jsonschema_export import _models, field_docstrings, policy_schema
from policyengine.lifecycle import LifecycleSpec
from policyengine.scenarios import ScenarioFile
from policyengine.schema import PolicyFile

MODELS = sorted({**_models(PolicyFile), **_models(LifecycleSpec), **_models(ScenarioFile)}
                .items())


@pytest.mark.parametrize(("name", "model"), MODELS, ids=[n for n, _ in MODELS])
def test_field_docstrings_are_what_pydantic_reads(name: str, model: type[BaseModel]) -> None:
    assert field_docstrings(model) == extract_docstrings_from_cls(model, use_inspect=True)
    assert set(field_docstrings(model)) <= set(model.model_fields)


def test_the_models_leave_descriptions_to_the_export() -> None:
    """No field carries a description at run time (nothing reads the source at import), yet the
    schema describes every documented field."""
    assert all(f.description is None for _, m in MODELS for f in m.model_fields.values())
    rule = policy_schema()["$defs"]["Rule"]["properties"]
    assert rule["exception_to"]["description"].startswith("The id of a rule this one overrides")


def test_no_model_reads_its_source_at_import() -> None:
    """The reason for it: pydantic's reading of attribute docstrings parses each model's source
    file when the class is made, at every import of the package."""
    assert not [n for n, m in MODELS if m.model_config.get("use_attribute_docstrings")]
