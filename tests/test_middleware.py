"""Middleware mode: relgate's front doors inside an existing app, the app reached in-process.

Two real apps: a Starlette app serving JSON:API (relgate's own store mounted at /api, next to a
route of its own) that gains a Strapi door, and the Flask + flask-restless-ng app of
examples/flask-restless-ng (WSGI) that gains a JSON:API 1.1 door from a hand-written TOML-shaped
config, both ways round (relgate.wsgi under a WSGI call; the ASGI middleware around a2wsgi's
adapter).  The app's own data is read back through the app itself.  The three examples of
examples/middleware-* have their own tests in tests/examples/.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from relgate.app import Gateway
from relgate.config import Config, from_dict
from relgate.middleware import RelgateMiddleware
from relgate.model import Batch, GetLinkage, Ident
from tests.examples.examples_support import load_example
from tests.targets.proxy_support import serving_app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = tomllib.loads((ROOT / "gateway.example.toml").read_text())


def _config(backend: dict[str, Any], routes: list[dict[str, Any]]) -> Config:
    data = copy.deepcopy(EXAMPLE)
    data.pop("store", None)
    data["backends"] = {"app": backend}
    data["routes"] = routes
    return from_dict(data)


# --- a Starlette app serving JSON:API gains a Strapi door -----------------------------------------


def _starlette_app(sqlite_url: str) -> tuple[Starlette, Gateway, list[str]]:
    data = copy.deepcopy(EXAMPLE)
    data["store"] = {"url": sqlite_url}
    data["routes"] = [{"prefix": "/api", "dialect": "jsonapi"}]
    api = Gateway(from_dict(data))
    events: list[str] = []

    async def boom(request: Request) -> JSONResponse:
        raise RuntimeError("the app's own bug")

    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        async with api:
            yield
        events.append("shutdown")

    from contextlib import asynccontextmanager

    routes = [
        Route("/health", lambda request: PlainTextResponse("ok", headers={"x-app": "1"})),
        Route("/api/people/13", boom),
        Mount("/", app=api),
    ]
    return Starlette(routes=routes, lifespan=asynccontextmanager(lifespan)), api, events


STRAPI_DOOR = [{"prefix": "/strapi/api", "dialect": "strapi", "target": "app"}]


async def test_starlette_app_gains_a_strapi_door(sqlite_url: str) -> None:
    app, api, events = _starlette_app(sqlite_url)
    mw = RelgateMiddleware(app, config=_config({"dialect": "jsonapi", "url": "http://app/api"}, STRAPI_DOOR), backend="app")
    async with serving_app(mw) as base, httpx.AsyncClient(base_url=base) as c:
        assert events == ["startup"]  # lifespan reached the app
        cat = await c.post("/strapi/api/categories", json={"data": {"name": "soup"}})
        assert cat.status_code == 201, cat.text
        soup = cat.json()["data"]["documentId"]
        rest = await c.post("/strapi/api/restaurants", json={"data": {"name": "R", "categories": {"connect": [soup]}}})
        assert rest.status_code == 201, rest.text
        got = await c.get("/strapi/api/restaurants", params={"populate": "categories"})
        assert got.status_code == 200, got.text
        assert [x["name"] for x in got.json()["data"][0]["categories"]] == ["soup"]
        # the app's own data, read through the app
        (linkage,) = (await api.store.execute(Batch((GetLinkage(Ident("restaurants", "1"), "categories"),)))).results
        assert [i.id for i in linkage.linkage] == ["1"]  # type: ignore[union-attr]
        # the app's errors reach the caller in Strapi's format
        missing = await c.get("/strapi/api/restaurants/nosuchdocument")
        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["name"] == "NotFoundError"
    assert events == ["startup", "shutdown"]


async def test_requests_outside_the_doors_are_untouched(sqlite_url: str) -> None:
    app, api, _ = _starlette_app(sqlite_url)
    mw = RelgateMiddleware(app, config=_config({"dialect": "jsonapi", "url": "http://app/api"}, STRAPI_DOOR), backend="app")
    async with api:
        rid = {"X-Request-ID": "same-both-ways"}  # the app's own relgate echoes it (else it makes a new one each time)
        for path in ("/health", "/api/people", "/nothing-here"):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as bare:  # type: ignore[arg-type]
                want = await bare.get(path, headers=rid)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://t") as wrapped:  # type: ignore[arg-type]
                got = await wrapped.get(path, headers=rid)
            assert (got.status_code, got.headers.multi_items(), got.content) == (want.status_code, want.headers.multi_items(), want.content)


async def test_an_exception_in_the_app_is_a_500_in_the_callers_format_without_traceback(sqlite_url: str) -> None:
    app, api, _ = _starlette_app(sqlite_url)
    config = _config({"dialect": "jsonapi", "url": "http://app/api"}, [{"prefix": "/ng", "dialect": "restless", "target": "app"}])
    mw = RelgateMiddleware(app, config=config, backend="app")
    async with api, httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://t") as c:  # type: ignore[arg-type]
        r = await c.get("/ng/person/13")  # translated to the app's GET /api/people/13, which raises
        assert r.status_code == 500
        err = r.json()["errors"][0]
        assert err["status"] == "500" and "logged" in err["detail"]
        assert "Traceback" not in r.text and "own bug" not in r.text
        r = await c.get("/ng/person/1")
        assert r.status_code == 404  # the app's own 404, in the caller's (restless) format
        assert r.json()["errors"][0]["status"] == "404"


async def test_an_app_answering_its_own_5xx_page_gives_the_caller_that_status_without_the_page() -> None:
    """Frameworks catch their own exceptions (Flask's 500 page; a debugger's, with the traceback): not relayed."""
    from starlette.responses import HTMLResponse

    async def debug_page(request: Request) -> HTMLResponse:
        return HTMLResponse("<html><pre>Traceback (most recent call last): the app's secret</pre></html>", status_code=503)

    app = Starlette(routes=[Route("/api/people/{id}", debug_page)])
    config = _config({"dialect": "jsonapi", "url": "http://app/api"}, [{"prefix": "/ng", "dialect": "restless", "target": "app"}])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=RelgateMiddleware(app, config=config, backend="app")), base_url="http://t"
    ) as c:  # type: ignore[arg-type]
        r = await c.get("/ng/person/1")
    assert r.status_code == 503
    (err,) = r.json()["errors"]
    assert err["status"] == "503" and "logged" in err["detail"]
    assert "Traceback" not in r.text and "secret" not in r.text


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no \[backends\.nope\]"):
        config = _config({"dialect": "jsonapi", "url": "http://app/api"}, STRAPI_DOOR)
        RelgateMiddleware(Starlette(), config=config, backend="nope")


# --- a Flask + flask-restless-ng app (WSGI) gains a JSON:API 1.1 door ------------------------------


def _flask_ng_app(tmp_path: Path) -> Any:
    """The real flask-restless-ng 3.3.0 app of examples/flask-restless-ng (its models and create_app), on a fresh file."""
    return load_example("middleware-flask-ng").flask_app(str(tmp_path / "ng.db"))


NG_BACKEND = {"dialect": "restless", "url": "http://app/api", "policies": {"people.articles": {"allow_remove": True}}}
JSONAPI_DOOR = [{"prefix": "/jsonapi", "dialect": "jsonapi", "target": "app"}]
J = {"content-type": "application/vnd.api+json"}


def _ng_scenario_checks(flask_app: Any) -> list[int]:
    from ng_api import Person, db  # (examples/flask-restless-ng, on sys.path once the example is loaded)

    with flask_app.app_context():
        ann = db.session.get(Person, 1)
        return sorted(a.id for a in ann.articles)


def test_flask_ng_app_gains_a_jsonapi_door_under_a_wsgi_server(tmp_path: Path) -> None:
    from relgate.wsgi import RelgateMiddleware as WsgiRelgateMiddleware

    flask_app = _flask_ng_app(tmp_path)
    wrapped = WsgiRelgateMiddleware(flask_app, config=_config(NG_BACKEND, JSONAPI_DOOR), backend="app")
    with httpx.Client(transport=httpx.WSGITransport(app=wrapped), base_url="http://t") as c:
        ann = c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann", "age": 30}}}, headers=J)
        assert ann.status_code == 201, ann.text
        for title in ("a", "b"):
            r = c.post("/jsonapi/articles", json={"data": {"type": "articles", "attributes": {"title": title}}}, headers=J)
            assert r.status_code == 201, r.text
        both = {"data": [{"type": "articles", "id": "1"}, {"type": "articles", "id": "2"}]}
        add = c.post("/jsonapi/people/1/relationships/articles", json=both, headers=J)
        assert add.status_code == 204, add.text
        assert _ng_scenario_checks(flask_app) == [1, 2]
        one = {"data": [{"type": "articles", "id": "1"}]}
        rm = c.request("DELETE", "/jsonapi/people/1/relationships/articles", json=one, headers=J)
        assert rm.status_code == 204, rm.text
        assert _ng_scenario_checks(flask_app) == [2]
        replace = c.patch("/jsonapi/people/1/relationships/computers", json={"data": []}, headers=J)
        assert replace.status_code == 403, replace.text  # ng forbids it (allow_to_many_replacement=False): refused, nothing sent
        got = c.get("/jsonapi/people/1", params={"include": "articles"})
        assert got.status_code == 200, got.text
        assert [a["attributes"]["title"] for a in got.json()["included"]] == ["b"]
        # outside relgate's doors the Flask app answers as it always did
        direct = c.get("/api/person/1", headers={"accept": "application/vnd.api+json"})
        assert direct.status_code == 200 and direct.json()["data"]["attributes"]["name"] == "Ann"


async def test_flask_ng_app_under_an_asgi_server(tmp_path: Path) -> None:
    flask_app = _flask_ng_app(tmp_path)
    mw = RelgateMiddleware(WSGIMiddleware(flask_app), config=_config(NG_BACKEND, JSONAPI_DOOR), backend="app")  # type: ignore[arg-type]
    async with serving_app(mw) as base, httpx.AsyncClient(base_url=base) as c:
        ann = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        assert ann.status_code == 201, ann.text
        author = {"author": {"data": {"type": "people", "id": "1"}}}
        doc = {"data": {"type": "articles", "attributes": {"title": "a"}, "relationships": author}}
        art = await c.post("/jsonapi/articles", json=doc, headers=J)
        assert art.status_code == 201, art.text
        assert _ng_scenario_checks(flask_app) == [1]


def test_config_in_code_and_the_package_names() -> None:
    import relgate

    from_file = relgate.Config.from_toml(ROOT / "gateway.example.toml")
    data = copy.deepcopy(EXAMPLE)
    data["backends"] = {"app": {"dialect": "jsonapi", "url": "http://app/api"}}
    data["routes"] = STRAPI_DOOR
    in_code = relgate.Config.from_mapping(data)
    assert set(in_code.schema.types) == set(from_file.schema.types)
    assert relgate.RelgateMiddleware is RelgateMiddleware
