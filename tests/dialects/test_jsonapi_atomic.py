"""Atomic Operations: all-or-nothing on the real store (SQLite and PostgreSQL), lids, hrefs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.config import Config, from_dict
from relgate.dialects.jsonapi.atomic import _front_door_path
from relgate.notation import encode
from tests.dialects.jsonapi_support import ATOMIC, JSONAPI, door, gateway_client, http_request
from tests.dialects.test_jsonapi_bad_input import snapshot
from tests.jsonapi_schema import assert_response_valid

AH = {"Content-Type": ATOMIC, "Accept": ATOMIC}
H = {"Content-Type": JSONAPI, "Accept": JSONAPI}


def rio(t: str, i: str) -> dict[str, str]:
    return {"type": t, "id": i}


async def post(client: Any, path: str, doc: Any, headers: dict[str, str] = H) -> Any:
    r = await client.post(path, content=json.dumps(doc), headers=headers)
    if r.content:
        assert_response_valid(r.json())
    return r


async def seed(client: Any) -> None:
    docs = [
        ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Alice"}}}),
        ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Bob"}}}),
        (
            "/jsonapi/articles",
            {"data": {"type": "articles", "attributes": {"title": "A1"}, "relationships": {"author": {"data": rio("people", "1")}}}},
        ),
        ("/jsonapi/categories", {"data": {"type": "categories", "attributes": {"name": "pizza"}}}),
        ("/jsonapi/categories", {"data": {"type": "categories", "attributes": {"name": "pasta"}}}),
        (
            "/jsonapi/restaurants",
            {
                "data": {
                    "type": "restaurants",
                    "attributes": {"name": "R"},
                    "relationships": {"categories": {"data": [rio("categories", "2")]}},
                }
            },
        ),
    ]
    for path, doc in docs:
        r = await post(client, path, doc)
        assert r.status_code == 201, r.text


def good_ops() -> list[dict[str, Any]]:
    """Operations touching most tables: creates with lids, ordered to-many, to-one, updates, a delete."""
    return [
        {"op": "add", "data": {"type": "people", "lid": "c", "attributes": {"name": "Carol"}}},
        {
            "op": "add",
            "data": {
                "type": "articles",
                "lid": "a",
                "attributes": {"title": "C1"},
                "relationships": {"author": {"data": {"type": "people", "lid": "c"}}},
            },
        },
        {"op": "add", "ref": {"type": "restaurants", "id": "1", "relationship": "categories"}, "data": [rio("categories", "1")]},
        {"op": "update", "ref": {"type": "articles", "id": "1", "relationship": "author"}, "data": {"type": "people", "lid": "c"}},
        {"op": "update", "data": {"type": "people", "id": "2", "attributes": {"age": 50}}},
        {"op": "remove", "ref": {"type": "categories", "id": "2"}},
    ]


FAILURES = {
    "missing related resource": (
        {"op": "add", "ref": {"type": "people", "id": "1", "relationship": "articles"}, "data": [rio("articles", "77")]},
        404,
        "/atomic:operations/3/data/0",
    ),
    "unique value taken": (
        {"op": "update", "data": {"type": "people", "id": "2", "attributes": {"name": "Alice"}}},
        409,
        "/atomic:operations/3/data/attributes/name",
    ),
    "update of a missing resource": (
        {"op": "update", "data": {"type": "people", "id": "99", "attributes": {"age": 1}}},
        404,
        "/atomic:operations/3/data",
    ),
    "remove of a missing resource": ({"op": "remove", "ref": {"type": "people", "id": "99"}}, 404, "/atomic:operations/3/ref"),
}


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
async def test_a_failing_operation_mid_batch_leaves_every_table_unchanged(failure: str, example_config: Config, store_url: str) -> None:
    op, status, pointer = FAILURES[failure]
    async with gateway_client(example_config, store_url) as (gw, client):
        await seed(client)
        before = await snapshot(gw)
        ops = good_ops()
        ops.insert(3, op)
        r = await post(client, "/jsonapi/operations", {"atomic:operations": ops}, AH)
        assert r.status_code == status, r.text
        assert_response_valid(r.json())
        assert [e["source"]["pointer"] for e in r.json()["errors"]] == [pointer]
        assert await snapshot(gw) == before
        # The same batch without the failing operation goes through: the failure was the cause.
        r = await post(client, "/jsonapi/operations", {"atomic:operations": good_ops()}, AH)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == ATOMIC
        results = r.json()["atomic:results"]
        assert len(results) == 6
        assert [bool(x) for x in results] == [True, True, False, False, True, False]
        assert results[1]["data"]["relationships"]["author"]["data"] == {"type": "people", "id": results[0]["data"]["id"]}
        assert await snapshot(gw) != before


SELF_SCHEMA = {
    "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi"}],
    "types": {
        "people": {
            "attributes": {"name": "string"},
            "relationships": {"manager": {"type": "people"}, "friends": {"type": "people", "many": True, "ordered": True}},
        },
    },
}


async def test_lid_naming_the_resource_itself_in_an_ordinary_create(sqlite_url: str) -> None:
    """JSON:API 1.1: a lid is "identical for every representation of the resource in the document"."""
    config = from_dict(SELF_SCHEMA)
    doc = {
        "data": {
            "type": "people",
            "lid": "me",
            "attributes": {"name": "Self-managed"},
            "relationships": {"manager": {"data": {"type": "people", "lid": "me"}}, "friends": {"data": [{"type": "people", "lid": "me"}]}},
        }
    }
    async with gateway_client(config, sqlite_url) as (gw, client):
        intent = door(gw).parse(http_request("POST", "/jsonapi/people", doc))
        assert encode(intent.batch.ops) == [
            {"@": "Create", "ref": "people/lid:me", "type": "people", "attributes": {"name": "Self-managed"}},
            {"@": "SetOne", "ref": "people/lid:me", "relationship": "manager", "target": "people/lid:me"},
            {"@": "Replace", "ref": "people/lid:me", "relationship": "friends", "targets": ["people/lid:me"]},
            {"@": "Get", "ref": "people/lid:me"},
        ]
        r = await post(client, "/jsonapi/people", doc)
        assert r.status_code == 201, r.text
        data = r.json()["data"]
        assert data["relationships"]["manager"]["data"] == {"type": "people", "id": data["id"]}
        assert data["relationships"]["friends"]["data"] == [{"type": "people", "id": data["id"]}]
        assert r.headers["location"] == f"/jsonapi/people/{data['id']}"
        # In an atomic request the result of the operation is the resource after its self-links.
        second = {
            **doc["data"],
            "lid": "me2",
            "attributes": {"name": "Second"},
            "relationships": {"manager": {"data": {"type": "people", "lid": "me2"}}},
        }
        ops = {"atomic:operations": [{"op": "add", "data": second}]}
        r = await post(client, "/jsonapi/operations", ops, AH)
        assert r.status_code == 200, r.text
        result = r.json()["atomic:results"][0]["data"]
        assert result["relationships"]["manager"]["data"] == {"type": "people", "id": result["id"]}


async def test_lids_are_scoped_by_type(example_config: Config, sqlite_url: str) -> None:
    ops = {
        "atomic:operations": [
            {"op": "add", "data": {"type": "people", "lid": "x", "attributes": {"name": "P"}}},
            {
                "op": "add",
                "data": {
                    "type": "articles",
                    "lid": "x",
                    "attributes": {"title": "T"},
                    "relationships": {"author": {"data": {"type": "people", "lid": "x"}}},
                },
            },
            {
                "op": "update",
                "ref": {"type": "articles", "lid": "x"},
                "data": {"type": "articles", "lid": "x", "attributes": {"title": "T2"}},
            },
        ]
    }
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        r = await post(client, "/jsonapi/operations", ops, AH)
        assert r.status_code == 200, r.text
        person, article, updated = (x["data"] for x in r.json()["atomic:results"])
        assert article["relationships"]["author"]["data"] == {"type": "people", "id": person["id"]}
        assert updated["id"] == article["id"] and updated["attributes"]["title"] == "T2"
        # A lid of one type does not name a resource of another.
        bad = {
            "atomic:operations": [
                {"op": "add", "data": {"type": "people", "lid": "y", "attributes": {"name": "Q"}}},
                {"op": "remove", "ref": {"type": "articles", "lid": "y"}},
            ]
        }
        r = await post(client, "/jsonapi/operations", bad, AH)
        assert r.status_code == 400
        assert r.json()["errors"][0]["source"]["pointer"] == "/atomic:operations/1/ref/lid"


async def test_ref_lid_and_data_must_name_the_same_resource(example_config: Config, sqlite_url: str) -> None:
    ops = {
        "atomic:operations": [
            {"op": "add", "data": {"type": "people", "lid": "p", "attributes": {"name": "P"}}},
            {"op": "update", "ref": {"type": "people", "lid": "p"}, "data": {"type": "people", "id": "1", "attributes": {"age": 3}}},
        ]
    }
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        r = await post(client, "/jsonapi/operations", ops, AH)
        assert r.status_code == 409
        assert r.json()["errors"][0]["source"]["pointer"] == "/atomic:operations/1/data"


def test_href_resolution() -> None:
    assert _front_door_path("/people/1", "/jsonapi", None, "/jsonapi") == "/people/1"
    assert _front_door_path("/jsonapi/people/1", "/jsonapi", None, "/jsonapi") == "/people/1"
    assert _front_door_path("people", "/jsonapi", None, "/jsonapi") == "/people"
    assert _front_door_path("http://h.test/jsonapi/people", "/jsonapi", "h.test", "/jsonapi") == "/people"
    assert _front_door_path("http://other.test/jsonapi/people", "/jsonapi", "h.test", "/jsonapi") is None
    assert _front_door_path("http://h.test/elsewhere/people", "/jsonapi", "h.test", "/jsonapi") is None
    assert _front_door_path("/people?include=x", "/jsonapi", None, "/jsonapi") is None
    assert _front_door_path("https://api.test/v1/people/2", "https://api.test/v1", None, "/v1") == "/people/2"
