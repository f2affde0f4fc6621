"""The Oro codec without a store: connection rule, flags, media types, status rule, error
mapping, and parse/render of hand-built outcomes (sans-IO)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects import Intent, server_factory
from relgate.dialects.jsonapi.errors import Issues
from relgate.dialects.oro.errors import response_status, translate
from relgate.dialects.oro.flags import Flags, operation_flags
from relgate.dialects.oro.included import unconnected
from relgate.dialects.oro.negotiation import is_jsonapi
from relgate.dialects.oro.server import OroServer
from relgate.model import Create, Get, HttpRequest, Ident, One, Outcome, Problem, ProblemError, Replace, Resource
from tests.dialects.oro_support import JSONAPI, PREFIX, codec_request


@pytest.fixture(scope="module")
def codec(example_config: Config) -> OroServer:
    route = next(r for r in example_config.routes if r.dialect == "oro")
    server = server_factory("oro")(example_config.schema, route, example_config.server)
    assert isinstance(server, OroServer)
    return server


def post(path: str, body: Any, headers: dict[str, str] | None = None) -> HttpRequest:
    return codec_request("POST", PREFIX + path, headers or {"content-type": JSONAPI, "accept": JSONAPI}, json.dumps(body).encode())


def rio(type_: str, id_: Any) -> dict[str, Any]:
    return {"type": type_, "id": id_}


def item(type_: str, id_: Any, **rels: Any) -> dict[str, Any]:
    return {"type": type_, "id": id_, "relationships": {k: {"data": v} for k, v in rels.items()}}


# --- the connection rule (ValidateIncludedDataDependencies) -------------------------------------


def test_connected_directly_backwards_and_transitively_in_any_order(codec: OroServer) -> None:
    primary = item("accounts", "acc", defaultContact=rio("contacts", "c"))
    included = [
        item("contactsources", "s1"),  # named by "b", which is connected only later
        item("contacts", "b", source=rio("contactsources", "s1"), accounts=[rio("accounts", "other")]),
        item("accounts", "other", contacts=[rio("contacts", "c")]),  # names the connected "c"
        item("contacts", "c"),  # named by the primary
        item("contacts", "back", accounts=[rio("accounts", "acc")]),  # names the primary
    ]
    assert unconnected(primary, included, codec.planner.key) == []


def test_unconnected_items_and_cycles_are_reported_each(codec: OroServer) -> None:
    primary = item("accounts", "acc", defaultContact=rio("contacts", "c"))
    included = [
        item("contacts", "c"),
        item("contacts", "x", accounts=[rio("accounts", "y")]),
        item("accounts", "y", contacts=[rio("contacts", "x")]),  # x <-> y: a cycle of their own
        item("contactsources", "lonely"),
    ]
    assert unconnected(primary, included, codec.planner.key) == [1, 2, 3]


def test_a_link_back_needs_a_primary_id_and_numbers_never_match(codec: OroServer) -> None:
    no_id = {"type": "accounts", "relationships": {}}
    assert unconnected(no_id, [item("contacts", "c", accounts=[rio("accounts", "acc")])], codec.planner.key) == [0]
    numeric = item("accounts", "acc", contacts=[rio("contacts", 1)])
    assert unconnected(numeric, [item("contacts", 1)], codec.planner.key) == [0]
    assert unconnected(item("accounts", "acc", contacts=[rio("contacts", "1")]), [item("contacts", "1")], codec.planner.key) == []


# --- meta flags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "flags", "errors"),
    [
        (None, Flags(), []),
        ({"update": True}, Flags(update=True), []),
        ({"upsert": ["id"]}, Flags(upsert=True), []),
        ({"upsert": ["firstName", "lastName"]}, Flags(upsert=("firstName", "lastName")), []),
        ({"update": False, "upsert": True}, Flags(upsert=True), []),
        ({"update": 1}, None, [("/m/update", "This value should be a boolean.")]),
        ({"upsert": []}, None, [("/m/upsert", "This value should be a boolean or an array of strings.")]),
        ({"upsert": ["a", " "]}, None, [("/m/upsert", "This value should be a boolean or an array of strings.")]),
        ({"update": True, "upsert": ["a"]}, None, [("/m", "Only one meta option can be used.")]),
    ],
)
def test_operation_flags(meta: Any, flags: Flags | None, errors: list[tuple[str, str]]) -> None:
    issues = Issues()
    assert operation_flags(meta, ("m",), issues) == flags
    got = [(translate(p, None)[1]["source"]["pointer"], p.detail) for p in issues.problems]
    assert got == errors


# --- media types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type", "outcome"),
    [
        (JSONAPI, None, True),
        (None, JSONAPI, True),
        ("application/json", JSONAPI, True),
        ("*/*", JSONAPI, True),
        ("text/html, application/vnd.api+json", None, True),
        ("application/json", None, False),
        (None, None, False),
        ("application/vnd.api+json;q=0.5", None, 406),
        ('application/vnd.api+json; ext="x", application/vnd.api+json; profile="y"', JSONAPI, 406),
        ("text/html", JSONAPI, 406),
        (JSONAPI, "application/vnd.api+json; charset=utf-8", 415),
    ],
)
def test_media_type_rules(accept: str | None, content_type: str | None, outcome: bool | int) -> None:
    headers = {k: v for k, v in (("accept", accept), ("content-type", content_type)) if v is not None}
    request = HttpRequest("POST", "/accounts", headers=headers)
    if isinstance(outcome, bool):
        assert is_jsonapi(request) is outcome
        return
    with pytest.raises(ProblemError) as caught:
        is_jsonapi(request)
    assert caught.value.status == outcome


# --- status rule and error mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "status"),
    [([400], 400), ([400, 400], 400), ([403, 404], 400), ([400, 409], 409), ([404, 409, 400], 409), ([400, 500], 500), ([500, 503], 500)],
)
def test_status_rule(statuses: list[int], status: int) -> None:
    assert response_status(statuses) == status


def test_store_not_found_problems_become_oro_validation_errors() -> None:
    def missing(at: Any) -> tuple[int, dict[str, Any]]:
        return translate(Problem(404, "not-found", "Resource not found", "No resource.", at=at), None)

    assert missing(("included", 2)) == (
        400,
        {"status": "400", "title": "entity constraint", "detail": "The entity does not exist.", "source": {"pointer": "/included/2"}},
    )
    status, obj = missing(("data", "relationships", "contacts", "data", 1))
    assert (status, obj["title"], obj["source"]["pointer"]) == (400, "form constraint", "/data/relationships/contacts/data")
    status, obj = missing(None)
    assert (status, obj["title"], obj["detail"]) == (
        404,
        "not found http exception",
        "An entity with the requested identifier does not exist.",
    )
    assert "source" not in obj


# --- parse and render without a store ----------------------------------------------------------


def test_parse_maps_temporary_ids_to_lids_and_render_reports_include_ids(codec: OroServer) -> None:
    body = {
        "data": {"type": "accounts", "id": "tmp", "relationships": {"contacts": {"data": [rio("contacts", "c-1")]}}},
        "included": [{"type": "contacts", "id": "c-1", "attributes": {"firstName": "Ann"}}],
    }
    intent = codec.parse(post("/accounts", body))
    account, contact = Ident("accounts", lid="tmp"), Ident("contacts", lid="c-1")
    expected = (
        Create(account, "accounts", at=("data",)),
        Create(contact, "contacts", {"firstName": "Ann"}, at=("included", 0)),
        Replace(account, "contacts", (contact,), at=("data", "relationships", "contacts", "data")),
        Get(account),
        Get(contact),
    )
    assert intent.batch.ops == expected
    assert intent.batch.ops[2].targets[0].at == ("data", "relationships", "contacts", "data", 0)  # type: ignore[union-attr]
    acc = Resource("accounts", "10", {"name": None}, {"contacts": (Ident("contacts", "20"),)})
    con = Resource("contacts", "20", {"firstName": "Ann"}, {"accounts": (Ident("accounts", "10"),)})
    outcome = Outcome((One(acc), One(con), None, One(acc), One(con)), {("accounts", "tmp"): "10", ("contacts", "c-1"): "20"})
    response = codec.render(intent, outcome)
    assert response.status == 201
    doc = json.loads(response.body)
    assert doc["data"]["relationships"]["contacts"] == {"data": [{"type": "contacts", "id": "20"}]}
    assert [(i["id"], i["meta"]) for i in doc["included"]] == [("20", {"includeId": "c-1"})]
    assert "links" not in doc["data"] and "jsonapi" not in doc


def test_client_ids_are_kept_and_lid_is_refused(codec: OroServer) -> None:
    intent: Intent = codec.parse(post("/contactsources", {"data": {"type": "contactsources", "id": "web", "attributes": {"name": "Web"}}}))
    assert intent.batch.ops == (Create(Ident("contactsources", "web"), "contactsources", {"name": "Web"}, at=("data",)),)
    with pytest.raises(ProblemError) as caught:
        codec.parse(post("/accounts", {"data": {"type": "accounts", "lid": "a"}}))
    status, obj = translate(caught.value.problems[0], None)
    assert (status, obj["detail"], obj["source"]["pointer"]) == (400, "The 'lid' property is not allowed for a resource object", "/data")


def test_the_primary_lid_never_collides_with_a_temporary_id(codec: OroServer) -> None:
    body = {
        "data": {"type": "accounts", "relationships": {"defaultContact": {"data": rio("contacts", "c")}}},
        "included": [
            item("contacts", "c", accounts=[rio("accounts", "relgate:primary")]),
            {"type": "accounts", "id": "relgate:primary", "attributes": {"name": "Other"}},
        ],
    }
    ops = codec.parse(post("/accounts", body)).batch.ops
    creates = [op.ref.lid for op in ops if isinstance(op, Create) and op.ref is not None]
    assert creates == ["relgate:primary'", "c", "relgate:primary"]


def test_an_included_copy_of_the_primary_is_refused(codec: OroServer) -> None:
    body = {"data": {"type": "accounts", "id": "a"}, "included": [{"type": "accounts", "id": "a", "attributes": {"name": "Twin"}}]}
    with pytest.raises(ProblemError) as caught:
        codec.parse(post("/accounts", body))
    details = [(translate(p, None)[1]["source"]["pointer"], p.detail) for p in caught.value.problems]
    assert ("/included/0", "The item duplicates the primary resource object") in details
