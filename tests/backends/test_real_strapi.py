"""A real Strapi 5 (examples/strapi5), spoken to directly: the behaviours relgate's proxy relies on.

Each test pins what the real instance does (see ../shared/reference/strapi-as-backend.md); none goes
through relgate.  The ``strapi_backend`` fixture gives every test an empty instance.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.backends.strapi import StrapiBackend

DOCUMENT_ID = re.compile(r"^[a-z0-9]{24}$")


def error_of(resp: Any, status: int) -> dict[str, Any]:
    """The error member of a Strapi error answer, after checking the envelope and the status."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"data", "error"} and body["data"] is None, body
    error = body["error"]
    assert set(error) == {"status", "name", "message", "details"}, error
    assert error["status"] == status
    return error


def names(backend: StrapiBackend, collection: str, n: int, prefix: str = "") -> list[str]:
    """Create n entries named prefix+i; returns their documentIds in creation order."""
    return [backend.create(collection, {"name": f"{prefix}{collection}-{i}"})["documentId"] for i in range(n)]


def put(backend: StrapiBackend, collection: str, document_id: str, data: dict[str, Any]) -> Any:
    return backend.request("PUT", f"{collection}/{document_id}", json={"data": data})


# --- documentIds and the shape of answers -------------------------------------------------------


def test_entries_are_addressed_by_document_id_not_row_id(strapi_backend: StrapiBackend) -> None:
    entry = strapi_backend.create("people", {"name": "ada", "age": 36, "birth_date": "1815-12-10"})
    assert DOCUMENT_ID.match(entry["documentId"]), entry
    assert isinstance(entry["id"], int)
    assert {"createdAt", "updatedAt", "publishedAt"} <= set(entry)
    assert entry["birth_date"] == "1815-12-10"
    assert strapi_backend.get("people", entry["documentId"])["name"] == "ada"
    # A v5 URL takes documentIds only: the numeric row id is a 404.
    error = error_of(strapi_backend.request("GET", f"people/{entry['id']}"), 404)
    assert error["name"] == "NotFoundError"
    # The backend's own table holds the same documentId.
    assert strapi_backend.document_ids("people") == [entry["documentId"]]


def test_a_client_chosen_document_id_is_refused(strapi_backend: StrapiBackend) -> None:
    resp = strapi_backend.request("POST", "people", json={"data": {"documentId": "abc", "name": "x"}})
    error = error_of(resp, 400)
    assert error["name"] == "ValidationError"
    assert error["message"] == "Invalid key documentId"
    assert error["details"] == {"key": "documentId", "source": "body"}
    assert strapi_backend.count("people") == 0


def test_put_answers_without_relations_unless_populated(strapi_backend: StrapiBackend) -> None:
    (c1,) = names(strapi_backend, "categories", 1)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": {"connect": [c1]}})
    resp = put(strapi_backend, "restaurants", r["documentId"], {"name": "r2"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["meta"] == {} and body["data"]["name"] == "r2"
    assert "categories" not in body["data"]
    resp = strapi_backend.request(
        "PUT", f"restaurants/{r['documentId']}", params={"populate": "categories"}, json={"data": {"name": "r3"}}
    )
    assert [c["documentId"] for c in resp.json()["data"]["categories"]] == [c1]


def test_no_etag_and_no_conditional_requests(strapi_backend: StrapiBackend) -> None:
    p = strapi_backend.create("people", {"name": "p"})["documentId"]
    resp = strapi_backend.request("GET", f"people/{p}")
    assert "etag" not in resp.headers and "last-modified" not in resp.headers
    assert strapi_backend.request("GET", f"people/{p}", headers={"If-None-Match": "*"}).status_code == 200
    resp = strapi_backend.request("PUT", f"people/{p}", headers={"If-Match": '"bogus"'}, json={"data": {"name": "q"}})
    assert resp.status_code == 200
    assert strapi_backend.get("people", p)["name"] == "q"


def test_there_is_no_batch_endpoint(strapi_backend: StrapiBackend) -> None:
    assert strapi_backend.request("POST", "batch", json={}).status_code == 405


# --- to-many writes: connect, positions, disconnect, set ----------------------------------------


def test_create_with_connect_keeps_the_array_order(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "categories", 3)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": {"connect": [c3, c1, c2]}})
    assert strapi_backend.related("restaurants", r["documentId"], "categories") == [c3, c1, c2]
    # The inverse side lists the restaurant too.
    assert strapi_backend.related("categories", c1, "restaurants") == [r["documentId"]]
    assert len(strapi_backend.rows("SELECT * FROM restaurants_categories_lnk")) == 3


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ({"before": "c1"}, ["c3", "c1", "c2"]),
        ({"after": "c1"}, ["c1", "c3", "c2"]),
        ({"start": True}, ["c3", "c1", "c2"]),
        ({"end": True}, ["c1", "c2", "c3"]),
    ],
)
def test_connect_with_a_position(strapi_backend: StrapiBackend, position: dict[str, Any], expected: list[str]) -> None:
    ids = dict(zip(["c1", "c2", "c3"], names(strapi_backend, "categories", 3), strict=True))
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [ids["c1"], ids["c2"]]})["documentId"]
    anchor = {k: ids[v] if isinstance(v, str) else v for k, v in position.items()}
    resp = put(strapi_backend, "restaurants", r, {"categories": {"connect": [{"documentId": ids["c3"], "position": anchor}]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("restaurants", r, "categories") == [ids[k] for k in expected]


def test_a_position_anchor_that_is_not_connected_is_a_400_and_writes_nothing(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "categories", 3)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [c1]})["documentId"]
    resp = put(strapi_backend, "restaurants", r, {"categories": {"connect": [{"documentId": c2, "position": {"before": c3}}]}})
    error = error_of(resp, 400)
    assert error["name"] == "ValidationError"
    assert strapi_backend.related("restaurants", r, "categories") == [c1]


def test_reconnecting_a_connected_item_moves_it_to_the_end(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "categories", 3)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [c1, c2, c3]})["documentId"]
    resp = put(strapi_backend, "restaurants", r, {"categories": {"connect": [c1]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("restaurants", r, "categories") == [c2, c3, c1]
    # Still one link row per pair: a re-connect is not a duplicate.
    assert len(strapi_backend.rows("SELECT * FROM restaurants_categories_lnk")) == 3


def test_disconnect_and_disconnecting_what_is_not_connected(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "categories", 3)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [c1, c2]})["documentId"]
    assert put(strapi_backend, "restaurants", r, {"categories": {"disconnect": [c1]}}).status_code == 200
    assert strapi_backend.related("restaurants", r, "categories") == [c2]
    assert put(strapi_backend, "restaurants", r, {"categories": {"disconnect": [c3]}}).status_code == 200
    assert strapi_backend.related("restaurants", r, "categories") == [c2]


def test_disconnect_runs_before_connect(strapi_backend: StrapiBackend) -> None:
    c1, c2 = names(strapi_backend, "categories", 2)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [c1, c2]})["documentId"]
    resp = put(strapi_backend, "restaurants", r, {"categories": {"connect": [c1], "disconnect": [c1]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("restaurants", r, "categories") == [c2, c1]


def test_set_replaces_in_the_given_order_and_wins_over_connect(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "categories", 3)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [c1, c2]})["documentId"]
    assert put(strapi_backend, "restaurants", r, {"categories": {"set": [c3, c1]}}).status_code == 200
    assert strapi_backend.related("restaurants", r, "categories") == [c3, c1]
    # The shorthand array is a set.
    assert put(strapi_backend, "restaurants", r, {"categories": [c2]}).status_code == 200
    assert strapi_backend.related("restaurants", r, "categories") == [c2]
    resp = put(strapi_backend, "restaurants", r, {"categories": {"set": [c1], "connect": [c3], "disconnect": [c1]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("restaurants", r, "categories") == [c1]
    assert put(strapi_backend, "restaurants", r, {"categories": {"set": []}}).status_code == 200
    assert strapi_backend.related("restaurants", r, "categories") == []


def test_unordered_side_keeps_an_order_too(strapi_backend: StrapiBackend) -> None:
    r1, r2, r3 = names(strapi_backend, "restaurants", 3)
    c = strapi_backend.create("categories", {"name": "c", "restaurants": [r2, r3]})["documentId"]
    resp = put(strapi_backend, "categories", c, {"restaurants": {"connect": [{"documentId": r1, "position": {"start": True}}]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("categories", c, "restaurants") == [r1, r2, r3]


def test_a_mixed_key_pair_in_a_position_is_a_500(strapi_backend: StrapiBackend) -> None:
    cats = [strapi_backend.create("categories", {"name": f"c{i}"}) for i in range(2)]
    r = strapi_backend.create("restaurants", {"name": "r", "categories": [cats[0]["documentId"]]})["documentId"]
    item = {"id": cats[1]["id"], "position": {"before": cats[0]["documentId"]}}
    resp = put(strapi_backend, "restaurants", r, {"categories": {"connect": [item]}})
    assert resp.status_code == 500
    assert strapi_backend.related("restaurants", r, "categories") == [cats[0]["documentId"]]


# --- one-to-many and to-one ---------------------------------------------------------------------


def test_connecting_an_owned_computer_steals_it(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "computers", 3)
    p1 = strapi_backend.create("people", {"name": "p1", "computers": [c1, c2]})["documentId"]
    p2 = strapi_backend.create("people", {"name": "p2", "computers": [c3]})["documentId"]
    resp = put(strapi_backend, "people", p1, {"computers": {"connect": [{"documentId": c3, "position": {"before": c1}}]}})
    assert resp.status_code == 200, resp.text
    assert strapi_backend.related("people", p1, "computers") == [c3, c1, c2]
    assert strapi_backend.related("people", p2, "computers") == []
    assert strapi_backend.related("computers", c3, "owner") == p1


def test_set_on_a_person_drops_owners_and_steals(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "computers", 3)
    p1 = strapi_backend.create("people", {"name": "p1", "computers": [c1, c2]})["documentId"]
    p2 = strapi_backend.create("people", {"name": "p2", "computers": [c3]})["documentId"]
    assert put(strapi_backend, "people", p1, {"computers": {"set": [c3]}}).status_code == 200
    assert strapi_backend.related("people", p1, "computers") == [c3]
    assert strapi_backend.related("people", p2, "computers") == []
    assert strapi_backend.related("computers", c1, "owner") is None


def test_setting_the_owner_appends_at_the_end(strapi_backend: StrapiBackend) -> None:
    c1, c2, c3 = names(strapi_backend, "computers", 3)
    p = strapi_backend.create("people", {"name": "p", "computers": [c2, c1]})["documentId"]
    assert put(strapi_backend, "computers", c3, {"owner": p}).status_code == 200
    assert strapi_backend.related("people", p, "computers") == [c2, c1, c3]


@pytest.mark.parametrize("form", ["connect", "shorthand", "null", "empty"])
def test_to_one_write_forms(strapi_backend: StrapiBackend, form: str) -> None:
    p1, p2 = (strapi_backend.create("people", {"name": n})["documentId"] for n in ("p1", "p2"))
    a = strapi_backend.create("articles", {"title": "t", "author": p1})["documentId"]
    value = {"connect": {"connect": [p2]}, "shorthand": p2, "null": None, "empty": []}[form]
    assert put(strapi_backend, "articles", a, {"author": value}).status_code == 200
    expected = p2 if form in ("connect", "shorthand") else None
    assert strapi_backend.related("articles", a, "author") == expected
    assert strapi_backend.related("people", p1, "articles") == []


def test_to_one_connect_with_two_keeps_the_first(strapi_backend: StrapiBackend) -> None:
    p1, p2 = (strapi_backend.create("people", {"name": n})["documentId"] for n in ("p1", "p2"))
    a = strapi_backend.create("articles", {"title": "t"})["documentId"]
    assert put(strapi_backend, "articles", a, {"author": {"connect": [p1, p2]}}).status_code == 200
    assert strapi_backend.related("articles", a, "author") == p1


def test_to_one_shorthand_with_two_keeps_the_last_and_a_position_is_ignored(strapi_backend: StrapiBackend) -> None:
    p1, p2 = (strapi_backend.create("people", {"name": n})["documentId"] for n in ("p1", "p2"))
    a = strapi_backend.create("articles", {"title": "t"})["documentId"]
    assert put(strapi_backend, "articles", a, {"author": [p1, p2]}).status_code == 200
    assert strapi_backend.related("articles", a, "author") == p2
    item = {"documentId": p1, "position": {"before": p2}}
    assert put(strapi_backend, "articles", a, {"author": {"connect": [item]}}).status_code == 200
    assert strapi_backend.related("articles", a, "author") == p1


def test_to_one_disconnect(strapi_backend: StrapiBackend) -> None:
    p1, p2 = (strapi_backend.create("people", {"name": n})["documentId"] for n in ("p1", "p2"))
    a = strapi_backend.create("articles", {"title": "t", "author": p1})["documentId"]
    assert put(strapi_backend, "articles", a, {"author": {"disconnect": [p2]}}).status_code == 200
    assert strapi_backend.related("articles", a, "author") == p1
    assert put(strapi_backend, "articles", a, {"author": {"disconnect": [p1]}}).status_code == 200
    assert strapi_backend.related("articles", a, "author") is None


def test_one_way_relations_neither_steal_nor_are_unique(strapi_backend: StrapiBackend) -> None:
    (o,) = names(strapi_backend, "organizations", 1)
    a1 = strapi_backend.create("accounts", {"name": "a1", "organization": o})["documentId"]
    a2 = strapi_backend.create("accounts", {"name": "a2", "organization": o})["documentId"]
    assert strapi_backend.related("accounts", a1, "organization") == o
    assert strapi_backend.related("accounts", a2, "organization") == o
    (t,) = names(strapi_backend, "trunks", 1)
    g1 = strapi_backend.create("trunk-groups", {"name": "g1", "trunks": [t]})["documentId"]
    g2 = strapi_backend.create("trunk-groups", {"name": "g2", "trunks": [t]})["documentId"]
    assert strapi_backend.related("trunk-groups", g1, "trunks") == [t]
    assert strapi_backend.related("trunk-groups", g2, "trunks") == [t]


# --- deletes --------------------------------------------------------------------------------------


def test_delete_of_an_unknown_document_id_is_a_204(strapi_backend: StrapiBackend) -> None:
    resp = strapi_backend.request("DELETE", "people/doesnotexist000000000000")
    assert resp.status_code == 204
    assert resp.content == b""


def test_delete_removes_the_links_of_others(strapi_backend: StrapiBackend) -> None:
    (c,) = names(strapi_backend, "computers", 1)
    p = strapi_backend.create("people", {"name": "p", "computers": [c]})["documentId"]
    resp = strapi_backend.request("DELETE", f"people/{p}")
    assert resp.status_code == 204 and resp.content == b""
    assert strapi_backend.get("people", p) is None
    assert strapi_backend.related("computers", c, "owner") is None
    assert strapi_backend.rows("SELECT * FROM computers_owner_lnk") == []


def test_put_to_an_unknown_document_id_is_a_404(strapi_backend: StrapiBackend) -> None:
    error = error_of(put(strapi_backend, "people", "doesnotexist000000000000", {"name": "x"}), 404)
    assert error["name"] == "NotFoundError"
    assert strapi_backend.count("people") == 0


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"name": "r", "categories": {"connect": ["MISSING"]}},
        {"name": "r", "categories": {"set": ["MISSING"]}},
        {"name": "r", "categories": ["MISSING"]},
    ],
)
def test_a_missing_related_document_is_a_400_and_nothing_is_written(strapi_backend: StrapiBackend, data: dict[str, Any]) -> None:
    (c,) = names(strapi_backend, "categories", 1)
    rel = data["categories"]
    data["categories"] = {k: [c, *v] for k, v in rel.items()} if isinstance(rel, dict) else [c, *rel]
    error = error_of(strapi_backend.request("POST", "restaurants", json={"data": data}), 400)
    assert error["name"] == "ValidationError"
    assert error["message"] == 'Document with id "MISSING", locale "null" not found'
    assert error["details"] == {}
    assert strapi_backend.count("restaurants") == 0
    assert strapi_backend.rows("SELECT * FROM restaurants_categories_lnk") == []


def test_a_document_of_another_type_is_the_same_400(strapi_backend: StrapiBackend) -> None:
    p = strapi_backend.create("people", {"name": "p"})["documentId"]
    error = error_of(strapi_backend.request("POST", "restaurants", json={"data": {"name": "r", "categories": [p]}}), 400)
    assert error["message"] == f'Document with id "{p}", locale "null" not found'


def test_a_missing_numeric_id(strapi_backend: StrapiBackend) -> None:
    resp = strapi_backend.request("POST", "people", json={"data": {"name": "p", "computers": {"connect": [{"id": 999}]}}})
    error = error_of(resp, 400)
    assert error["message"] == "1 relation(s) of type api::computer.computer associated with this entity do not exist"
    assert error["details"]["errors"][0]["value"]["name"] == "p"
    assert strapi_backend.count("people") == 0


def test_a_duplicate_unique_value(strapi_backend: StrapiBackend) -> None:
    strapi_backend.create("people", {"name": "same"})
    error = error_of(strapi_backend.request("POST", "people", json={"data": {"name": "same"}}), 400)
    assert error["name"] == "ValidationError"
    assert error["message"] == "This attribute must be unique"
    first = error["details"]["errors"][0]
    assert first["path"] == ["name"] and first["message"] == "This attribute must be unique" and first["value"] == "same"
    assert strapi_backend.count("people") == 1


def test_a_bad_integer_and_a_bad_date(strapi_backend: StrapiBackend) -> None:
    error = error_of(strapi_backend.request("POST", "people", json={"data": {"name": "p", "age": "old"}}), 400)
    assert error["message"].startswith("age must be a `number` type, but the final value was: `NaN`")
    assert error["details"]["errors"][0]["path"] == ["age"]
    error = error_of(strapi_backend.request("POST", "people", json={"data": {"name": "p", "birth_date": "10.12.1815"}}), 400)
    assert error["message"] == "Invalid format, expected yyyy-MM-dd"
    assert error["details"] == {}
    assert strapi_backend.count("people") == 0


def test_datetimes_come_back_as_utc_milliseconds(strapi_backend: StrapiBackend) -> None:
    c = strapi_backend.create("computers", {"name": "c", "purchase_time": "2024-01-02T03:04:05.123456+02:00"})
    assert c["purchase_time"] == "2024-01-02T01:04:05.123Z"


# --- pages and populate -------------------------------------------------------------------------


def test_collections_are_cut_at_100_and_populate_is_not(strapi_backend: StrapiBackend) -> None:
    cats = names(strapi_backend, "categories", 150)
    r = strapi_backend.create("restaurants", {"name": "r", "categories": cats})["documentId"]

    resp = strapi_backend.request("GET", "categories", params={"pagination[pageSize]": 500})
    body = resp.json()
    assert len(body["data"]) == 100
    assert body["meta"]["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2, "total": 150}
    resp = strapi_backend.request("GET", "categories", params={"pagination[start]": 0, "pagination[limit]": 500})
    assert len(resp.json()["data"]) == 100
    resp = strapi_backend.request("GET", "categories", params={"pagination[limit]": -1})
    assert len(resp.json()["data"]) == 1

    assert strapi_backend.related("restaurants", r, "categories") == cats
    resp = strapi_backend.request("GET", f"restaurants/{r}", params={"populate": "categories"})
    assert len(resp.json()["data"]["categories"]) == 150
    error = error_of(strapi_backend.request("GET", f"restaurants/{r}", params={"populate[categories][limit]": 10}), 400)
    assert error["message"] == "Invalid key limit at categories"
    # The paged way goes through the other side, sorted by id rather than by the relation's order.
    put(strapi_backend, "restaurants", r, {"categories": {"connect": [{"documentId": cats[-1], "position": {"start": True}}]}})
    assert strapi_backend.related("restaurants", r, "categories")[0] == cats[-1]
    resp = strapi_backend.request(
        "GET", "categories", params={"filters[restaurants][documentId][$eq]": r, "pagination[pageSize]": 100}
    )
    assert [c["documentId"] for c in resp.json()["data"]] == cats[:100]


# --- the fixture itself ---------------------------------------------------------------------------


def test_reset_empties_every_collection(strapi_server: StrapiBackend) -> None:
    (c,) = names(strapi_server, "categories", 1, prefix="reset-")
    strapi_server.create("restaurants", {"name": "r", "categories": [c]})
    strapi_server.reset()
    assert strapi_server.entries("restaurants") == [] and strapi_server.entries("categories") == []
    assert strapi_server.get("categories", c) is None
    assert strapi_server.rows("SELECT * FROM restaurants_categories_lnk") == []
    # Strapi still writes after a reset underneath it.
    assert strapi_server.create("categories", {"name": "after"})["documentId"] != c
