"""Issue 2's "Bad input" list, walked through the Gateway: each case gets its status, a JSON:API
error object with a pointer (or parameter/header), and leaves every table exactly as it was."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import Config
from tests.dialects.jsonapi_support import JSONAPI, gateway_client
from tests.jsonapi_schema import assert_response_valid
from tests.store_rows import Rows, store_rows

H = {"Content-Type": JSONAPI, "Accept": JSONAPI}


async def snapshot(gw: Gateway) -> Rows:
    """Every row of every table of the store (to compare before and after)."""
    return await store_rows(gw.store)


async def seed(client: httpx.AsyncClient) -> None:
    for path, body in [
        ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Alice", "age": 30}}}),
        (
            "/jsonapi/articles",
            {
                "data": {
                    "type": "articles",
                    "attributes": {"title": "A1"},
                    "relationships": {"author": {"data": {"type": "people", "id": "1"}}},
                }
            },
        ),
        ("/jsonapi/articles", {"data": {"type": "articles", "attributes": {"title": "A2"}}}),
    ]:
        r = await client.post(path, content=json.dumps(body), headers=H)
        assert r.status_code == 201, r.text


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


ARTICLE_LINK = {"data": [{"type": "articles", "id": "2"}]}
CASES: list[tuple[str, str, str, dict[str, str], bytes, int, dict[str, str]]] = [
    # name, method, path, headers, body, status, expected source
    ("malformed JSON", "POST", "/jsonapi/people", H, b'{"data": {"type": "people",', 400, {}),
    ("body that is not an object", "POST", "/jsonapi/people", H, b'[{"type": "people"}]', 400, {"pointer": ""}),
    ("data that is not an object", "POST", "/jsonapi/people", H, body({"data": [{"type": "people"}]}), 400, {"pointer": "/data"}),
    ("missing data", "POST", "/jsonapi/people", H, body({"meta": {}}), 400, {"pointer": ""}),
    (
        "missing Content-Type",
        "POST",
        "/jsonapi/people",
        {"Accept": JSONAPI},
        body({"data": {"type": "people"}}),
        415,
        {"header": "Content-Type"},
    ),
    (
        "wrong Content-Type",
        "POST",
        "/jsonapi/people",
        {"Content-Type": "application/json"},
        body({"data": {"type": "people"}}),
        415,
        {"header": "Content-Type"},
    ),
    (
        "media type parameter other than ext/profile",
        "PATCH",
        "/jsonapi/people/1",
        {"Content-Type": f"{JSONAPI}; charset=utf-8"},
        body({"data": {"type": "people", "id": "1"}}),
        415,
        {"header": "Content-Type"},
    ),
    (
        "Accept with only parameterised JSON:API types",
        "GET",
        "/jsonapi/people",
        {"Accept": f"{JSONAPI}; charset=utf-8"},
        b"",
        406,
        {"header": "Accept"},
    ),
    ("unknown type in the body", "POST", "/jsonapi/people", H, body({"data": {"type": "unicorns"}}), 409, {"pointer": "/data/type"}),
    (
        "unknown type in linkage",
        "POST",
        "/jsonapi/people",
        H,
        body({"data": {"type": "people", "relationships": {"articles": {"data": [{"type": "unicorns", "id": "1"}]}}}}),
        409,
        {"pointer": "/data/relationships/articles/data/0/type"},
    ),
    ("unknown type in the URL", "GET", "/jsonapi/unicorns", H, b"", 404, {}),
    (
        "unknown attribute",
        "POST",
        "/jsonapi/people",
        H,
        body({"data": {"type": "people", "attributes": {"name": "X", "shoe": 44}}}),
        400,
        {"pointer": "/data/attributes/shoe"},
    ),
    (
        "attribute of the wrong type",
        "PATCH",
        "/jsonapi/people/1",
        H,
        body({"data": {"type": "people", "id": "1", "attributes": {"age": "old"}}}),
        400,
        {"pointer": "/data/attributes/age"},
    ),
    (
        "unknown relationship",
        "PATCH",
        "/jsonapi/people/1",
        H,
        body({"data": {"type": "people", "id": "1", "relationships": {"pets": {"data": []}}}}),
        400,
        {"pointer": "/data/relationships/pets"},
    ),
    ("unknown relationship in the URL", "PATCH", "/jsonapi/people/1/relationships/pets", H, body({"data": []}), 404, {}),
    (
        "relationship without data",
        "PATCH",
        "/jsonapi/people/1",
        H,
        body({"data": {"type": "people", "id": "1", "relationships": {"articles": {"links": {"self": "x"}}}}}),
        400,
        {"pointer": "/data/relationships/articles"},
    ),
    (
        "id of the wrong form in the body",
        "PATCH",
        "/jsonapi/articles/1",
        H,
        body({"data": {"type": "articles", "id": "1", "relationships": {"author": {"data": {"type": "people", "id": "one"}}}}}),
        400,
        {"pointer": "/data/relationships/author/data/id"},
    ),
    (
        "number as id in the body",
        "PATCH",
        "/jsonapi/people/1/relationships/articles",
        H,
        body({"data": [{"type": "articles", "id": 2}]}),
        400,
        {"pointer": "/data/0/id"},
    ),
    ("id of the wrong form in the URL", "PATCH", "/jsonapi/people/one", H, body({"data": {"type": "people", "id": "one"}}), 404, {}),
    (
        "null for a to-many",
        "PATCH",
        "/jsonapi/people/1",
        H,
        body({"data": {"type": "people", "id": "1", "relationships": {"articles": {"data": None}}}}),
        400,
        {"pointer": "/data/relationships/articles/data"},
    ),
    (
        "array for a to-one",
        "PATCH",
        "/jsonapi/articles/1",
        H,
        body({"data": {"type": "articles", "id": "1", "relationships": {"author": {"data": [{"type": "people", "id": "1"}]}}}}),
        400,
        {"pointer": "/data/relationships/author/data"},
    ),
    (
        "duplicate members in one linkage array",
        "POST",
        "/jsonapi/people/1/relationships/articles",
        H,
        body({"data": [{"type": "articles", "id": "2"}, {"type": "articles", "id": "1"}, {"type": "articles", "id": "2"}]}),
        400,
        {"pointer": "/data/2"},
    ),
    (
        # (on a relationship URL the type is implied: test_untyped_members_on_relationship_urls)
        "resource identifier without type in inline linkage",
        "PATCH",
        "/jsonapi/people/1",
        H,
        body({"data": {"type": "people", "id": "1", "relationships": {"articles": {"data": [{"id": "2"}]}}}}),
        400,
        {"pointer": "/data/relationships/articles/data/0"},
    ),
    (
        "identifier with id and lid",
        "POST",
        "/jsonapi/people/1/relationships/articles",
        H,
        body({"data": [{"type": "articles", "id": "2", "lid": "x"}]}),
        400,
        {"pointer": "/data/0"},
    ),
    (
        "missing related resource",
        "POST",
        "/jsonapi/people/1/relationships/articles",
        H,
        body({"data": [{"type": "articles", "id": "2"}, {"type": "articles", "id": "9"}]}),
        404,
        {"pointer": "/data/1"},
    ),
    (
        "DELETE of relationship members without a body",
        "DELETE",
        "/jsonapi/people/1/relationships/articles",
        {"Accept": JSONAPI},
        b"",
        400,
        {},
    ),
    (
        "duplicate member names: the document is ambiguous",
        "POST",
        "/jsonapi/people",
        H,
        b'{"data": {"type": "people", "attributes": {"name": "Ann"}}, "data": {"type": "people"}}',
        400,
        {"pointer": "/data"},
    ),
    (
        "duplicate member names inside attributes",
        "PATCH",
        "/jsonapi/people/1",
        H,
        b'{"data": {"type": "people", "id": "1", "attributes": {"name": "Ann", "age": 3, "name": "Bea"}}}',
        400,
        {"pointer": "/data/attributes/name"},
    ),
    (
        "JSON:API Content-Type with charset on a DELETE without a body",
        "DELETE",
        "/jsonapi/articles/2",
        {"Content-Type": f"{JSONAPI}; charset=utf-8"},
        b"",
        415,
        {"header": "Content-Type"},
    ),
    ("id beyond 64 bits", "GET", "/jsonapi/people/9223372036854775808", H, b"", 404, {}),
    ("DELETE of an id beyond 64 bits", "DELETE", "/jsonapi/articles/99999999999999999999", H, b"", 404, {}),
    (
        "integer attribute beyond 64 bits",
        "POST",
        "/jsonapi/people",
        H,
        body({"data": {"type": "people", "attributes": {"name": "Big", "age": 2**63}}}),
        400,
        {"pointer": "/data/attributes/age"},
    ),
    (
        "date-time that leaves the calendar once converted to UTC",
        "POST",
        "/jsonapi/computers",
        H,
        body({"data": {"type": "computers", "attributes": {"purchase_time": "9999-12-31T23:59:59-05:00"}}}),
        400,
        {"pointer": "/data/attributes/purchase_time"},
    ),
    ("integer filter beyond 64 bits", "GET", "/jsonapi/people?filter[age]=9223372036854775808", H, b"", 400, {"parameter": "filter[age]"}),
    (
        "NUL character in a string attribute (PostgreSQL text cannot hold it)",
        "POST",
        "/jsonapi/people",
        H,
        body({"data": {"type": "people", "attributes": {"name": "a\u0000b"}}}),
        400,
        {"pointer": "/data/attributes/name"},
    ),
    ("NUL character in a filter value", "GET", "/jsonapi/people?filter[name]=a%00b", H, b"", 400, {"parameter": "filter[name]"}),
    ("text operator on an integer", "GET", "/jsonapi/people?filter[age][contains]=3", H, b"", 400, {"parameter": "filter[age][contains]"}),
    ("text operator on an id", "GET", "/jsonapi/articles?filter[author][like]=1", H, b"", 400, {"parameter": "filter[author][like]"}),
    ("unsupported query parameter", "GET", "/jsonapi/people?sort=name&shoe=44", H, b"", 400, {"parameter": "shoe"}),
    ("bad page size", "GET", "/jsonapi/people?page[size]=-1", H, b"", 400, {"parameter": "page[size]"}),
    ("unknown include path", "GET", "/jsonapi/articles/1/relationships/author?include=author.pets", H, b"", 400, {"parameter": "include"}),
    (
        "include path not starting at the relationship",
        "GET",
        "/jsonapi/people/1/relationships/articles?include=computers",
        H,
        b"",
        400,
        {"parameter": "include"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_bad_input(case: tuple[Any, ...], example_config: Config, sqlite_url: str) -> None:
    _name, method, path, headers, raw, status, source = case
    async with gateway_client(example_config, sqlite_url) as (gw, client):
        await seed(client)
        before = await snapshot(gw)
        r = await client.request(method, path, content=raw, headers=headers)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == JSONAPI
        doc = r.json()
        assert_response_valid(doc)
        errors = doc["errors"]
        assert errors and all(e["status"] == str(status) or len(errors) > 1 for e in errors)
        assert all(e["title"] and e["detail"] and e["code"] for e in errors)
        if source:
            assert errors[0].get("source") == source, errors
        assert await snapshot(gw) == before, "a rejected request changed the store"


async def test_too_large_and_too_deep(example_config: Config, sqlite_url: str) -> None:
    config = dataclasses.replace(example_config, server=dataclasses.replace(example_config.server, max_body_bytes=200, max_json_depth=5))
    async with gateway_client(config, sqlite_url) as (gw, client):
        await seed(client)
        before = await snapshot(gw)
        big = body({"data": {"type": "people", "attributes": {"name": "x" * 300}}})
        r = await client.post("/jsonapi/people", content=big, headers=H)
        assert r.status_code == 413
        assert_response_valid(r.json())
        assert r.json()["errors"][0]["code"] == "too-large"
        deep = body({"data": {"type": "people", "attributes": {"name": "x"}, "meta": {"a": {"b": {"c": {}}}}}})
        r = await client.post("/jsonapi/people", content=deep, headers=H)
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "too-deep"
        assert await snapshot(gw) == before


async def test_several_problems_in_one_document_are_all_reported(example_config: Config, sqlite_url: str) -> None:
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        await seed(client)
        doc = {
            "data": {
                "type": "people",
                "id": "1",
                "attributes": {"age": "old", "shoe": 1},
                "relationships": {"articles": {"data": None}, "computers": {"data": {"type": "computers", "id": "1"}}},
            }
        }
        r = await client.patch("/jsonapi/people/1", content=body(doc), headers=H)
        assert r.status_code == 400
        pointers = [e["source"]["pointer"] for e in r.json()["errors"]]
        assert pointers == [
            "/data/attributes/age",
            "/data/attributes/shoe",
            "/data/relationships/articles/data",
            "/data/relationships/computers/data",
        ]


async def test_untyped_members_on_relationship_urls(example_config: Config, sqlite_url: str) -> None:
    """devour-client removes members with ``destroy([{id}])``: on a relationship URL the identifier's
    type is the relationship's target, for DELETE, POST and PATCH; a wrong type is still 409."""
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        await seed(client)
        rel = "/jsonapi/people/1/relationships/articles"
        assert (await client.request("DELETE", rel, content=body({"data": [{"id": "1"}], "meta": {}}), headers=H)).status_code == 204
        assert (await client.get(rel, headers=H)).json()["data"] == []
        assert (await client.post(rel, content=body({"data": [{"id": "2"}, {"id": "1"}]}), headers=H)).status_code == 204
        assert (await client.patch(rel, content=body({"data": [{"id": "1"}]}), headers=H)).status_code == 204
        assert (await client.get(rel, headers=H)).json()["data"] == [{"type": "articles", "id": "1"}]
        r = await client.patch("/jsonapi/articles/2/relationships/author", content=body({"data": {"id": "1"}}), headers=H)
        assert r.status_code == 204
        assert (await client.get("/jsonapi/articles/2/relationships/author", headers=H)).json()["data"] == {"type": "people", "id": "1"}
        r = await client.request("DELETE", rel, content=body({"data": [{"id": "9"}, {"type": "people", "id": "1"}]}), headers=H)
        assert r.status_code == 409
        assert [e["source"]["pointer"] for e in r.json()["errors"]] == ["/data/1/type"]


async def test_date_and_date_time_filters_reach_the_store(example_config: Config, sqlite_url: str) -> None:
    # The codec coerces filter values to Python dates; the store took only JSON strings (400 "must be a date").
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        await seed(client)
        attrs = {"name": "pc", "purchase_time": "2020-01-02T03:04:05"}
        r = await client.post("/jsonapi/computers", content=body({"data": {"type": "computers", "attributes": attrs}}), headers=H)
        assert r.status_code == 201, r.text
        dora = {"data": {"type": "people", "attributes": {"name": "Dora", "birth_date": "1990-01-02"}}}
        r = await client.post("/jsonapi/people", content=body(dora), headers=H)
        assert r.status_code == 201, r.text
        for value, names in (("2000-01-01", ["Dora"]), ("1990-01-02", [])):
            r = await client.get(f"/jsonapi/people?filter[birth_date][lt]={value}", headers=H)
            assert r.status_code == 200, r.text
            assert [d["attributes"]["name"] for d in r.json()["data"]] == names, value
        # pc was bought at 03:04:05 (UTC); an offset is converted to UTC before comparing.
        cases = (("gt", "2020-01-02T03:00:00", ["1"]), ("lt", "2020-01-02T05:00:00%2B01:00", ["1"]), ("lt", "2020-01-02T05:00%2B02:00", []))
        for op, value, ids in cases:
            r = await client.get(f"/jsonapi/computers?filter[purchase_time][{op}]={value}", headers=H)
            assert r.status_code == 200, r.text
            assert [d["id"] for d in r.json()["data"]] == ids, value
