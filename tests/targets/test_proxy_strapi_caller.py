"""A Strapi 5 caller in front of every backend dialect (relgate's store serving it).

The caller's own request shapes: ``connect`` (with positions on the ordered
restaurants.categories), ``disconnect``, to-one shorthand and ``null``, ``filters``/``sort``/
``pagination``, ``populate``.  Each checks the backend's own data.  A Strapi backend is the whole
route streamed untouched (same dialect both sides): there the positions are Strapi's own and read
back in order; a backend that cannot place members refuses them with a 400 naming the capability.
"""

from __future__ import annotations

import pytest

from relgate.dialects.strapi.docids import DocumentIds
from tests.targets.proxy_support import Rig, rig

BACKENDS = ["jsonapi", "restless", "restless-legacy", "strapi", "oro", "didww"]
API = "/strapi/api"


def _backend_id(r: Rig, backend: str, type_name: str, doc: str) -> str:
    """The id ``r.members`` takes for a documentId the Strapi caller saw."""
    if backend == "strapi":
        return doc  # streamed: the caller sees the backend's own documentIds
    decoded = DocumentIds(r.proxy.config.schema.types).decode(doc)
    assert decoded is not None and decoded[0] == type_name
    return decoded[1]


async def _create(client, plural: str, data: dict, **params: str) -> dict:
    r = await client.post(f"{API}/{plural}", json={"data": data}, params=params)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_connect_disconnect_and_order(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "strapi", backend) as r:
        cats = [(await _create(r.client, "categories", {"name": n}))["documentId"] for n in "abc"]
        made = await _create(r.client, "restaurants", {"name": "R", "categories": {"connect": cats[:2]}}, populate="categories")
        assert [c["documentId"] for c in made["categories"]] == cats[:2]
        doc = made["documentId"]
        rid = _backend_id(r, backend, "restaurants", doc)
        expect = [_backend_id(r, backend, "categories", c) for c in cats]
        assert await r.members("restaurants", rid, "categories") == expect[:2]
        data = {"categories": {"connect": [cats[2]]}}
        more = await r.client.put(f"{API}/restaurants/{doc}", json={"data": data}, params={"populate": "categories"})
        assert more.status_code == 200, more.text
        assert [c["documentId"] for c in more.json()["data"]["categories"]] == cats
        assert await r.members("restaurants", rid, "categories") == expect
        cut = await r.client.put(f"{API}/restaurants/{doc}", json={"data": {"categories": {"disconnect": [cats[0]]}}})
        if backend == "restless":  # NG's default: no removal from a to-many (allow_delete_from_to_many_relationships)
            assert cut.status_code == 403, cut.text
            assert await r.members("restaurants", rid, "categories") == expect
            return
        assert cut.status_code == 200, cut.text
        assert await r.members("restaurants", rid, "categories") == expect[1:]
        placed = {"connect": [{"documentId": cats[0], "position": {"before": cats[2]}}]}
        moved = await r.client.put(f"{API}/restaurants/{doc}", json={"data": {"categories": placed}}, params={"populate": "categories"})
        if backend == "strapi":
            assert moved.status_code == 200, moved.text
            assert [c["documentId"] for c in moved.json()["data"]["categories"]] == [cats[1], cats[0], cats[2]]
            assert await r.members("restaurants", rid, "categories") == [expect[1], expect[0], expect[2]]
            return
        assert moved.status_code == 400, moved.text
        error = moved.json()["error"]
        assert "place members at a position" in error["message"] and "restaurants.categories" in error["message"]
        assert await r.members("restaurants", rid, "categories") == expect[1:]  # nothing sent


@pytest.mark.parametrize("backend", BACKENDS)
async def test_to_one_set_and_clear(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "strapi", backend) as r:
        ann = (await _create(r.client, "people", {"name": "Ann"}))["documentId"]
        comp = await _create(r.client, "computers", {"name": "alpha", "owner": ann}, populate="owner")
        assert comp["owner"]["documentId"] == ann
        cid = _backend_id(r, backend, "computers", comp["documentId"])
        assert await r.members("computers", cid, "owner") == [_backend_id(r, backend, "people", ann)]
        cleared = await r.client.put(f"{API}/computers/{comp['documentId']}", json={"data": {"owner": None}}, params={"populate": "owner"})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["data"]["owner"] is None
        assert await r.members("computers", cid, "owner") == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_filters_sort_pagination_populate(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "strapi", backend) as r:
        ann = (await _create(r.client, "people", {"name": "Ann", "age": 50}))["documentId"]
        for name, age in (("c", 40), ("a", 45), ("e", 20), ("b", 60)):
            await _create(r.client, "people", {"name": name, "age": age})
        await _create(r.client, "computers", {"name": "alpha", "owner": ann})
        params = {"filters[age][$gte]": "40", "sort": "name:desc", "pagination[page]": "2", "pagination[pageSize]": "3"}
        page = await r.client.get(f"{API}/people", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert [p["name"] for p in body["data"]] == ["Ann"]  # c, b, a | Ann (capitals sort first)
        assert body["meta"]["pagination"]["total"] == 4
        params = {"filters[computers][name][$eq]": "alpha", "populate[computers][fields][0]": "name"}
        owners = await r.client.get(f"{API}/people", params=params)
        assert owners.status_code == 200, owners.text
        (only,) = owners.json()["data"]
        assert only["documentId"] == ann and [c["name"] for c in only["computers"]] == ["alpha"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_delete_and_errors(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "strapi", backend) as r:
        ann = (await _create(r.client, "people", {"name": "Ann"}))["documentId"]
        dup = await r.client.post(f"{API}/people", json={"data": {"name": "Ann"}})
        assert dup.status_code == 400, dup.text
        assert dup.json()["data"] is None and dup.json()["error"]["name"] == "ValidationError"
        assert len(await r.rows("people")) == 1
        gone = await r.client.delete(f"{API}/people/{ann}")
        assert gone.status_code == 204, gone.text
        assert await r.rows("people") == []
        missing = await r.client.get(f"{API}/people/{ann}")
        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["name"] == "NotFoundError"


async def test_a_strapi_5_door_in_front_of_a_strapi_4_backend_translates(sqlite_url: str) -> None:
    """Same dialect, other wire format: not streamed (a Strapi 5 caller would get Strapi 4 answers)."""
    async with rig(sqlite_url, "strapi", "strapi", url="http://backend.test/strapi4/api", options={"response_format": "v4"}) as r:
        cats = [(await _create(r.client, "categories", {"name": n}))["documentId"] for n in "ab"]
        made = await _create(r.client, "restaurants", {"name": "R", "categories": {"connect": cats}}, populate="categories")
        assert "attributes" not in made and made["name"] == "R"  # Strapi 5's flat entry, not v4's {id, attributes}
        assert [c["documentId"] for c in made["categories"]] == cats
        rid = _backend_id(r, "jsonapi", "restaurants", made["documentId"])  # the proxy's documentIds over Strapi 4's ids
        assert await r.members("restaurants", rid, "categories") == [_backend_id(r, "jsonapi", "categories", c) for c in cats]
