"""The real Python backends, called directly (httpx, no relgate): what proxy mode relies on.

Every assertion here was observed on the pinned backends (examples/*/requirements.txt); where
shared/reference/flask-restless.md says otherwise, the test says so.  Each test starts from empty
tables (the fixtures of tests/backends/python_backends.py) and checks the backend's own SQLite
file afterwards.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any

import httpx
import pytest

from tests.backends.python_backends import RealBackend

JSONAPI = "application/vnd.api+json"
JSONAPI_HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
PROFILE = 'application/vnd.api+json; profile="https://example.com/profiles/timestamps"'


def call(backend: RealBackend, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return httpx.request(method, backend.url + path, content=content, headers=headers, timeout=10)


def q(obj: Any) -> str:
    return urllib.parse.quote(json.dumps(obj))


def linkage(rows: list[dict[str, Any]], column: str, value: int | None) -> list[int]:
    return [r["id"] for r in rows if r[column] == value]


def errors(resp: httpx.Response) -> list[tuple[str | None, str]]:
    return [(e.get("status"), e.get("detail")) for e in resp.json()["errors"]]


# --- the fixtures themselves -----------------------------------------------------------------------


def test_fixture_gives_empty_tables_and_seed_is_visible_to_the_server(python_backend: RealBackend) -> None:
    assert python_backend.url.startswith("http://127.0.0.1:") and python_backend.url.endswith("/api")
    assert python_backend.dialect in {"restless", "restless-legacy", "jsonapi"}
    assert python_backend.rows("person") == [] and python_backend.rows("computer") == []
    python_backend.seed_example()
    collection = "/people" if python_backend.dialect == "jsonapi" else "/person"
    headers = JSONAPI_HEADERS if python_backend.dialect != "restless-legacy" else {}
    resp = call(python_backend, "GET", collection + "/1", headers=headers)
    assert resp.status_code == 200
    doc = resp.json()
    name = doc["name"] if python_backend.dialect == "restless-legacy" else doc["data"]["attributes"]["name"]
    assert name == "Ann"


def test_reset_restarts_ids(python_backend: RealBackend) -> None:
    """Ids after the reset start at 1 again, so scenarios can name them (Django counts in sqlite_sequence)."""
    jsonapi = python_backend.dialect != "restless-legacy"
    path = "/people" if python_backend.dialect == "jsonapi" else "/person"
    body: Any = {"name": "First"}
    if jsonapi:
        body = {"data": {"type": "people" if python_backend.dialect == "jsonapi" else "person", "attributes": {"name": "First"}}}
    for _ in range(2):
        resp = call(python_backend, "POST", path, body, JSONAPI_HEADERS if jsonapi else {"Content-Type": "application/json"})
        assert resp.status_code == 201, resp.text
        created = resp.json()["data"]["id"] if jsonapi else resp.json()["id"]
        assert str(created) == "1"
        python_backend.reset()


# --- flask-restless-ng 3.3.0 ---------------------------------------------------------------------------


def test_ng_create_answers_201_with_location_and_string_id(ng_backend: RealBackend) -> None:
    body = {"data": {"type": "person", "attributes": {"name": "Ann", "age": 31}}}
    resp = call(ng_backend, "POST", "/person", body, JSONAPI_HEADERS)
    assert resp.status_code == 201
    assert resp.headers["content-type"] == JSONAPI
    assert resp.headers["location"] == f"{ng_backend.url}/person/1"
    doc = resp.json()
    assert doc["data"]["id"] == "1" and doc["data"]["type"] == "person"
    assert doc["jsonapi"] == {"version": "1.0"}
    assert doc["data"]["relationships"] == {"articles": {"data": []}, "computers": {"data": []}}
    assert ng_backend.rows("person") == [{"id": 1, "name": "Ann", "age": 31, "birth_date": None}]


def test_ng_create_with_relationships_links_them(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    body = {
        "data": {
            "type": "person",
            "attributes": {"name": "Cid"},
            "relationships": {"computers": {"data": [{"type": "computer", "id": "3"}]}},
        }
    }
    resp = call(ng_backend, "POST", "/person", body, JSONAPI_HEADERS)
    assert resp.status_code == 201, resp.text
    assert resp.json()["data"]["relationships"]["computers"]["data"] == [{"type": "computer", "id": "3"}]
    assert linkage(ng_backend.rows("computer"), "owner_id", 3) == [3]


def test_ng_get_with_include(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    resp = call(ng_backend, "GET", "/person/1?include=computers,articles", headers={"Accept": JSONAPI})
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["data"]["relationships"]["computers"]["data"] == [{"id": "1", "type": "computer"}, {"id": "2", "type": "computer"}]
    assert sorted((r["type"], r["id"]) for r in doc["included"]) == [("article", "1"), ("computer", "1"), ("computer", "2")]
    assert doc["data"]["attributes"] == {"name": "Ann", "age": 31, "birth_date": "1994-05-06"}


def test_ng_filter_sort_page_fields(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    ng_backend.seed("person", {"id": 3, "name": "Cid", "age": 20})
    older = q([{"name": "age", "op": "gt", "val": 25}])
    resp = call(ng_backend, "GET", f"/person?filter[objects]={older}&sort=-age&page[size]=1&page[number]=2", headers={"Accept": JSONAPI})
    assert resp.status_code == 200
    doc = resp.json()
    assert [r["id"] for r in doc["data"]] == ["1"]  # Bob (45), then Ann (31): page 2 is Ann
    assert doc["meta"] == {"total": 2}
    assert doc["links"]["next"] is None and doc["links"]["prev"] is not None
    apple = q([{"name": "computers", "op": "any", "val": {"name": "vendor", "op": "eq", "val": "Apple"}}])
    doc = call(ng_backend, "GET", f"/person?filter[objects]={apple}&fields[person]=name", headers={"Accept": JSONAPI}).json()
    assert doc["data"] == [{"attributes": {"name": "Ann"}, "id": "1", "type": "person"}]
    bad = call(ng_backend, "GET", "/person?filter[objects]=" + q([{"name": "nosuch", "op": "eq", "val": 1}]), headers={"Accept": JSONAPI})
    assert bad.status_code == 400
    assert errors(bad) == [("400", 'Invalid filter object: No such field "nosuch"')]


def test_ng_related_collection_is_paginated(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    doc = call(ng_backend, "GET", "/person/1/computers?page[size]=1", headers={"Accept": JSONAPI}).json()
    assert [(r["type"], r["id"]) for r in doc["data"]] == [("computer", "1")]
    assert doc["meta"] == {"total": 2}
    assert doc["links"]["self"] == "/api/person"  # NG's bug (reference A2.4): not the related URL


def test_ng_accept_star_is_406(ng_backend: RealBackend) -> None:
    """Reference A2.2: an Accept without application/vnd.api+json (curl's */*) is 406; no Accept is fine."""
    assert call(ng_backend, "GET", "/person", headers={"Accept": "*/*"}).status_code == 406
    assert call(ng_backend, "GET", "/person", headers={"Accept": "application/json"}).status_code == 406
    assert call(ng_backend, "GET", "/person", headers={"Accept": ""}).status_code == 200


def test_ng_relationship_post_delete_patch_on_articles(ng_backend: RealBackend) -> None:
    """people.articles allows everything: POST appends (twice is still 204), DELETE unlinks, PATCH replaces."""
    ng_backend.seed_example()
    url = "/person/2/relationships/articles"
    resp = call(ng_backend, "POST", url, {"data": [{"type": "article", "id": "1"}]}, JSONAPI_HEADERS)
    assert (resp.status_code, resp.content) == (204, b"")
    assert linkage(ng_backend.rows("article"), "author_id", 2) == [1, 2]
    assert call(ng_backend, "POST", url, {"data": [{"type": "article", "id": 1}]}, JSONAPI_HEADERS).status_code == 204  # int id too
    assert linkage(ng_backend.rows("article"), "author_id", 2) == [1, 2]

    resp = call(ng_backend, "DELETE", url, {"data": [{"type": "article", "id": "2"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 204
    assert [(r["id"], r["author_id"]) for r in ng_backend.rows("article")] == [(1, 2), (2, None)]  # unlinked, kept

    resp = call(ng_backend, "PATCH", url, {"data": [{"type": "article", "id": "2"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 204
    assert [(r["id"], r["author_id"]) for r in ng_backend.rows("article")] == [(1, None), (2, 2)]

    got = call(ng_backend, "GET", url, headers={"Accept": JSONAPI}).json()
    assert got["data"] == [{"id": "2", "type": "article"}]
    assert got["meta"] == {"total": 1}


def test_ng_computers_forbid_replacement_and_removal(ng_backend: RealBackend) -> None:
    """people.computers keeps NG's defaults: PATCH and DELETE are 403 and write nothing; POST works."""
    ng_backend.seed_example()
    before = ng_backend.rows("computer")
    url = "/person/1/relationships/computers"
    resp = call(ng_backend, "PATCH", url, {"data": [{"type": "computer", "id": "3"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 403
    assert errors(resp) == [("403", "Not allowed to replace a to-many relationship")]
    resp = call(ng_backend, "DELETE", url, {"data": [{"type": "computer", "id": "1"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 403
    assert errors(resp) == [("403", "Not allowed to delete from a to-many relationship")]
    resp = call(ng_backend, "DELETE", url, b"{not json", JSONAPI_HEADERS)
    assert resp.status_code == 403  # checked before the body is read (reference A2.4)
    assert ng_backend.rows("computer") == before

    assert call(ng_backend, "POST", url, {"data": [{"type": "computer", "id": "3"}]}, JSONAPI_HEADERS).status_code == 204
    assert linkage(ng_backend.rows("computer"), "owner_id", 1) == [1, 2, 3]


def test_ng_resource_patch_with_computers_is_403_and_writes_nothing(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    body = {
        "data": {
            "type": "person",
            "id": "1",
            "attributes": {"name": "Renamed"},
            "relationships": {"computers": {"data": []}},
        }
    }
    resp = call(ng_backend, "PATCH", "/person/1", body, JSONAPI_HEADERS)
    assert resp.status_code == 403
    assert errors(resp) == [("403", "Not allowed to replace a to-many relationship")]
    assert ng_backend.rows("person")[0]["name"] == "Ann"
    assert linkage(ng_backend.rows("computer"), "owner_id", 1) == [1, 2]

    body["data"]["relationships"] = {"articles": {"data": [{"type": "article", "id": "2"}]}}
    resp = call(ng_backend, "PATCH", "/person/1", body, JSONAPI_HEADERS)
    assert (resp.status_code, resp.content) == (204, b"")
    assert ng_backend.rows("person")[0]["name"] == "Renamed"
    assert linkage(ng_backend.rows("article"), "author_id", 1) == [2]


def test_ng_to_one_relationship_patch_sets_and_clears(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    url = "/computer/3/relationships/owner"
    assert call(ng_backend, "PATCH", url, {"data": {"type": "person", "id": "2"}}, JSONAPI_HEADERS).status_code == 204
    assert ng_backend.rows("computer")[2]["owner_id"] == 2
    assert call(ng_backend, "PATCH", url, {"data": None}, JSONAPI_HEADERS).status_code == 204
    assert ng_backend.rows("computer")[2]["owner_id"] is None


def test_ng_patch_with_integer_primary_id_is_409(ng_backend: RealBackend) -> None:
    """Reference A2.2: the primary data id is compared as a string with the URL ("ID must be 1, not 1")."""
    ng_backend.seed_example()
    resp = call(ng_backend, "PATCH", "/person/1", {"data": {"type": "person", "id": 1, "attributes": {"age": 1}}}, JSONAPI_HEADERS)
    assert resp.status_code == 409
    assert errors(resp) == [("409", "ID must be 1, not 1")]
    assert ng_backend.rows("person")[0]["age"] == 31


def test_ng_unknown_linkage_id_is_404(ng_backend: RealBackend) -> None:
    ng_backend.seed_example()
    resp = call(ng_backend, "POST", "/person/1/relationships/articles", {"data": [{"type": "article", "id": "99"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 404
    assert errors(resp) == [("404", "No object of type article found with ID 99")]


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        ("application/json", 'Request must have "Content-Type: application/vnd.api+json" header'),
        ("text/plain", 'Request must have "Content-Type: application/vnd.api+json" header'),
        (f"{JSONAPI}; charset=utf-8", "Content-Type header must not have any media type parameters but found {'charset': 'utf-8'}"),
        (ATOMIC, "Content-Type header must not have any media type parameters but found {'ext': 'https://jsonapi.org/ext/atomic'}"),
        (PROFILE, "Content-Type header must not have any media type parameters but found {'profile': 'https://example.com/profiles/timestamps'}"),
    ],
)
def test_ng_415_for_any_other_content_type(ng_backend: RealBackend, content_type: str, detail: str) -> None:
    """POST/PATCH need exactly application/vnd.api+json: any parameter (ext and profile too) is 415."""
    ng_backend.seed_example()
    headers = {"Content-Type": content_type, "Accept": JSONAPI}
    resp = call(ng_backend, "POST", "/person", {"data": {"type": "person", "attributes": {"name": "Cid"}}}, headers)
    assert resp.status_code == 415
    assert errors(resp) == [("415", detail)]
    resp = call(ng_backend, "PATCH", "/person/1/relationships/articles", {"data": [{"type": "article", "id": "2"}]}, headers)
    assert resp.status_code == 415
    assert len(ng_backend.rows("person")) == 2
    assert linkage(ng_backend.rows("article"), "author_id", 1) == [1]


def test_ng_post_without_content_type_is_415(ng_backend: RealBackend) -> None:
    resp = call(ng_backend, "POST", "/person", {"data": {"type": "person", "attributes": {"name": "Cid"}}}, {"Accept": JSONAPI})
    assert resp.status_code == 415
    assert ng_backend.rows("person") == []


def test_ng_accept_with_media_type_parameters_is_served(ng_backend: RealBackend) -> None:
    """Observed: an Accept of the JSON:API type with ext/profile parameters gets 200.

    The reference (A2.2) says 406 (NG's ``requires_json_api_accept`` means to refuse an Accept
    whose JSON:API types all carry parameters); with the pinned NG 3.3.0 / Werkzeug 3.1.9 these
    pass.  Only the Content-Type of a request body is strict (415 above).
    """
    for accept in (ATOMIC, PROFILE):
        resp = call(ng_backend, "GET", "/person", headers={"Accept": accept})
        assert resp.status_code == 200
        assert resp.headers["content-type"] == JSONAPI


def test_ng_delete_body_is_not_content_type_checked(ng_backend: RealBackend) -> None:
    """Reference A2.2: DELETE bodies are not content-type checked."""
    ng_backend.seed_example()
    url = "/person/1/relationships/articles"
    resp = call(ng_backend, "DELETE", url, {"data": [{"type": "article", "id": "1"}]}, {"Content-Type": "text/plain", "Accept": JSONAPI})
    assert resp.status_code == 204
    assert linkage(ng_backend.rows("article"), "author_id", 1) == []


# --- Flask-Restless 0.17.0 -------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}


def test_zero17_create_with_nested_new_and_existing(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    body = {"name": "Cid", "age": 20, "computers": [{"name": "New one", "vendor": "HP"}, {"id": 3}]}
    resp = call(zero17_backend, "POST", "/person", body, JSON)
    assert resp.status_code == 201
    assert resp.headers["location"].split(",")[0].strip() == f"{zero17_backend.url}/person/3"
    doc = resp.json()
    assert (doc["id"], doc["name"]) == (3, "Cid")
    assert [c["id"] for c in doc["computers"]] == [3, 4]  # integers, not strings
    computers = zero17_backend.rows("computer")
    assert [(c["id"], c["name"], c["owner_id"]) for c in computers[2:]] == [(3, "ThinkPad", 3), (4, "New one", 3)]


def test_zero17_patch_add_remove_and_delete(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    resp = call(zero17_backend, "PATCH", "/person/1", {"computers": {"add": [{"id": 3}]}}, JSON)
    assert resp.status_code == 200
    assert [c["id"] for c in resp.json()["computers"]] == [1, 2, 3]
    assert linkage(zero17_backend.rows("computer"), "owner_id", 1) == [1, 2, 3]

    resp = call(zero17_backend, "PATCH", "/person/1", {"computers": {"remove": [{"id": 1}]}}, JSON)
    assert resp.status_code == 200
    assert [(c["id"], c["owner_id"]) for c in zero17_backend.rows("computer")] == [(1, None), (2, 1), (3, 1)]  # unlinked, kept

    resp = call(zero17_backend, "PATCH", "/person/1", {"computers": {"remove": [{"id": 2, "__delete__": True}]}}, JSON)
    assert resp.status_code == 200
    assert [c["id"] for c in zero17_backend.rows("computer")] == [1, 3]  # deleted from its table
    assert call(zero17_backend, "GET", "/computer/2").status_code == 404


def test_zero17_add_before_remove_in_one_patch(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    body = {"computers": {"add": [{"id": 3}], "remove": [{"id": 3}]}}
    assert call(zero17_backend, "PATCH", "/person/1", body, JSON).status_code == 200
    assert linkage(zero17_backend.rows("computer"), "owner_id", 1) == [1, 2]


def test_zero17_remove_of_a_non_member_is_500_after_the_add(zero17_backend: RealBackend) -> None:
    """Reference A1.5: removing an id not in the relation is a 500 (list.remove); nothing is committed."""
    zero17_backend.seed_example()
    body = {"computers": {"add": [{"name": "Temp"}], "remove": [{"id": 3}]}}
    resp = call(zero17_backend, "PATCH", "/person/1", body, JSON)
    assert resp.status_code == 500
    assert [c["name"] for c in zero17_backend.rows("computer")] == ["Inspiron", "MacBook", "ThinkPad"]


def test_zero17_list_replaces_to_many(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    resp = call(zero17_backend, "PATCH", "/person/1", {"computers": [{"id": 2}, {"id": 3}]}, JSON)
    assert resp.status_code == 200
    assert [(c["id"], c["owner_id"]) for c in zero17_backend.rows("computer")] == [(1, None), (2, 1), (3, 1)]


def test_zero17_to_one_set_and_clear(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    assert call(zero17_backend, "PATCH", "/computer/3", {"owner": {"id": 2}}, JSON).json()["owner"]["name"] == "Bob"
    assert zero17_backend.rows("computer")[2]["owner_id"] == 2
    assert call(zero17_backend, "PATCH", "/computer/3", {"owner": None}, JSON).json()["owner"] is None
    assert zero17_backend.rows("computer")[2]["owner_id"] is None


def test_zero17_q_filter_and_envelope(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    search = {"filters": [{"name": "age", "op": "gt", "val": 40}], "order_by": [{"field": "name", "direction": "desc"}]}
    resp = call(zero17_backend, "GET", "/person?q=" + q(search))
    assert resp.status_code == 200
    doc = resp.json()
    assert (doc["num_results"], doc["page"], doc["total_pages"]) == (1, 1, 1)
    assert [p["name"] for p in doc["objects"]] == ["Bob"]
    any_apple = {"filters": [{"name": "computers__vendor", "op": "any", "val": "Apple"}]}
    assert [p["name"] for p in call(zero17_backend, "GET", "/person?q=" + q(any_apple)).json()["objects"]] == ["Ann"]
    bad = call(zero17_backend, "GET", "/person?q=" + q({"filters": [{"name": "age", "op": "nosuch", "val": 1}]}))
    assert (bad.status_code, bad.json()) == (400, {"message": "Unable to construct query"})


def test_zero17_pagination_and_relation_envelope(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    resp = call(zero17_backend, "GET", "/person?results_per_page=1&page=1")
    doc = resp.json()
    assert (doc["num_results"], doc["page"], doc["total_pages"], [p["name"] for p in doc["objects"]]) == (2, 1, 2, ["Ann"])
    assert 'rel="next"' in resp.headers["link"] and 'rel="last"' in resp.headers["link"]
    doc = call(zero17_backend, "GET", "/person/1/computers").json()
    assert doc["num_results"] == 2
    assert [(c["id"], c["owner"]["id"]) for c in doc["objects"]] == [(1, 1), (2, 1)]  # each with its own relations
    owner = call(zero17_backend, "GET", "/computer/1/owner").json()
    assert (owner["id"], owner["name"]) == (1, "Ann")  # a to-one relation URL: the bare object
    single = call(zero17_backend, "GET", "/person?q=" + q({"filters": [{"name": "name", "op": "eq", "val": "Bob"}], "single": True}))
    assert (single.status_code, single.json()["id"]) == (200, 2)


def test_zero17_bulk_patch_counts_and_writes(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    body = {"age": 50, "q": {"filters": [{"name": "name", "op": "like", "val": "%n%"}]}}
    resp = call(zero17_backend, "PATCH", "/person", body, JSON)
    assert (resp.status_code, resp.json()) == (200, {"num_modified": 1})
    assert [(p["name"], p["age"]) for p in zero17_backend.rows("person")] == [("Ann", 50), ("Bob", 45)]
    resp = call(zero17_backend, "PUT", "/person", {"age": 7}, JSON)  # no q: every row; PUT is PATCH
    assert resp.json() == {"num_modified": 2}
    assert {p["age"] for p in zero17_backend.rows("person")} == {7}


def test_zero17_eval(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    functions = {"functions": [{"name": "sum", "field": "age"}, {"name": "count", "field": "id"}]}
    resp = call(zero17_backend, "GET", "/eval/person?q=" + q(functions))
    assert (resp.status_code, resp.json()) == (200, {"sum__age": 76, "count__id": 2})
    assert call(zero17_backend, "GET", "/eval/person?q=" + q({"functions": []})).status_code == 204


def test_zero17_delete_from_relation_url_unlinks(zero17_backend: RealBackend) -> None:
    zero17_backend.seed_example()
    resp = call(zero17_backend, "DELETE", "/person/1/computers/2")
    assert resp.status_code == 204
    assert [(c["id"], c["owner_id"]) for c in zero17_backend.rows("computer")] == [(1, 1), (2, None), (3, None)]


def test_zero17_content_type_rules(zero17_backend: RealBackend) -> None:
    resp = call(zero17_backend, "POST", "/person", {"name": "Cid"}, {"Content-Type": "text/plain"})
    assert (resp.status_code, resp.json()) == (415, {"message": 'Request must have "Content-Type: application/json" header'})
    resp = call(zero17_backend, "POST", "/person", {"name": "Cid"}, {"Content-Type": JSONAPI})
    assert resp.status_code == 415
    assert call(zero17_backend, "POST", "/person", {"name": "Cid"}, {"Content-Type": "application/json; charset=utf-8"}).status_code == 201
    assert [p["name"] for p in zero17_backend.rows("person")] == ["Cid"]


def test_zero17_missing_instance_is_404_empty_object(zero17_backend: RealBackend) -> None:
    resp = call(zero17_backend, "GET", "/person/9")
    assert (resp.status_code, resp.json()) == (404, {})
    assert call(zero17_backend, "PATCH", "/person/9", {"age": 1}, JSON).status_code == 404


# --- djangorestframework-jsonapi 8.1.0 (JSON:API 1.0) ---------------------------------------------------


def test_drf_create_and_include(drf_backend: RealBackend) -> None:
    body = {"data": {"type": "people", "attributes": {"name": "Ann", "age": 31}}}
    resp = call(drf_backend, "POST", "/people", body, JSONAPI_HEADERS)
    assert resp.status_code == 201
    assert resp.headers["content-type"] == JSONAPI
    assert resp.headers.get("location") is None  # DRF-JA sends no Location
    assert resp.json()["data"]["id"] == "1" and "jsonapi" not in resp.json()
    owner = {"owner": {"data": {"type": "people", "id": "1"}}}
    body = {"data": {"type": "computers", "attributes": {"name": "Inspiron"}, "relationships": owner}}
    assert call(drf_backend, "POST", "/computers", body, JSONAPI_HEADERS).status_code == 201
    assert drf_backend.rows("computer")[0]["owner_id"] == 1

    doc = call(drf_backend, "GET", "/people/1?include=computers", headers={"Accept": JSONAPI}).json()
    assert doc["data"]["relationships"]["computers"]["data"] == [{"type": "computers", "id": "1"}]
    assert doc["data"]["relationships"]["computers"]["meta"] == {"count": 1}
    assert [(r["type"], r["id"]) for r in doc["included"]] == [("computers", "1")]
    assert doc["data"]["relationships"]["computers"]["links"]["self"] == f"{drf_backend.url}/people/1/relationships/computers"


def test_drf_list_filter_sort_page(drf_backend: RealBackend) -> None:
    drf_backend.seed_example()
    doc = call(drf_backend, "GET", "/people?sort=-age&page[size]=1", headers={"Accept": JSONAPI}).json()
    assert [r["attributes"]["name"] for r in doc["data"]] == ["Bob"]
    assert doc["meta"]["pagination"] == {"page": 1, "pages": 2, "count": 2}
    doc = call(drf_backend, "GET", "/computers?filter[vendor]=Apple", headers={"Accept": JSONAPI}).json()
    assert [r["id"] for r in doc["data"]] == ["2"]
    bad = call(drf_backend, "GET", "/people?filter[nosuch]=1", headers={"Accept": JSONAPI})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["detail"] == "invalid filter[nosuch]"


def test_drf_relationship_endpoints_answer_200_with_linkage(drf_backend: RealBackend) -> None:
    """Reference B3: relationship POST/PATCH/DELETE are 200 with the resulting linkage; 204 when unchanged."""
    drf_backend.seed_example()
    url = "/people/2/relationships/computers"
    resp = call(drf_backend, "POST", url, {"data": [{"type": "computers", "id": "3"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 200
    assert resp.json() == {"data": [{"type": "computers", "id": "3"}], "links": {"self": f"{drf_backend.url}{url}"}}
    assert linkage(drf_backend.rows("computer"), "owner_id", 2) == [3]
    resp = call(drf_backend, "POST", url, {"data": [{"type": "computers", "id": "3"}]}, JSONAPI_HEADERS)
    assert (resp.status_code, resp.content) == (204, b"")

    resp = call(drf_backend, "PATCH", url, {"data": [{"type": "computers", "id": "1"}, {"type": "computers", "id": 2}]}, JSONAPI_HEADERS)
    assert resp.status_code == 200
    assert [d["id"] for d in resp.json()["data"]] == ["1", "2"]
    assert [(c["id"], c["owner_id"]) for c in drf_backend.rows("computer")] == [(1, 2), (2, 2), (3, None)]

    resp = call(drf_backend, "DELETE", url, {"data": [{"type": "computers", "id": "1"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 200
    assert resp.json()["data"] == [{"type": "computers", "id": "2"}]
    assert [(c["id"], c["owner_id"]) for c in drf_backend.rows("computer")] == [(1, None), (2, 2), (3, None)]

    got = call(drf_backend, "GET", url, headers={"Accept": JSONAPI})
    assert got.json()["data"] == [{"type": "computers", "id": "2"}]


def test_drf_to_one_relationship_limits(drf_backend: RealBackend) -> None:
    """Reference B3: a to-one relationship URL cannot clear (400) nor set a null to-one (400); a resource PATCH can."""
    drf_backend.seed_example()
    url = "/computers/1/relationships/owner"
    resp = call(drf_backend, "PATCH", url, {"data": {"type": "people", "id": "2"}}, JSONAPI_HEADERS)
    assert resp.status_code == 200
    assert drf_backend.rows("computer")[0]["owner_id"] == 2
    resp = call(drf_backend, "PATCH", url, {"data": None}, JSONAPI_HEADERS)
    assert (resp.status_code, resp.json()["errors"][0]["detail"]) == (400, "This field may not be null.")
    resp = call(drf_backend, "PATCH", "/computers/3/relationships/owner", {"data": {"type": "people", "id": "1"}}, JSONAPI_HEADERS)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["detail"] == "Incorrect model type. Expected <class 'NoneType'>, received people."
    assert call(drf_backend, "DELETE", url, {"data": {"type": "people", "id": "2"}}, JSONAPI_HEADERS).status_code == 405

    body = {"data": {"type": "computers", "id": "1", "relationships": {"owner": {"data": None}}}}
    assert call(drf_backend, "PATCH", "/computers/1", body, JSONAPI_HEADERS).status_code == 200
    assert [c["owner_id"] for c in drf_backend.rows("computer")] == [None, 1, None]


def test_drf_errors(drf_backend: RealBackend) -> None:
    drf_backend.seed_example()
    resp = call(drf_backend, "PATCH", "/people/1/relationships/articles", {"data": [{"type": "articles", "id": "99"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 400  # not 404 (reference B3)
    assert resp.json() == {
        "errors": [
            {
                "detail": 'Invalid pk "99" - object does not exist.',
                "status": "400",
                "source": {"pointer": "/data/attributes/0"},
                "code": "does_not_exist",
            }
        ]
    }
    resp = call(drf_backend, "POST", "/people/1/relationships/articles", {"data": [{"type": "people", "id": "2"}]}, JSONAPI_HEADERS)
    assert resp.status_code == 400  # a wrong linkage type on a relationship URL: 400, not 409
    assert resp.json()["errors"][0]["detail"] == "Incorrect model type. Expected <class 'library.models.Article'>, received people."
    resp = call(drf_backend, "POST", "/people", {"data": {"type": "articles", "attributes": {"name": "Cid"}}}, JSONAPI_HEADERS)
    assert resp.status_code == 409  # a wrong primary type: 409 at /data (reference B3)
    assert resp.json()["errors"][0]["source"] == {"pointer": "/data"}
    resp = call(drf_backend, "POST", "/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}}, JSONAPI_HEADERS)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["source"] == {"pointer": "/data/attributes/name"}
    assert linkage(drf_backend.rows("article"), "author_id", 1) == [1] and len(drf_backend.rows("person")) == 2


@pytest.mark.parametrize("media_type", [ATOMIC, PROFILE, f"{JSONAPI}; charset=utf-8"])
def test_drf_accepts_media_type_parameters(drf_backend: RealBackend, media_type: str) -> None:
    """The reference says a JSON:API 1.0 server answers 415 to ext/profile: DRF-JA 8.1.0 does not.

    It takes ``ext``/``profile`` (and any other) parameters in Content-Type and Accept and answers as
    without them; so a relgate client half may send them to this 1.0 backend, and NG's 415/406 is NG's.
    """
    body = {"data": {"type": "people", "attributes": {"name": "Ann"}}}
    resp = call(drf_backend, "POST", "/people", body, {"Content-Type": media_type, "Accept": media_type})
    assert resp.status_code == 201
    assert resp.headers["content-type"] == JSONAPI  # answered without the parameters
    assert call(drf_backend, "GET", "/people/1", headers={"Accept": media_type}).status_code == 200
    assert [p["name"] for p in drf_backend.rows("person")] == ["Ann"]


def test_drf_other_media_types(drf_backend: RealBackend) -> None:
    body = {"data": {"type": "people", "attributes": {"name": "Ann"}}}
    resp = call(drf_backend, "POST", "/people", body, {"Content-Type": "application/json"})
    assert resp.status_code == 415
    assert resp.json()["errors"][0]["detail"] == 'Unsupported media type "application/json" in request.'
    assert call(drf_backend, "GET", "/people", headers={"Accept": "application/json"}).status_code == 406
    assert call(drf_backend, "GET", "/people", headers={"Accept": "*/*"}).status_code == 200
    assert drf_backend.rows("person") == []


# --- all three ---------------------------------------------------------------------------------------


async def test_concurrent_writes_all_land(python_backend: RealBackend) -> None:
    """gunicorn serves each backend with 4 threads on one SQLite file: 12 concurrent creates all land."""
    dialect = python_backend.dialect
    path = "/people" if dialect == "jsonapi" else "/person"
    headers = {"Content-Type": "application/json"} if dialect == "restless-legacy" else JSONAPI_HEADERS

    def body(i: int) -> dict[str, Any]:
        if dialect == "restless-legacy":
            return {"name": f"P{i}"}
        return {"data": {"type": "people" if dialect == "jsonapi" else "person", "attributes": {"name": f"P{i}"}}}

    async with httpx.AsyncClient(base_url=python_backend.url, timeout=20) as client:
        answers = await asyncio.gather(*(client.post(path, content=json.dumps(body(i)), headers=headers) for i in range(12)))
    assert [a.status_code for a in answers] == [201] * 12
    assert sorted(p["name"] for p in python_backend.rows("person")) == sorted(f"P{i}" for i in range(12))
