"""A bad batch gets the same problems from a backend as from the store — before any backend write.

The store checks these rules inside its transaction; a backend reached over several requests
must refuse them up front, or the creates before the bad op would be sent first.  The JSON:API
and Strapi doors already catch these cases while parsing; relgate.checks (tests/test_checks.py)
holds the same rules for every batch a remote target is given, whichever door or rule built it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.targets.proxy_support import rig

ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'
H = {"content-type": ATOMIC, "accept": ATOMIC}

BAD: dict[str, list[dict[str, Any]]] = {
    "lid used before it is defined": [
        {"op": "add", "data": {"type": "people", "attributes": {"name": "Ann"}}},
        {"op": "add", "data": {"type": "articles", "attributes": {"title": "T"},
                               "relationships": {"author": {"data": {"type": "people", "lid": "later"}}}}},
        {"op": "add", "data": {"type": "people", "lid": "later", "attributes": {"name": "Bob"}}},
    ],
    "lid defined twice": [
        {"op": "add", "data": {"type": "people", "lid": "p", "attributes": {"name": "Ann"}}},
        {"op": "add", "data": {"type": "people", "lid": "p", "attributes": {"name": "Bob"}}},
    ],
}  # fmt: skip


def _pointers(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return sorted((e["status"], (e.get("source") or {}).get("pointer")) for e in body["errors"])


@pytest.mark.parametrize("case", sorted(BAD))
async def test_same_refusal_as_the_store_and_nothing_sent(sqlite_url: str, case: str) -> None:
    doc = {"atomic:operations": BAD[case]}
    async with rig(sqlite_url, "jsonapi", "restless") as r:
        direct = await r.backend_client.post("/jsonapi/operations", json=doc, headers=H)
        proxied = await r.client.post("/jsonapi/operations", json=doc, headers=H)
        assert direct.status_code == proxied.status_code == 400, (direct.text, proxied.text)
        assert _pointers(proxied.json()) == _pointers(direct.json())
        assert "steps" not in str(proxied.json())  # refused before the first request
        assert await r.rows("people") == []


async def test_a_strapi_connect_placed_relative_to_itself_is_the_stores_refusal(sqlite_url: str) -> None:
    """Not "the backend cannot place members" (a backend without positions): the request itself is wrong."""
    async with rig(sqlite_url, "strapi", "restless") as r:
        made = [await r.client.post(f"/strapi/api/{t}", json={"data": {"name": n}}) for t, n in (("restaurants", "R"), ("categories", "c"))]
        assert all(m.status_code == 201 for m in made), [m.text for m in made]
        rid, cid = (m.json()["data"]["documentId"] for m in made)
        connect = {"data": {"categories": {"connect": [{"documentId": cid, "position": {"before": cid}}]}}}
        proxied = await r.client.put(f"/strapi/api/restaurants/{rid}", json=connect)
        assert proxied.status_code == 400, proxied.text
        assert proxied.json()["error"]["name"] == "ValidationError"
        assert "unsupported" not in proxied.text and "cannot place" not in proxied.text
        read = await r.client.get(f"/strapi/api/restaurants/{rid}", params={"populate": "categories"})
        assert read.status_code == 200 and read.json()["data"]["categories"] == [], read.text
