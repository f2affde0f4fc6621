"""The reusable document reader: resource objects, identifiers and linkage with exact pointers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects.jsonapi import DocumentReader, Issues, JsonApiProfile, LidScope
from relgate.model import Ident, Path, Problem


def reader(config: Config, **profile: Any) -> DocumentReader:
    return DocumentReader(config.schema, JsonApiProfile(**profile))


def problems(issues: Issues) -> list[tuple[int, str, Path | None]]:
    return [(p.status, p.code, p.at) for p in issues.problems]


def read(config: Config, obj: Any, *, rule: str = "create", type_name: str = "people", lids: LidScope | None = None, **profile: Any):
    issues = Issues()
    res = reader(config, **profile).resource(
        obj,
        ("data",),
        issues,
        rule=rule,
        expected=config.schema[type_name],
        lids=lids if lids is not None else LidScope(),  # type: ignore[arg-type]
    )
    return res, issues


def test_resource_object_is_read_into_canonical_values(example_config: Config) -> None:
    obj = {
        "type": "person",
        "lid": "p1",
        "attributes": {"name": "Ann", "birth_date": "1990-02-03", "@meta-ish": 1},
        "relationships": {"articles": {"data": [{"type": "article", "id": "7", "meta": {"x": 1}}]}, "computers": {"data": []}},
        "meta": {"note": "kept"},
        "links": {"self": "ignored"},
        "unknown": "ignored as the spec requires",
    }
    res, issues = read(example_config, obj)
    assert not issues
    assert res is not None
    assert (res.type.name, res.id, res.lid) == ("people", None, "p1")
    assert res.attributes == {"name": "Ann", "birth_date": dt.date(1990, 2, 3)}
    assert res.relationships == {"articles": (Ident("articles", "7"),), "computers": ()}
    assert res.relationships["articles"][0].at == ("data", "relationships", "articles", "data", 0)  # type: ignore[index]
    assert res.meta == {"note": "kept"}
    assert res.ref == Ident("people", lid="p1")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"attributes": {}}, [(400, "invalid", ("data",))]),
        ({"type": 5}, [(400, "invalid", ("data", "type"))]),
        ({"type": "articles"}, [(409, "type-mismatch", ("data", "type"))]),
        ({"type": "people", "id": "1", "lid": "x"}, [(400, "invalid", ("data",))]),
        ({"type": "people", "id": "3"}, [(403, "client-id-not-allowed", ("data", "id"))]),
        ({"type": "people", "attributes": []}, [(400, "invalid", ("data", "attributes"))]),
        ({"type": "people", "attributes": None}, [(400, "invalid", ("data", "attributes"))]),
        ({"type": "people", "attributes": {"articles": []}}, [(400, "unknown-field", ("data", "attributes", "articles"))]),
        (
            {"type": "people", "attributes": {"id": "1", "type": "x"}},
            [(400, "unknown-field", ("data", "attributes", "id")), (400, "unknown-field", ("data", "attributes", "type"))],
        ),
        ({"type": "people", "relationships": {"name": {"data": None}}}, [(400, "unknown-field", ("data", "relationships", "name"))]),
        ({"type": "people", "relationships": {"articles": []}}, [(400, "invalid", ("data", "relationships", "articles"))]),
        (
            {"type": "people", "relationships": {"articles": {"data": {"type": "articles", "id": "1"}}}},
            [(400, "invalid", ("data", "relationships", "articles", "data"))],
        ),
        ({"type": "people", "meta": 1}, [(400, "invalid", ("data", "meta"))]),
        ({"type": "people", "lid": ""}, [(400, "invalid", ("data", "lid"))]),
    ],
)
def test_resource_object_problems(example_config: Config, obj: dict[str, Any], expected: list[tuple[int, str, Path]]) -> None:
    _, issues = read(example_config, obj)
    assert problems(issues) == expected


def test_identifier_rules(example_config: Config) -> None:
    r = reader(example_config)
    people = example_config.schema["people"]
    cases: list[tuple[Any, list[tuple[int, str, Path]]]] = [
        ("people", [(400, "invalid", ("x",))]),
        ({"id": "1"}, [(400, "invalid", ("x",))]),
        ({"type": "people"}, [(400, "invalid", ("x",))]),
        ({"type": "people", "id": 1}, [(400, "invalid", ("x", "id"))]),
        ({"type": "people", "id": True}, [(400, "invalid", ("x", "id"))]),
        ({"type": "people", "id": "01"}, [(400, "invalid", ("x", "id"))]),
        ({"type": "computers", "id": "1"}, [(409, "type-mismatch", ("x", "type"))]),
        ({"type": "people", "lid": "nope"}, [(400, "unknown-lid", ("x", "lid"))]),
    ]
    for obj, expected in cases:
        issues = Issues()
        assert r.identifier(obj, ("x",), issues, expected=people, lids=LidScope()) is None
        assert problems(issues) == expected, obj
    issues = Issues()
    assert r.identifier({"type": "people", "lid": "x"}, ("x",), issues, expected=people, lids=None) is None
    assert [p.title for p in issues.problems] == ["Local id not allowed here"]


def test_profile_switches(example_config: Config) -> None:
    people = example_config.schema["people"]
    issues = Issues()
    lenient = reader(example_config, integer_ids_in_linkage=True)
    assert lenient.identifier({"type": "people", "id": 1}, (), issues, expected=people, lids=None) == Ident("people", "1")
    assert not issues
    # ... but never for the primary resource's own id
    assert lenient.id_value(1, ("data", "id"), people, issues, linkage=False) is None
    assert problems(issues) == [(400, "invalid", ("data", "id"))]
    _, issues = read(example_config, {"type": "people", "lid": "a"}, lid=False)
    assert [p.title for p in issues.problems] == ["Local ids not supported"]
    collapse = reader(example_config, duplicate_linkage="collapse")
    issues = Issues()
    rel = people.relationships["articles"]
    value = [{"type": "articles", "id": "1"}, {"type": "articles", "id": "2"}, {"type": "articles", "id": "1"}]
    assert collapse.linkage(value, rel, ("d",), issues, lids=None) == (Ident("articles", "1"), Ident("articles", "2"))
    assert not issues
    _, issues = read(
        example_config, {"type": "trunks", "id": "d9b6ec47-0b72-452b-b4b4-23dd9d5be7e6"}, type_name="trunks", client_id_styles=frozenset()
    )
    assert problems(issues) == [(403, "client-id-not-allowed", ("data", "id"))]
    _, issues = read(example_config, {"type": "people", "id": "3"}, client_id_styles=frozenset({"integer"}))
    assert not issues
    _, issues = read(example_config, {"type": "articles"}, type_mismatch_status=400)
    assert problems(issues) == [(400, "type-mismatch", ("data", "type"))]


def test_untyped_relationship_members_take_the_relationships_target_type(example_config: Config) -> None:
    """devour-client's relationship DELETE sends ``{"id": …}`` only: with the profile switch (on for
    the jsonapi front door) a relationship URL's document may leave ``type`` out; inline linkage and
    a profile without the switch still need it."""
    people = example_config.schema["people"]
    articles, author = people.relationships["articles"], example_config.schema["articles"].relationships["author"]
    lenient = reader(example_config, untyped_relationship_members=True)
    issues = Issues()
    doc = {"data": [{"id": "2"}, {"type": "article", "id": "3"}]}
    assert lenient.relationship_document(doc, articles, issues) == (Ident("articles", "2"), Ident("articles", "3"))
    assert lenient.relationship_document({"data": {"id": "1"}}, author, issues) == Ident("people", "1")
    assert not issues
    # the implied type does not lift the other identifier rules
    assert lenient.relationship_document({"data": [{"id": 2}, {"lid": "x"}, {"id": "2"}, {"id": "2"}]}, articles, issues) == (
        Ident("articles", "2"),
    )
    assert problems(issues) == [(400, "invalid", ("data", 0, "id")), (400, "invalid", ("data", 1, "lid")), (400, "invalid", ("data", 3))]
    issues = Issues()
    assert reader(example_config).relationship_document(doc, articles, issues) == (Ident("articles", "3"),)
    assert problems(issues) == [(400, "invalid", ("data", 0))]
    _, issues = read(
        example_config, {"type": "people", "relationships": {"articles": {"data": [{"id": "2"}]}}}, untyped_relationship_members=True
    )
    assert problems(issues) == [(400, "invalid", ("data", "relationships", "articles", "data", 0))]


def test_update_rule(example_config: Config) -> None:
    r = reader(example_config)
    people = example_config.schema["people"]

    def update(obj: Any, lids: LidScope | None = None, expected_id: str | None = "1") -> tuple[Any, list[Any]]:
        issues = Issues()
        res = r.resource(obj, ("data",), issues, rule="update", expected=people, lids=lids, expected_id=expected_id)
        return res, problems(issues)

    res, found = update({"type": "people", "id": "1", "attributes": {"age": 3}})
    assert not found and res.id == "1" and res.attributes == {"age": 3}
    assert update({"type": "people", "attributes": {}})[1] == [(400, "invalid", ("data",))]
    assert update({"type": "people", "id": "2"})[1] == [(409, "id-mismatch", ("data", "id"))]
    assert update({"type": "people", "id": "x"})[1] == [(409, "id-mismatch", ("data", "id"))]
    assert update({"type": "people", "id": 1})[1] == [(400, "invalid", ("data", "id"))]
    assert update({"type": "people", "lid": "a"})[1] == [(400, "invalid", ("data", "lid"))]
    scope = LidScope()
    assert scope.define("people", "a", ("somewhere",)) is None
    res, found = update({"type": "people", "lid": "a"}, scope, None)
    assert not found and res.ref == Ident("people", lid="a")
    assert update({"type": "people", "lid": "b"}, scope, None)[1] == [(400, "unknown-lid", ("data", "lid"))]


def test_lid_scope() -> None:
    scope = LidScope()
    assert scope.define("people", "a", ("p",)) is None
    assert scope.define("articles", "a", ("q",)) is None
    problem = scope.define("people", "a", ("r",))
    assert isinstance(problem, Problem) and problem.at == ("r",) and problem.status == 400
    assert scope.knows("people", "a") and not scope.knows("people", "b")


def test_reader_uses_the_profile_dialect_names(example_config: Config) -> None:
    restless = reader(example_config, dialect="restless")
    issues = Issues()
    people = example_config.schema["people"]
    assert restless.identifier({"type": "person", "id": "1"}, (), issues, expected=people, lids=None) == Ident("people", "1")
    assert restless.identifier({"type": "people", "id": "1"}, (), issues, expected=people, lids=None) is None
    assert problems(issues) == [(409, "type-mismatch", ("type",))]
    assert "Expected type 'person'" in issues.problems[0].detail


def test_reader_is_reusable_with_a_replaced_profile(example_config: Config) -> None:
    base = JsonApiProfile()
    derived = dataclasses.replace(base, lid=False)
    assert DocumentReader(example_config.schema, derived).profile.lid is False
