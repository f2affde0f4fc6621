"""The JSON:API-shaped callers (restless, oro, didww) in front of the JSON:API-shaped backends.

Each cell runs the same scenario in the caller's own request shapes — create with links, read
with include, add, remove, replace, set and clear a to-one, filter + sort + page, delete — and
checks the backend's own data (its store) after each write.  The backend is relgate's store
serving dialect B; the restless and legacy/Strapi callers' own cells live in their modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.targets.proxy_support import Rig, rig

MEDIA = "application/vnd.api+json"


@dataclass(frozen=True)
class Caller:
    dialect: str
    prefix: str
    names: dict[str, str] = field(default_factory=dict)
    relationship_writes: bool = True
    update_status: int = 200

    def name(self, t: str) -> str:
        return self.names.get(t, t)

    def url(self, t: str, id_: str | None = None, *rest: str) -> str:
        return "/".join([self.prefix + "/" + self.name(t), *([id_] if id_ else []), *rest])

    def doc(self, t: str, id_: str | None = None, attributes: dict | None = None, relationships: dict | None = None) -> dict:
        data: dict[str, Any] = {"type": self.name(t)}
        if id_:
            data["id"] = id_
        if attributes:
            data["attributes"] = attributes
        if relationships:
            data["relationships"] = {k: {"data": self.linkage(v)} for k, v in relationships.items()}
        return {"data": data}

    def linkage(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [{"type": self.name(t), "id": i} for t, i in value]
        return {"type": self.name(value[0]), "id": value[1]}

    def filter_params(self) -> dict[str, str]:
        if self.dialect == "restless":
            return {"filter[objects]": json.dumps([{"name": "age", "op": "gt", "val": 30}])}
        return {"filter[age][gt]": "30"}


CALLERS = {
    "restless": Caller(
        "restless", "/restless/api", {"people": "person", "computers": "computer", "articles": "article"}, update_status=204
    ),
    "oro": Caller("oro", "/oro/api"),
    "didww": Caller("didww", "/didww", relationship_writes=False),
}
BACKENDS = ["jsonapi", "restless", "oro", "didww"]
H = {"content-type": MEDIA, "accept": MEDIA}


async def _create(r: Rig, c: Caller, t: str, attributes: dict, relationships: dict | None = None) -> str:
    resp = await r.client.post(c.url(t), json=c.doc(t, None, attributes, relationships), headers=H)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["data"]["id"])


async def _write_to_many(
    r: Rig, c: Caller, method: str, owner: tuple[str, str], rel: str, members: list[tuple[str, str]], after: list[str]
) -> None:
    """Add (POST), remove (DELETE) or replace (PATCH) members: on the relationship URL, or inline for DIDWW."""
    t, id_ = owner
    if c.relationship_writes:
        resp = await r.client.request(method, c.url(t, id_, "relationships", rel), json={"data": c.linkage(members)}, headers=H)
        assert resp.status_code in (200, 204), resp.text
    else:  # DIDWW: a resource PATCH with the whole new linkage
        resp = await r.client.patch(c.url(t, id_), json=c.doc(t, id_, None, {rel: [(members[0][0], m) for m in after]}), headers=H)
        assert resp.status_code in (200, 204), resp.text
    assert sorted(await r.members(t, id_, rel)) == sorted(after)


async def _set_one(r: Rig, c: Caller, owner: tuple[str, str], rel: str, target: tuple[str, str] | None) -> None:
    t, id_ = owner
    if c.relationship_writes:
        resp = await r.client.patch(c.url(t, id_, "relationships", rel), json={"data": c.linkage(target)}, headers=H)
    else:
        resp = await r.client.patch(c.url(t, id_), json=c.doc(t, id_, None, {rel: target}), headers=H)
    assert resp.status_code in (200, 204), resp.text
    assert await r.members(t, id_, rel) == ([target[1]] if target else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("caller", sorted(CALLERS))
async def test_matrix_scenario(sqlite_url: str, caller: str, backend: str) -> None:
    c = CALLERS[caller]
    async with rig(sqlite_url, caller, backend) as r:
        # create with links
        ann = await _create(r, c, "people", {"name": "Ann", "age": 40})
        bob = await _create(r, c, "people", {"name": "Bob", "age": 20})
        arts = [await _create(r, c, "articles", {"title": t}, {"author": ("people", ann)}) for t in ("a", "b", "c")]
        assert sorted(await r.members("people", ann, "articles")) == sorted(arts)
        # read with include
        got = await r.client.get(c.url("people", ann), params={"include": "articles"}, headers={"accept": MEDIA})
        assert got.status_code == 200, got.text
        assert sorted(str(i["id"]) for i in got.json()["included"]) == sorted(arts)
        # remove, add, replace on people.articles (allowed by every backend's policies)
        await _write_to_many(r, c, "DELETE", ("people", ann), "articles", [("articles", arts[0])], arts[1:])
        await _write_to_many(r, c, "POST", ("people", bob), "articles", [("articles", arts[0])], [arts[0]])
        await _write_to_many(r, c, "PATCH", ("people", bob), "articles", [("articles", a) for a in arts[:2]], arts[:2])
        assert await r.members("people", ann, "articles") == [arts[2]]  # b moved to Bob with the replace
        # set and clear a to-one
        await _set_one(r, c, ("articles", arts[2]), "author", ("people", bob))
        await _set_one(r, c, ("articles", arts[2]), "author", None)
        # filter + sort + page
        page = {"sort": "-title", "page[size]": "2", "page[number]": "1"}
        listed = await r.client.get(c.url("articles"), params=page, headers={"accept": MEDIA})
        assert listed.status_code == 200, listed.text
        assert [a["attributes"]["title"] for a in listed.json()["data"]] == ["c", "b"]
        older = await r.client.get(c.url("people"), params=c.filter_params(), headers={"accept": MEDIA})
        assert older.status_code == 200, older.text
        assert [p["attributes"]["name"] for p in older.json()["data"]] == ["Ann"]
        # update an attribute, then delete
        upd = await r.client.patch(c.url("people", bob), json=c.doc("people", bob, {"age": 21}), headers=H)
        assert upd.status_code == c.update_status, upd.text
        assert [p.attributes["age"] for p in await r.rows("people") if p.id == bob] == [21]
        gone = await r.client.delete(c.url("people", bob), headers={"accept": MEDIA})
        assert gone.status_code == 204, gone.text
        assert [p.id for p in await r.rows("people")] == [ann]


async def test_restless_caller_policy_and_backend_policy_both_hold(sqlite_url: str) -> None:
    """people.computers: the restless door forbids replacement itself; on a jsonapi caller the backend's policy does."""
    c = CALLERS["restless"]
    async with rig(sqlite_url, "restless", "jsonapi") as r:
        ann = await _create(r, c, "people", {"name": "Ann"})
        resp = await r.client.patch(c.url("people", ann, "relationships", "computers"), json={"data": []}, headers=H)
        assert resp.status_code == 403, resp.text
        assert resp.json()["errors"][0]["status"] == "403"


async def test_batch_failing_after_a_write_is_undone_and_reports_its_steps(sqlite_url: str) -> None:
    """An Atomic Operations request on a non-atomic backend: op 0 applied, op 1 refused by the backend, op 0 undone."""
    async with rig(sqlite_url, "jsonapi", "restless") as r:
        ops = {
            "atomic:operations": [
                {"op": "add", "data": {"type": "people", "attributes": {"name": "Ann"}}},
                {"op": "add", "data": {"type": "people", "attributes": {"name": "Ann"}}},
            ]
        }
        atomic = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'
        resp = await r.client.post("/jsonapi/operations", json=ops, headers={"content-type": atomic, "accept": atomic})
        assert resp.status_code == 409, resp.text
        meta = resp.json()["errors"][0]["meta"]
        assert meta["steps"] == [
            {"op": 0, "step": 1, "status": "compensated", "action": "POST /person", "purpose": "create", "undo": "DELETE /person/1"},
            {"op": 1, "step": 2, "status": "failed", "action": "POST /person", "purpose": "create"},
        ]
        assert await r.rows("people") == []  # the first create was undone


async def test_lids_across_operations_get_the_backends_ids(sqlite_url: str) -> None:
    async with rig(sqlite_url, "jsonapi", "restless") as r:
        ops = {
            "atomic:operations": [
                {"op": "add", "data": {"type": "people", "lid": "p", "attributes": {"name": "Ann"}}},
                {
                    "op": "add",
                    "data": {
                        "type": "articles",
                        "attributes": {"title": "T"},
                        "relationships": {"author": {"data": {"type": "people", "lid": "p"}}},
                    },
                },
            ]
        }
        atomic = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'
        resp = await r.client.post("/jsonapi/operations", json=ops, headers={"content-type": atomic, "accept": atomic})
        assert resp.status_code == 200, resp.text
        results = resp.json()["atomic:results"]
        person, article = results[0]["data"], results[1]["data"]
        assert [p.id for p in await r.rows("people")] == [person["id"]]
        assert await r.members("articles", article["id"], "author") == [person["id"]]



async def test_strapi_caller_hears_why_a_backend_policy_refused(sqlite_url: str) -> None:
    """A Strapi ``set`` on a relation the backend forbids replacing: Strapi's ForbiddenError, saying why."""
    async with rig(sqlite_url, "strapi", "restless") as r:
        made = await r.client.post("/strapi/api/people", json={"data": {"name": "Ann"}})
        assert made.status_code == 201, made.text
        ann = made.json()["data"]["documentId"]
        resp = await r.client.put(f"/strapi/api/people/{ann}", json={"data": {"computers": {"set": []}}})
        assert resp.status_code == 403, resp.text
        error = resp.json()["error"]
        assert error["name"] == "ForbiddenError"
        assert "does not allow replacing all of 'people.computers'" in error["message"]
