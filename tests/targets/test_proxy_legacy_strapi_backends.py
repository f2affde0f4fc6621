"""A JSON:API 1.1 caller in front of a Flask-Restless 0.17 and a Strapi 5 backend (relgate's store serving them).

The scenarios of ``test_proxy_jsonapi_caller`` (create with links, include, add, remove, replace,
to-one set and clear, filter + sort + page, delete, a backend's validation error) run unchanged
against the two backends without relationship URLs, then what is particular to each of them.
"""

from __future__ import annotations

import pytest

from relgate.model import Add, After, Batch, Before, End, Ident, List, Page, Query, Remove, SortKey, Start
from tests.targets import test_proxy_jsonapi_caller as base
from tests.targets import test_proxy_matrix as matrix
from tests.targets.proxy_support import rig

J = base.J
BACKENDS = ["restless-legacy", "strapi"]
SCENARIOS = [
    base.test_create_with_links_reaches_the_backend,
    base.test_relationship_add_remove_and_to_one,
    base.test_replace,
    base.test_include_filter_sort_page,
    base.test_delete_and_backend_404,
    base.test_backend_validation_error_points_at_the_callers_member,
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__.removeprefix("test_") for s in SCENARIOS])
async def test_jsonapi_scenarios(sqlite_url: str, backend: str, scenario) -> None:
    await scenario(sqlite_url, backend)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_linking_a_missing_resource_is_404_and_writes_nothing(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await base._person(r.client, "Ann")
        ghost = "999" if backend == "restless-legacy" else r.caller_id("computers", "999")
        url = f"/jsonapi/people/{ann}/relationships/computers"
        refused = await r.client.post(url, json={"data": [{"type": "computers", "id": ghost}]}, headers=J)
        assert refused.status_code == 404, refused.text
        assert refused.json()["errors"][0]["source"]["pointer"] == "/data/0"
        assert await r.rows("computers") == []  # 0.17's get-or-create would have made a row 999
        assert await r.members("people", ann, "computers") == []
        data = {"type": "computers", "attributes": {"name": "x"}, "relationships": {"owner": {"data": {"type": "people", "id": ghost}}}}
        refused = await r.client.post("/jsonapi/computers", json={"data": data}, headers=J)
        assert refused.status_code == 404, refused.text
        assert await r.rows("computers") == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_deep_include_sparse_fields_and_related(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await base._person(r.client, "Ann", 40)
        c1 = await base._computer(r.client, "alpha", owner=ann)
        art = await base._article(r.client, "T")
        await r.client.patch(f"/jsonapi/articles/{art}/relationships/author", json={"data": {"type": "people", "id": ann}}, headers=J)
        got = await r.client.get(f"/jsonapi/articles/{art}", params={"include": "author.computers", "fields[people]": "name,computers"})
        assert got.status_code == 200, got.text
        doc = got.json()
        assert doc["data"]["relationships"]["author"]["data"] == {"type": "people", "id": ann}
        by_type = {(i["type"], i["id"]): i for i in doc["included"]}
        assert set(by_type) == {("people", ann), ("computers", c1)}
        assert set(by_type[("people", ann)]["attributes"]) == {"name"}
        assert by_type[("people", ann)]["relationships"]["computers"]["data"] == [{"type": "computers", "id": c1}]
        related = await r.client.get(f"/jsonapi/people/{ann}/computers")
        assert related.status_code == 200, related.text
        assert [c["id"] for c in related.json()["data"]] == [c1]
        owner = await r.client.get(f"/jsonapi/computers/{c1}/owner")
        assert owner.status_code == 200, owner.text
        assert owner.json()["data"]["id"] == ann
        filtered = await r.client.get(f"/jsonapi/people/{ann}/computers", params={"filter[name]": "nope"})
        assert filtered.status_code == 200, filtered.text
        assert filtered.json()["data"] == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_page_off_the_backends_boundaries_is_cut_from_two(sqlite_url: str, backend: str) -> None:
    """Offset 2, limit 3 (what a Strapi caller's pagination[start]/[limit] says) from 0.17's numbered pages."""
    async with rig(sqlite_url, "jsonapi", backend) as r:
        ann = await base._person(r.client, "Ann")
        for n in "abcdefg":
            await base._computer(r.client, n, owner=ann)
        target = r.proxy.targets["backend"]
        query = Query(sort=(SortKey(("name",)),), page=Page(2, 3), count=True)
        (page,) = (await target.execute(Batch((List("computers", query),)))).results
        assert [c.attributes["name"] for c in page.items] == ["c", "d", "e"]
        assert page.total == 7
        (tail,) = (await target.execute(Batch((List("computers", Query(sort=query.sort, page=Page(5, 4))),)))).results
        assert [c.attributes["name"] for c in tail.items] == ["f", "g"]


async def test_strapi_positions_are_sent_natively_and_kept(sqlite_url: str) -> None:
    """Positioned adds (what a Strapi caller's connect means) reach a Strapi backend as connect positions."""
    async with rig(sqlite_url, "jsonapi", "strapi") as r:
        made = await r.client.post("/jsonapi/restaurants", json={"data": {"type": "restaurants", "attributes": {"name": "R"}}}, headers=J)
        rest = made.json()
        cats = []
        for name in "abcd":
            c = await r.client.post("/jsonapi/categories", json={"data": {"type": "categories", "attributes": {"name": name}}}, headers=J)
            cats.append(c.json()["data"]["id"])
        a, b, c, d = (Ident("categories", i) for i in cats)
        ref = Ident("restaurants", rest["data"]["id"])
        target = r.proxy.targets["backend"]
        await target.execute(Batch((Add(ref, "categories", (a, b)),)))
        assert await r.members("restaurants", ref.id, "categories") == [a.id, b.id]
        await target.execute(Batch((Add(ref, "categories", (c, d), Start()),)))
        assert await r.members("restaurants", ref.id, "categories") == [c.id, d.id, a.id, b.id]
        await target.execute(Batch((Add(ref, "categories", (a,), Before(d)),)))
        assert await r.members("restaurants", ref.id, "categories") == [c.id, a.id, d.id, b.id]
        await target.execute(Batch((Add(ref, "categories", (b, c), After(a)),)))
        assert await r.members("restaurants", ref.id, "categories") == [a.id, b.id, c.id, d.id]
        await target.execute(Batch((Add(ref, "categories", (a,), End()),)))
        assert await r.members("restaurants", ref.id, "categories") == [b.id, c.id, d.id, a.id]
        # an unpositioned add of a present member changes nothing (Strapi would move it to the end)
        await target.execute(Batch((Add(ref, "categories", (b,)),)))
        assert await r.members("restaurants", ref.id, "categories") == [b.id, c.id, d.id, a.id]
        linkage = await r.client.get(f"/jsonapi/restaurants/{ref.id}/relationships/categories")
        assert [i["id"] for i in linkage.json()["data"]] == [b.id, c.id, d.id, a.id]
        await target.execute(Batch((Remove(ref, "categories", (c, Ident("categories", r.caller_id("categories", "999")))),)))
        assert await r.members("restaurants", ref.id, "categories") == [b.id, d.id, a.id]


async def test_strapi_delete_of_an_unknown_document_is_404(sqlite_url: str) -> None:
    async with rig(sqlite_url, "jsonapi", "strapi") as r:
        ghost = r.caller_id("people", "77")
        gone = await r.client.delete(f"/jsonapi/people/{ghost}")
        assert gone.status_code == 404, gone.text  # Strapi itself would answer 204


async def test_strapi_v4_backend(sqlite_url: str) -> None:
    async with rig(sqlite_url, "jsonapi", "strapi", url="http://backend.test/strapi4/api", options={"response_format": "v4"}) as r:
        ann = await base._person(r.client, "Ann")
        assert ann.isdigit()  # Strapi 4's numeric ids
        c1 = await base._computer(r.client, "alpha", owner=ann)
        assert await r.members("people", ann, "computers") == [c1]
        got = await r.client.get(f"/jsonapi/people/{ann}", params={"include": "computers"})
        assert got.status_code == 200, got.text
        assert [i["id"] for i in got.json()["included"]] == [c1]
        url = f"/jsonapi/people/{ann}/relationships/computers"
        rm = await r.client.request("DELETE", url, json={"data": [{"type": "computers", "id": c1}]}, headers=J)
        assert rm.status_code == 204, rm.text
        assert await r.members("people", ann, "computers") == []
        gone = await r.client.delete(f"/jsonapi/computers/{c1}")
        assert gone.status_code == 204, gone.text
        assert await r.rows("computers") == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("caller", sorted(matrix.CALLERS))
async def test_matrix_scenario(sqlite_url: str, caller: str, backend: str) -> None:
    """The restless, oro and didww callers' matrix cells on these two backends."""
    await matrix.test_matrix_scenario(sqlite_url, caller, backend)
