"""Conformance checks found by the /jsonapi audit against JSON:API 1.1 and Atomic Operations.

Two parts:
- the official request fixture corpus (json-api/json-api ``_schemas/1.0/tests/request`` and the 1.1
  draft's ``_schemas/1.1/tests/request``, CC0) replayed through the codec's parser: a valid document
  must parse, an invalid one must be refused with 400 or 409 (reference §10.3);
- live requests through the real Gateway for rules the audit found broken (each test names the
  rule it checks).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.config import from_dict
from relgate.dialects.jsonapi import server
from relgate.model import HttpRequest, ProblemError
from tests.dialects.jsonapi_support import ATOMIC, JSONAPI

# --- the official request fixture corpus -----------------------------------------------------

CORPUS_SCHEMA = from_dict(
    {
        "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi"}],
        "types": {
            # string ids: the fixtures use both "2" and a UUID as article ids
            "article": {
                "id": "string",
                "attributes": {"title": "string"},
                "relationships": {
                    "toOne": {"type": "status"},
                    "toMany": {"type": "tag", "many": True},
                    "primaryTag": {"type": "tag"},
                    "related": {"type": "article", "many": True},
                },
            },
            "status": {"id": "string", "attributes": {"name": "string"}},
            "tag": {"id": "string", "attributes": {"name": "string"}},
        },
    }
)

TO_ONE = {"toOne": {"data": {"type": "status", "id": "140"}}}
TO_MANY = {"toMany": {"data": [{"type": "tag", "id": "15"}, {"type": "tag", "id": "32"}]}}
TITLE = {"title": "PHP is so crazy !"}

# (fixture path, method, endpoint path, document)
VALID: list[tuple[str, str, str, Any]] = [
    (
        "1.0/request/resource/create/valid/post_resource.json",
        "POST",
        "/article",
        {"data": {"type": "article", "attributes": TITLE, "relationships": {**TO_ONE, **TO_MANY}}},
    ),
    (
        "1.0/request/resource/create/valid/post_resource_with_client_generated_id.json",
        "POST",
        "/article",
        {"data": {"type": "article", "id": "c0f10761-a507-4a9f-920a-9d967bcec335", "attributes": TITLE}},
    ),
    (
        "1.0/request/resource/update/valid/patch_resource.json",
        "PATCH",
        "/article/2",
        {"data": {"type": "article", "id": "2", "attributes": TITLE, "relationships": {**TO_ONE, **TO_MANY}}},
    ),
    (
        "1.0/request/resource/update/valid/patch_resource_with_relationships.json",
        "PATCH",
        "/article/2",
        {"data": {"type": "article", "id": "2", "attributes": TITLE, "relationships": {**TO_ONE, **TO_MANY}}},
    ),
    (
        "1.0/request/relationship/update/valid/patch_relationship.json",
        "PATCH",
        "/article/2/relationships/toMany",
        {"data": [{"type": "tag", "id": "2"}, {"type": "tag", "id": "13"}]},
    ),
    (
        "1.1/request/resource/create/valid/post_resource_with_lid_member.json",
        "POST",
        "/article",
        {"data": {"type": "article", "lid": "local_id", "attributes": TITLE}},
    ),
    (
        "1.1/request/resource/create/valid/with_at_members.json",
        "POST",
        "/article",
        {"@member": "ok", "data": {"@member": "ok", "type": "article", "lid": "local_id", "attributes": {"@member": "ok", **TITLE}}},
    ),
    (
        "1.1/request/resource/update/valid/with_at_member.json",
        "PATCH",
        "/article/2",
        {
            "@member": "ok",
            "data": {
                "@member": "ok",
                "type": "article",
                "id": "2",
                "attributes": {"@member": "ok", **TITLE},
                "relationships": {
                    "@member": "ok",
                    "toOne": {"@member": "ok", "data": {"@member": "ok", "type": "status", "id": "140"}},
                    **TO_MANY,
                },
            },
        },
    ),
]

INVALID: list[tuple[str, str, str, Any]] = [
    ("1.0/request/resource/create/invalid/no_data_member.json", "POST", "/article", {"meta": {"somthing": "wrong"}}),
    (
        "1.0/request/resource/create/invalid/data_is_not_resource_object.json",
        "POST",
        "/article",
        {"data": [{"type": "article", "id": "1"}, {"type": "article", "id": "2"}]},
    ),
    (
        "1.0/request/resource/create/invalid/relationship_with_bad_resource_identifier.json",
        "POST",
        "/article",
        {"data": {"type": "article", "attributes": TITLE, "relationships": {"toOne": {"data": {"type": "wrong"}}}}},
    ),
    (
        "1.0/request/resource/create/invalid/relationship_with_forbidden_name.json",
        "POST",
        "/article",
        {"data": {"type": "article", "attributes": TITLE, "relationships": {"type": {"data": {"type": "status", "id": "140"}}}}},
    ),
    (
        "1.0/request/resource/create/invalid/relationship_with_not_allowed_character.json",
        "POST",
        "/article",
        {"data": {"type": "article", "attributes": TITLE, "relationships": {"not-allowed+": {"data": {"type": "status", "id": "140"}}}}},
    ),
    (
        "1.0/request/resource/create/invalid/relationship_without_data_member.json",
        "POST",
        "/article",
        {"data": {"type": "article", "attributes": TITLE, "relationships": {"toOne": {"meta": {"bad": "wrong"}}}}},
    ),
    (
        "1.0/request/resource/update/invalid/data_must_have_id_member.json",
        "PATCH",
        "/article/2",
        {"data": {"type": "article", "attributes": TITLE}},
    ),
    (
        "1.0/request/relationship/update/invalid/resource_identifier_must_have_id_member.json",
        "PATCH",
        "/article/2/relationships/primaryTag",
        {"data": {"type": "tag", "meta": {"something": "wrong"}}},
    ),
    (
        "1.1/request/resource/create/invalid/lid_member_must_be_string.json",
        "POST",
        "/article",
        {"data": {"type": "article", "lid": 6, "attributes": TITLE}},
    ),
    (
        "1.1/request/relationship/update/invalid/lid_member_must_be_string.json",
        "PATCH",
        "/article/2/relationships/related",
        {"data": [{"type": "article", "lid": 6}]},
    ),
]

# Schema-valid, refused by decision (README "lid"): a lid on a relationship URL names no resource
# of the request document, so there is nothing it could mean.
REFUSED_BY_DECISION: list[tuple[str, str, str, Any]] = [
    (
        "1.1/request/relationship/update/valid/patch_relationship_with_lid_member.json",
        "PATCH",
        "/article/2/relationships/related",
        {"data": [{"type": "article", "lid": "local_id"}]},
    ),
    (
        "1.1/request/relationship/update/valid/with_at_member.json",
        "PATCH",
        "/article/2/relationships/related",
        {"@member": "ok", "data": [{"@member": "ok", "type": "article", "lid": "local_id"}]},
    ),
]


def _corpus_parse(method: str, path: str, doc: Any) -> Any:
    route = CORPUS_SCHEMA.routes[0]
    door = server(CORPUS_SCHEMA.schema, route, CORPUS_SCHEMA.server)
    headers = {"accept": JSONAPI, "content-type": JSONAPI}
    return door.parse(HttpRequest(method, path, "", headers, json.dumps(doc).encode(), "/jsonapi"))


@pytest.mark.parametrize(("fixture", "method", "path", "doc"), VALID, ids=[v[0] for v in VALID])
def test_valid_fixture_documents_parse(fixture: str, method: str, path: str, doc: Any) -> None:
    intent = _corpus_parse(method, path, doc)
    assert intent.batch.ops, fixture


REFUSED = INVALID + REFUSED_BY_DECISION


@pytest.mark.parametrize(("fixture", "method", "path", "doc"), REFUSED, ids=[v[0] for v in REFUSED])
def test_invalid_fixture_documents_are_refused(fixture: str, method: str, path: str, doc: Any) -> None:
    with pytest.raises(ProblemError) as exc:
        _corpus_parse(method, path, doc)
    assert exc.value.status in (400, 409), (fixture, exc.value.problems)
    assert all(p.at is not None for p in exc.value.problems), "every problem points into the document"


# --- live requests through the Gateway ---------------------------------------------------------


async def _seed(client: Any) -> None:
    for doc in (
        {"data": {"type": "people", "attributes": {"name": "Alice"}}},
        {"data": {"type": "people", "attributes": {"name": "Bob"}}},
    ):
        r = await client.post("/jsonapi/people", content=json.dumps(doc), headers={"Content-Type": JSONAPI})
        assert r.status_code == 201, r.text


async def test_content_type_rules_apply_to_requests_without_a_body(client: Any) -> None:
    """1.1 §content-negotiation: "Servers MUST respond with a 415 ... if a request specifies the header
    Content-Type: application/vnd.api+json with any media type parameters other than ext and profile",
    and likewise for an unsupported ``ext`` -- whether or not the request carries a document."""
    await _seed(client)
    for content_type in (f"{JSONAPI}; charset=utf-8", ATOMIC, f'{JSONAPI};ext="https://example.com/bulk"'):
        r = await client.get("/jsonapi/people/1", headers={"Content-Type": content_type})
        assert r.status_code == 415, (content_type, r.text)
        assert r.json()["errors"][0]["source"] == {"header": "Content-Type"}
    r = await client.delete("/jsonapi/people/2", headers={"Content-Type": f"{JSONAPI}; charset=utf-8"})
    assert r.status_code == 415, r.text
    assert (await client.get("/jsonapi/people/2")).status_code == 200, "the refused DELETE deleted"
    # Other media types (or none) on a request without a document are no JSON:API matter.
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": JSONAPI}, {"Content-Type": f'{JSONAPI};profile="https://p.test"'}):
        r = await client.get("/jsonapi/people/1", headers=headers)
        assert r.status_code == 200, (headers, r.text)


AH = {"Content-Type": ATOMIC, "Accept": ATOMIC}


@pytest.mark.parametrize("target", [{"ref": {"type": "people", "id": "1"}}, {"href": "/people/1"}], ids=["ref", "href"])
async def test_atomic_update_data_naming_another_resource_by_lid_is_a_conflict(target: dict[str, Any], client: Any) -> None:
    """ATOMIC: the ``ref``/``href`` names the resource to update; ``data`` that names another one (here
    the lid of a resource created before) must not silently update that other one."""
    await _seed(client)
    ops = [
        {"op": "add", "data": {"type": "people", "lid": "new", "attributes": {"name": "New"}}},
        {"op": "update", **target, "data": {"type": "people", "lid": "new", "attributes": {"age": 99}}},
    ]
    r = await client.post("/jsonapi/operations", content=json.dumps({"atomic:operations": ops}), headers=AH)
    assert r.status_code == 409, r.text
    (error,) = r.json()["errors"]
    assert error["source"]["pointer"] == "/atomic:operations/1/data"
    r = await client.get("/jsonapi/people?fields[people]=name,age")
    assert [p["attributes"] for p in r.json()["data"]] == [{"name": "Alice", "age": None}, {"name": "Bob", "age": None}]


async def test_atomic_request_with_errors_member_is_refused(client: Any) -> None:
    """ATOMIC §document-structure: with ``atomic:operations`` present, ``errors`` MUST NOT be."""
    await _seed(client)
    doc = {"atomic:operations": [{"op": "remove", "ref": {"type": "people", "id": "2"}}], "errors": []}
    r = await client.post("/jsonapi/operations", content=json.dumps(doc), headers=AH)
    assert r.status_code == 400, r.text
    assert [e["source"] for e in r.json()["errors"]] == [{"pointer": "/errors"}]
    assert (await client.get("/jsonapi/people/2")).status_code == 200


@pytest.mark.parametrize("client_id", ["a/b", ".", "..", "/"])
async def test_client_ids_that_cannot_be_a_url_segment_are_refused(client_id: str, client: Any) -> None:
    """1.1 §fetching-resources: a server MUST support GET of every ``self`` link it emits.  An id with
    a ``/`` (even percent-encoded: the path arrives decoded) or a dot segment (clients normalise it
    away, RFC 3986 §5.2.4) would give the resource a ``links.self`` and ``Location`` nobody can fetch."""
    doc = {"data": {"type": "contactsources", "id": client_id, "attributes": {"name": "n"}}}
    r = await client.post("/jsonapi/contactsources", content=json.dumps(doc), headers={"Content-Type": JSONAPI})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["source"] == {"pointer": "/data/id"}
    assert (await client.get("/jsonapi/contactsources")).json()["data"] == []


@pytest.mark.parametrize("client_id", ["a b", "ä", "x%2Fy", "q?x", "h#1", "a.b"])
async def test_client_ids_round_trip_through_their_self_link(client_id: str, client: Any) -> None:
    doc = {"data": {"type": "contactsources", "id": client_id, "attributes": {"name": "n"}}}
    r = await client.post("/jsonapi/contactsources", content=json.dumps(doc), headers={"Content-Type": JSONAPI})
    assert r.status_code == 201, r.text
    self_link = r.json()["data"]["links"]["self"]
    assert r.headers["location"] == self_link
    fetched = await client.get(self_link)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["data"]["id"] == client_id


async def test_a_problem_repeated_in_the_request_is_reported_once(client: Any) -> None:
    """The official schema: ``errors`` has ``uniqueItems`` -- a repeated bad include path or sort key
    is one problem, not two identical error objects (the client fixture validates every response)."""
    r = await client.get("/jsonapi/articles/1/author?include=shoes,shoes&fields[people]=size,size")
    assert r.status_code == 400, r.text
    errors = r.json()["errors"]
    assert [e["source"]["parameter"] for e in errors] == ["include", "fields[people]"]
    r = await client.get("/jsonapi/people?sort=shoe,-shoe,shoe")
    assert [e["detail"] for e in r.json()["errors"]] == ["Cannot sort 'people' by 'shoe'.", "Cannot sort 'people' by '-shoe'."]
