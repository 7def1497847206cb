"""The OpenAPI 3.1 document served at /openapi.json describes exactly what the app registers,
with the bearer scheme and the {error, code} shape on every care-team refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.api import openapi_document
from agents.app import create_app
from hub.config import Settings

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def test_the_document_lists_every_route_and_method_the_app_registers(
        document: dict[str, Any], tmp_path: Path) -> None:
    """No route undocumented, no documented route missing (HEAD is implicit)."""
    app = create_app(Settings(store="memory://", data_dir=str(tmp_path)))
    registered = {(path, method.lower()) for path, view in app.web.views.items()
                  for method in view.get_methods() if method != "HEAD"}
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method in METHODS}
    assert documented == registered


def test_it_is_openapi_3_1_and_every_reference_resolves(document: dict[str, Any]) -> None:
    """openapi 3.1.x; each $ref points at a component that exists."""
    assert document["openapi"].startswith("3.1.")

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [
                r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    for ref in refs(document):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in document[section][kind], ref


def test_care_team_operations_use_the_bearer_and_the_error_shape(
        document: dict[str, Any]) -> None:
    """Every bearer operation answers 401/403 with {error, code}; the shape requires both."""
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "code"]
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security", document["security"]) != [{"bearer": []}]:
                continue
            codes = operation["responses"]
            assert {"401", "403"} <= set(codes), (path, method)
            for status, answer in codes.items():
                if status.startswith(("4", "5")):
                    name = answer["$ref"].rsplit("/", 1)[1]
                    schema = responses[name]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)


def test_every_door_has_a_lock_except_the_probes_and_this_document(
        document: dict[str, Any]) -> None:
    """Issue 13: each operation names its credential (the care team's or the pages' bearer, the
    sending systems' own, Prometheus's, Twilio's signature); only the probes and the document
    itself, which carry no data, are open."""
    open_doors = {(path, method) for path, item in document["paths"].items()
                  for method, operation in item.items()
                  if not operation.get("security", document["security"])}
    assert open_doors == {("/openapi.json", "get"), ("/healthz", "get"), ("/readyz", "get")}
    locks = {path: operation.get("security", document["security"])
             for path, item in document["paths"].items() for operation in item.values()}
    assert locks["/hl7"] == [{"hl7Bearer": []}] and locks["/metrics"] == [{"metricsBearer": []}]
    assert locks["/twilio/sms"] == [{"twilioSignature": []}]
