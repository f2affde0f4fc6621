"""0.17 requests -> canonical batches (sans-IO: the codec alone, no store)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.config import Config, ConfigError
from relgate.dialects.restless_legacy import LegacyServer
from relgate.model import ProblemError
from relgate.notation import encode
from tests.dialects.restless_legacy_support import codec, request, with_options

PEOPLE_INCLUDE = {
    "@": "Query",
    "include": [["articles"], ["computers"]],
    "fields": {"articles": ["author", "title"], "computers": ["name", "owner", "purchase_time", "vendor"]},
}
COMPUTER_INCLUDE = {"@": "Query", "include": [["owner"]], "fields": {"people": ["age", "birth_date", "name"]}}


@pytest.fixture
def server(example_config: Config) -> LegacyServer:
    return codec(example_config)


def ops(server: LegacyServer, method: str, path: str, body: Any = None, **kw: Any) -> list[Any]:
    return encode(server.parse(request(method, path, body, **kw)).batch.ops)


def refuse(server: LegacyServer, method: str, path: str, body: Any = None, **kw: Any) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        server.parse(request(method, path, body, **kw))
    return info.value


# --- creating with nested objects --------------------------------------------------------------


def test_post_with_new_and_existing_to_many(server: LegacyServer) -> None:
    body = {"name": "Jeffrey", "age": 24, "computers": [{"name": "Inspiron", "vendor": "Dell"}, {"id": 1}, {"id": 2, "vendor": "Apple"}]}
    assert ops(server, "POST", "/legacy/api/person", body) == [
        {"@": "Create", "ref": "computers/lid:n0", "type": "computers", "attributes": {"name": "Inspiron", "vendor": "Dell"}},
        {"@": "Upsert", "ref": "computers/1", "type": "computers", "keys": ["id"]},
        {"@": "Upsert", "ref": "computers/2", "type": "computers", "keys": ["id"], "attributes": {"vendor": "Apple"}},
        {
            "@": "Create",
            "ref": "people/lid:n1",
            "type": "people",
            "attributes": {"name": "Jeffrey", "age": 24},
            "relationships": {"computers": ["computers/lid:n0", "computers/1", "computers/2"]},
        },
        {"@": "Get", "ref": "people/lid:n1", "query": PEOPLE_INCLUDE},
    ]


def test_post_with_to_one_new_and_existing(server: LegacyServer) -> None:
    assert ops(server, "POST", "/legacy/api/computer", {"name": "c", "owner": {"name": "New"}}) == [
        {"@": "Create", "ref": "people/lid:n0", "type": "people", "attributes": {"name": "New"}},
        {
            "@": "Create",
            "ref": "computers/lid:n1",
            "type": "computers",
            "attributes": {"name": "c"},
            "relationships": {"owner": "people/lid:n0"},
        },
        {"@": "Get", "ref": "computers/lid:n1", "query": COMPUTER_INCLUDE},
    ]
    got = ops(server, "POST", "/legacy/api/computer", {"name": "c", "owner": {"id": 3}})
    assert got[:2] == [
        {"@": "Upsert", "ref": "people/3", "type": "people", "keys": ["id"]},
        {
            "@": "Create",
            "ref": "computers/lid:n0",
            "type": "computers",
            "attributes": {"name": "c"},
            "relationships": {"owner": "people/3"},
        },
    ]
    got = ops(server, "POST", "/legacy/api/computer", {"name": "c", "owner_id": 3, "purchase_time": "2015-02-17T10:00:00"})
    assert got[0] == {
        "@": "Create",
        "ref": "computers/lid:n0",
        "type": "computers",
        "attributes": {"name": "c", "purchase_time": "2015-02-17T10:00:00"},
        "relationships": {"owner": "people/3"},
    }
    assert ops(server, "POST", "/legacy/api/computer", {"owner": None})[0]["relationships"] == {"owner": None}


def test_post_with_a_client_id_and_deeper_nesting(server: LegacyServer) -> None:
    body = {"id": 9, "name": "N", "computers": [{"name": "x", "owner": {"id": 2}}]}
    assert ops(server, "POST", "/legacy/api/person", body) == [
        {"@": "Upsert", "ref": "people/2", "type": "people", "keys": ["id"]},
        {
            "@": "Create",
            "ref": "computers/lid:n0",
            "type": "computers",
            "attributes": {"name": "x"},
            "relationships": {"owner": "people/2"},
        },
        {
            "@": "Create",
            "ref": "people/9",
            "type": "people",
            "attributes": {"name": "N"},
            "relationships": {"computers": ["computers/lid:n0"]},
        },
        {"@": "Get", "ref": "people/9", "query": PEOPLE_INCLUDE},
    ]


def test_post_null_body_creates_an_empty_row(server: LegacyServer) -> None:
    """0.17: ``request.get_json() or {}``."""
    assert ops(server, "POST", "/legacy/api/person", raw=b"null", headers={"Content-Type": "application/json"})[0] == {
        "@": "Create",
        "ref": "people/lid:n0",
        "type": "people",
    }


# --- updating ----------------------------------------------------------------------------------


def test_patch_add_and_remove(server: LegacyServer) -> None:
    body = {"age": 3, "computers": {"add": [{"name": "n"}, {"id": 3}], "remove": [{"id": 2}, {"name": "old", "__delete__": True}]}}
    assert ops(server, "PATCH", "/legacy/api/person/1", body) == [
        {"@": "Create", "ref": "computers/lid:n0", "type": "computers", "attributes": {"name": "n"}},
        {"@": "Upsert", "ref": "computers/3", "type": "computers", "keys": ["id"]},
        {"@": "Upsert", "ref": "computers/lid:n1", "type": "computers", "keys": ["name"], "attributes": {"name": "old"}},
        {"@": "Update", "ref": "people/1", "attributes": {"age": 3}},
        {"@": "Add", "ref": "people/1", "relationship": "computers", "targets": ["computers/lid:n0", "computers/3"]},
        {"@": "Remove", "ref": "people/1", "relationship": "computers", "targets": ["computers/2"], "require_present": True},
        {
            "@": "Remove",
            "ref": "people/1",
            "relationship": "computers",
            "targets": ["computers/lid:n1"],
            "delete_targets": True,
            "require_present": True,
        },
        {"@": "Get", "ref": "people/1", "query": PEOPLE_INCLUDE},
    ]


def test_patch_add_a_single_object(server: LegacyServer) -> None:
    got = ops(server, "PATCH", "/legacy/api/person/1", {"computers": {"add": {"id": 1}}})
    assert got[:2] == [
        {"@": "Upsert", "ref": "computers/1", "type": "computers", "keys": ["id"]},
        {"@": "Add", "ref": "people/1", "relationship": "computers", "targets": ["computers/1"]},
    ]


def test_patch_list_replaces(server: LegacyServer) -> None:
    body = {"computers": [{"id": 1}, {"id": 3, "name": "renamed"}, {"vendor": "Lenovo", "name": "ThinkPad"}], "articles": []}
    assert ops(server, "PUT", "/legacy/api/person/1", body)[:5] == [
        {"@": "Upsert", "ref": "computers/1", "type": "computers", "keys": ["id"]},
        {"@": "Upsert", "ref": "computers/3", "type": "computers", "keys": ["id"], "attributes": {"name": "renamed"}},
        {"@": "Create", "ref": "computers/lid:n0", "type": "computers", "attributes": {"vendor": "Lenovo", "name": "ThinkPad"}},
        {"@": "Replace", "ref": "people/1", "relationship": "computers", "targets": ["computers/1", "computers/3", "computers/lid:n0"]},
        {"@": "Replace", "ref": "people/1", "relationship": "articles", "targets": []},
    ]


def test_patch_to_one_by_object_null_or_column(server: LegacyServer) -> None:
    assert ops(server, "PATCH", "/legacy/api/computer/1", {"owner": None})[0] == {
        "@": "SetOne",
        "ref": "computers/1",
        "relationship": "owner",
        "target": None,
    }
    assert ops(server, "PATCH", "/legacy/api/computer/1", {"owner": {"id": 2, "age": 40}})[:2] == [
        {"@": "Upsert", "ref": "people/2", "type": "people", "keys": ["id"], "attributes": {"age": 40}},
        {"@": "SetOne", "ref": "computers/1", "relationship": "owner", "target": "people/2"},
    ]
    assert ops(server, "PATCH", "/legacy/api/computer/1", {"owner_id": 2})[0] == {
        "@": "SetOne",
        "ref": "computers/1",
        "relationship": "owner",
        "target": "people/2",
    }


def test_patch_empty_body_just_reads(server: LegacyServer) -> None:
    assert ops(server, "PATCH", "/legacy/api/person/1", {}) == [{"@": "Get", "ref": "people/1", "query": PEOPLE_INCLUDE}]


def test_bulk_patch_and_put_take_q_from_the_body(server: LegacyServer) -> None:
    body = {"age": 1, "q": {"filters": [{"name": "name", "op": "like", "val": "%y%"}]}}
    expected = [
        {
            "@": "UpdateWhere",
            "type": "people",
            "where": {"@": "Cmp", "field": "name", "op": "like", "value": "%y%"},
            "attributes": {"age": 1},
        }
    ]
    assert ops(server, "PATCH", "/legacy/api/person", body) == expected
    assert ops(server, "PUT", "/legacy/api/person", body) == expected
    assert ops(server, "PATCH", "/legacy/api/person", {"age": 2}) == [
        {"@": "UpdateWhere", "type": "people", "where": None, "attributes": {"age": 2}}
    ]
    assert ops(server, "PATCH", "/legacy/api/person", {"q": {}}) == []  # nothing to set: 0.17 modifies nothing


def test_bulk_delete_and_relation_delete(server: LegacyServer) -> None:
    q = json.dumps({"filters": [{"name": "age", "op": "lt", "val": 18}]})
    assert ops(server, "DELETE", f"/legacy/api/person?q={q}") == [
        {"@": "DeleteWhere", "type": "people", "where": {"@": "Cmp", "field": "age", "op": "lt", "value": 18}}
    ]
    assert ops(server, "DELETE", "/legacy/api/person") == [{"@": "DeleteWhere", "type": "people", "where": None}]
    assert ops(server, "DELETE", "/legacy/api/person/1") == [{"@": "Delete", "ref": "people/1"}]
    assert ops(server, "DELETE", "/legacy/api/person/1/computers/5") == [
        {"@": "Remove", "ref": "people/1", "relationship": "computers", "targets": ["computers/5"], "require_present": True}
    ]


# --- reading ---------------------------------------------------------------------------------


def test_search_is_one_list_with_a_count(server: LegacyServer) -> None:
    q = json.dumps({"filters": [{"name": "computers__vendor", "op": "any", "val": "Apple"}], "limit": 5, "offset": 1})
    assert ops(server, "GET", f"/legacy/api/person?q={q}&page=2&results_per_page=2") == [
        {
            "@": "List",
            "type": "people",
            "query": {
                **PEOPLE_INCLUDE,
                "where": {
                    "@": "Related",
                    "relationship": "computers",
                    "where": {"@": "Cmp", "field": "vendor", "op": "eq", "value": "Apple"},
                },
                "page": {"@": "Page", "offset": 3, "limit": 2},
                "count": True,
            },
        }
    ]


def test_pages_past_the_limit_fetch_nothing(server: LegacyServer) -> None:
    q = json.dumps({"limit": 3})
    got = ops(server, "GET", f"/legacy/api/person?q={q}&page=2&results_per_page=2")
    assert got[0]["query"]["page"] == {"@": "Page", "offset": 2, "limit": 1}
    got = ops(server, "GET", f"/legacy/api/person?q={q}&page=3&results_per_page=2")
    assert got[0]["query"]["page"] == {"@": "Page", "offset": 4, "limit": 0}


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("", {"@": "Page", "limit": 10}),
        ("results_per_page=3&page=2", {"@": "Page", "offset": 3, "limit": 3}),
        ("results_per_page=-1", {"@": "Page", "limit": 10}),  # 0.17 test_results_per_page
        ("results_per_page=abc", {"@": "Page", "limit": 10}),
        ("results_per_page=1000", {"@": "Page", "limit": 100}),  # capped at max_results_per_page
    ],
)
def test_results_per_page(server: LegacyServer, query: str, page: dict[str, Any]) -> None:
    assert ops(server, "GET", f"/legacy/api/person?{query}")[0]["query"]["page"] == page


def test_single_asks_for_two_rows(server: LegacyServer) -> None:
    q = json.dumps({"single": True, "filters": [{"name": "name", "op": "eq", "val": "Mary"}]})
    got = ops(server, "GET", f"/legacy/api/person?q={q}")
    assert got[0]["query"]["page"] == {"@": "Page", "limit": 2}
    assert "count" not in got[0]["query"]


def test_relation_urls(server: LegacyServer) -> None:
    assert ops(server, "GET", "/legacy/api/person/1/computers?page=2&results_per_page=1") == [
        {
            "@": "GetRelated",
            "ref": "people/1",
            "relationship": "computers",
            "query": {**COMPUTER_INCLUDE, "page": {"@": "Page", "offset": 1, "limit": 1}, "count": True},
        }
    ]
    assert ops(server, "GET", "/legacy/api/computer/1/owner") == [
        {"@": "GetRelated", "ref": "computers/1", "relationship": "owner", "query": PEOPLE_INCLUDE}
    ]
    assert ops(server, "GET", "/legacy/api/person/1/computers/7") == [
        {"@": "Get", "ref": "people/1", "query": {"@": "Query", "fields": {"people": []}}},
        {"@": "Get", "ref": "computers/7", "query": COMPUTER_INCLUDE},
    ]


def test_eval(server: LegacyServer) -> None:
    q = json.dumps(
        {"functions": [{"name": "sum", "field": "age"}, {"name": "count", "field": "id"}, {"name": "max", "field": "birth_date"}]}
    )
    assert ops(server, "GET", f"/legacy/api/eval/person?q={q}") == [
        {"@": "Aggregate", "type": "people", "functions": [["sum", "age"], ["count", "id"], ["max", "birth_date"]]}
    ]
    assert ops(server, "GET", "/legacy/api/eval/person?q={}") == []
    assert ops(server, "GET", '/legacy/api/eval/person?q={"functions": []}') == []


# --- routes and methods ------------------------------------------------------------------------


def restricted(example_config: Config) -> LegacyServer:
    options = {
        "defaults": {"methods": ["GET", "POST", "PATCH", "DELETE"], "allow_patch_many": True},
        "collections": {"article": {"methods": ["GET"]}, "computer": {"allow_functions": True, "allow_delete_many": True}},
    }
    return codec(with_options(example_config, options))


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/legacy/api/article", "GET, HEAD, OPTIONS"),
        ("PATCH", "/legacy/api/article/1", "GET, HEAD, OPTIONS"),
        ("DELETE", "/legacy/api/person", "GET, HEAD, OPTIONS, PATCH, POST, PUT"),
        ("PUT", "/legacy/api/person/1", "DELETE, GET, HEAD, OPTIONS, PATCH"),
        ("POST", "/legacy/api/person/1", "DELETE, GET, HEAD, OPTIONS, PATCH"),
        ("POST", "/legacy/api/person/1/computers", "GET, HEAD, OPTIONS, PATCH, PUT"),
        ("DELETE", "/legacy/api/person/1/computers", "GET, HEAD, OPTIONS, PATCH, PUT"),
        ("POST", "/legacy/api/eval/computer", "GET, HEAD, OPTIONS"),
    ],
)
def test_methods_not_routed_are_405_with_allow(example_config: Config, method: str, path: str, allow: str) -> None:
    error = refuse(restricted(example_config), method, path, {} if method != "DELETE" else None)
    assert error.status == 405
    assert error.headers == {"Allow": allow}


def test_routes_that_do_not_exist_are_404(example_config: Config) -> None:
    server = restricted(example_config)
    for path in (
        "/legacy/api/eval/person",
        "/legacy/api/nosuch",
        "/legacy/api/person/",
        "/legacy/api/person/1/computers/2/x",
        "/legacy/api",
    ):
        error = refuse(server, "GET", path)
        assert error.status == 404, path
    assert encode(server.parse(request("GET", "/legacy/api/eval/computer?q={}")).batch.ops) == []
    assert encode(server.parse(request("DELETE", "/legacy/api/computer")).batch.ops) == [
        {"@": "DeleteWhere", "type": "computers", "where": None}
    ]


def test_default_settings_are_0_17s_get_only(example_config: Config) -> None:
    server = codec(with_options(example_config, {}))
    assert encode(server.parse(request("GET", "/legacy/api/person/1")).batch.ops)[0]["@"] == "Get"
    assert refuse(server, "POST", "/legacy/api/person", {}).headers == {"Allow": "GET, HEAD, OPTIONS"}
    assert refuse(server, "GET", "/legacy/api/eval/person?q={}").status == 404


def test_only_listed(example_config: Config) -> None:
    server = codec(with_options(example_config, {"only_listed": True, "collections": {"person": {}}}))
    assert refuse(server, "GET", "/legacy/api/computer").status == 404
    assert server.parse(request("GET", "/legacy/api/person")).batch.ops


def test_bad_options_are_config_errors(example_config: Config) -> None:
    options = {
        "results_per_page": -1,
        "nosuch": 1,
        "collections": {"people": {}, "person": {"methods": ["GET", "FETCH"], "allow_functions": "yes"}},
    }
    with pytest.raises(ConfigError) as info:
        codec(with_options(example_config, options))
    text = str(info.value)
    for fragment in (
        "results_per_page: must be a non-negative integer",
        "nosuch: unknown key",
        "collections.people: no type is called",
        "FETCH",
        "allow_functions: must be bool",
    ):
        assert fragment in text


def test_options_head_and_head_like_get(server: LegacyServer) -> None:
    intent = server.parse(request("OPTIONS", "/legacy/api/person/1"))
    assert intent.batch.ops == ()
    assert encode(server.parse(request("HEAD", "/legacy/api/person/1")).batch.ops)[0]["@"] == "Get"


# --- bad input: a 400 naming the field, before anything runs -----------------------------------

BAD_BODIES = [
    ("POST", "/legacy/api/person", {"name": "x", "nosuch": 1}, "Model does not have field 'nosuch'"),
    ("PATCH", "/legacy/api/person/1", {"nosuch": 1}, "Model does not have field 'nosuch'"),
    ("PATCH", "/legacy/api/person/1", {"q": {}}, "Model does not have field 'q'"),
    ("PATCH", "/legacy/api/person/1", {"age": "old"}, "age: 'age' must be an integer"),
    ("POST", "/legacy/api/person", {"birth_date": "not a date"}, "birth_date: 'birth_date' must be a date"),
    ("POST", "/legacy/api/person", {"computers": {"name": "x"}}, "computers: 'computers' is a to-many relation; give a list"),
    ("POST", "/legacy/api/person", {"computers": [1]}, "computers[0]: a related computer must be given as an object"),
    ("POST", "/legacy/api/person", {"computers": [{"name": "x", "title": "t"}]}, "computers[0]: computer does not have field 'title'"),
    ("POST", "/legacy/api/person", {"computers": [{"id": "abc"}]}, "computers[0].id: 'abc' is not a valid integer id"),
    ("POST", "/legacy/api/computer", {"owner": [{"id": 1}]}, "owner: 'owner' is a to-one relation; give an object or null"),
    ("POST", "/legacy/api/computer", {"owner": {"title": "x"}}, "owner: person does not have field 'title'"),
    ("POST", "/legacy/api/computer", {"owner": {"id": 1}, "owner_id": 1}, "give 'owner' or 'owner_id', not both"),
    ("PATCH", "/legacy/api/computer/1", {"owner": {"add": [{"id": 1}]}}, "owner: add / remove apply to to-many relations"),
    ("PATCH", "/legacy/api/computer/1", {"owner": {"remove": [{"id": 1}]}}, "owner: add / remove apply to to-many relations"),
    ("PATCH", "/legacy/api/computer/1", {"owner": [{"id": 1}]}, "'owner' is a to-one relation"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"id": 3}}, "'computers' is a to-many relation; give a list, or an object"),
    ("PATCH", "/legacy/api/person/1", {"computers": None}, "'computers' is a to-many relation"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"add": [], "replace": []}}, "computers.replace: unknown key 'replace'"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"add": 3}}, "computers.add: give a list of objects"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": {"id": 3}}}, "computers.remove: give a list of objects"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": [3]}}, "computers.remove[0]: a remove item must be an object"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": [{}]}}, "computers.remove[0]: a remove item needs an id or the fields"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": [{"id": 1, "__delete__": "yes"}]}}, "__delete__: must be true or false"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": [{"nosuch": 1}]}}, "computer has no field 'nosuch'"),
    ("PATCH", "/legacy/api/person/1", {"computers": {"remove": [{"owner": {"id": 1}}]}}, "names its row by id or by attributes"),
    (
        "PATCH",
        "/legacy/api/person/1",
        {"computers": {"add": [{"id": 1, "vendor": 5}]}},
        "computers.add[0].vendor: 'vendor' must be a string",
    ),
    ("PATCH", "/legacy/api/person/1", {"id": 2}, "id: the body's id 2 differs from the URL's '1'"),
    ("PATCH", "/legacy/api/person", {"computers": []}, "a bulk PATCH sets attributes only"),
    ("PATCH", "/legacy/api/person", {"nosuch": 1}, "Model does not have field 'nosuch'"),
    ("PATCH", "/legacy/api/person", {"age": 1, "q": {"filters": [{"name": "x", "op": "eq", "val": 1}]}}, "person has no field 'x'"),
    ("PATCH", "/legacy/api/person", {"age": 1, "q": {"order_by": [{"field": "age"}]}}, "unknown key 'order_by' for a bulk PATCH"),
]


@pytest.mark.parametrize(("method", "path", "body", "says"), BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
def test_bad_bodies(server: LegacyServer, method: str, path: str, body: Any, says: str) -> None:
    error = refuse(server, method, path, body)
    assert error.status == 400
    status, doc = server.errors.status_and_body(error)
    assert status == 400
    assert says in doc["message"], doc


def test_post_unknown_field_also_says_validation_errors(server: LegacyServer) -> None:
    status, doc = server.errors.status_and_body(refuse(server, "POST", "/legacy/api/person", {"nosuch": 1}))
    assert (status, doc) == (
        400,
        {"message": "Model does not have field 'nosuch'", "validation_errors": {"nosuch": "Model does not have field 'nosuch'"}},
    )


BAD_REQUESTS = [
    ("GET", "/legacy/api/person?page=abc", None, None, "page must be a positive integer, not 'abc'"),
    ("GET", "/legacy/api/person?page=0", None, None, "page must be a positive integer, not '0'"),
    ("GET", "/legacy/api/person?q={bad", None, None, "q is not valid JSON"),
    ("GET", "/legacy/api/person?q=", None, None, "q is not valid JSON"),
    ("GET", "/legacy/api/person/1/nosuch", None, None, "person has no relation 'nosuch'"),
    ("GET", "/legacy/api/person/1/computers?q={}", None, None, "q applies to collection URLs only"),
    ("GET", "/legacy/api/person?callback=alert(1)", None, None, "callback must be a JavaScript function name"),
    ("DELETE", "/legacy/api/person/1/computers", None, None, 'Cannot DELETE entire "computers" relation'),
    ("DELETE", "/legacy/api/computer/1/owner/1", None, None, "'owner' is a to-one relation; unset it with PATCH"),
    ("DELETE", "/legacy/api/person?q={bad", None, None, "Unable to decode search query"),
    ("PATCH", "/legacy/api/person/1/computers", {"name": "x"}, None, "PATCH on a relation URL is not supported"),
    ("PATCH", "/legacy/api/person?q={}", {"age": 1}, None, "A bulk PATCH takes its search in the body"),
    ("POST", "/legacy/api/person", None, b"", "the request body is empty"),
    ("POST", "/legacy/api/person", None, b"{nope", "The request body is not valid JSON"),
    ("POST", "/legacy/api/person", None, b"[1]", "The request body must be a JSON object, not list"),
    ("GET", "/legacy/api/eval/person", None, None, "Empty query parameter"),
    ("GET", "/legacy/api/eval/person?q=[1]", None, None, 'q must be a JSON object with a "functions" list'),
    ("GET", '/legacy/api/eval/person?q={"functions":[{"name":"median","field":"age"}]}', None, None, 'No such function "median"'),
    ("GET", '/legacy/api/eval/person?q={"functions":[{"name":"sum","field":"nosuch"}]}', None, None, 'No such field "nosuch"'),
    ("GET", '/legacy/api/eval/person?q={"functions":[{"name":"sum","field":"name"}]}', None, None, 'non-numeric field "name"'),
    ("GET", '/legacy/api/eval/person?q={"functions":[{"name":"sum"}]}', None, None, 'string "name" and "field"'),
    ("GET", '/legacy/api/eval/person?q={"functions":[],"filters":[]}', None, None, "unknown key 'filters' in q for /eval"),
]


@pytest.mark.parametrize(("method", "path", "body", "raw", "says"), BAD_REQUESTS, ids=[str(i) for i in range(len(BAD_REQUESTS))])
def test_bad_requests(server: LegacyServer, method: str, path: str, body: Any, raw: bytes | None, says: str) -> None:
    headers = {"Content-Type": "application/json"} if raw is not None or body is not None else None
    error = refuse(server, method, path, body, raw=raw, headers=headers)
    status, doc = server.errors.status_and_body(error)
    assert status == 400
    assert says in doc["message"] or says in doc.get("detail", ""), doc


UNDECODABLE = [
    ("GET", "/legacy/api/person?q={bad", None, "Unable to decode data", "q is not valid JSON"),
    ("POST", "/legacy/api/person", b"{nope", "Unable to decode data", "The request body is not valid JSON"),
    ("POST", "/legacy/api/person", b"", "Unable to decode data", "the request body is empty"),
    ("PATCH", "/legacy/api/person", b'{"q": ', "Unable to decode data", "The request body is not valid JSON"),
    ("DELETE", "/legacy/api/person?q={bad", None, "Unable to decode search query", "q is not valid JSON"),
]


@pytest.mark.parametrize(("method", "path", "raw", "message", "reason"), UNDECODABLE, ids=[str(i) for i in range(len(UNDECODABLE))])
def test_undecodable_input_is_0_17s_exact_message(
    server: LegacyServer, method: str, path: str, raw: bytes | None, message: str, reason: str
) -> None:
    """0.17 answers exactly ``{"message": "Unable to decode data"}``; relgate's reason is a second member."""
    headers = {"Content-Type": "application/json"} if raw is not None else None
    status, doc = server.errors.status_and_body(refuse(server, method, path, raw=raw, headers=headers))
    assert status == 400
    assert set(doc) == {"message", "detail"} and doc["message"] == message, doc
    assert doc["detail"].startswith(reason), doc


def test_content_type_must_be_json(server: LegacyServer) -> None:
    for headers in ({"Content-Type": "text/plain"}, {}):
        error = refuse(server, "POST", "/legacy/api/person", raw=b'{"name": "x"}', headers=headers)
        assert server.errors.status_and_body(error) == (415, {"message": 'Request must have "Content-Type: application/json" header'})
    assert server.parse(request("PATCH", "/legacy/api/person/1", raw=b"{}", headers={"Content-Type": "application/json; charset=utf-8"}))


def test_missing_instance_ids_are_404_empty(server: LegacyServer) -> None:
    for method, path in (
        ("GET", "/legacy/api/person/abc"),
        ("DELETE", "/legacy/api/person/-1"),
        ("GET", "/legacy/api/person/1/computers/x"),
    ):
        assert server.errors.status_and_body(refuse(server, method, path)) == (404, {})
