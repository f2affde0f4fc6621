"""Validate JSON:API documents against the official schemas (tests/data/jsonapi-schema, CC0).

Loaded with the two fixes python-jsonschema needs (see tests/data/jsonapi-schema/README.md):
``patternProperties`` keys ``""`` become ``"^"``, and the pre-2019 ``dependencies`` keyword becomes
``dependentRequired``/``dependentSchemas``.  No format checker: ``format: uri`` would reject
spec-valid relative links.

``assert_response_valid(doc)`` checks a response document against the 1.1 draft schema and, when
it uses nothing 1.1-only, the 1.0 schema too.  Atomic Operations result documents are checked
result by result (each ``data`` as a single-resource document) since neither schema knows the
extension's members.  ``assert_request_valid(kind, doc)`` checks a request document.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

HERE = Path(__file__).resolve().parent / "data" / "jsonapi-schema"
ATOMIC_RESULTS = "atomic:results"


def _fix(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "patternProperties" and isinstance(value, dict):
                out[key] = {("^" if k == "" else k): _fix(v) for k, v in value.items()}
            elif key == "dependencies" and isinstance(value, dict):
                required = {k: v for k, v in value.items() if isinstance(v, list)}
                schemas = {k: _fix(v) for k, v in value.items() if not isinstance(v, list)}
                if required:
                    out["dependentRequired"] = required
                if schemas:
                    out["dependentSchemas"] = schemas
            else:
                out[key] = _fix(value)
        return out
    if isinstance(node, list):
        return [_fix(v) for v in node]
    return node


@cache
def _validators(version: str) -> dict[str, Draft202012Validator]:
    folder = HERE / version
    schemas = {p.stem: _fix(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))}
    registry: Registry = Registry()
    for schema in schemas.values():
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return {name: Draft202012Validator(schema, registry=registry) for name, schema in schemas.items()}


def response_errors(doc: Any, version: str = "1.1-draft") -> list[str]:
    validator = _validators(version)["schema"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def _uses_1_1(doc: Any) -> bool:
    text = json.dumps(doc)
    return '"lid"' in text or '"ext"' in text or '"header"' in text


def assert_response_valid(doc: Any) -> None:
    """Fail unless ``doc`` is a valid JSON:API response document."""
    if isinstance(doc, dict) and ATOMIC_RESULTS in doc:
        results = doc[ATOMIC_RESULTS]
        assert isinstance(results, list) and results, "atomic:results must be a non-empty array"
        assert "data" not in doc and "errors" not in doc and "included" not in doc
        for i, result in enumerate(results):
            assert isinstance(result, dict), f"result {i} is not an object"
            assert set(result) <= {"data", "meta"}, f"result {i} has members {sorted(result)}"
            if "data" in result:
                inner = {"data": result["data"], "jsonapi": doc.get("jsonapi", {})}
                problems = response_errors(inner)
                assert not problems, f"atomic:results/{i}: {problems}"
        return
    problems = response_errors(doc)
    assert not problems, f"not a valid JSON:API 1.1 document: {problems}\n{json.dumps(doc)[:2000]}"
    if not _uses_1_1(doc):
        problems = response_errors(doc, "1.0")
        assert not problems, f"not a valid JSON:API 1.0 document: {problems}\n{json.dumps(doc)[:2000]}"


def request_errors(kind: str, doc: Any, version: str = "1.1-draft") -> list[str]:
    """Errors of a request document; ``kind`` is create_resource, update_resource or update_relationship."""
    validator = _validators(version)[f"schema_{kind}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


JSONAPI_PREFIX = "/jsonapi"
RESTLESS_PREFIX = "/restless/api"


def assert_restless_response_valid(doc: Any) -> None:
    """Fail unless ``doc`` is a valid JSON:API 1.0 response document (the ``restless`` door's version)."""
    problems = response_errors(doc, "1.0")
    assert not problems, f"not a valid JSON:API 1.0 document: {problems}\n{json.dumps(doc)[:2000]}"


def check_jsonapi_response(response: Any) -> None:
    """httpx response hook: every document the ``/jsonapi`` front door emits must be valid JSON:API
    (1.1, and 1.0 when it uses nothing newer), every one of ``/restless/api`` valid JSON:API 1.0.

    Installed on the test clients (``tests/conftest.py``, ``tests/dialects/jsonapi_support.py``,
    the end-to-end tests), so no JSON:API response in the suite escapes the official schema.
    """
    path = response.request.url.path
    restless = path == RESTLESS_PREFIX or path.startswith(RESTLESS_PREFIX + "/")
    if not (restless or path.startswith(JSONAPI_PREFIX)):
        return
    if not response.headers.get("content-type", "").startswith("application/vnd.api+json"):
        return
    body = response.read()
    if body:
        doc = json.loads(body)
        (assert_restless_response_valid if restless else assert_response_valid)(doc)


async def validate_jsonapi_response(response: Any) -> None:
    """The same hook for async clients."""
    await response.aread()
    check_jsonapi_response(response)
