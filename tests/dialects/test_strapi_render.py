"""Rendering hand-built Outcomes and store problems in Strapi's formats (no store)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from relgate.config import Config, Route, ServerConfig
from relgate.dialects.strapi import StrapiServer
from relgate.model import HttpRequest, Ident, One, Outcome, Problem, ProblemError, Resource, ResourceList


@pytest.fixture(scope="module")
def v5(example_config: Config) -> StrapiServer:
    return StrapiServer(example_config.schema, Route("/strapi/api", "strapi"), ServerConfig())


@pytest.fixture(scope="module")
def v4(example_config: Config) -> StrapiServer:
    return StrapiServer(example_config.schema, Route("/s4", "strapi", options={"response_format": "v4"}), ServerConfig())


def person(i: int, name: str, articles: tuple[int, ...] | None = None) -> Resource:
    rels = {} if articles is None else {"articles": tuple(Ident("articles", str(a)) for a in articles)}
    return Resource("people", str(i), {"name": name, "age": None, "birth_date": dt.date(2000, 1, i)}, rels)


def article(i: int, title: str, author: int | None) -> Resource:
    return Resource("articles", str(i), {"title": title}, {"author": Ident("people", str(author)) if author else None})


def render(
    server: StrapiServer, method: str, path: str, outcome_results: tuple[Any, ...], query: str = "", headers: Any = None, body: Any = None
) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    intent = server.parse(HttpRequest(method, path, query, headers or {}, raw))
    response = server.render(intent, Outcome(outcome_results))
    return response.status, (json.loads(response.body) if response.body else None)


def test_v5_entry_with_populated_relations(v5: StrapiServer) -> None:
    d = v5.ids.encode
    one = One(person(1, "Ann", (2, 1)), (article(1, "A", 1), article(2, "B", 1)))
    status, body = render(v5, "GET", f"/people/{d('people', '1')}", (one,), "populate=articles")
    assert status == 200
    assert body == {
        "data": {
            "id": 1,
            "documentId": d("people", "1"),
            "name": "Ann",
            "age": None,
            "birth_date": "2000-01-01",
            "articles": [
                {"id": 2, "documentId": d("articles", "2"), "title": "B"},
                {"id": 1, "documentId": d("articles", "1"), "title": "A"},
            ],
        },
        "meta": {},
    }


def test_v5_nested_populate_reuses_the_primary_resource_and_sorts(v5: StrapiServer) -> None:
    d = v5.ids.encode
    ann = person(1, "Ann", (2, 1))
    one = One(article(1, "A", 1), (ann, article(2, "B", 1)))
    _status, body = render(
        v5,
        "GET",
        f"/articles/{d('articles', '1')}",
        (one,),
        "populate[author][fields][0]=name&populate[author][populate][articles][sort]=title:asc",
    )
    assert body["data"]["author"] == {
        "id": 1,
        "documentId": d("people", "1"),
        "name": "Ann",
        "articles": [
            {"id": 1, "documentId": d("articles", "1"), "title": "A"},
            {"id": 2, "documentId": d("articles", "2"), "title": "B"},
        ],
    }


def test_v4_formats(v5: StrapiServer, v4: StrapiServer) -> None:
    d = v5.ids.encode
    one = One(article(1, "A", None), ())
    _, body = render(v5, "GET", f"/articles/{d('articles', '1')}", (one,), "populate=author", {"strapi-response-format": "v4"})
    assert body == {"data": {"id": 1, "documentId": d("articles", "1"), "attributes": {"title": "A", "author": {"data": None}}}, "meta": {}}
    listing = ResourceList((person(2, "Bob", ()),), 1, ())
    _, body = render(v4, "GET", "/people", (listing,), "populate=articles&fields=name")
    assert body == {
        "data": [{"id": 2, "attributes": {"name": "Bob", "articles": {"data": []}}}],
        "meta": {"pagination": {"page": 1, "pageSize": 25, "pageCount": 1, "total": 1}},
    }


def test_status_codes(v5: StrapiServer, v4: StrapiServer) -> None:
    created = One(Resource("categories", "3", {"name": "c"}, {}), ())
    assert render(v5, "POST", "/categories", (created, created), body={"data": {"name": "c"}})[0] == 201
    assert render(v4, "POST", "/categories", (created, created), body={"data": {"name": "c"}})[0] == 200
    assert render(v5, "DELETE", f"/categories/{v5.ids.encode('categories', '3')}", (None,)) == (204, None)
    assert render(v4, "DELETE", "/categories/3", (created, None)) == (200, {"data": {"id": 3, "attributes": {"name": "c"}}, "meta": {}})


def test_pagination_meta(v5: StrapiServer) -> None:
    items = tuple(Resource("categories", str(i), {"name": f"c{i}"}, {}) for i in (5, 6))
    _, body = render(v5, "GET", "/categories", (ResourceList(items, 7, ()),), "pagination[page]=3&pagination[pageSize]=2")
    assert body["meta"] == {"pagination": {"page": 3, "pageSize": 2, "pageCount": 4, "total": 7}}
    _, body = render(v5, "GET", "/categories", (ResourceList(items, 7, ()),), "pagination[start]=4&pagination[limit]=2")
    assert body["meta"] == {"pagination": {"start": 4, "limit": 2, "total": 7}}
    _, body = render(v5, "GET", "/categories", (ResourceList(items, None, ()),), "pagination[start]=4&pagination[withCount]=false")
    assert body["meta"] == {"pagination": {"start": 4, "limit": 25}}


def error_for(server: StrapiServer, problem: Problem, body: Any, path: str | None = None) -> dict[str, Any]:
    path = path or f"/restaurants/{server.ids.encode('restaurants', '1')}"
    request = HttpRequest("PUT", path, "", {}, json.dumps(body).encode())
    response = server.render_error(ProblemError(problem), request)
    assert response.headers[0] == ("content-type", "application/json; charset=utf-8")
    out = json.loads(response.body)
    assert out["data"] is None
    return {"http": response.status, **out["error"]}


def test_store_problems_in_strapi_words(v5: StrapiServer) -> None:
    d = v5.ids.encode
    body = {"data": {"categories": {"connect": [{"documentId": d("categories", "2"), "position": {"after": d("categories", "9")}}, 5]}}}
    anchor = ("data", "categories", "connect", 0, "position", "after")
    e = error_for(v5, Problem(400, "invalid-position", "Invalid position", "x", at=anchor), body)
    assert e == {
        "http": 400,
        "status": 400,
        "name": "ValidationError",
        "message": 'There was a problem connecting relation with id 2 at position {"after":9}. '
        "The relation with id 9 needs to be connected first.",
        "details": {},
    }
    e = error_for(v5, Problem(400, "invalid-position", "Circular", "x", at=anchor, meta={"reason": "circular"}), body)
    assert e["message"].startswith("A circular reference was found in the connect array.")
    e = error_for(v5, Problem(404, "not-found", "Not found", "x", at=("data", "categories", "connect", 0)), body)
    assert (e["http"], e["message"]) == (400, f'Document with id "{d("categories", "2")}", locale "null" not found')
    e = error_for(v5, Problem(404, "not-found", "Not found", "x", at=("data", "categories", "connect", 1)), body)
    assert e["message"] == "1 relation(s) of type api::category.category associated with this entity do not exist"
    assert e["details"] == {"errors": [{"path": [], "message": e["message"], "name": "ValidationError"}]}
    e = error_for(v5, Problem(404, "not-found", "Not found", "x", at=None), body)
    assert (e["http"], e["name"], e["message"], e["details"]) == (404, "NotFoundError", "Not Found", {})
    e = error_for(v5, Problem(409, "conflict", "Taken", "x", at=("data",), member="name"), {"data": {"name": "R"}})
    assert (e["http"], e["message"], e["details"]["errors"][0]["path"]) == (400, "This attribute must be unique", ["name"])
    e = error_for(v5, Problem(409, "conflict", "Conflict", "The change violates a constraint"), {"data": {}})
    assert (e["http"], e["name"]) == (409, "ConflictError")
    e = error_for(v5, Problem(500, "internal", "Internal error", "boom"), {"data": {}})
    assert e == {"http": 500, "status": 500, "name": "InternalServerError", "message": "Internal Server Error"}
    e = error_for(v5, Problem(413, "too-large", "Too large", "The request body exceeds the limit of 10 bytes."), {"data": {}})
    assert (e["http"], e["name"]) == (413, "PayloadTooLargeError")
    e = error_for(v5, Problem(400, "malformed-json", "Malformed JSON", "The request body is not valid JSON: x"), {"data": {}})
    assert (e["http"], e["name"], e["message"]) == (400, "BadRequestError", "The request body is not valid JSON: x")


def test_uids_for_messages(v5: StrapiServer) -> None:
    assert v5.uids["people"] == "api::person.person"
    assert v5.uids["categories"] == "api::category.category"
    assert v5.uids["trunk_groups"] == "api::trunk-group.trunk-group"
    assert v5.uids["contactsources"] == "api::contactsource.contactsource"
