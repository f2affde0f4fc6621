"""relgate in front of the REAL backends of examples/ (gunicorn on 127.0.0.1, fixtures of tests/backends).

A JSON:API 1.1 caller and a Strapi 5 caller in front of flask-restless-ng 3.3.0 (with its 403
policies), Flask-Restless 0.17.0 and djangorestframework-jsonapi 8.1.0 (JSON:API 1.0); each
scenario checks the backend's own SQLite file afterwards.  Without the installed backends these
skip (``python tests/backends/install.py``); under ``CI=true`` they fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import from_dict
from tests.targets.proxy_support import proxy_config

J = {"content-type": "application/vnd.api+json", "accept": "application/vnd.api+json"}

BACKEND_KEYS: dict[str, dict[str, Any]] = {
    "restless": {
        "policies": {
            "people.articles": {"allow_replace": True, "allow_remove": True},
            "people.computers": {"allow_replace": False, "allow_remove": False},
        }
    },
    "jsonapi": {"options": {"total_meta": "pagination.count", "to_one_via_resource": True}},
    "restless-legacy": {},
}


@asynccontextmanager
async def proxy(backend: Any, caller: str) -> AsyncIterator[httpx.AsyncClient]:
    data = proxy_config(caller, backend.dialect)
    table = data["backends"]["backend"]
    table.pop("policies", None)
    table.update(url=backend.url, **BACKEND_KEYS.get(backend.dialect, {}))
    gw = Gateway(from_dict(data))
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        yield c


def _author_of(backend: Any, article: str) -> Any:
    return next(r["author_id"] for r in backend.rows("article") if str(r["id"]) == article)


async def _jsonapi_scenario(backend: Any) -> None:
    async with proxy(backend, "jsonapi") as c:
        ann = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann", "age": 40}}}, headers=J)
        assert ann.status_code == 201, ann.text
        person = ann.json()["data"]["id"]
        arts = []
        for title in ("b", "a", "c"):
            r = await c.post("/jsonapi/articles", json={"data": {"type": "articles", "attributes": {"title": title}}}, headers=J)
            assert r.status_code == 201, r.text
            arts.append(r.json()["data"]["id"])
        url = f"/jsonapi/people/{person}/relationships/articles"
        add = await c.post(url, json={"data": [{"type": "articles", "id": a} for a in arts[:2]]}, headers=J)
        assert add.status_code == 204, add.text
        assert [_author_of(backend, a) for a in arts] == [int(person), int(person), None]
        rm = await c.request("DELETE", url, json={"data": [{"type": "articles", "id": arts[0]}]}, headers=J)
        assert rm.status_code == 204, rm.text
        assert _author_of(backend, arts[0]) is None
        linkage = await c.get(url)
        assert linkage.status_code == 200, linkage.text
        assert [i["id"] for i in linkage.json()["data"]] == [arts[1]]
        got = await c.get(f"/jsonapi/people/{person}", params={"include": "articles"})
        assert got.status_code == 200, got.text
        assert [i["attributes"]["title"] for i in got.json()["included"]] == ["a"]
        page = await c.get("/jsonapi/articles", params={"sort": "title", "page[size]": "2", "page[number]": "2"})
        assert page.status_code == 200, page.text
        assert [a["attributes"]["title"] for a in page.json()["data"]] == ["c"]
        assert page.json()["meta"]["total"] == 3
        author = {"data": {"type": "people", "id": person}}
        setone = await c.patch(f"/jsonapi/articles/{arts[2]}/relationships/author", json=author, headers=J)
        assert setone.status_code == 204, setone.text
        assert _author_of(backend, arts[2]) == int(person)
        gone = await c.delete(f"/jsonapi/articles/{arts[0]}")
        assert gone.status_code == 204, gone.text
        assert [str(r["id"]) for r in backend.rows("article")] == arts[1:]


async def test_jsonapi_caller_in_front_of_flask_restless_ng(ng_backend: Any) -> None:
    await _jsonapi_scenario(ng_backend)


async def test_jsonapi_caller_in_front_of_drf_jsonapi(drf_backend: Any) -> None:
    await _jsonapi_scenario(drf_backend)


async def _read_on_scenario(backend: Any) -> None:
    """The backend's default page (ng: 10) and its page-size cap do not cut what the caller asked for."""
    async with proxy(backend, "jsonapi") as c:
        titles = [f"t{n:02}" for n in range(12)]
        for title in titles:
            r = await c.post("/jsonapi/articles", json={"data": {"type": "articles", "attributes": {"title": title}}}, headers=J)
            assert r.status_code == 201, r.text
        everything = await c.get("/jsonapi/articles", params={"sort": "title"})
        assert everything.status_code == 200, everything.text
        assert [a["attributes"]["title"] for a in everything.json()["data"]] == titles
    data = proxy_config("jsonapi", backend.dialect)
    data["backends"]["backend"].pop("policies", None)
    data["backends"]["backend"].update(url=backend.url, **BACKEND_KEYS.get(backend.dialect, {}))
    data["backends"]["backend"].setdefault("options", {})["max_page_size"] = 2
    gw = Gateway(from_dict(data))
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        page = await c.get("/jsonapi/articles", params={"sort": "title", "page[size]": "5", "page[number]": "2"})
        assert page.status_code == 200, page.text
        assert [a["attributes"]["title"] for a in page.json()["data"]] == titles[5:10]  # three backend pages of 2, cut


async def test_jsonapi_caller_reads_past_ng_pages(ng_backend: Any) -> None:
    await _read_on_scenario(ng_backend)


async def test_jsonapi_caller_reads_past_drf_pages(drf_backend: Any) -> None:
    await _read_on_scenario(drf_backend)


async def test_ng_policy_refusal_is_403_and_nothing_is_sent(ng_backend: Any) -> None:
    async with proxy(ng_backend, "jsonapi") as c:
        ann = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        person = ann.json()["data"]["id"]
        owner = {"owner": {"data": {"type": "people", "id": person}}}
        doc = {"data": {"type": "computers", "attributes": {"name": "x"}, "relationships": owner}}
        comp = await c.post("/jsonapi/computers", json=doc, headers=J)
        assert comp.status_code == 201, comp.text
        refused = await c.patch(f"/jsonapi/people/{person}/relationships/computers", json={"data": []}, headers=J)
        assert refused.status_code == 403, refused.text
        assert [r["owner_id"] for r in ng_backend.rows("computer")] == [int(person)]


async def test_ng_own_refusal_reaches_the_caller_when_relgate_was_not_told(ng_backend: Any) -> None:
    """Without the policy in the proxy's config the request is sent; ng's own 403 comes back in JSON:API."""
    data = proxy_config("jsonapi", "restless")
    data["backends"]["backend"].update(url=ng_backend.url, policies={"people.computers": {"allow_replace": True}})
    gw = Gateway(from_dict(data))
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        ann = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        refused = await c.patch(f"/jsonapi/people/{ann.json()['data']['id']}/relationships/computers", json={"data": []}, headers=J)
        assert refused.status_code == 403, refused.text
        err = refused.json()["errors"][0]
        assert err["status"] == "403" and err["meta"]["backend"] == "backend"


async def _strapi_scenario(backend: Any) -> None:
    async with proxy(backend, "strapi") as c:
        ann = await c.post("/strapi/api/people", json={"data": {"name": "Ann", "age": 33}})
        assert ann.status_code == 201, ann.text
        person = ann.json()["data"]["documentId"]
        comp = await c.post("/strapi/api/computers", json={"data": {"name": "alpha", "vendor": "Acme", "owner": {"connect": [person]}}})
        assert comp.status_code == 201, comp.text
        got = await c.get(f"/strapi/api/people/{person}", params={"populate": "computers"})
        assert got.status_code == 200, got.text
        assert [x["name"] for x in got.json()["data"]["computers"]] == ["alpha"]
        assert [r["name"] for r in backend.rows("computer") if r["owner_id"] is not None] == ["alpha"]
        listed = await c.get("/strapi/api/people", params={"filters[name][$eq]": "Ann"})
        assert listed.status_code == 200, listed.text
        assert [p["name"] for p in listed.json()["data"]] == ["Ann"]
        assert listed.json()["meta"]["pagination"]["total"] == 1


async def test_strapi_caller_in_front_of_flask_restless_ng(ng_backend: Any) -> None:
    await _strapi_scenario(ng_backend)


async def test_strapi_caller_in_front_of_drf_jsonapi(drf_backend: Any) -> None:
    await _strapi_scenario(drf_backend)


@pytest.mark.parametrize("caller", ["jsonapi"])
async def test_backend_validation_error_keeps_status_and_detail(ng_backend: Any, caller: str) -> None:
    async with proxy(ng_backend, caller) as c:
        first = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        assert first.status_code == 201
        again = await c.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}, headers=J)
        assert 400 <= again.status_code < 500, again.text  # the unique name: ng's own refusal, in JSON:API
        assert len(ng_backend.rows("person")) == 1


async def test_jsonapi_caller_in_front_of_flask_restless_017(zero17_backend: Any) -> None:
    await _jsonapi_scenario(zero17_backend)


async def test_strapi_caller_in_front_of_flask_restless_017(zero17_backend: Any) -> None:
    await _strapi_scenario(zero17_backend)


# --- the real Strapi 5 (examples/strapi5/relgate.toml: every id a documentId) ---------------------


@asynccontextmanager
async def strapi_proxy(strapi: Any) -> AsyncIterator[httpx.AsyncClient]:
    import tomllib
    from pathlib import Path

    data = tomllib.loads((Path(__file__).resolve().parents[2] / "examples" / "strapi5" / "relgate.toml").read_text())
    data.pop("store", None)
    data["backends"]["strapi"]["url"] = strapi.url
    gw = Gateway(from_dict(data))
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        yield c


async def test_jsonapi_caller_in_front_of_strapi(strapi_backend: Any) -> None:
    async with strapi_proxy(strapi_backend) as c:
        r = await c.post("/jsonapi/restaurants", json={"data": {"type": "restaurants", "attributes": {"name": "R"}}}, headers=J)
        assert r.status_code == 201, r.text
        rid = r.json()["data"]["id"]
        cats = []
        for n in ("soup", "fish", "cake"):
            made = await c.post("/jsonapi/categories", json={"data": {"type": "categories", "attributes": {"name": n}}}, headers=J)
            assert made.status_code == 201, made.text
            cats.append(made.json()["data"]["id"])
        url = f"/jsonapi/restaurants/{rid}/relationships/categories"
        put = await c.patch(url, json={"data": [{"type": "categories", "id": i} for i in (cats[2], cats[0], cats[1])]}, headers=J)
        assert put.status_code == 204, put.text
        assert strapi_backend.related("restaurants", rid, "categories") == [cats[2], cats[0], cats[1]]  # Strapi keeps the order
        add = await c.post(url, json={"data": [{"type": "categories", "id": cats[0]}]}, headers=J)
        assert add.status_code == 204, add.text  # idempotent: already a member, nothing sent that Strapi would refuse
        assert strapi_backend.related("restaurants", rid, "categories") == [cats[2], cats[0], cats[1]]
        rm = await c.request("DELETE", url, json={"data": [{"type": "categories", "id": cats[2]}]}, headers=J)
        assert rm.status_code == 204, rm.text
        assert strapi_backend.related("restaurants", rid, "categories") == [cats[0], cats[1]]
        got = await c.get(f"/jsonapi/restaurants/{rid}", params={"include": "categories"})
        assert got.status_code == 200, got.text
        assert [i["attributes"]["name"] for i in got.json()["included"]] == ["soup", "fish"]


async def test_restless_caller_in_front_of_strapi(strapi_backend: Any) -> None:
    async with strapi_proxy(strapi_backend) as c:
        ann = await c.post("/restless/api/person", json={"data": {"type": "person", "attributes": {"name": "Ann"}}}, headers=J)
        assert ann.status_code == 201, ann.text
        pid = str(ann.json()["data"]["id"])
        comp = await c.post("/restless/api/computer", json={"data": {"type": "computer", "attributes": {"name": "alpha"}}}, headers=J)
        assert comp.status_code == 201, comp.text
        cid = str(comp.json()["data"]["id"])
        setone = await c.patch(f"/restless/api/computer/{cid}/relationships/owner", json={"data": {"type": "person", "id": pid}}, headers=J)
        assert setone.status_code == 204, setone.text
        assert strapi_backend.related("computers", cid, "owner") == pid
        assert strapi_backend.related("people", pid, "computers") == [cid]
