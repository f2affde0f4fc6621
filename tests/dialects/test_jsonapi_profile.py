"""The profile: every variable behaviour of the codec is data, checked through the Gateway."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from relgate.config import Config, ConfigError, from_dict
from relgate.dialects.jsonapi import JSONAPI_1_1, Issues, JsonApiProfile, JsonApiServer, LidScope, ResourceInput, server
from relgate.model import Create, Op
from tests.dialects.jsonapi_support import JSONAPI, gateway_client, with_options
from tests.jsonapi_schema import assert_response_valid

H = {"Content-Type": JSONAPI, "Accept": JSONAPI}


@asynccontextmanager
async def client_for(
    config: Config, store_url: str, profile: JsonApiProfile | None = None, cls: type = JsonApiServer
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(config, store_url) as (gw, client):
        for path, doc in [
            ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Alice"}}}),
            ("/jsonapi/articles", {"data": {"type": "articles", "attributes": {"title": "A1"}}}),
        ]:
            r = await client.post(path, content=json.dumps(doc), headers=H)
            assert r.status_code == 201, r.text
        if profile is not None or cls is not JsonApiServer:
            for d in gw.doors:
                if d.route.prefix == "/jsonapi":
                    d.dialect = cls(config.schema, d.route, config.server, profile or JSONAPI_1_1)
        yield client


async def send(client: httpx.AsyncClient, method: str, path: str, doc: Any = None, headers: dict[str, str] = H) -> httpx.Response:
    r = await client.request(method, path, content=json.dumps(doc).encode() if doc is not None else b"", headers=headers)
    if r.content:
        assert_response_valid(r.json())
    return r


LINK = {"data": [{"type": "articles", "id": "1"}]}


async def test_restless_like_profile(example_config: Config, sqlite_url: str) -> None:
    """Flask-Restless 1.0's differences, as data: names, 1.0 media types, links segment, lenient ids, 204 updates."""
    profile = JsonApiProfile(
        dialect="restless",
        version="1.0",
        media_type_params="none",
        atomic=False,
        relationship_segments=("relationships", "links"),
        integer_ids_in_linkage=True,
        lid=False,
        client_id_styles=frozenset(),
        update_status=204,
        replace_default=False,
        remove_default=False,
    )
    async with client_for(example_config, sqlite_url, profile) as client:
        r = await send(client, "GET", "/jsonapi/person/1")
        assert r.status_code == 200
        data = r.json()["data"]
        assert data["type"] == "person" and r.json()["jsonapi"] == {"version": "1.0"}
        assert data["relationships"]["articles"]["links"]["self"] == "/jsonapi/person/1/relationships/articles"
        assert (await send(client, "GET", "/jsonapi/people/1")).status_code == 404
        r = await send(client, "POST", "/jsonapi/person/1/links/articles", {"data": [{"type": "article", "id": 1}]})
        assert r.status_code == 204
        r = await send(client, "PATCH", "/jsonapi/person/1/relationships/articles", LINK)
        assert r.status_code == 403 and r.json()["errors"][0]["code"] == "replace-forbidden"
        r = await send(client, "DELETE", "/jsonapi/person/1/links/articles", {"data": [{"type": "article", "id": "1"}]})
        assert r.status_code == 403 and r.json()["errors"][0]["code"] == "remove-forbidden"
        r = await send(client, "PATCH", "/jsonapi/person/1", {"data": {"type": "person", "id": "1", "attributes": {"age": 3}}})
        assert r.status_code == 204 and r.content == b""
        r = await send(client, "POST", "/jsonapi/person", {"data": {"type": "person", "id": "5", "attributes": {"name": "C"}}})
        assert r.status_code == 403
        r = await send(client, "POST", "/jsonapi/person", {"data": {"type": "person", "lid": "x", "attributes": {"name": "C"}}})
        assert r.status_code == 400 and r.json()["errors"][0]["source"]["pointer"] == "/data/lid"
        r = await send(client, "GET", "/jsonapi/person", headers={"Accept": f'{JSONAPI}; profile="https://p.test"'})
        assert r.status_code == 406
        r = await send(client, "POST", "/jsonapi/operations", {"atomic:operations": []})
        assert r.status_code == 404


async def test_oro_like_to_one_405_and_strict_types(example_config: Config, sqlite_url: str) -> None:
    profile = JsonApiProfile(media_type_params="none", to_one_add_remove_status=405, lid=False)
    async with client_for(example_config, sqlite_url, profile) as client:
        r = await send(client, "POST", "/jsonapi/articles/1/relationships/author", {"data": {"type": "people", "id": "1"}})
        assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH"
        r = await send(client, "DELETE", "/jsonapi/articles/1/relationships/author", {"data": None})
        assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH"
        r = await send(
            client,
            "POST",
            "/jsonapi/people",
            {"data": {"type": "people"}},
            headers={"Content-Type": f'{JSONAPI};ext="https://jsonapi.org/ext/atomic"'},
        )
        assert r.status_code == 415


async def test_didww_like_no_relationship_endpoints(example_config: Config, sqlite_url: str) -> None:
    async with client_for(example_config, sqlite_url, JsonApiProfile(relationship_writes=False)) as client:
        r = await send(client, "PATCH", "/jsonapi/people/1/relationships/articles", LINK)
        assert r.status_code == 405 and r.headers["allow"] == "GET"
        assert (await send(client, "GET", "/jsonapi/people/1/relationships/articles")).status_code == 200
        r = await send(client, "PATCH", "/jsonapi/people/1", {"data": {"type": "people", "id": "1", "relationships": {"articles": LINK}}})
        assert r.status_code == 200
    async with client_for(
        example_config, sqlite_url.replace("relgate.db", "second.db"), JsonApiProfile(relationship_writes=False, relationship_reads=False)
    ) as client:
        assert (await send(client, "GET", "/jsonapi/people/1/relationships/articles")).status_code == 404
        r = await send(client, "GET", "/jsonapi/people/1")
        assert r.json()["data"]["relationships"]["articles"]["links"] == {"related": "/jsonapi/people/1/articles"}


async def test_relationship_updates_answered_with_linkage(example_config: Config, sqlite_url: str) -> None:
    async with client_for(example_config, sqlite_url, JsonApiProfile(relationship_update_status=200)) as client:
        r = await send(client, "POST", "/jsonapi/people/1/relationships/articles", LINK)
        assert r.status_code == 200
        assert r.json()["data"] == [{"type": "articles", "id": "1"}]
        assert r.json()["links"]["self"] == "/jsonapi/people/1/relationships/articles"


async def test_route_options_adjust_the_profile(example_config: Config, sqlite_url: str) -> None:
    config = with_options(example_config, {"media_type_params": "any", "total_meta": "count", "duplicate_linkage": "collapse"})
    async with client_for(config, sqlite_url) as client:
        r = await send(client, "GET", "/jsonapi/people", headers={"Accept": f"{JSONAPI}; charset=utf-8"})
        assert r.status_code == 200 and r.json()["meta"] == {"count": 1}
        r = await send(
            client,
            "POST",
            "/jsonapi/people/1/relationships/articles",
            {"data": LINK["data"] * 2},
            headers={"Content-Type": f"{JSONAPI}; charset=utf-8"},
        )
        assert r.status_code == 204


def test_route_options_are_checked(example_config: Config) -> None:
    def build(**options: Any) -> JsonApiServer:
        route = dataclasses.replace(example_config.routes[0], options=options)
        return server(example_config.schema, route, example_config.server)

    assert build(relationship_segments=["relationships", "links"]).profile.relationship_segments == ("relationships", "links")
    assert build(client_id_styles=["uuid"]).profile.client_id_styles == frozenset({"uuid"})
    for bad, fragment in [
        ({"nosuch": 1}, "unknown option"),
        ({"lid": "yes"}, "must be bool"),
        ({"media_type_params": "strict"}, "media_type_params"),
        ({"to_one_add_remove_status": 404}, "403 or 405"),
        ({"relationship_segments": "links"}, "array of strings"),
        ({"operations_path": "/a/b"}, "one path segment"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            build(**bad)


def test_operations_path_may_not_shadow_a_type() -> None:
    data: dict[str, Any] = {"routes": [{"prefix": "/j", "dialect": "jsonapi"}], "types": {"operations": {"attributes": {"name": "string"}}}}
    with pytest.raises(ConfigError, match=r"routes\[0\]: the operations path '/operations' collides"):
        from_dict(data)  # the configuration check builds the front door, as serve does
    data["routes"][0]["options"] = {"operations_path": "/batch"}
    config = from_dict(data)
    assert server(config.schema, config.routes[0], config.server).router.match("/batch").kind == "operations"


def test_example_config_still_loads() -> None:
    from relgate.config import load
    from tests.conftest import EXAMPLE

    try:
        config = load(EXAMPLE)
    except ConfigError as exc:  # pragma: no cover - shows every problem
        pytest.fail(str(exc))
    assert any(r.prefix == "/jsonapi" and r.dialect == "jsonapi" for r in config.routes)


class SidepostingServer(JsonApiServer):
    """What a profile with document semantics (Oro's ``included``) builds on: the ``included_ops`` hook."""

    def included_ops(self, doc: Any, primary: ResourceInput | None, lids: LidScope, issues: Issues) -> list[Op]:
        ops: list[Op] = []
        for n, obj in enumerate(doc.get("included", [])):
            res = self.reader.resource(obj, ("included", n), issues, rule="create", expected=None, lids=lids)
            if res is not None:
                ops.extend(self.writes.create(res).ops)
        return ops


async def test_subclass_hook_for_included(example_config: Config, sqlite_url: str) -> None:
    doc = {
        "data": {
            "type": "articles",
            "attributes": {"title": "With author"},
            "relationships": {"author": {"data": {"type": "people", "lid": "new"}}},
        },
        "included": [{"type": "people", "lid": "new", "attributes": {"name": "Sideposted"}}],
    }
    async with client_for(example_config, sqlite_url, cls=SidepostingServer) as client:
        # The lid is used before the included item defines it: the base reader says so, with a pointer.
        r = await send(client, "POST", "/jsonapi/articles", doc)
        assert r.status_code == 400 and r.json()["errors"][0]["source"]["pointer"] == "/data/relationships/author/data/lid"
        doc["data"]["relationships"] = {}
        r = await send(client, "POST", "/jsonapi/articles", doc)
        assert r.status_code == 201, r.text
        r = await send(client, "POST", "/jsonapi/articles", {**doc, "included": [{"type": "people", "attributes": {"name": 5}}]})
        assert r.status_code == 400 and r.json()["errors"][0]["source"]["pointer"] == "/included/0/attributes/name"
    assert issubclass(SidepostingServer, JsonApiServer) and Create
