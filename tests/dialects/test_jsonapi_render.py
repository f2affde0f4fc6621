"""Rendering: error objects and pointers, response headers, documents from hand-built outcomes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import orjson
import pytest

from relgate.config import Config, Route
from relgate.dialects import Intent
from relgate.dialects.jsonapi import JsonApiProfile, server
from relgate.dialects.jsonapi.errors import error_object, source_path
from relgate.model import (
    Batch,
    HttpRequest,
    Ident,
    LinkageResult,
    One,
    Outcome,
    Problem,
    ProblemError,
    Resource,
    ResourceList,
)
from tests.dialects.jsonapi_support import http_request
from tests.jsonapi_schema import assert_response_valid

DOC = {
    "data": {
        "type": "people",
        "id": "1",
        "attributes": {"name": "A"},
        "relationships": {"articles": {"data": [{"type": "articles", "id": "1"}]}},
    }
}


def route(**options: Any) -> Route:
    return Route(prefix="/jsonapi", dialect="jsonapi", options=options)


def codec(config: Config, profile: JsonApiProfile | None = None, **options: Any) -> Any:
    return server(config.schema, route(**options), config.server, profile or JsonApiProfile())


def body(resp: Any) -> Any:
    return orjson.loads(resp.body)


@pytest.mark.parametrize(
    ("at", "member", "pointer"),
    [
        (("data",), "name", "/data/attributes/name"),
        (("data",), "articles", "/data/relationships/articles"),
        (("data",), "id", "/data/id"),
        (("data",), "age", "/data"),  # not in the document: the resource object itself
        (("data", "relationships", "articles", "data", 5), None, "/data/relationships/articles/data"),  # cut back to what exists
        (("data", "attributes", "name", "deeper"), None, "/data/attributes/name"),
        ((), None, ""),
        (None, None, None),
    ],
)
def test_pointers_name_existing_members(at: Any, member: str | None, pointer: str | None) -> None:
    obj = error_object(Problem(409, "conflict", "Conflict", "x", at=at, member=member), DOC)
    assert obj.get("source", {}).get("pointer") == pointer


def test_pointer_escaping_and_no_document() -> None:
    doc = {"a/b": {"c~d": 1}}
    assert error_object(Problem(400, "invalid", "t", at=("a/b", "c~d")), doc)["source"] == {"pointer": "/a~1b/c~0d"}
    assert source_path(Problem(400, "invalid", "t", at=("data", "x")), None) == ("data", "x")
    assert source_path(Problem(400, "invalid", "t", at=()), None) is None


def test_error_object_members() -> None:
    p = Problem(400, "bad-parameter", "Bad", "detail", parameter="sort", meta={"k": 1})
    assert error_object(p, None) == {
        "status": "400",
        "code": "bad-parameter",
        "title": "Bad",
        "detail": "detail",
        "source": {"parameter": "sort"},
        "meta": {"k": 1},
    }
    assert error_object(Problem(415, "unsupported-media-type", "U", "d", header="Content-Type"), None)["source"] == {
        "header": "Content-Type"
    }


def test_render_error_document_and_headers(example_config: Config) -> None:
    c = codec(example_config)
    req = http_request("POST", "/jsonapi/people", DOC)
    err = ProblemError(
        Problem(409, "conflict", "Taken", "name taken", at=("data",), member="name"),
        Problem(404, "not-found", "Missing", "no article", at=("data", "relationships", "articles", "data", 0)),
    )
    resp = c.render_error(err, req)
    assert resp.status == 400  # mixed 4xx: the most generally applicable
    headers = dict(resp.headers)
    assert headers == {"Content-Type": "application/vnd.api+json", "Vary": "Accept"}
    doc = body(resp)
    assert_response_valid(doc)
    assert [e["source"]["pointer"] for e in doc["errors"]] == ["/data/attributes/name", "/data/relationships/articles/data/0"]
    # 413 from the app: no document to point into, a body that is not even JSON
    resp = c.render_error(ProblemError(Problem(413, "too-large", "Too large", "limit")), HttpRequest("POST", "/people", body=b"x" * 10))
    assert resp.status == 413 and body(resp)["errors"][0]["code"] == "too-large"
    assert c.render_error(ProblemError(Problem(500, "internal", "Internal")), None).status == 500


def test_error_hooks(example_config: Config) -> None:
    def shape(problem: Problem, obj: dict[str, Any]) -> dict[str, Any]:
        return {**obj, "title": obj["title"].lower(), "id": None}

    def status(problems: tuple[Problem, ...]) -> int:
        return 409 if any(p.status == 409 for p in problems) else 400

    c = codec(example_config, JsonApiProfile(shape_error=shape, error_status=status, version="1.0"))
    err = ProblemError(Problem(409, "conflict", "Taken"), Problem(400, "invalid", "Bad"))
    resp = c.render_error(err, None)
    assert resp.status == 409
    assert body(resp) == {
        "jsonapi": {"version": "1.0"},
        "errors": [
            {"status": "409", "code": "conflict", "title": "taken", "id": None},
            {"status": "400", "code": "invalid", "title": "bad", "id": None},
        ],
    }


def res(type_: str, id_: str, attributes: dict[str, Any], relationships: dict[str, Any]) -> Resource:
    return Resource(type_, id_, attributes, relationships)


ALICE = res("people", "1", {"name": "A", "age": None, "birth_date": None}, {"articles": (Ident("articles", "1"),), "computers": ()})
A1 = res("articles", "1", {"title": "T"}, {"author": Ident("people", "1")})


def test_render_collection_with_pagination_and_compound(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("GET", "/jsonapi/people?include=articles&page[number]=2&page[size]=1"))
    resp = c.render(intent, Outcome((ResourceList((ALICE,), total=3, included=(A1, ALICE, A1)),)))
    doc = body(resp)
    assert_response_valid(doc)
    assert resp.status == 200 and dict(resp.headers)["Vary"] == "Accept"
    assert [(r["type"], r["id"]) for r in doc["included"]] == [("articles", "1")]  # no repeats, primary not repeated
    assert doc["meta"] == {"total": 3}
    links = doc["links"]
    assert links["self"] == "/jsonapi/people?include=articles&page[number]=2&page[size]=1"
    assert links["prev"].endswith("page%5Bnumber%5D=1&page%5Bsize%5D=1")
    assert links["next"].endswith("page%5Bnumber%5D=3&page%5Bsize%5D=1")
    assert links["last"].endswith("page%5Bnumber%5D=3&page%5Bsize%5D=1")
    assert links["first"] == "/jsonapi/people?include=articles&page%5Bnumber%5D=1&page%5Bsize%5D=1"


def test_render_without_total_guesses_next_from_a_full_page(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("GET", "/jsonapi/people?page[size]=1"))
    doc = body(c.render(intent, Outcome((ResourceList((ALICE,)),))))
    assert doc["links"]["last"] is None and doc["links"]["next"] is not None and "meta" not in doc


def test_render_relationship_and_sparse_fields(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("GET", "/jsonapi/articles/1/relationships/author?include=author&fields[people]=name"))
    doc = body(c.render(intent, Outcome((LinkageResult(Ident("people", "1"), (ALICE,)),))))
    assert_response_valid(doc)
    assert doc["data"] == {"type": "people", "id": "1"}
    assert doc["included"] == [{"type": "people", "id": "1", "attributes": {"name": "A"}, "links": {"self": "/jsonapi/people/1"}}]
    assert doc["links"] == {"self": "/jsonapi/articles/1/relationships/author", "related": "/jsonapi/articles/1/author"}


def test_render_uses_the_base_url_given_by_the_app(example_config: Config) -> None:
    c = codec(example_config)
    request = dataclasses.replace(http_request("GET", "/jsonapi/articles/1"), base="https://api.example.com/jsonapi")
    doc = body(c.render(c.parse(request), Outcome((One(A1),))))
    assert doc["links"]["self"] == "https://api.example.com/jsonapi/articles/1"
    assert doc["data"]["relationships"]["author"]["links"]["related"] == "https://api.example.com/jsonapi/articles/1/author"


def test_created_has_location_matching_self_link(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("POST", "/jsonapi/articles", {"data": {"type": "articles", "attributes": {"title": "T"}}}))
    resp = c.render(intent, Outcome((One(A1),)))
    assert resp.status == 201
    assert dict(resp.headers)["Location"] == body(resp)["data"]["links"]["self"] == "/jsonapi/articles/1"


def test_204_has_no_body_and_no_content_type(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("DELETE", "/jsonapi/articles/1"))
    resp = c.render(intent, Outcome((None,)))
    assert (resp.status, resp.body, dict(resp.headers)) == (204, b"", {"Vary": "Accept"})


def test_attribute_values_are_rendered_as_json(example_config: Config) -> None:
    import datetime as dt

    c = codec(example_config)
    comp = res("computers", "2", {"name": "n", "vendor": None, "purchase_time": dt.datetime(2020, 1, 2, 3, 4, 5)}, {"owner": None})
    doc = body(c.render(c.parse(http_request("GET", "/jsonapi/computers/2")), Outcome((One(comp),))))
    assert doc["data"]["attributes"] == {"name": "n", "vendor": None, "purchase_time": "2020-01-02T03:04:05"}
    assert doc["data"]["relationships"]["owner"]["data"] is None


def test_intent_batches_are_atomic_and_contexts_private(example_config: Config) -> None:
    c = codec(example_config)
    intent = c.parse(http_request("PATCH", "/jsonapi/people/1?include=articles", DOC))
    assert isinstance(intent, Intent) and isinstance(intent.batch, Batch) and intent.batch.atomic
    assert json.loads(json.dumps([type(o).__name__ for o in intent.batch.ops])) == ["Update", "Get"]
