"""/legacy/api through the real Gateway on SQLite and PostgreSQL, and across front doors.

The golden exchanges run on SQLite; these repeat the parts where the database matters
(transactions, counts, aggregates, dates, EXISTS searches) on both, and check that what a
0.17 client writes is what the JSON:API front doors (/jsonapi, /restless/api) read.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from relgate.config import Config
from tests.dialects.restless_legacy_support import gateway_client

JSONAPI = {"Accept": "application/vnd.api+json"}


def q(obj: Any) -> dict[str, str]:
    return {"q": json.dumps(obj)}


async def post(client: httpx.AsyncClient, path: str, body: Any) -> httpx.Response:
    return await client.post(f"/legacy/api{path}", json=body)


async def data(client: httpx.AsyncClient, door: str, path: str) -> Any:
    r = await client.get(f"{door}{path}", headers=JSONAPI)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# The two JSON:API front doors name the types differently: /jsonapi canonically, /restless/api as
# Flask-Restless 1.0 (the collection names, like /legacy/api).
DOORS = {"/jsonapi": {"person": "people", "computer": "computers"}, "/restless/api": {"person": "person", "computer": "computer"}}


async def test_written_through_legacy_read_through_json_api_doors(example_config: Config, store_url: str) -> None:
    async with gateway_client(example_config, store_url) as (_, client):
        r = await post(client, "/computer", {"name": "Spare", "vendor": "Acme"})
        spare = r.json()["id"]
        r = await post(
            client, "/person", {"name": "Jeffrey", "age": 24, "computers": [{"name": "Inspiron", "vendor": "Dell"}, {"id": spare}]}
        )
        assert r.status_code == 201, r.text
        person = r.json()
        ids = sorted(c["id"] for c in person["computers"])
        assert spare in ids and len(ids) == 2
        r = await post(client, "/computer", {"name": "Pi", "owner": {"name": "Nora", "computers": [{"id": spare}]}})
        assert r.status_code == 201, r.text
        pi, nora = r.json()["id"], r.json()["owner"]["id"]
        jeffrey_now = [i for i in ids if i != spare]

        for door, names in DOORS.items():
            people, computers = names["person"], names["computer"]
            got = await data(client, door, f"/{people}/{person['id']}")
            assert got["type"] == people
            assert got["attributes"] == {"name": "Jeffrey", "age": 24, "birth_date": None}
            assert got["relationships"]["computers"]["data"] == [{"type": computers, "id": str(i)} for i in jeffrey_now], door
            got = await data(client, door, f"/{people}/{nora}/relationships/computers")
            assert sorted(int(i["id"]) for i in got) == sorted([spare, pi]), door
            for cid, owner in ((jeffrey_now[0], person["id"]), (spare, nora), (pi, nora)):
                got = (await data(client, door, f"/{computers}/{cid}"))["relationships"]["owner"]["data"]
                assert got == {"type": people, "id": str(owner)}, door


async def test_written_through_jsonapi_read_through_legacy(example_config: Config, store_url: str) -> None:
    async with gateway_client(example_config, store_url) as (_, client):
        doc = {"data": {"type": "people", "attributes": {"name": "Mary", "birth_date": "2000-01-02"}}}
        r = await client.post("/jsonapi/people", json=doc, headers={**JSONAPI, "Content-Type": "application/vnd.api+json"})
        assert r.status_code == 201, r.text
        pid = r.json()["data"]["id"]
        doc = {
            "data": {
                "type": "computers",
                "attributes": {"name": "ThinkPad"},
                "relationships": {"owner": {"data": {"type": "people", "id": pid}}},
            }
        }
        r = await client.post("/jsonapi/computers", json=doc, headers={**JSONAPI, "Content-Type": "application/vnd.api+json"})
        assert r.status_code == 201, r.text
        cid = int(r.json()["data"]["id"])
        r = await client.get(f"/legacy/api/person/{pid}")
        assert r.json() == {
            "id": int(pid),
            "name": "Mary",
            "age": None,
            "birth_date": "2000-01-02",
            "articles": [],
            "computers": [{"id": cid, "name": "ThinkPad", "vendor": None, "purchase_time": None, "owner_id": int(pid)}],
        }


async def test_a_nested_batch_is_all_or_nothing(example_config: Config, store_url: str) -> None:
    async with gateway_client(example_config, store_url) as (_, client):
        await post(client, "/person", {"name": "Jeffrey", "computers": [{"name": "Inspiron"}]})
        r = await post(client, "/person", {"name": "Rollback", "computers": [{"name": "Fresh"}, {"name": "Inspiron"}]})
        assert r.status_code == 400
        assert r.json()["message"].startswith("IntegrityError: ")
        assert "computers[1].name" in r.json()["message"]
        r = await client.patch(
            "/legacy/api/person/1", json={"name": "Renamed", "computers": {"add": [{"name": "Temp"}], "remove": [{"id": 99}]}}
        )
        assert r.status_code == 400
        assert "computers.remove[0]" in r.json()["message"]
        r = await client.get("/legacy/api/computer")
        assert [c["name"] for c in r.json()["objects"]] == ["Inspiron"]
        assert (await client.get("/legacy/api/person")).json()["num_results"] == 1
        assert (await client.get("/legacy/api/person/1")).json()["name"] == "Jeffrey"


async def test_search_counts_aggregates_and_dates(example_config: Config, store_url: str) -> None:
    async with gateway_client(example_config, store_url) as (_, client):
        people = [("Jeffrey", 24, "1990-05-06", ["Dell", "Apple"]), ("Mary", 19, "2000-01-02", ["Lenovo"]), ("Lucy", 42, None, [])]
        for name, age, born, vendors in people:
            computers = [{"name": f"{name}-{v}", "vendor": v, "purchase_time": "2015-02-17T10:00:00"} for v in vendors]
            r = await post(client, "/person", {"name": name, "age": age, "birth_date": born, "computers": computers})
            assert r.status_code == 201, r.text

        r = await client.get("/legacy/api/person", params=q({"filters": [{"name": "computers__vendor", "op": "any", "val": "Apple"}]}))
        assert [p["name"] for p in r.json()["objects"]] == ["Jeffrey"]
        r = await client.get(
            "/legacy/api/computer", params=q({"filters": [{"name": "owner", "op": "has", "val": {"name": "age", "op": "lt", "val": 20}}]})
        )
        assert [c["name"] for c in r.json()["objects"]] == ["Mary-Lenovo"]
        r = await client.get("/legacy/api/computer", params=q({"filters": [{"name": "purchase_time", "op": "ge", "val": "2015-02-17"}]}))
        assert r.json()["num_results"] == 3
        r = await client.get(
            "/legacy/api/person", params=q({"filters": [{"name": "name", "op": "ilike", "val": "%Y"}], "order_by": [{"field": "age"}]})
        )
        assert [p["name"] for p in r.json()["objects"]] == ["Mary", "Jeffrey", "Lucy"]

        functions = [{"name": n, "field": "age"} for n in ("sum", "avg", "min", "max")] + [
            {"name": "count", "field": "id"},
            {"name": "max", "field": "birth_date"},
        ]
        r = await client.get("/legacy/api/eval/person", params=q({"functions": functions}))
        assert r.json() == {
            "sum__age": 85,
            "avg__age": 85 / 3,
            "min__age": 19,
            "max__age": 42,
            "count__id": 3,
            "max__birth_date": "Sun, 02 Jan 2000 00:00:00 GMT",
        }

        r = await client.patch("/legacy/api/person", json={"age": 1, "q": {"filters": [{"name": "name", "op": "like", "val": "%y%"}]}})
        assert r.json() == {"num_modified": 3}
        r = await client.delete("/legacy/api/computer", params=q({"filters": [{"name": "owner__name", "op": "has", "val": "Jeffrey"}]}))
        assert r.json() == {"num_deleted": 2}
        r = await client.delete("/legacy/api/computer", params=q({"filters": [{"name": "vendor", "op": "eq", "val": "Dell"}]}))
        assert (r.status_code, r.json()) == (404, {"num_deleted": 0})
        assert (await client.get("/legacy/api/person/1")).json()["computers"] == []


async def test_numbers_beyond_64_bits_are_400_or_404_not_500(example_config: Config, sqlite_url: str) -> None:
    # Found by tests/test_robustness.py (overflows in the driver and in orjson).
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        assert (await post(client, "/person", {"name": "Ann"})).status_code == 201
        r = await client.get("/legacy/api/person", params={"page": "99999999999999999999999"})
        assert r.status_code == 400 and "page" in r.json()["message"], r.text
        r = await client.get("/legacy/api/person", params={"page": str(2**63 - 1)})
        assert (r.status_code, r.json()["objects"]) == (200, [])
        r = await client.patch("/legacy/api/person/9223372036854775808", json={"name": "x"})
        assert (r.status_code, r.json()) == (404, {})
        r = await post(client, "/person", {"name": "Big", "age": 2**63})
        assert r.status_code == 400 and "age" in r.json()["message"], r.text
        r = await client.get("/legacy/api/person", params=q({"limit": 2**64 - 1, "offset": 2**64 - 1}))
        assert (r.status_code, r.json()["objects"]) == (200, [])
        r = await client.get("/legacy/api/person")
        assert [p["name"] for p in r.json()["objects"]] == ["Ann"]


async def test_two_fields_of_different_kinds_and_nul_are_400(example_config: Config, store_url: str) -> None:
    # PostgreSQL compares no integer with a text and stores no NUL: 500s there (found by tests/test_robustness.py).
    async with gateway_client(example_config, store_url) as (_gw, client):
        assert (await post(client, "/person", {"name": "Ann", "age": 30})).status_code == 201
        for filters, at in (
            ([{"name": "age", "op": "eq", "field": "name"}], "q.filters[0].field"),
            ([{"name": "name", "op": "like", "field": "birth_date"}], "q.filters[0].field"),
            ([{"name": "age", "op": "like", "field": "id"}], "q.filters[0].op"),
        ):
            r = await client.get("/legacy/api/person", params=q({"filters": filters}))
            assert r.status_code == 400 and at in r.json()["message"], r.text
        r = await client.get("/legacy/api/person", params=q({"filters": [{"name": "age", "op": "lt", "field": "id"}]}))
        assert r.status_code == 200, r.text
        r = await post(client, "/person", {"name": "a\u0000b"})
        assert r.status_code == 400 and "name" in r.json()["message"], r.text
        r = await client.get("/legacy/api/person")
        assert [p["name"] for p in r.json()["objects"]] == ["Ann"]


async def test_location_of_a_client_id_is_percent_encoded(example_config: Config, sqlite_url: str) -> None:
    # Found by tests/test_robustness.py: the raw id in Location could not be sent (latin-1 headers), after the write.
    async with gateway_client(example_config, sqlite_url) as (_gw, client):
        r = await post(client, "/contactsources", {"id": "é😀 ?x", "name": "Emoji"})  # '/' is refused: see test_work_limits
        assert r.status_code == 201, r.text
        assert r.headers["location"] == "http://relgate.test/legacy/api/contactsources/%C3%A9%F0%9F%98%80%20%3Fx"
        assert r.json()["id"] == "é😀 ?x"
