"""Rendering hand-built Outcomes and problems as 0.17 responses (sans-IO, no store)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects.restless_legacy import LegacyServer
from relgate.model import Aggregates, Count, HttpResponse, Ident, One, Outcome, Page, Problem, ProblemError, Resource, ResourceList
from tests.dialects.restless_legacy_support import codec, request, with_options

JEFF = Resource(
    "people",
    "1",
    {"name": "Jeffrey", "age": 24, "birth_date": dt.date(1990, 5, 6)},
    {"computers": (Ident("computers", "1"), Ident("computers", "2")), "articles": ()},
)
MARY = Resource("people", "2", {"name": "Mary", "age": 19, "birth_date": None}, {"computers": (), "articles": ()})
C1 = Resource(
    "computers", "1", {"name": "c1", "vendor": "Dell", "purchase_time": dt.datetime(2015, 2, 17, 10)}, {"owner": Ident("people", "1")}
)
C2 = Resource("computers", "2", {"name": "c2", "vendor": "Apple", "purchase_time": None}, {"owner": Ident("people", "1")})
JEFF_DOC = {
    "id": 1,
    "name": "Jeffrey",
    "age": 24,
    "birth_date": "1990-05-06",
    "articles": [],
    "computers": [
        {"id": 1, "name": "c1", "owner_id": 1, "purchase_time": "2015-02-17T10:00:00", "vendor": "Dell"},
        {"id": 2, "name": "c2", "owner_id": 1, "purchase_time": None, "vendor": "Apple"},
    ],
}


@pytest.fixture
def server(example_config: Config) -> LegacyServer:
    return codec(example_config)


def answer(server: LegacyServer, method: str, path: str, *results: Any, body: Any = None) -> HttpResponse:
    intent = server.parse(request(method, path, body))
    return server.render(intent, Outcome(tuple(results)))


def doc(response: HttpResponse) -> Any:
    return json.loads(response.body)


def headers(response: HttpResponse) -> dict[str, str]:
    return dict(response.headers)


def test_a_resource_with_relations_one_level_deep(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/person/1", One(JEFF, (C1, C2)))
    assert r.status == 200
    assert headers(r)["Content-Type"] == "application/json"
    assert doc(r) == JEFF_DOC
    assert list(doc(r)) == sorted(JEFF_DOC), "keys sorted, as Flask's jsonify sorts them"


def test_a_to_one_and_its_foreign_key_column(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/computer/1", One(C1, (JEFF,)))
    assert doc(r) == {
        "id": 1,
        "name": "c1",
        "vendor": "Dell",
        "purchase_time": "2015-02-17T10:00:00",
        "owner_id": 1,
        "owner": {"id": 1, "name": "Jeffrey", "age": 24, "birth_date": "1990-05-06"},
    }
    orphan = Resource("computers", "3", {"name": "o", "vendor": None, "purchase_time": None}, {"owner": None})
    assert doc(answer(server, "GET", "/legacy/api/computer/3", One(orphan, ())))["owner"] is None
    assert doc(answer(server, "GET", "/legacy/api/computer/3", One(orphan, ())))["owner_id"] is None


def test_post_is_201_with_location(server: LegacyServer) -> None:
    created = Resource("people", "7", {"name": "N", "age": None, "birth_date": None}, {"computers": (), "articles": ()})
    r = answer(server, "POST", "/legacy/api/person", One(created), One(created), body={"name": "N"})
    assert r.status == 201
    assert headers(r)["Location"] == "http://relgate.test/legacy/api/person/7"
    assert doc(r)["id"] == 7


def test_a_page(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/person?page=2&results_per_page=1", ResourceList((MARY,), 3, ()))
    assert r.status == 200
    assert doc(r) == {
        "num_results": 3,
        "page": 2,
        "total_pages": 3,
        "objects": [{"id": 2, "name": "Mary", "age": 19, "birth_date": None, "articles": [], "computers": []}],
    }
    base = "http://relgate.test/legacy/api/person"
    assert headers(r)["Link"] == f'<{base}?page=3&results_per_page=1>; rel="next", <{base}?page=3&results_per_page=1>; rel="last"'


def test_page_past_the_end_and_empty_results(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/person?page=9", ResourceList((), 3, ()))
    assert doc(r) == {"num_results": 3, "objects": [], "page": 9, "total_pages": 1}
    r = answer(server, "GET", "/legacy/api/person", ResourceList((), 0, ()))
    assert doc(r) == {"num_results": 0, "objects": [], "page": 1, "total_pages": 0}
    assert headers(r)["Link"] == '<http://relgate.test/legacy/api/person?page=0&results_per_page=10>; rel="last"'


def test_num_results_counts_after_limit_and_offset(server: LegacyServer) -> None:
    q = json.dumps({"limit": 1, "offset": 1})
    r = answer(server, "GET", f"/legacy/api/person?q={q}", ResourceList((MARY,), 3, ()))
    assert (doc(r)["num_results"], doc(r)["total_pages"]) == (1, 1)


def test_related_page_has_no_link_header(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/person/1/computers", ResourceList((C1, C2), 2, (JEFF,)))
    assert doc(r)["objects"][0]["owner"] == {"id": 1, "name": "Jeffrey", "age": 24, "birth_date": "1990-05-06"}
    assert "Link" not in headers(r)


def test_an_empty_to_one_is_404_empty(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/computer/3/owner", One(None))
    assert (r.status, doc(r)) == (404, {})


@pytest.mark.parametrize(
    ("items", "status", "body"),
    [((), 404, {"message": "No result found"}), ((JEFF, MARY), 400, {"message": "Multiple results found"})],
)
def test_single_without_exactly_one(server: LegacyServer, items: tuple[Resource, ...], status: int, body: Any) -> None:
    r = answer(server, "GET", '/legacy/api/person?q={"single": true}', ResourceList(items, None, ()))
    assert (r.status, doc(r)) == (status, body)


def test_single_with_one(server: LegacyServer) -> None:
    r = answer(server, "GET", '/legacy/api/person?q={"single": true}', ResourceList((JEFF,), None, (C1, C2)))
    assert (r.status, doc(r)) == (200, JEFF_DOC)
    assert headers(r)["Location"] == "http://relgate.test/legacy/api/person/1"


def test_counts(server: LegacyServer) -> None:
    r = answer(server, "PATCH", "/legacy/api/person", Count(3), body={"age": 1})
    assert (r.status, doc(r)) == (200, {"num_modified": 3})
    r = answer(server, "PATCH", "/legacy/api/person", body={"q": {}})
    assert (r.status, doc(r)) == (200, {"num_modified": 0})
    r = answer(server, "DELETE", "/legacy/api/person", Count(2))
    assert (r.status, doc(r)) == (200, {"num_deleted": 2})
    r = answer(server, "DELETE", "/legacy/api/person", Count(0))
    assert (r.status, doc(r)) == (404, {"num_deleted": 0})


def test_no_content(server: LegacyServer) -> None:
    for method, path in (
        ("DELETE", "/legacy/api/person/1"),
        ("DELETE", "/legacy/api/person/1/computers/2"),
        ("GET", "/legacy/api/eval/person?q={}"),
    ):
        r = answer(server, method, path, None)
        assert (r.status, r.body) == (204, b"")


def test_eval_results(server: LegacyServer) -> None:
    q = json.dumps(
        {"functions": [{"name": "sum", "field": "age"}, {"name": "avg", "field": "age"}, {"name": "max", "field": "birth_date"}]}
    )
    values = {("sum", "age"): 43, ("avg", "age"): 21.5, ("max", "birth_date"): dt.date(1990, 5, 6)}
    r = answer(server, "GET", f"/legacy/api/eval/person?q={q}", Aggregates(values))
    assert doc(r) == {"sum__age": 43, "avg__age": 21.5, "max__birth_date": "Sun, 06 May 1990 00:00:00 GMT"}


def test_jsonp(server: LegacyServer) -> None:
    r = answer(server, "GET", "/legacy/api/person?callback=cb&results_per_page=1", ResourceList((JEFF,), 2, (C1, C2)))
    assert headers(r)["Content-Type"] == "application/javascript"
    assert "Link" not in headers(r), "0.17 moves Link into the JSONP meta"
    assert r.body.startswith(b"cb(") and r.body.endswith(b")")
    inner = json.loads(r.body[3:-1])
    base = "http://relgate.test/legacy/api/person"
    assert inner["meta"] == {
        "Content-Type": "application/javascript",
        "status": 200,
        "Link": [
            {"rel": "next", "url": f"{base}?page=2&results_per_page=1"},
            {"rel": "last", "url": f"{base}?page=2&results_per_page=1"},
        ],
    }
    assert inner["data"]["num_results"] == 2


def test_head_has_no_body(server: LegacyServer) -> None:
    r = answer(server, "HEAD", "/legacy/api/person/1", One(JEFF, (C1, C2)))
    assert (r.status, r.body) == (200, b"")


def test_options_lists_the_routed_methods(server: LegacyServer) -> None:
    r = answer(server, "OPTIONS", "/legacy/api/person/1/computers")
    assert headers(r)["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
    assert r.status == 200


# --- errors from the store --------------------------------------------------------------------


def render_error(server: LegacyServer, *problems: Problem, path: str = "/legacy/api/person/1") -> tuple[int, Any]:
    r = server.render_error(ProblemError(*problems), request("PATCH", path, {}))
    assert dict(r.headers)["Content-Type"] == "application/json"
    return r.status, doc(r)


def test_the_urls_instance_missing_is_404_empty(server: LegacyServer) -> None:
    assert render_error(server, Problem(404, "not-found", "Resource not found", "No resource of type 'people' with id '9'.")) == (404, {})


def test_a_body_member_missing_is_400_naming_it(server: LegacyServer) -> None:
    p = Problem(404, "not-found", "Resource not found", "No resource of type 'people' with id '9'.", at=("owner_id",))
    assert render_error(server, p) == (400, {"message": "No resource of type 'person' with id '9'. (at owner_id)"})


def test_conflicts_are_integrity_errors(server: LegacyServer) -> None:
    p = Problem(
        409, "conflict", "Value already taken", "Another 'people' already has name = 'Jeffrey'.", at=("computers", 0), member="name"
    )
    assert render_error(server, p) == (
        400,
        {"message": "IntegrityError: Another 'person' already has name = 'Jeffrey'. (at computers[0].name)"},
    )


def test_not_a_member(server: LegacyServer) -> None:
    """The store names types canonically; the relation named like a type keeps its name."""
    p = Problem(
        400, "invalid", "Not a member", "computers '5' is not related to people '1' through 'computers'.", at=("computers", "remove", 0)
    )
    assert render_error(server, p) == (
        400,
        {"message": "computer '5' is not related to person '1' through 'computers'. (at computers.remove[0])"},
    )


def test_not_a_member_looked_up_by_fields(server: LegacyServer) -> None:
    p = Problem(
        400, "invalid", "Not a member", "computers 'n0' is not related to people '1' through 'computers'.", at=("computers", "remove", 0)
    )
    r = server.render_error(
        ProblemError(p), request("PATCH", "/legacy/api/person/1", {"computers": {"remove": [{"name": "x", "__delete__": True}]}})
    )
    assert json.loads(r.body) == {
        "message": "no computer with {\"name\":\"x\"} is related to person '1' through 'computers'. (at computers.remove[0])"
    }


def test_several_problems(server: LegacyServer) -> None:
    a = Problem(404, "not-found", "Resource not found", "No resource of type 'computers' with id '8'.", at=("computers", 0))
    b = Problem(404, "not-found", "Resource not found", "No resource of type 'computers' with id '9'.", at=("computers", 1))
    status, body = render_error(server, a, b)
    assert status == 400
    assert body["message"] == (
        "No resource of type 'computer' with id '8'. (at computers[0]); No resource of type 'computer' with id '9'. (at computers[1])"
    )


def test_internal_errors_stay_500(server: LegacyServer) -> None:
    assert render_error(server, Problem(500, "internal", "Internal error", "relgate failed")) == (500, {"message": "relgate failed"})


def test_errors_in_jsonp(server: LegacyServer) -> None:
    r = server.render_error(ProblemError(Problem(404, "not-found", "x")), request("GET", "/legacy/api/person/9?callback=cb"))
    assert r.status == 404
    assert json.loads(r.body[3:-1]) == {"data": {}, "meta": {"Content-Type": "application/javascript", "status": 404}}


def test_a_remove_by_fields_matching_several_rows(server: LegacyServer) -> None:
    p = Problem(
        409,
        "conflict",
        "Upsert is ambiguous",
        "More than one 'computers' matches the upsert keys ['vendor'].",
        at=("computers", "remove", 1),
    )
    body = {"computers": {"remove": [{"id": 1}, {"vendor": "Dell", "__delete__": True}]}}
    r = server.render_error(ProblemError(p), request("PATCH", "/legacy/api/person/1", body))
    assert (r.status, json.loads(r.body)) == (
        400,
        {"message": 'several rows match {"vendor":"Dell"}; name the one to remove by its id (at computers.remove[1])'},
    )


def test_pagination_off(example_config: Config) -> None:
    server = codec(with_options(example_config, {"results_per_page": 0, "defaults": {"methods": ["GET"]}}))
    intent = server.parse(request("GET", "/legacy/api/person?page=3"))
    assert intent.batch.ops[0].query.page == Page(0, None)
    r = server.render(intent, Outcome((ResourceList((JEFF, MARY), 2, (C1, C2)),)))
    assert {k: v for k, v in doc(r).items() if k != "objects"} == {"num_results": 2, "page": 1, "total_pages": 1}
    assert len(doc(r)["objects"]) == 2
    # a client may still ask for pages (0.17 _compute_results_per_page)
    assert server.parse(request("GET", "/legacy/api/person?results_per_page=5")).batch.ops[0].query.page == Page(0, 5)
