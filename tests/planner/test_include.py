"""Includes on a backend without compound documents (relgate/planner/include.py).

(1) the plan offline: the read without ``include`` (sparse fields widened for the linkage), then
the related resources level by level, deduplicated, batched by ``id in (…)`` — or one read each
on a backend that cannot filter; (2) JSON:API and Strapi callers in front of relgate's store
serving JSON:API with ``include = false``: the compound document equals the one the store gives
itself, fetched in the fewest requests; (3) the real flask-restless-ng with include turned off.
"""

from __future__ import annotations

from typing import Any

import pytest

from relgate.model import Cmp, Get, GetLinkage, Ident, LinkageResult, List, One, Page, Query, Resource, ResourceList
from relgate.planner import PlanStep
from tests.planner.support import Faulty, context, drive
from tests.targets.proxy_support import rig

J = {"accept": "application/vnd.api+json", "content-type": "application/vnd.api+json"}


def _i(t: str, id_: str) -> Ident:
    return Ident(t, id_)


ANN = Resource(
    "people", "1", {"name": "Ann", "age": 3},
    {"computers": (_i("computers", "1"), _i("computers", "2")), "articles": (_i("articles", "7"),)},
)  # fmt: skip
BOB = Resource("people", "2", {"name": "Bob"}, {"computers": (_i("computers", "2"),), "articles": ()})
COMPUTERS = {i: Resource("computers", i, {"name": f"c{i}"}, {"owner": _i("people", "1")}) for i in ("1", "2")}
ARTICLE = Resource("articles", "7", {"title": "T"}, {"author": _i("people", "1")})


def _answer(step: PlanStep) -> Any:
    op = step.op
    if isinstance(op, Get) and op.ref.type == "people":
        return One(ANN)
    if isinstance(op, List) and op.type == "people":
        return ResourceList((ANN, BOB), 2)
    if isinstance(op, List) and op.type == "computers":
        ids = op.query.where.value  # type: ignore[union-attr]
        return ResourceList(tuple(COMPUTERS[i] for i in ids if i in COMPUTERS))
    if isinstance(op, List) and op.type == "articles":
        return ResourceList((ARTICLE,))
    if isinstance(op, Get):
        return One({"computers": COMPUTERS, "articles": {"7": ARTICLE}}[op.ref.type][op.ref.id])  # type: ignore[index]
    raise AssertionError(op)


def test_plan_reads_without_include_then_each_type_once_with_an_in_filter() -> None:
    ctx = context("jsonapi", options={"include": False})
    query = Query(include=(("computers",), ("articles", "author")), fields={"people": frozenset({"name"})})
    driven = drive(List("people", query), ctx, _answer)
    first, *rest = [s.op for s in driven.steps]
    assert first == List("people", Query(fields={"people": frozenset({"name", "computers", "articles"})}))
    assert rest == [
        List("computers", Query(where=Cmp("id", "in", ("1", "2")), page=Page(0, 2))),  # computer 2 once, for Ann and Bob
        List("articles", Query(where=Cmp("id", "in", ("7",)), page=Page(0, 1))),
    ]  # articles.author is Ann: a primary resource, neither fetched again nor included
    (result,) = driven.outcome.results
    assert [r.relationships for r in result.items] == [{}, {}]  # cut back to the caller's fields
    assert [(r.type, r.id) for r in result.included] == [("computers", "1"), ("computers", "2"), ("articles", "7")]


def test_without_an_in_filter_each_related_resource_is_one_read() -> None:
    ctx = context("jsonapi", options={"include": False, "filter": "none"})
    driven = drive(Get(_i("people", "1"), Query(include=(("computers",),))), ctx, _answer)
    assert [s.op for s in driven.steps[1:]] == [Get(_i("computers", "1"), Query()), Get(_i("computers", "2"), Query())]
    assert [r.id for r in driven.outcome.results[0].included] == ["1", "2"]


def test_linkage_the_backend_did_not_send_is_read_on_the_relationship() -> None:
    ctx = context("jsonapi", options={"include": False})
    bare = Resource("people", "1", {"name": "Ann"}, {})

    def answer(step: PlanStep) -> Any:
        if isinstance(step.op, Get):
            return One(bare)
        if isinstance(step.op, GetLinkage):
            return LinkageResult((_i("computers", "2"),))
        return _answer(step)

    driven = drive(Get(_i("people", "1"), Query(include=(("computers",),))), ctx, answer)
    assert [type(s.op).__name__ for s in driven.steps] == ["Get", "GetLinkage", "List"]
    one = driven.outcome.results[0]
    assert one.item.relationships == {"computers": (_i("computers", "2"),)} and [r.id for r in one.included] == ["2"]


def test_a_backend_with_include_is_asked_natively() -> None:
    driven = drive(Get(_i("people", "1"), Query(include=(("computers",),))), context("jsonapi"), _answer)
    assert [s.op for s in driven.steps] == [Get(_i("people", "1"), Query(include=(("computers",),)))]


# --- (2) callers in front of relgate's store serving JSON:API without include ---------------------------


async def _seed(r: Any) -> dict[str, str]:
    async def post(t: str, attributes: dict, relationships: dict | None = None) -> str:
        data: dict[str, Any] = {"type": t, "attributes": attributes}
        if relationships:
            data["relationships"] = {k: {"data": v} for k, v in relationships.items()}
        made = await r.backend_client.post(f"/jsonapi/{t}", json={"data": data}, headers=J)
        assert made.status_code == 201, made.text
        return made.json()["data"]["id"]

    ann = await post("people", {"name": "Ann", "age": 30})
    bob = await post("people", {"name": "Bob", "age": 40})
    for n, owner in (("alpha", ann), ("beta", ann), ("gamma", bob)):
        await post("computers", {"name": n}, {"owner": {"type": "people", "id": owner}})
    await post("articles", {"title": "T"}, {"author": {"type": "people", "id": bob}})
    return {"ann": ann, "bob": bob}


def _no_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_links(v) for k, v in value.items() if k not in ("links", "meta")}
    if isinstance(value, list):
        return [_no_links(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/people/{ann}", {"include": "computers,articles.author"}),
        ("/people", {"include": "computers.owner", "fields[people]": "name", "sort": "name"}),
        ("/people/{bob}/computers", {"include": "owner.articles"}),
        ("/people/{ann}/relationships/computers", {"include": "computers"}),
    ],
    ids=["get", "list-sparse", "related", "linkage"],
)
async def test_compound_document_equals_the_stores_own(sqlite_url: str, path: str, params: dict[str, str]) -> None:
    counted: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        counted.append(Faulty(inner))
        return counted[0]

    async with rig(sqlite_url, "jsonapi", "jsonapi", wrap=wrap, options={"include": False}) as r:
        ids = await _seed(r)
        url = path.format(**ids)
        counted[0].arm(None)
        emulated = await r.client.get("/jsonapi" + url, params=params, headers=J)
        assert emulated.status_code == 200, emulated.text
        assert counted[0].urls and not any("include=" in line for line in counted[0].urls)  # translated, not streamed
        own = await r.backend_client.get("/jsonapi" + url, params=params, headers=J)
        assert own.status_code == 200, own.text
        got, want = _no_links(emulated.json()), _no_links(own.json())
        assert got["data"] == want["data"]
        key = lambda x: (x["type"], x["id"])  # noqa: E731
        assert sorted(got["included"], key=key) == sorted(want["included"], key=key)
        assert len({key(x) for x in got["included"]}) == len(got["included"])  # each once


async def test_requests_are_one_per_level_and_type(sqlite_url: str) -> None:
    counted: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        counted.append(Faulty(inner))
        return counted[0]

    async with rig(sqlite_url, "jsonapi", "jsonapi", wrap=wrap, options={"include": False}) as r:
        await _seed(r)
        counted[0].arm(None)
        got = await r.client.get("/jsonapi/people", params={"include": "computers.owner,articles"}, headers=J)
        assert got.status_code == 200, got.text
        # people; computers (one id-in read for all three); articles; owners are the primary people: none
        assert [line.split("?")[0] for line in counted[0].log] == ["GET /jsonapi/people", "GET /jsonapi/computers", "GET /jsonapi/articles"]


async def test_strapi_populate_from_a_backend_without_include(sqlite_url: str) -> None:
    async with rig(sqlite_url, "strapi", "jsonapi", options={"include": False}) as r:
        await _seed(r)
        got = await r.client.get("/strapi/api/people", params={"populate": "computers", "sort": "name"})
        assert got.status_code == 200, got.text
        assert [[c["name"] for c in p["computers"]] for p in got.json()["data"]] == [["alpha", "beta"], ["gamma"]]


async def test_real_flask_restless_ng_with_include_turned_off(ng_backend: Any) -> None:
    from tests.targets.test_proxy_real_backends import BACKEND_KEYS, proxy

    ng_backend.seed_example()
    BACKEND_KEYS["restless"]["options"] = {"include": False}
    try:
        async with proxy(ng_backend, "jsonapi") as c:
            got = await c.get("/jsonapi/people/1", params={"include": "computers"})
    finally:
        BACKEND_KEYS["restless"].pop("options")
    assert got.status_code == 200, got.text
    owned = sorted(r["id"] for r in ng_backend.rows("computer") if r["owner_id"] == 1)
    assert sorted(i["id"] for i in got.json()["included"]) == [str(i) for i in owned]
    assert sorted(i["id"] for i in got.json()["data"]["relationships"]["computers"]["data"]) == [str(i) for i in owned]
