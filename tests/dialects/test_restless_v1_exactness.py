"""The ``restless`` door answers as flask-restless-ng 3.3 does where real NG was replayed (issue 12 §2).

Every response here also goes through the client's JSON:API 1.0 schema hook (``tests/jsonapi_schema.py``),
so NG's ``"id": null``-style error objects would fail each test.  Bad input writes nothing: every
table is compared before and after.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from relgate.app import Gateway
from tests.dialects.restless_v1_support import JSONAPI, PREFIX
from tests.jsonapi_schema import response_errors
from tests.store_rows import store_rows

H = {"Accept": JSONAPI, "Content-Type": JSONAPI}


async def send(client: httpx.AsyncClient, method: str, path: str, body: Any = None, raw: bytes | None = None) -> httpx.Response:
    if raw is not None:
        return await client.request(method, path, content=raw, headers=H)
    return await client.request(method, path, json=body, headers=H if body is not None else {"Accept": JSONAPI})


@pytest.fixture
async def people(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Ann (person 1) owning computer 1, and person 2."""
    for name in ("Ann", "Bob"):
        r = await send(client, "POST", f"{PREFIX}/person", {"data": {"type": "person", "attributes": {"name": name}}})
        assert r.status_code == 201
    body = {"data": {"type": "computer", "attributes": {"name": "pc"}, "relationships": {"owner": {"data": {"type": "person", "id": 1}}}}}
    assert (await send(client, "POST", f"{PREFIX}/computer", body)).status_code == 201
    return client


def only_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    doc = r.json()
    assert not response_errors(doc, "1.0"), response_errors(doc, "1.0")
    (error,) = doc["errors"]
    assert None not in error.values() and error["status"] == str(status)
    return error


async def test_error_objects_leave_out_absent_members(people: httpx.AsyncClient) -> None:
    """NG sends all eight members, unused ones null; JSON:API 1.0 wants present members to have values."""
    error = only_error(await send(people, "GET", f"{PREFIX}/person/99"), 404)
    assert "id" not in error and "links" not in error and "source" not in error and "meta" not in error


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_post_or_delete_on_a_to_one_relationship_url_is_400(people: httpx.AsyncClient, gateway: Gateway, method: str) -> None:
    before = await store_rows(gateway.store)
    r = await send(people, method, f"{PREFIX}/computer/1/relationships/owner", {"data": {"type": "person", "id": "2"}})
    assert only_error(r, 400)["code"] == "to-one-requires-patch"
    assert await store_rows(gateway.store) == before


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_relationships_without_a_name_is_405(people: httpx.AsyncClient, gateway: Gateway, method: str) -> None:
    """NG routes ``/{collection}/{id}/{relation}`` for GET only: ``POST /person/1/relationships`` is 405."""
    before = await store_rows(gateway.store)
    r = await send(people, method, f"{PREFIX}/person/1/relationships", {"data": [{"type": "computer", "id": "1"}]})
    assert only_error(r, 405)["code"] == "method-not-allowed"
    assert r.headers["allow"] == "GET"
    assert await store_rows(gateway.store) == before
    assert (await send(people, "GET", f"{PREFIX}/person/1/relationships")).status_code == 404  # NG: No such relation


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/person/1/relationships/computers", {"data": [{"type": "computer", "id": "bogus"}]}, "/data/0/id"),
        ("/computer/1/relationships/owner", {"data": {"type": "person", "id": "bogus"}}, "/data/id"),
        ("/computer", {"data": {"type": "computer", "relationships": {"owner": {"data": {"type": "person", "id": "bogus"}}}}}, None),
    ],
)
async def test_a_linkage_id_that_is_not_an_integer_is_404(
    people: httpx.AsyncClient, gateway: Gateway, path: str, body: Any, pointer: str | None
) -> None:
    """NG looks the id up and finds nothing (``No object of type … found with ID bogus``)."""
    before = await store_rows(gateway.store)
    method = "PATCH" if path.endswith("owner") else "POST"
    error = only_error(await send(people, method, PREFIX + path, body), 404)
    assert error["code"] == "not-found" and "'bogus'" in error["detail"]
    assert error["source"]["pointer"] == (pointer or "/data/relationships/owner/data/id")
    assert await store_rows(gateway.store) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("PATCH", "/person/1/relationships/computers", {"data": []}, 403, "Not allowed to replace a to-many relationship"),
        (
            "PATCH",
            "/person/1",
            {"data": {"type": "person", "id": "1", "relationships": {"computers": {"data": []}}}},
            403,
            "Not allowed to replace a to-many relationship",
        ),
        (
            "DELETE",
            "/person/1/relationships/computers",
            {"data": [{"type": "computer", "id": "1"}]},
            403,
            "Not allowed to delete from a to-many relationship",
        ),
        ("PATCH", "/person/1/relationships/articles", {"data": None}, 400, "Cannot set null value on a to-many relationship"),
    ],
)
async def test_policy_refusals_carry_ngs_exact_detail(
    people: httpx.AsyncClient, gateway: Gateway, method: str, path: str, body: Any, status: int, detail: str
) -> None:
    before = await store_rows(gateway.store)
    error = only_error(await send(people, method, PREFIX + path, body), status)
    assert error["detail"] == detail
    # relgate's explanation (which relationship, what to do instead) is in meta, not appended
    assert "'person'" in error["meta"]["detail"] or "'articles'" in error["meta"]["detail"]
    assert await store_rows(gateway.store) == before


async def test_undecodable_json_is_exactly_ngs_text(people: httpx.AsyncClient, gateway: Gateway) -> None:
    before = await store_rows(gateway.store)
    error = only_error(await send(people, "PATCH", f"{PREFIX}/person/1", raw=b'{"data": {"type": "person"'), 400)
    assert error["detail"] == "Unable to decode data"
    assert error["meta"]["detail"].startswith("The request body is not valid JSON")
    assert await store_rows(gateway.store) == before
