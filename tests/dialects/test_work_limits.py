"""Work per request has a budget (issue 12 §3): populate depth and populated entries (Strapi),
operations per atomic request (JSON:API), ``included`` resources (Oro), nested objects (0.17).

Each limit is a ``server.*`` key; each is refused in the caller's dialect, with a pointer, while
the request is parsed: the codec raises before any canonical batch exists, so the store is never
asked (the codec-level tests show that), and every table is unchanged afterwards.  Also here:
ids containing ``/`` or dot segments are 400 on the 0.17 and Oro doors, as on ``/jsonapi``.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import Config, ConfigError, from_dict
from relgate.model import HttpRequest, ProblemError
from tests.conftest import EXAMPLE
from tests.store_rows import store_rows

JSONAPI = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'
JSON = "application/json"


def limited(config: Config, **limits: int) -> Config:
    return dataclasses.replace(config, server=dataclasses.replace(config.server, **limits))


@pytest.fixture
async def small(example_config: Config, sqlite_url: str) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    """The example gateway with every limit set small."""
    config = limited(
        example_config,
        max_populate_depth=2,
        max_populated_entries=12,
        max_atomic_operations=3,
        max_included_resources=2,
        max_nested_items=3,
    )
    async with (
        Gateway(dataclasses.replace(config, store_url=sqlite_url)) as gw,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as client,
    ):
        yield gw, client


def codec(gw: Gateway, prefix: str) -> Any:
    return next(d.dialect for d in gw.doors if d.route.prefix == prefix)


def codec_refuses(gw: Gateway, prefix: str, method: str, path: str, body: Any = None, content_type: str = JSON) -> ProblemError:
    """The front door's codec refuses the request itself: no batch is made, the store is not asked."""
    rest, _, query = path.partition("?")
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": content_type, "accept": content_type.split(";")[0]} if raw else {}
    with pytest.raises(ProblemError) as info:
        codec(gw, prefix).parse(HttpRequest(method, rest, query, headers, raw, prefix))
    return info.value


# --- the config keys -------------------------------------------------------------------------------


def test_the_limits_are_server_keys_with_defaults(example_config: Config) -> None:
    s = example_config.server
    assert (s.max_populate_depth, s.max_populated_entries, s.max_atomic_operations, s.max_included_resources, s.max_nested_items) == (
        3,
        10_000,
        1_000,
        500,
        1_000,
    )
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["server"]["max_atomic_operations"] = 7
    assert from_dict(data).server.max_atomic_operations == 7


LIMITS = ["max_populate_depth", "max_populated_entries", "max_atomic_operations", "max_included_resources", "max_nested_items"]


@pytest.mark.parametrize("key", LIMITS)
def test_a_limit_below_one_is_a_config_error(key: str) -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["server"][key] = 0
    with pytest.raises(ConfigError, match=f"server.{key}.*must be at least 1"):
        from_dict(data)


# --- Strapi: populate depth and populated entries --------------------------------------------------

ISSUE_POPULATE = "populate[categories][populate][restaurants][populate][categories][populate][restaurants]=true"
"""The issue's 120-byte GET: populate four levels deep (60 s of CPU and 2 GB before)."""


async def test_the_issues_four_levels_deep_populate_is_refused_while_parsing(example_config: Config, sqlite_url: str) -> None:
    async with Gateway(dataclasses.replace(example_config, store_url=sqlite_url)) as gw:
        error = codec_refuses(gw, "/strapi/api", "GET", f"/restaurants?{ISSUE_POPULATE}")
        assert error.status == 400
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as client:
            before = await store_rows(gw.store)
            r = await client.get(f"/strapi/api/restaurants?{ISSUE_POPULATE}")
            assert r.status_code == 400, r.text
            e = r.json()["error"]
            assert e["name"] == "ValidationError" and "server.max_populate_depth" in e["message"]
            assert e["details"] == {"key": "restaurants", "path": "populate.categories.restaurants.categories.restaurants"}
            assert await store_rows(gw.store) == before
            # three levels is within the default
            three = "populate[categories][populate][restaurants][populate][categories]=true"
            assert (await client.get(f"/strapi/api/restaurants?{three}")).status_code == 200


async def fully_connected(client: httpx.AsyncClient, n: int) -> None:
    """n restaurants and n categories, every restaurant in every category."""
    for i in range(n):
        for t in ("restaurants", "categories"):
            body = {"data": {"type": t, "attributes": {"name": f"{t}{i}"}}}
            r = await client.post(f"/jsonapi/{t}", json=body, headers={"content-type": JSONAPI})
            assert r.status_code == 201
    for i in range(1, n + 1):
        linkage = {"data": [{"type": "categories", "id": str(k)} for k in range(1, n + 1)]}
        r = await client.patch(f"/jsonapi/restaurants/{i}/relationships/categories", json=linkage, headers={"content-type": JSONAPI})
        assert r.status_code == 204


def entries(value: Any, key: str) -> int:
    """Populated entries in a Strapi document: every object under a relation key."""
    if isinstance(value, list):
        return sum(entries(v, key) for v in value)
    if not isinstance(value, dict):
        return 0
    n = 0
    for k, v in value.items():
        if k in ("categories", "restaurants"):
            items = v if isinstance(v, list) else [v]
            n += len([i for i in items if isinstance(i, dict)])
        n += entries(v, key)
    return n


async def test_populated_entries_are_capped_before_rendering(small: tuple[Gateway, httpx.AsyncClient]) -> None:
    gw, client = small
    await fully_connected(client, 3)
    # depth 2 with 3 x 3 links: a restaurant shows 3 categories with 3 restaurants each = 12 entries
    two = "populate[categories][populate][restaurants]=true"
    one = await client.get(f"/strapi/api/restaurants/{codec(gw, '/strapi/api').ids.encode('restaurants', '1')}?{two}")
    assert one.status_code == 200 and entries(one.json()["data"], "") == 12  # exactly at the limit
    before = await store_rows(gw.store)
    r = await client.get(f"/strapi/api/restaurants?{two}")  # three restaurants: 36 entries
    assert r.status_code == 400, r.text
    e = r.json()["error"]
    assert e["name"] == "ValidationError" and "server.max_populated_entries" in e["message"]
    assert e["details"] == {"key": "populate", "path": "populate"}
    assert await store_rows(gw.store) == before
    # the limit counts what would be rendered: a narrower page fits
    assert (await client.get(f"/strapi/api/restaurants?{two}&pagination[pageSize]=1")).status_code == 200


async def test_populate_deeper_than_the_limit_is_refused(small: tuple[Gateway, httpx.AsyncClient]) -> None:
    gw, client = small
    query = "populate[categories][populate][restaurants][populate][categories]=true"
    assert codec_refuses(gw, "/strapi/api", "GET", f"/restaurants?{query}").status == 400
    r = await client.get(f"/strapi/api/restaurants?{query}")
    assert r.status_code == 400 and r.json()["error"]["details"]["path"] == "populate.categories.restaurants.categories"
    assert (await client.get("/strapi/api/restaurants?populate=categories.restaurants.categories")).status_code == 400


# --- JSON:API Atomic Operations ----------------------------------------------------------------------


def operations(n: int) -> dict[str, Any]:
    return {"atomic:operations": [{"op": "add", "data": {"type": "people", "attributes": {"name": f"p{i}"}}} for i in range(n)]}


async def test_atomic_operations_beyond_the_limit_are_413(small: tuple[Gateway, httpx.AsyncClient]) -> None:
    gw, client = small
    error = codec_refuses(gw, "/jsonapi", "POST", "/operations", operations(4), ATOMIC)
    assert error.status == 413
    before = await store_rows(gw.store)
    r = await client.post("/jsonapi/operations", content=json.dumps(operations(4)), headers={"content-type": ATOMIC, "accept": ATOMIC})
    assert r.status_code == 413, r.text
    (e,) = r.json()["errors"]
    assert e["status"] == "413" and e["code"] == "too-much-work" and e["source"] == {"pointer": "/atomic:operations/3"}
    assert "server.max_atomic_operations" in e["detail"]
    assert await store_rows(gw.store) == before
    r = await client.post("/jsonapi/operations", content=json.dumps(operations(3)), headers={"content-type": ATOMIC, "accept": ATOMIC})
    assert r.status_code == 200, r.text


# --- Oro included ------------------------------------------------------------------------------------


def account(n: int) -> dict[str, Any]:
    contacts = [{"type": "contacts", "id": f"c{i}"} for i in range(n)]
    return {
        "data": {"type": "accounts", "attributes": {"name": "A"}, "relationships": {"contacts": {"data": contacts}}},
        "included": [{"type": "contacts", "id": f"c{i}", "attributes": {"firstName": f"f{i}"}} for i in range(n)],
    }


async def test_oro_included_beyond_the_limit_is_413(small: tuple[Gateway, httpx.AsyncClient]) -> None:
    gw, client = small
    assert codec_refuses(gw, "/oro/api", "POST", "/accounts", account(3), JSONAPI).status == 413
    before = await store_rows(gw.store)
    r = await client.post("/oro/api/accounts", content=json.dumps(account(3)), headers={"content-type": JSONAPI})
    assert r.status_code == 413, r.text
    (e,) = r.json()["errors"]
    assert e["status"] == "413" and e["title"] == "request entity too large http exception"
    assert e["source"] == {"pointer": "/included/2"} and "server.max_included_resources" in e["detail"]
    assert await store_rows(gw.store) == before
    assert (await client.post("/oro/api/accounts", content=json.dumps(account(2)), headers={"content-type": JSONAPI})).status_code == 201


# --- Flask-Restless 0.17 nested objects ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("POST", "/person", {"name": "A", "computers": [{"name": f"c{i}"} for i in range(4)]}, "computers[3]"),
        # nested objects count at every depth: 2 computers, each with an owner = 4
        ("POST", "/person", {"name": "A", "computers": [{"name": c, "owner": {"name": "o"}} for c in "cd"]}, "computers[1].owner"),
        (
            "PATCH",
            "/person/1",
            {"computers": {"add": [{"name": "x"}, {"name": "y"}], "remove": [{"id": 1}, {"id": 2}]}},
            "computers.remove[1]",
        ),
    ],
)
async def test_nested_objects_beyond_the_limit_are_413(
    small: tuple[Gateway, httpx.AsyncClient], method: str, path: str, body: Any, where: str
) -> None:
    gw, client = small
    assert (await client.post("/legacy/api/person", json={"name": "Ann"})).status_code == 201
    assert codec_refuses(gw, "/legacy/api", method, path, body).status == 413
    before = await store_rows(gw.store)
    r = await client.request(method, f"/legacy/api{path}", json=body)
    assert r.status_code == 413, r.text
    message = r.json()["message"]
    assert message.startswith(f"{where}: ") and "server.max_nested_items" in message
    assert await store_rows(gw.store) == before


async def test_three_nested_objects_are_within_the_limit(small: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = small
    r = await client.post("/legacy/api/person", json={"name": "A", "computers": [{"name": f"c{i}"} for i in range(3)]})
    assert r.status_code == 201, r.text


# --- ids that cannot be addressed (0.17 and Oro, the jsonapi door's rule) -------------------------------


@pytest.mark.parametrize("bad_id", ["a/b", "../x", "..", "."])
async def test_client_ids_that_are_no_url_segment_are_400(small: tuple[Gateway, httpx.AsyncClient], bad_id: str) -> None:
    gw, client = small
    before = await store_rows(gw.store)
    r = await client.post("/legacy/api/contactsources", json={"id": bad_id, "name": "x"})
    assert r.status_code == 400 and r.json()["message"] == f"id: '{bad_id}' cannot be an id here: it must fit in one URL path segment."
    r = await client.post("/legacy/api/contacts", json={"firstName": "f", "source": {"id": bad_id, "name": "x"}})
    assert r.status_code == 400 and r.json()["message"].startswith("source.id: ")
    oro = {"data": {"type": "contactsources", "id": bad_id, "attributes": {"name": "x"}}}
    r = await client.post("/oro/api/contactsources", content=json.dumps(oro), headers={"content-type": JSONAPI})
    assert r.status_code == 400 and r.json()["errors"][0]["source"] == {"pointer": "/data/id"}
    sideposted = {
        "data": {
            "type": "contacts",
            "attributes": {"firstName": "f"},
            "relationships": {"source": {"data": {"type": "contactsources", "id": bad_id}}},
        },
        "included": [{"type": "contactsources", "id": bad_id, "attributes": {"name": "y"}}],
    }
    r = await client.post("/oro/api/contacts", content=json.dumps(sideposted), headers={"content-type": JSONAPI})
    assert r.status_code == 400 and r.json()["errors"][0]["source"] == {"pointer": "/included/0/id"}
    r = await client.post("/jsonapi/contactsources", content=json.dumps(oro), headers={"content-type": JSONAPI})
    assert r.status_code == 400  # the rule they share
    assert await store_rows(gw.store) == before
    # an id that is one segment is fine, and addressable afterwards
    assert (await client.post("/legacy/api/contactsources", json={"id": "a-b", "name": "x"})).status_code == 201
    assert (await client.get(f"/legacy/api/contactsources/{quote('a-b')}")).status_code == 200
