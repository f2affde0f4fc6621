"""What only direct ops reach on a restless-legacy and a Strapi backend: bulk writes, aggregates,
refusals before any request, pass-through of what the caller's door does not cover, and the
backends' error bodies read back (canned answers, for what relgate's own doors never send)."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from relgate.config import Backend
from relgate.dialects.restless_legacy import client as legacy_client
from relgate.dialects.strapi import client as strapi_client
from relgate.model import (
    Aggregate,
    Aggregates,
    Batch,
    Cmp,
    Count,
    Create,
    DeleteWhere,
    Get,
    HttpResponse,
    Ident,
    ProblemError,
    UpdateWhere,
)
from tests.dialects.test_client_encoders import SCHEMA
from tests.targets.proxy_support import rig

J = {"content-type": "application/vnd.api+json"}


async def _people(r, *rows: tuple[str, int, str | None]) -> None:
    for name, age, born in rows:
        body = {"data": {"type": "people", "attributes": {"name": name, "age": age, "birth_date": born}}}
        assert (await r.client.post("/jsonapi/people", json=body, headers=J)).status_code == 201


async def test_legacy_bulk_writes_and_aggregates(sqlite_url: str) -> None:
    async with rig(sqlite_url, "jsonapi", "restless-legacy") as r:
        await _people(r, ("a", 10, "1990-05-06"), ("b", 20, None), ("c", 30, "1980-01-02"))
        target = r.proxy.targets["backend"]
        out = await target.execute(Batch((UpdateWhere("people", Cmp("age", "lt", 25), {"age": 99}),)))
        assert out.results == (Count(2),)
        assert sorted(p.attributes["age"] for p in await r.rows("people")) == [30, 99, 99]
        out = await target.execute(Batch((Aggregate("people", (("sum", "age"), ("count", "id"), ("min", "birth_date"))),)))
        (agg,) = out.results
        assert isinstance(agg, Aggregates)
        assert agg.values == {("sum", "age"): 228, ("count", "id"): 3, ("min", "birth_date"): dt.date(1980, 1, 2)}
        out = await target.execute(Batch((DeleteWhere("people", Cmp("name", "eq", "nobody")),)))
        assert out.results == (Count(0),)  # 0.17 answers that with 404 {"num_deleted": 0}
        out = await target.execute(Batch((DeleteWhere("people", Cmp("age", "eq", 99)),)))
        assert out.results == (Count(2),)
        assert [p.attributes["name"] for p in await r.rows("people")] == ["c"]
        with pytest.raises(ProblemError) as refused:
            await target.execute(Batch((Aggregate("people", (("sum", "age"),), Cmp("age", "gt", 1)),)))
        assert refused.value.problems[0].status == 400 and "filtered" in refused.value.problems[0].detail


async def test_legacy_backend_options_say_what_it_allows(sqlite_url: str) -> None:
    options = {"defaults": {"methods": ["GET"]}, "collections": {"article": {"methods": ["GET", "POST"], "allow_patch_many": True}}}
    async with rig(sqlite_url, "jsonapi", "restless-legacy", options=options) as r:
        refused = await r.client.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "A"}}}, headers=J)
        assert refused.status_code == 403, refused.text
        assert "POST on 'person'" in refused.json()["errors"][0]["detail"]
        assert await r.rows("people") == []
        made = await r.client.post("/jsonapi/articles", json={"data": {"type": "articles", "attributes": {"title": "T"}}}, headers=J)
        assert made.status_code == 201, made.text
        target = r.proxy.targets["backend"]
        assert (await target.execute(Batch((UpdateWhere("articles", None, {"title": "U"}),)))).results == (Count(1),)
        with pytest.raises(ProblemError) as no_bulk:
            await target.execute(Batch((DeleteWhere("articles", None),)))
        assert "delete every resource matching a filter" in no_bulk.value.problems[0].detail


async def test_strapi_bulk_writes_and_aggregates_are_emulated(sqlite_url: str) -> None:
    """Strapi has neither: relgate lists the matches and writes each, and computes aggregates over the pages."""
    async with rig(sqlite_url, "jsonapi", "strapi") as r:
        target = r.proxy.targets["backend"]
        for name, age in (("A", 30), ("B", 40)):
            doc = {"data": {"type": "people", "attributes": {"name": name, "age": age}}}
            made = await r.client.post("/jsonapi/people", json=doc, headers=J)
            assert made.status_code == 201, made.text
        older = Cmp("age", "gt", 35)
        assert (await target.execute(Batch((UpdateWhere("people", older, {"age": 41}),)))).results == (Count(1),)
        assert (await target.execute(Batch((Aggregate("people", (("sum", "age"),)),)))).results == (Aggregates({("sum", "age"): 71}),)
        assert (await target.execute(Batch((DeleteWhere("people", None),)))).results == (Count(2),)
        with pytest.raises(ProblemError) as no_ids:
            await target.execute(Batch((Create(Ident("people", "abc"), "people", {"name": "x"}),)))
        assert "client-generated ids" in no_ids.value.problems[0].detail
        assert await r.rows("people") == []


@pytest.mark.parametrize(("caller", "backend", "path", "direct_path", "marker"), [
    ("strapi", "restless-legacy", "/strapi/api/upload", "/legacy/api/upload", "message"),  # Strapi's /upload: not the content API
    ("restless-legacy", "jsonapi", "/legacy/api/health", "/jsonapi/health", "errors"),      # not a 0.17 collection
])  # fmt: skip
async def test_paths_the_callers_door_does_not_cover_stream_untouched(
    sqlite_url: str, caller: str, backend: str, path: str, direct_path: str, marker: str
) -> None:
    async with rig(sqlite_url, caller, backend) as r:
        answer = await r.client.get(path)
        direct = await r.backend_client.get(direct_path)
        assert answer.status_code == direct.status_code == 404
        assert marker in answer.json()  # the backend's own error body, not the caller's dialect
        assert answer.content == direct.content


# --- errors read back from canned answers ----------------------------------------------------------


def _drive(client, op, *answers: HttpResponse):
    exchange = client.exchange(op)
    sent = [next(exchange)]
    for answer in answers:
        try:
            sent.append(exchange.send(answer))
        except StopIteration as done:
            return sent, done.value
    raise AssertionError(f"the exchange wanted more answers after {sent}")


def _json(status: int, body) -> HttpResponse:
    return HttpResponse(status, (("content-type", "application/json"),), orjson.dumps(body))


def test_legacy_errors_keep_status_and_name_the_member() -> None:
    c = legacy_client(SCHEMA, Backend("old", "restless-legacy", "http://x/api", options={"defaults": {"methods": ["GET", "POST"]}}))
    op = Create(None, "people", {"name": "Ann"}, at=("data",))
    with pytest.raises(ProblemError) as dup:
        _drive(c, op, _json(400, {"message": "IntegrityError"}))
    (p,) = dup.value.problems
    assert (p.status, p.code, p.at) == (409, "conflict", ("data",))
    with pytest.raises(ProblemError) as invalid:
        _drive(c, op, _json(400, {"validation_errors": {"age": "must be a number"}}))
    (p,) = invalid.value.problems
    assert (p.status, p.member, p.detail) == (400, "age", "must be a number")
    with pytest.raises(ProblemError) as gone:
        _drive(c, Get(Ident("people", "1")), _json(404, {}))
    assert gone.value.problems[0].status == 404
    with pytest.raises(ProblemError) as broken:
        _drive(c, Get(Ident("people", "1")), HttpResponse(500, (), b"<html>Internal Server Error</html>"))
    assert broken.value.problems[0].status == 502 and "old" in broken.value.problems[0].detail


def test_strapi_errors_keep_status_and_name_the_member() -> None:
    c = strapi_client(SCHEMA, Backend("cms", "strapi", "http://x/api"))
    owner = Ident("people", "p1", at=("data", "relationships", "owner", "data"))
    op = Create(None, "computers", {"name": "a"}, {"owner": owner}, at=("data",))
    taken = "This attribute must be unique"
    item = {"path": ["name"], "message": taken, "name": "ValidationError"}
    unique = {"data": None, "error": {"status": 400, "name": "ValidationError", "message": taken, "details": {"errors": [item]}}}
    with pytest.raises(ProblemError) as dup:
        _drive(c, op, _json(400, unique))
    (p,) = dup.value.problems
    assert (p.status, p.code, p.member) == (409, "conflict", "name")
    text = 'Document with id "p1", locale "null" not found'
    gone = {"data": None, "error": {"status": 400, "name": "ValidationError", "message": text, "details": {}}}
    with pytest.raises(ProblemError) as missing:
        _drive(c, op, _json(400, gone))
    (p,) = missing.value.problems
    assert (p.status, p.at) == (404, ("data", "relationships", "owner", "data"))
    entry = {"id": 1, "documentId": "c1", "name": "a", "owner": {"id": 3, "documentId": "p1"}}
    sent, made = _drive(c, op, _json(201, {"data": entry, "meta": {}}))
    assert made.item.id == "c1" and made.item.relationships["owner"] == Ident("people", "p1")
    assert orjson.loads(sent[0].body) == {"data": {"name": "a", "owner": {"documentId": "p1"}}}
    assert "populate[owner][fields][0]=documentId" in sent[0].query  # the answer carries the linkage


@pytest.mark.parametrize(("backend", "keys"), [
    ("restless-legacy", {"options": {"max_results_per_page": 2, "defaults": {"methods": ["GET", "POST", "PATCH", "DELETE"]}}}),
    ("strapi", {"options": {"max_limit": 2}}),
])  # fmt: skip
async def test_a_backend_page_cap_below_the_callers_page_is_read_on(sqlite_url: str, backend: str, keys: dict) -> None:
    """The backend's door caps pages at 2 too (its own cap): the caller's page of 5 still gets 5."""
    caps = {"restless-legacy": {"max_results_per_page": 2}, "strapi": {"max_limit": 2}}[backend]
    async with rig(sqlite_url, "jsonapi", backend, backend_route_options=caps, **keys) as r:
        ann = await _person_id(r, "Ann")
        ids = []
        for n in "abcdefg":
            body = {"data": {"type": "computers", "attributes": {"name": n}}}
            ids.append((await r.client.post("/jsonapi/computers", json=body, headers=J)).json()["data"]["id"])
        page = await r.client.get("/jsonapi/computers", params={"sort": "name", "page[size]": "5", "page[number]": "1"})
        assert page.status_code == 200, page.text
        assert [c["attributes"]["name"] for c in page.json()["data"]] == list("abcde")
        assert page.json()["meta"]["total"] == 7
        second = await r.client.get("/jsonapi/computers", params={"sort": "name", "page[size]": "5", "page[number]": "2"})
        assert [c["attributes"]["name"] for c in second.json()["data"]] == ["f", "g"]
        # linking more members than one backend page holds: every one is found to exist
        linkage = {"data": [{"type": "computers", "id": i} for i in ids]}
        put = await r.client.patch(f"/jsonapi/people/{ann}/relationships/computers", json=linkage, headers=J)
        assert put.status_code == 204, put.text
        assert sorted(await r.members("people", ann, "computers")) == sorted(ids)


async def _person_id(r, name: str) -> str:
    made = await r.client.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": name}}}, headers=J)
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def test_backend_options_are_checked_with_their_key_paths() -> None:
    from relgate.config import ConfigError, from_dict
    from relgate.targets.registry import backend_targets
    from tests.targets.proxy_support import proxy_config

    cases = (
        ("restless-legacy", {"collections": {"nope": {}}, "results_per_page": -1}, "backends.backend.options."),
        ("strapi", {"response_format": "v3"}, "backends.backend: options.response_format"),
        ("strapi", {"default_limit": 5}, "backends.backend: options"),
    )
    for dialect, options, said in cases:
        config = from_dict(proxy_config("jsonapi", dialect, options=options))
        with pytest.raises(ConfigError) as refused:
            backend_targets(config)  # what relgate check runs
        assert all(e.startswith(said) for e in refused.value.errors), refused.value.errors


def test_strapi_4_missing_relation_rows_are_404() -> None:
    c = strapi_client(SCHEMA, Backend("cms", "strapi", "http://x/api", options={"response_format": "v4"}))
    op = Create(None, "computers", {"name": "a"}, {"owner": Ident("people", "999")}, at=("data",))
    text = "1 relation(s) of type api::person.person associated with this entity do not exist"
    with pytest.raises(ProblemError) as missing:
        _drive(c, op, _json(400, {"data": None, "error": {"status": 400, "name": "ValidationError", "message": text, "details": {}}}))
    (p,) = missing.value.problems
    assert (p.status, p.code, p.at) == (404, "not-found", ("data",))
    entry = {"id": 5, "attributes": {"name": "a", "owner": {"data": {"id": 999, "attributes": {}}}}}
    sent, made = _drive(c, op, _json(200, {"data": entry}))
    assert orjson.loads(sent[0].body) == {"data": {"name": "a", "owner": {"id": 999}}}  # Strapi 4: numeric ids in items
    assert made.item.id == "5" and made.item.relationships["owner"] == Ident("people", "999")
