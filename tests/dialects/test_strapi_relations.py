"""Requests -> canonical batches (no store): every relation form, and the bad ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.config import Config, Route, ServerConfig
from relgate.dialects.strapi import StrapiServer
from relgate.model import Add, After, Before, HttpRequest, Ident, ProblemError, Remove, Replace, SetOne
from tests.dialects.strapi_support import describe


@pytest.fixture(scope="module")
def server(example_config: Config) -> StrapiServer:
    return StrapiServer(example_config.schema, Route("/strapi/api", "strapi"), ServerConfig())


def doc(server: StrapiServer, type_: str, id_: int | str) -> str:
    return server.ids.encode(type_, str(id_))


def put(server: StrapiServer, data: Any, type_: str = "restaurants", id_: int = 1, query: str = "") -> list[str]:
    request = HttpRequest("PUT", f"/{type_}/{doc(server, type_, id_)}", query, {}, json.dumps({"data": data}).encode())
    return [describe(op) for op in server.parse(request).batch.ops]


def error(server: StrapiServer, method: str, path: str, body: Any = None, query: str = "") -> dict[str, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    with pytest.raises(ProblemError) as err:
        server.parse(HttpRequest(method, path, query, {}, raw))
    response = server.render_error(err.value, HttpRequest(method, path, query, {}, raw))
    return {"status": response.status, **json.loads(response.body)["error"]}


def cats(server: StrapiServer, *ids: int) -> list[str]:
    return [doc(server, "categories", i) for i in ids]


U, G, RC = "Exists(restaurants/1)", "Get(restaurants/1)", "restaurants/1.categories"


def test_full_replacements(server: StrapiServer) -> None:
    c1, c2 = cats(server, 1, 2)
    assert put(server, {"categories": None}) == [U, f"Replace({RC}, [])", G]
    assert put(server, {"categories": []}) == [U, f"Replace({RC}, [])", G]
    assert put(server, {"categories": c1}) == [U, f"Replace({RC}, [categories/1])", G]
    assert put(server, {"categories": 2}) == [U, f"Replace({RC}, [categories/2])", G]
    assert put(server, {"categories": {"documentId": c2}}) == [U, f"Replace({RC}, [categories/2])", G]
    assert put(server, {"categories": {"id": 7}}) == [U, f"Replace({RC}, [categories/7])", G]
    assert put(server, {"categories": [c2, c1, c2, {"id": 1}]}) == [U, f"Replace({RC}, [categories/2, categories/1])", G]
    assert put(server, {"categories": {"set": [c2, {"documentId": c1}]}}) == [U, f"Replace({RC}, [categories/2, categories/1])", G]
    assert put(server, {"categories": {"set": c1}}) == [U, f"Replace({RC}, [categories/1])", G]
    assert put(server, {"categories": {"set": []}, "name": "x"}) == ["Update(restaurants/1, name='x')", f"Replace({RC}, [])", G]


def test_partial_updates(server: StrapiServer) -> None:
    c1, c2, c3 = cats(server, 1, 2, 3)
    assert put(server, {"categories": {"connect": [c1, {"documentId": c2}]}}) == [
        U,
        f"Add({RC}, [categories/1], End)",
        f"Add({RC}, [categories/2], End)",
        G,
    ]
    assert put(server, {"categories": {"connect": [{"documentId": c3, "position": {"after": c1}}], "disconnect": [2, c1]}}) == [
        U,
        "Exists(categories/1)",
        f"Add({RC}, [categories/3], After(categories/1))",
        f"Remove({RC}, [categories/2, categories/1])",
        G,
    ]
    assert put(server, {"categories": {"connect": [{"documentId": c3, "position": {"before": c2}}], "options": {"strict": False}}}) == [
        U,
        "Exists(categories/2)",
        f"Add({RC}, [categories/3], Before(categories/2, strict=False))",
        G,
    ]
    # positions: start / end / JavaScript truthiness decides which key counts
    assert put(server, {"categories": {"connect": [{"id": 1, "position": {"start": True}}, {"id": 2, "position": {"end": True}}]}})[
        1:3
    ] == [
        f"Add({RC}, [categories/1], Start)",
        f"Add({RC}, [categories/2], End)",
    ]
    assert put(server, {"categories": {"connect": [{"id": 1, "position": {"before": None, "after": 2}}, {"id": 3, "position": {}}]}})[
        1:3
    ] == [
        f"Add({RC}, [categories/1], After(categories/2))",
        f"Add({RC}, [categories/3], End)",
    ]
    assert put(server, {"categories": {}}) == [U, G]
    assert put(server, {"categories": {"set": None}}) == [U, G]
    assert put(server, {"categories": {"connect": None, "disconnect": []}}) == [U, G]


def test_forward_anchors_go_as_one_add_with_positions(server: StrapiServer, example_config: Config) -> None:
    ops = server.parse(
        HttpRequest(
            "PUT",
            f"/restaurants/{doc(server, 'restaurants', 1)}",
            "",
            {},
            json.dumps(
                {"data": {"categories": {"connect": [{"id": 5, "position": {"before": 1}}, {"id": 1, "position": {"after": 2}}]}}}
            ).encode(),
        )
    ).batch.ops
    (add,) = [op for op in ops if isinstance(op, Add)]
    c = {i: Ident("categories", str(i)) for i in (1, 2, 5)}
    assert add.targets == (c[5], c[1]) and add.position is None
    assert add.positions == (Before(c[1]), After(c[2]))
    assert add.positions[0].anchor.at == ("data", "categories", "connect", 0, "position", "before")  # type: ignore[union-attr]


def test_to_one(server: StrapiServer) -> None:
    p1, p2 = doc(server, "people", 1), doc(server, "people", 2)
    ua, ga = "Exists(articles/1)", "Get(articles/1)"
    assert put(server, {"author": p1}, "articles") == [ua, "SetOne(articles/1.author, people/1)", ga]
    assert put(server, {"author": None}, "articles") == [ua, "SetOne(articles/1.author, None)", ga]
    assert put(server, {"author": []}, "articles") == [ua, "SetOne(articles/1.author, None)", ga]
    assert put(server, {"author": [1, 2]}, "articles") == [ua, "Exists(people/1)", "SetOne(articles/1.author, people/2)", ga]
    assert put(server, {"author": {"connect": [p1, {"documentId": p2, "position": {"before": p1}}]}}, "articles") == [
        ua,
        "Exists(people/1)",
        "SetOne(articles/1.author, people/2)",
        ga,
    ]
    assert put(server, {"author": {"disconnect": [p1]}}, "articles") == [
        ua,
        "Exists(people/1)",
        "Remove(articles/1.author, [people/1])",
        ga,
    ]
    assert put(server, {"author": {"disconnect": [3]}}, "articles") == [ua, "Remove(articles/1.author, [people/3])", ga]
    assert put(server, {"author": {"connect": [p2], "disconnect": [p1]}}, "articles") == [
        ua,
        "Exists(people/1)",
        "SetOne(articles/1.author, people/2)",
        ga,
    ]


def test_create(server: StrapiServer) -> None:
    body = {"data": {"name": "R", "categories": {"connect": [{"id": 1, "position": {"after": 2}}], "options": {"strict": False}}}}
    ops = server.parse(HttpRequest("POST", "/restaurants", "", {}, json.dumps(body).encode())).batch.ops
    assert [describe(o) for o in ops] == [
        "Create(restaurants/lid:strapi-new, name='R')",
        "Add(restaurants/lid:strapi-new.categories, [categories/1], After(categories/2))",  # strict: options are ignored on create
        "Get(restaurants/lid:strapi-new)",
    ]
    assert ops[1].position.strict is True  # type: ignore[attr-defined]


def test_reads_and_deletes(server: StrapiServer, example_config: Config) -> None:
    d = doc(server, "restaurants", 9)
    assert [describe(o) for o in server.parse(HttpRequest("GET", "/restaurants", "", {})).batch.ops] == ["List(restaurants)"]
    assert [describe(o) for o in server.parse(HttpRequest("GET", f"/restaurants/{d}/", "", {})).batch.ops] == ["Get(restaurants/9)"]
    assert [describe(o) for o in server.parse(HttpRequest("DELETE", f"/restaurants/{d}", "", {})).batch.ops] == ["Delete(restaurants/9)"]
    v4 = StrapiServer(example_config.schema, Route("/s4", "strapi", options={"response_format": "v4"}), ServerConfig())
    assert [describe(o) for o in v4.parse(HttpRequest("DELETE", "/restaurants/9", "", {})).batch.ops] == [
        "Get(restaurants/9)",
        "Delete(restaurants/9)",
    ]
    assert [describe(o) for o in v4.parse(HttpRequest("GET", f"/restaurants/{d}", "", {})).batch.ops] == ["Get(restaurants/9)"]
    assert [describe(o) for o in server.parse(HttpRequest("GET", "/trunk-groups", "", {})).batch.ops] == ["List(trunk_groups)"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"categories": {"connect": [{"id": 1}, {"id": 1, "position": {"start": True}}]}},
            "The relation with id 1 is already connected. You cannot connect the same relation twice.",
        ),
        (
            {"categories": {"connect": [{"id": 1, "position": {"after": 1}}]}},
            "The relation with id 1 cannot be connected after itself: a position needs another relation as anchor.",
        ),
        (
            {"categories": {"connect": [{"id": 1, "position": "end"}]}},
            'Invalid position for categories: expected an object like {"before": id} or {"end": true}',
        ),
        (
            {"categories": {"connect": [{"id": 1, "position": {"before": [2]}}]}},
            "Invalid position for categories: before takes an id (the item it positions is given by id), not an array",
        ),
        ({"categories": {"connect": [{"id": 1.5}]}}, "Invalid id at categories.connect.0: expected a number"),
        ({"categories": {"connect": [{"id": -1}]}}, "Invalid id at categories.connect.0: -1 is not a valid number"),
        ({"categories": {"connect": [{"documentId": 5}]}}, "Invalid documentId at categories.connect.0: expected a string"),
        (
            {"categories": {"connect": [1.5]}},
            "Invalid relation at categories.connect.0: expected a documentId, an id or an object with one",
        ),
        ({"categories": {"connect": ["nope"]}}, 'Document with id "nope", locale "null" not found'),
        ({"categories": {"options": "strict"}}, "Invalid key categories at categories.options: options must be an object"),
        (
            {"categories": {"options": {"strict": "yes"}}},
            "Invalid key strict at categories.options.strict: the only option is strict, a boolean",
        ),
        ({"categories": {"add": [1]}}, "Invalid key add at categories.add"),
        ({"categories": True}, "Invalid relation at categories: expected a documentId, an id or an object with one"),
        ({"documentId": "x"}, "Invalid key documentId"),
        ({"createdAt": "2024-01-01", "stars": 1}, "Invalid key stars"),
    ],
)
def test_bad_relation_values(server: StrapiServer, data: Any, message: str) -> None:
    e = error(server, "PUT", f"/restaurants/{doc(server, 'restaurants', 1)}", {"data": data})
    assert (e["status"], e["name"], e["message"]) == (400, "ValidationError", message)


def test_attribute_errors_are_yup_errors(server: StrapiServer) -> None:
    e = error(server, "POST", "/people", {"data": {"name": 3, "age": 1.5, "birth_date": "soon"}})
    assert e["message"] == "3 errors occurred"
    assert e["details"]["errors"] == [
        {"path": ["name"], "message": "name must be a `string` type, but the final value was: `3`.", "name": "ValidationError"},
        {"path": ["age"], "message": "age must be an integer", "name": "ValidationError"},
        {
            "path": ["birth_date"],
            "message": 'birth_date must be a `date` type, but the final value was: `"soon"`.',
            "name": "ValidationError",
        },
    ]


def test_routing_errors(server: StrapiServer) -> None:
    assert error(server, "GET", "/nope")["status"] == 404
    assert error(server, "GET", "/restaurants/1/categories")["status"] == 404
    assert error(server, "GET", "/")["status"] == 404
    e = error(server, "PATCH", "/restaurants")
    assert (e["status"], e["name"], e["message"]) == (405, "MethodNotAllowedError", "Method Not Allowed")
    with pytest.raises(ProblemError) as err:
        server.parse(HttpRequest("PATCH", "/restaurants/x", "", {}))
    assert err.value.headers == {"allow": "GET, PUT, DELETE"}


def test_route_options_are_checked(example_config: Config) -> None:
    for options, message in [
        ({"response_format": "v3"}, "options.response_format: must be 'v5' or 'v4'"),
        ({"default_limit": 0}, "options.default_limit: must be a positive integer"),
        ({"with_count": "yes"}, "options.with_count: must be a boolean"),
        ({"colour": "blue"}, "options.colour: unknown option"),
        ({"max_limt": 5}, r"options.max_limt: unknown option \(did you mean 'max_limit'\?\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            StrapiServer(example_config.schema, Route("/s", "strapi", options=options), ServerConfig())


def test_ops_are_canonical_values(server: StrapiServer) -> None:
    ops = server.parse(
        HttpRequest(
            "PUT", f"/restaurants/{doc(server, 'restaurants', 1)}", "", {}, json.dumps({"data": {"categories": {"set": [1]}}}).encode()
        )
    ).batch.ops
    assert isinstance(ops[1], Replace) and ops[1].targets[0].at == ("data", "categories", "set", 0)
    ops = server.parse(
        HttpRequest("PUT", f"/articles/{doc(server, 'articles', 1)}", "", {}, json.dumps({"data": {"author": {"disconnect": 1}}}).encode())
    ).batch.ops
    assert isinstance(ops[1], Remove) and ops[1].targets[0].at == ("data", "author", "disconnect")
    ops = server.parse(
        HttpRequest("PUT", f"/articles/{doc(server, 'articles', 1)}", "", {}, json.dumps({"data": {"author": 1}}).encode())
    ).batch.ops
    assert isinstance(ops[1], SetOne)
