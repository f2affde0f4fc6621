"""A JSON:API 1.1 caller in front of every JSON:API-shaped backend dialect (relgate's store serving it)."""

from __future__ import annotations

import pytest

from tests.targets.proxy_support import rig

J = {"content-type": "application/vnd.api+json"}
BACKENDS = ["jsonapi", "restless", "oro", "didww"]


async def _person(client, name: str, age: int = 30) -> str:
    r = await client.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": name, "age": age}}}, headers=J)
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


async def _computer(client, name: str, owner: str | None = None) -> str:
    data: dict = {"type": "computers", "attributes": {"name": name, "vendor": "Acme"}}
    if owner is not None:
        data["relationships"] = {"owner": {"data": {"type": "people", "id": owner}}}
    r = await client.post("/jsonapi/computers", json={"data": data}, headers=J)
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


async def _article(client, title: str) -> str:
    r = await client.post("/jsonapi/articles", json={"data": {"type": "articles", "attributes": {"title": title}}}, headers=J)
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_create_with_links_reaches_the_backend(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await _person(r.client, "Ann")
        c1 = await _computer(r.client, "alpha", owner=ann)
        got = await r.client.get(f"/jsonapi/computers/{c1}")
        assert got.status_code == 200, got.text
        doc = got.json()
        assert doc["data"]["attributes"]["name"] == "alpha"
        assert doc["data"]["links"]["self"] == f"/jsonapi/computers/{c1}"  # relgate's URL, not the backend's
        assert await r.members("people", ann, "computers") == [c1]
        assert [p.attributes["name"] for p in await r.rows("people")] == ["Ann"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_relationship_add_remove_and_to_one(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await _person(r.client, "Ann")
        bob = await _person(r.client, "Bob")
        art_id = await _article(r.client, "T")
        url = f"/jsonapi/people/{ann}/relationships/articles"
        add = await r.client.post(url, json={"data": [{"type": "articles", "id": art_id}]}, headers=J)
        assert add.status_code == 204, add.text
        assert await r.members("people", ann, "articles") == [art_id]
        again = await r.client.post(url, json={"data": [{"type": "articles", "id": art_id}]}, headers=J)
        assert again.status_code == 204, again.text  # idempotent add
        assert await r.members("people", ann, "articles") == [art_id]
        linkage = await r.client.get(url)
        assert linkage.status_code == 200, linkage.text
        assert linkage.json()["data"] == [{"type": "articles", "id": art_id}]
        # to-one: set, then clear
        author = f"/jsonapi/articles/{art_id}/relationships/author"
        set_one = await r.client.patch(author, json={"data": {"type": "people", "id": bob}}, headers=J)
        assert set_one.status_code == 204, set_one.text
        assert await r.members("articles", art_id, "author") == [bob]
        clear = await r.client.patch(author, json={"data": None}, headers=J)
        assert clear.status_code == 204, clear.text
        assert await r.members("articles", art_id, "author") == []
        # remove (allowed on people.articles everywhere)
        await r.client.post(url, json={"data": [{"type": "articles", "id": art_id}]}, headers=J)
        rm = await r.client.request("DELETE", url, json={"data": [{"type": "articles", "id": art_id}]}, headers=J)
        assert rm.status_code == 204, rm.text
        assert await r.members("people", ann, "articles") == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_replace(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await _person(r.client, "Ann")
        ids = [await _article(r.client, t) for t in "abc"]
        url = f"/jsonapi/people/{ann}/relationships/articles"
        put = await r.client.patch(url, json={"data": [{"type": "articles", "id": i} for i in ids[:2]]}, headers=J)
        assert put.status_code == 204, put.text
        assert sorted(await r.members("people", ann, "articles")) == sorted(ids[:2])
        put = await r.client.patch(url, json={"data": [{"type": "articles", "id": ids[2]}]}, headers=J)
        assert put.status_code == 204, put.text
        assert await r.members("people", ann, "articles") == [ids[2]]


async def test_replace_the_backend_forbids_is_403_and_sends_nothing(sqlite_url: str) -> None:
    async with rig(sqlite_url, "jsonapi", "restless") as r:
        ann = await _person(r.client, "Ann")
        c1 = await _computer(r.client, "alpha", owner=ann)
        c2 = await _computer(r.client, "beta")
        url = f"/jsonapi/people/{ann}/relationships/computers"
        refused = await r.client.patch(url, json={"data": [{"type": "computers", "id": c2}]}, headers=J)
        assert refused.status_code == 403, refused.text
        err = refused.json()["errors"][0]
        assert "backend" in err["detail"] and "people.computers" in err["detail"]
        assert await r.members("people", ann, "computers") == [c1]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_include_filter_sort_page(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await _person(r.client, "Ann", 40)
        for n in ("c", "a", "b", "d", "e"):
            await _computer(r.client, n, owner=ann)
        await _person(r.client, "Bob", 20)
        got = await r.client.get(f"/jsonapi/people/{ann}", params={"include": "computers", "fields[computers]": "name"})
        assert got.status_code == 200, got.text
        doc = got.json()
        assert sorted(c["attributes"]["name"] for c in doc["included"]) == ["a", "b", "c", "d", "e"]
        assert all(set(c.get("attributes", {})) == {"name"} for c in doc["included"])
        page = await r.client.get("/jsonapi/computers", params={"sort": "-name", "page[size]": "2", "page[number]": "2"})
        assert page.status_code == 200, page.text
        assert [c["attributes"]["name"] for c in page.json()["data"]] == ["c", "b"]
        assert page.json()["meta"]["total"] == 5
        older = await r.client.get("/jsonapi/people", params={"filter[age][gt]": "30"})
        assert older.status_code == 200, older.text
        assert [p["attributes"]["name"] for p in older.json()["data"]] == ["Ann"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_delete_and_backend_404(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await _person(r.client, "Ann")
        gone = await r.client.delete(f"/jsonapi/people/{ann}")
        assert gone.status_code == 204, gone.text
        assert await r.rows("people") == []
        missing = await r.client.get(f"/jsonapi/people/{ann}")
        assert missing.status_code == 404, missing.text
        assert missing.json()["errors"][0]["status"] == "404"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_backend_validation_error_points_at_the_callers_member(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        await _person(r.client, "Ann")
        dup = await r.client.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        assert dup.status_code == 409, dup.text
        assert len(await r.rows("people")) == 1
