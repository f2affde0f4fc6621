"""examples/middleware-flask-ng: the flask-restless-ng app gains a JSON:API 1.1 door and a Strapi 5 door.

Both ways the example serves it: as a WSGI app (``relgate.wsgi.RelgateMiddleware``, called the
way gunicorn calls it) and as an ASGI app around a2wsgi's adapter under a real uvicorn.  The
proxy matrix's scenario in each caller's own shapes — create with relationships, read with
include / populate, set and clear a to-one, add / remove / replace on a to-many, a replacement
NG forbids (403, nothing sent) — each write checked in NG's own database through Flask-SQLAlchemy's
session.  Then NG's own errors in each caller's format, a real fault in the app (a table gone:
Flask answers its 500 page) as a 500 in each caller's format without that page, and requests
outside the doors answered byte for byte as the bare Flask app answers them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from a2wsgi import WSGIMiddleware

from tests.examples.examples_support import load_example, wire
from tests.targets.proxy_support import serving_app

example = load_example("middleware-flask-ng")
from ng_api import Article, Computer, Person, db  # noqa: E402  (examples/flask-restless-ng, put on sys.path by the example)

J = {"content-type": "application/vnd.api+json"}
Call = Callable[..., Awaitable[httpx.Response]]
WAYS = ["wsgi", "asgi"]


@asynccontextmanager
async def doors(flask_app: Any, way: str) -> AsyncIterator[Call]:
    """``call(method, url, **kw)`` against the Flask app with relgate's doors, served ``way``."""
    if way == "wsgi":
        with httpx.Client(transport=httpx.WSGITransport(app=example.with_doors_wsgi(flask_app)), base_url="http://ng.test") as c:

            async def call_wsgi(method: str, url: str, **kw: Any) -> httpx.Response:
                return c.request(method, url, **kw)

            yield call_wsgi
        return
    async with serving_app(example.with_doors_asgi(flask_app)) as base, httpx.AsyncClient(base_url=base) as ac:
        yield ac.request


def rows(flask_app: Any) -> dict[str, Any]:
    """NG's own data, read through its Flask-SQLAlchemy session: who wrote which article, who owns what."""
    with flask_app.app_context():
        return {
            "articles": {a.title: a.author and a.author.name for a in db.session.scalars(sa.select(Article))},
            "computers": {c.name: c.owner and c.owner.name for c in db.session.scalars(sa.select(Computer))},
            "people": sorted(p.name for p in db.session.scalars(sa.select(Person))),
        }


@pytest.fixture
def flask_app(tmp_path: Path) -> Any:
    return example.flask_app(str(tmp_path / "ng.db"))


@pytest.mark.parametrize("way", WAYS)
async def test_jsonapi_door_scenario(flask_app: Any, way: str) -> None:
    async with doors(flask_app, way) as call:

        async def create(t: str, attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> str:
            data: dict[str, Any] = {"type": t, "attributes": attributes}
            if relationships:
                data["relationships"] = {k: {"data": v} for k, v in relationships.items()}
            r = await call("POST", f"/jsonapi/{t}", json={"data": data}, headers=J)
            assert r.status_code == 201, r.text
            return r.json()["data"]["id"]

        ann, bob = await create("person", {"name": "Ann", "age": 40}), await create("person", {"name": "Bob"})
        a, b = await create("article", {"title": "a"}), await create("article", {"title": "b"})
        await create("article", {"title": "c"}, {"author": {"type": "person", "id": ann}})  # create with a to-one
        await create("computer", {"name": "alpha"}, {"owner": {"type": "person", "id": ann}})
        assert rows(flask_app)["articles"] == {"a": None, "b": None, "c": "Ann"}

        url = f"/jsonapi/person/{ann}/relationships/articles"
        both = [{"type": "article", "id": a}, {"type": "article", "id": b}]
        assert (await call("POST", url, json={"data": both}, headers=J)).status_code == 204  # add
        assert rows(flask_app)["articles"] == {"a": "Ann", "b": "Ann", "c": "Ann"}
        assert (await call("DELETE", url, json={"data": both[1:]}, headers=J)).status_code == 204  # remove
        assert rows(flask_app)["articles"] == {"a": "Ann", "b": None, "c": "Ann"}
        assert (await call("PATCH", url, json={"data": both[1:]}, headers=J)).status_code == 204  # replace
        assert rows(flask_app)["articles"] == {"a": None, "b": "Ann", "c": None}
        refused = await call("PATCH", f"/jsonapi/person/{ann}/relationships/computers", json={"data": []}, headers=J)
        assert refused.status_code == 403, refused.text  # NG forbids it: relgate refuses, nothing sent
        assert refused.json()["errors"][0]["status"] == "403"
        assert rows(flask_app)["computers"] == {"alpha": "Ann"}

        author = f"/jsonapi/article/{a}/relationships/author"
        assert (await call("PATCH", author, json={"data": {"type": "person", "id": bob}}, headers=J)).status_code == 204  # to-one set
        assert rows(flask_app)["articles"]["a"] == "Bob"
        assert (await call("PATCH", author, json={"data": None}, headers=J)).status_code == 204  # to-one cleared
        assert rows(flask_app)["articles"]["a"] is None

        got = await call("GET", f"/jsonapi/person/{ann}", params={"include": "articles,computers"})
        assert got.status_code == 200, got.text
        assert sorted((i["type"], i["attributes"].get("title") or i["attributes"]["name"]) for i in got.json()["included"]) == [
            ("article", "b"),
            ("computer", "alpha"),
        ]
        page = await call("GET", "/jsonapi/article", params={"sort": "-title", "page[size]": "2", "page[number]": "2"})
        assert page.status_code == 200, page.text
        assert [x["attributes"]["title"] for x in page.json()["data"]] == ["a"]
        assert page.json()["meta"]["total"] == 3


@pytest.mark.parametrize("way", WAYS)
async def test_strapi_door_scenario(flask_app: Any, way: str) -> None:
    async with doors(flask_app, way) as call:

        async def create(plural: str, data: dict[str, Any]) -> str:
            r = await call("POST", f"/strapi/api/{plural}", json={"data": data})
            assert r.status_code == 201, r.text
            return r.json()["data"]["documentId"]

        async def put(plural: str, doc: str, data: dict[str, Any], populate: str) -> httpx.Response:
            return await call("PUT", f"/strapi/api/{plural}/{doc}", json={"data": data}, params={"populate": populate})

        ann, bob = await create("person", {"name": "Ann", "age": 40}), await create("person", {"name": "Bob"})
        alpha = await create("computer", {"name": "alpha", "vendor": "Acme", "owner": {"connect": [ann]}})  # create with a to-one
        x, y = await create("article", {"title": "x"}), await create("article", {"title": "y", "author": bob})
        assert rows(flask_app) == {"articles": {"x": None, "y": "Bob"}, "computers": {"alpha": "Ann"}, "people": ["Ann", "Bob"]}

        r = await put("computer", alpha, {"owner": None}, "owner")  # to-one cleared
        assert r.status_code == 200 and r.json()["data"]["owner"] is None, r.text
        assert rows(flask_app)["computers"] == {"alpha": None}
        r = await put("computer", alpha, {"owner": bob}, "owner")  # to-one set
        assert r.status_code == 200 and r.json()["data"]["owner"]["name"] == "Bob", r.text
        assert rows(flask_app)["computers"] == {"alpha": "Bob"}

        r = await put("person", ann, {"articles": {"connect": [x, y]}}, "articles")  # add
        assert r.status_code == 200, r.text
        assert sorted(a["title"] for a in r.json()["data"]["articles"]) == ["x", "y"]
        assert rows(flask_app)["articles"] == {"x": "Ann", "y": "Ann"}
        assert (await put("person", ann, {"articles": {"disconnect": [x]}}, "articles")).status_code == 200  # remove
        assert rows(flask_app)["articles"] == {"x": None, "y": "Ann"}
        assert (await put("person", ann, {"articles": {"set": [x]}}, "articles")).status_code == 200  # replace
        assert rows(flask_app)["articles"] == {"x": "Ann", "y": None}
        refused = await put("person", bob, {"computers": {"disconnect": [alpha]}}, "computers")
        assert refused.status_code == 403, refused.text  # NG forbids removal from person.computers: nothing sent
        assert refused.json()["error"]["name"] == "ForbiddenError"
        assert rows(flask_app)["computers"] == {"alpha": "Bob"}

        listed = await call("GET", "/strapi/api/person", params={"filters[age][$gte]": "18", "populate": "articles"})
        assert listed.status_code == 200, listed.text
        assert [(p["name"], [a["title"] for a in p["articles"]]) for p in listed.json()["data"]] == [("Ann", ["x"])]
        assert listed.json()["meta"]["pagination"]["total"] == 1


@pytest.mark.parametrize("way", WAYS)
async def test_ngs_own_errors_reach_each_caller_in_its_format(flask_app: Any, way: str) -> None:
    async with doors(flask_app, way) as call:
        ann = {"data": {"type": "person", "attributes": {"name": "Ann"}}}
        assert (await call("POST", "/jsonapi/person", json=ann, headers=J)).status_code == 201
        again = await call("POST", "/jsonapi/person", json=ann, headers=J)  # NG's own refusal: the unique name
        assert 400 <= again.status_code < 500 and again.status_code != 404, again.text
        assert again.headers["content-type"] == "application/vnd.api+json"
        assert again.json()["errors"][0]["status"] == str(again.status_code)
        strapi = await call("POST", "/strapi/api/person", json={"data": {"name": "Ann"}})
        assert strapi.status_code == again.status_code == 409, strapi.text  # NG's 409 names no member: Strapi's ConflictError
        assert strapi.json()["data"] is None and strapi.json()["error"]["name"] == "ConflictError"
        assert "UNIQUE constraint failed: person.name" in strapi.json()["error"]["message"]  # NG's own words, as NG says them
        missing = await call("GET", "/jsonapi/person/99")  # NG's 404, in JSON:API 1.1
        assert missing.status_code == 404, missing.text
        assert missing.json()["jsonapi"] == {"version": "1.1"} and missing.json()["errors"][0]["status"] == "404"
    assert rows(flask_app)["people"] == ["Ann"]


@pytest.mark.parametrize("way", WAYS)
async def test_an_exception_in_the_app_is_a_500_in_each_callers_format(flask_app: Any, way: str) -> None:
    with flask_app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE article"))  # a real fault: SQLAlchemy raises inside NG, Flask answers its 500 page
    async with doors(flask_app, way) as call:
        jsonapi = await call("GET", "/jsonapi/article")
        strapi = await call("GET", "/strapi/api/article")
    assert jsonapi.status_code == 500 and jsonapi.headers["content-type"] == "application/vnd.api+json"
    (err,) = jsonapi.json()["errors"]
    assert err["status"] == "500" and err["code"] == "internal" and "logged" in err["detail"]
    assert strapi.status_code == 500
    assert strapi.json() == {"data": None, "error": {"status": 500, "name": "InternalServerError", "message": "Internal Server Error"}}
    for r in (jsonapi, strapi):
        assert "Traceback" not in r.text and "no such table" not in r.text and "<html" not in r.text.lower()


@pytest.mark.parametrize("way", WAYS)
async def test_requests_outside_the_doors_are_byte_identical_to_the_bare_app(flask_app: Any, way: str) -> None:
    accept = {"accept": "application/vnd.api+json"}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/person", {"json": {"data": {"type": "person", "attributes": {"name": "Ann"}}}, "headers": {**J, **accept}}),
        ("GET", "/api/person", {"headers": accept, "params": {"include": "articles"}}),
        ("GET", "/api/person/1", {"headers": accept}),
        ("GET", "/api/person", {"headers": {"accept": "text/html"}}),  # NG's 406
        ("POST", "/api/person", {"content": b"{}", "headers": {"content-type": "text/plain", **accept}}),  # NG's 415
        ("DELETE", "/api/person/99", {"headers": accept}),
        ("GET", "/nowhere", {}),  # Flask's own 404 page
        ("GET", "/jsonapix/person", {}),  # not under the /jsonapi prefix
    ]
    if way == "wsgi":
        bare_app, wrapped_app = flask_app, example.with_doors_wsgi(flask_app)
        with httpx.Client(transport=httpx.WSGITransport(app=bare_app), base_url="http://ng.test") as bare:
            want = [wire(bare.request(m, u, **kw)) for m, u, kw in requests]
        with flask_app.app_context():
            db.session.execute(sa.delete(Person))  # the same data for the second pass (ids restart: SQLite without AUTOINCREMENT)
            db.session.commit()
        with httpx.Client(transport=httpx.WSGITransport(app=wrapped_app), base_url="http://ng.test") as through:
            got = [wire(through.request(m, u, **kw)) for m, u, kw in requests]
    else:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=WSGIMiddleware(flask_app)), base_url="http://ng.test") as bare:  # type: ignore[arg-type]
            want = [wire(await bare.request(m, u, **kw)) for m, u, kw in requests]
        with flask_app.app_context():
            db.session.execute(sa.delete(Person))
            db.session.commit()
        wrapped = example.with_doors_asgi(flask_app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://ng.test") as through:
            got = [wire(await through.request(m, u, **kw)) for m, u, kw in requests]
    for (method, url, _), w, g in zip(requests, want, got, strict=True):
        assert g == w, (method, url)
    assert want[0][0] == 201 and want[3][0] == 406 and want[4][0] == 415 and want[6][0] == 404  # the requests did what they say
