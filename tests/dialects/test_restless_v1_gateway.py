"""The ``restless`` front door through the real Gateway: cross-dialect reads, route options,
and that it is the shared JSON:API codec with a profile (not a copy)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import Config
from relgate.dialects import DIALECTS, server_factory
from relgate.dialects.jsonapi import JSONAPI_1_1, DocumentReader, DocumentWriter, JsonApiServer
from relgate.dialects.jsonapi.writes import WriteBuilder
from relgate.dialects.restless import RESTLESS_1_0, RestlessServer
from tests.dialects.jsonapi_support import door, gateway_client, with_options
from tests.dialects.restless_v1_support import JSONAPI, PREFIX

H = {"Accept": JSONAPI, "Content-Type": JSONAPI}


async def send(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> httpx.Response:
    return await client.request(method, path, json=body, headers=H if body is not None else {"Accept": JSONAPI})


def linkage(doc: dict[str, Any], rel: str) -> Any:
    return doc["data"]["relationships"][rel]["data"]


# --- registration and code sharing ---------------------------------------------------------------


def test_registered_and_built_from_the_shared_codec(example_config: Config) -> None:
    assert DIALECTS["restless"] == "relgate.dialects.restless"
    route = next(r for r in example_config.routes if r.prefix == PREFIX)
    codec = server_factory(route.dialect)(example_config.schema, route, example_config.server)
    assert isinstance(codec, RestlessServer) and isinstance(codec, JsonApiServer)
    # the document reader/writer are the JSON:API ones, configured by the profile
    assert type(codec.reader) is DocumentReader and type(codec.writer) is DocumentWriter
    assert isinstance(codec.writes, WriteBuilder)
    assert codec.profile.dialect == "restless" and codec.profile.update_status == 204
    # the differences are data: only profile fields differ from JSON:API 1.1
    changed = {f.name for f in dataclasses.fields(RESTLESS_1_0) if getattr(RESTLESS_1_0, f.name) != getattr(JSONAPI_1_1, f.name)}
    assert changed >= {"dialect", "version", "relationship_segments", "update_status", "integer_ids_in_linkage", "shape_error"}
    assert RESTLESS_1_0.relationship_segments[0] == "relationships"  # emitted in links
    assert "links" in RESTLESS_1_0.relationship_segments  # accepted


def test_route_policies_of_the_example(example_config: Config) -> None:
    route = next(r for r in example_config.routes if r.prefix == PREFIX)
    people = example_config.schema["people"]
    assert route.policy(people.relationships["articles"], "allow_replace", False) is True
    assert route.policy(people.relationships["articles"], "allow_remove", False) is True
    assert route.policy(people.relationships["computers"], "allow_replace", True) is False
    assert route.policy(people.relationships["computers"], "allow_remove", True) is False
    jsonapi = next(r for r in example_config.routes if r.prefix == "/jsonapi")
    assert not jsonapi.policies


# --- cross-dialect ---------------------------------------------------------------------------------


async def test_person_with_nested_computers_from_legacy_reads_the_same_through_restless_and_jsonapi(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/legacy/api/person",
        json={"name": "Mary", "age": 19, "computers": [{"name": "c1", "vendor": "Dell"}, {"name": "c2", "vendor": "Apple"}]},
    )
    assert created.status_code == 201, created.text
    legacy = created.json()
    pid = str(legacy["id"])
    legacy_computers = [str(c["id"]) for c in legacy["computers"]]
    assert len(legacy_computers) == 2

    r = await send(client, "GET", f"{PREFIX}/person/{pid}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["data"]["type"] == "person" and doc["data"]["id"] == pid
    assert doc["data"]["attributes"] == {"name": "Mary", "age": 19, "birth_date": None}
    assert linkage(doc, "computers") == [{"type": "computer", "id": c} for c in legacy_computers]
    assert linkage(doc, "articles") == []

    j = await send(client, "GET", f"/jsonapi/people/{pid}")
    assert j.status_code == 200, j.text
    assert linkage(j.json(), "computers") == [{"type": "computers", "id": c} for c in legacy_computers]

    for cid, vendor in zip(legacy_computers, ("Dell", "Apple"), strict=True):
        c = await send(client, "GET", f"{PREFIX}/computer/{cid}")
        assert c.status_code == 200
        assert c.json()["data"]["attributes"]["vendor"] == vendor
        assert linkage(c.json(), "owner") == {"type": "person", "id": pid}

    rel = await send(client, "GET", f"{PREFIX}/person/{pid}/relationships/computers")
    assert rel.json()["data"] == [{"type": "computer", "id": c} for c in legacy_computers]
    # and a change made through /restless/api is seen by the legacy front door
    added = await send(client, "POST", f"{PREFIX}/article", {"data": {"type": "article", "attributes": {"title": "T"}}})
    aid = added.json()["data"]["id"]
    r = await send(client, "POST", f"{PREFIX}/person/{pid}/relationships/articles", {"data": [{"type": "article", "id": int(aid)}]})
    assert r.status_code == 204
    back = await client.get(f"/legacy/api/person/{pid}")
    assert [a["id"] for a in back.json()["articles"]] == [int(aid)]


# --- route options ---------------------------------------------------------------------------------


async def _restaurant_with_category(client: httpx.AsyncClient) -> None:
    for path, body in (
        (f"{PREFIX}/restaurants", {"data": {"type": "restaurants", "attributes": {"name": "R"}}}),
        (f"{PREFIX}/categories", {"data": {"type": "categories", "attributes": {"name": "C"}}}),
    ):
        assert (await send(client, "POST", path, body)).status_code == 201


async def test_default_flags_are_off_like_create_api(example_config: Config, sqlite_url: str) -> None:
    async with gateway_client(example_config, sqlite_url) as (_, client):
        await _restaurant_with_category(client)
        body = {"data": [{"type": "categories", "id": "1"}]}
        assert (await send(client, "PATCH", f"{PREFIX}/restaurants/1/relationships/categories", body)).status_code == 403
        assert (await send(client, "DELETE", f"{PREFIX}/restaurants/1/relationships/categories", body)).status_code == 403
        assert (await send(client, "POST", f"{PREFIX}/restaurants/1/relationships/categories", body)).status_code == 204


async def test_create_api_flags_as_route_options(example_config: Config, sqlite_url: str) -> None:
    config = with_options(
        example_config, {"allow_to_many_replacement": True, "allow_delete_from_to_many_relationships": True}, prefix=PREFIX
    )
    async with gateway_client(config, sqlite_url) as (_, client):
        await _restaurant_with_category(client)
        body = {"data": [{"type": "categories", "id": "1"}]}
        assert (await send(client, "PATCH", f"{PREFIX}/restaurants/1/relationships/categories", body)).status_code == 204
        assert (await send(client, "DELETE", f"{PREFIX}/restaurants/1/relationships/categories", body)).status_code == 204
        # a relationship's own route policy still wins over the front-door default
        person = {"data": {"type": "person", "attributes": {"name": "P"}}}
        assert (await send(client, "POST", f"{PREFIX}/person", person)).status_code == 201
        r = await send(client, "PATCH", f"{PREFIX}/person/1/relationships/computers", {"data": []})
        assert r.status_code == 403
        assert r.json()["errors"][0]["code"] == "replace-forbidden"


async def test_client_generated_ids_option(example_config: Config, sqlite_url: str) -> None:
    body = {"data": {"type": "person", "id": "7", "attributes": {"name": "Seven"}}}
    async with gateway_client(example_config, sqlite_url) as (_, client):
        assert (await send(client, "POST", f"{PREFIX}/person", body)).status_code == 403
    config = with_options(example_config, {"allow_client_generated_ids": True}, prefix=PREFIX)
    async with gateway_client(config, sqlite_url) as (_, client):
        r = await send(client, "POST", f"{PREFIX}/person", body)
        assert r.status_code == 201, r.text
        assert r.json()["data"]["id"] == "7"
        assert r.headers["location"] == f"{PREFIX}/person/7"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allow_to_many_replacement": "yes"}, "allow_to_many_replacement"),
        ({"allow_functions": True}, "allow_functions"),
        ({"update_status": 201}, "update_status"),
    ],
)
def test_bad_route_options_are_refused_at_start_up(example_config: Config, sqlite_url: str, options: dict[str, Any], message: str) -> None:
    config = with_options(dataclasses.replace(example_config, store_url=sqlite_url), options, prefix=PREFIX)
    with pytest.raises(ValueError, match=message):
        Gateway(config)


def test_profile_options_still_apply(example_config: Config, sqlite_url: str) -> None:
    config = with_options(dataclasses.replace(example_config, store_url=sqlite_url), {"update_status": 200}, prefix=PREFIX)
    assert door(Gateway(config), PREFIX).profile.update_status == 200


# --- details not covered by the exchanges ------------------------------------------------------------


async def test_undecodable_body_uses_ngs_wording_and_writes_nothing(client: httpx.AsyncClient) -> None:
    assert (await send(client, "POST", f"{PREFIX}/person", {"data": {"type": "person", "attributes": {"name": "A"}}})).status_code == 201
    r = await client.patch(f"{PREFIX}/person/1", content=b'{"data": {"type": "person", "id": "1"', headers=H)
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["detail"].startswith("Unable to decode data")
    assert error["code"] == "malformed-json" and error["status"] == "400"


async def test_related_member_supports_include_and_sparse_fields(client: httpx.AsyncClient) -> None:
    await send(client, "POST", f"{PREFIX}/person", {"data": {"type": "person", "attributes": {"name": "A"}}})
    await send(
        client,
        "POST",
        f"{PREFIX}/computer",
        {"data": {"type": "computer", "attributes": {"name": "c"}, "relationships": {"owner": {"data": {"type": "person", "id": 1}}}}},
    )
    r = await send(client, "GET", f"{PREFIX}/person/1/computers/1?include=owner&fields[computer]=name,owner")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["data"]["attributes"] == {"name": "c"}
    assert [(i["type"], i["id"]) for i in doc["included"]] == [("person", "1")]
    bad = await send(client, "GET", f"{PREFIX}/person/1/computers/1?sort=name")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"] == {"parameter": "sort"}
    for method in ("PATCH", "DELETE"):
        r = await client.request(method, f"{PREFIX}/person/1/computers/1", headers={"Accept": JSONAPI})
        assert r.status_code == 405 and r.headers["allow"] == "GET"


async def test_forbidden_removal_is_403_before_the_body_and_before_content_type(client: httpx.AsyncClient) -> None:
    await send(client, "POST", f"{PREFIX}/person", {"data": {"type": "person", "attributes": {"name": "A"}}})
    r = await client.request("DELETE", f"{PREFIX}/person/1/relationships/computers", headers={"Accept": JSONAPI})
    assert r.status_code == 403
    # ... but Accept is checked first, as NG's decorators do
    r = await client.request("DELETE", f"{PREFIX}/person/1/relationships/computers", headers={"Accept": "text/html"})
    assert r.status_code == 406
    # an allowed removal with no body at all is a 400
    r = await client.request("DELETE", f"{PREFIX}/person/1/relationships/articles", headers={"Accept": JSONAPI})
    assert r.status_code == 400


async def test_ids_beyond_64_bits_are_not_found(client: httpx.AsyncClient) -> None:
    # Found by tests/test_robustness.py: the store's driver overflowed (500).
    for method in ("GET", "DELETE"):
        r = await client.request(method, f"{PREFIX}/person/9223372036854775808", headers={"Accept": JSONAPI})
        assert r.status_code == 404, r.text
        assert r.json()["errors"][0]["status"] == "404"
    body = {"data": {"type": "computer", "relationships": {"owner": {"data": {"type": "person", "id": 2**63}}}}}
    r = await send(client, "POST", f"{PREFIX}/computer", body)
    assert r.status_code == 404, r.text  # a linkage id that cannot be an id of its type is NG's 404
    assert r.json()["errors"][0]["source"] == {"pointer": "/data/relationships/owner/data/id"}
