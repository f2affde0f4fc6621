"""relgate.notation: canonical values as JSON and back (what relgate translate prints and reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relgate.model import (
    Add,
    After,
    Aggregate,
    Aggregates,
    And,
    Batch,
    Before,
    Cmp,
    Count,
    Create,
    Delete,
    DeleteWhere,
    End,
    FieldCmp,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    LinkageResult,
    List,
    Not,
    One,
    Or,
    Outcome,
    Page,
    Problem,
    Query,
    Related,
    Remove,
    Replace,
    Resource,
    ResourceList,
    SetOne,
    SortKey,
    Start,
    Step,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.notation import CLASSES, NotationError, decode, encode

ROOT = Path(__file__).resolve().parent.parent

# --- strategies: canonical values whose attribute values are JSON values -------------------------

names = st.text("abcdefghij_", min_size=1, max_size=6)
strings = st.text("abcxyz-/0123456789", min_size=1, max_size=8).filter(lambda s: not s.startswith("lid:"))
ids = st.one_of(st.integers(0, 10**6).map(str), strings)
idents = st.one_of(st.builds(Ident, names, ids), st.builds(lambda t, lid: Ident(t, lid=lid), names, names))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=6,
)
linkages = st.one_of(st.none(), idents, st.lists(idents, max_size=3).map(tuple))
positions = st.one_of(st.just(Start()), st.just(End()), st.builds(Before, idents, st.booleans()), st.builds(After, idents, st.booleans()))
comparisons = st.one_of(
    st.builds(Cmp, names, st.sampled_from(["eq", "lt", "like"]), json_values.filter(lambda v: not isinstance(v, list))),
    st.builds(Cmp, names, st.sampled_from(["in", "between"]), st.lists(st.integers(0, 9), max_size=3).map(tuple)),
    st.builds(FieldCmp, names, st.sampled_from(["eq", "gt"]), names),
)
filters = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(And, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, inner),
        st.builds(Related, names, st.one_of(st.none(), inner)),
    ),
    max_leaves=5,
)
queries = st.builds(
    Query,
    where=st.one_of(st.none(), filters),
    sort=st.lists(st.builds(SortKey, st.lists(names, min_size=1, max_size=2).map(tuple), st.booleans()), max_size=2).map(tuple),
    page=st.one_of(st.none(), st.builds(Page, st.integers(0, 50), st.one_of(st.none(), st.integers(1, 50)))),
    include=st.lists(st.lists(names, min_size=1, max_size=2).map(tuple), max_size=2).map(tuple),
    fields=st.dictionaries(names, st.frozensets(names, max_size=3), max_size=2),
    count=st.booleans(),
)
attributes = st.dictionaries(names, json_values, max_size=3)
relationships = st.dictionaries(names, linkages, max_size=3)
targets = st.lists(idents, max_size=3).map(tuple)
ops = st.one_of(
    st.builds(Create, st.one_of(st.none(), idents), names, attributes, relationships, returning=st.booleans()),
    st.builds(Update, idents, attributes, relationships, returning=st.booleans()),
    st.builds(Upsert, st.one_of(st.none(), idents), names, st.lists(names, min_size=1, max_size=2).map(tuple), attributes, relationships),
    st.builds(Delete, idents),
    st.builds(SetOne, idents, names, st.one_of(st.none(), idents)),
    st.builds(Replace, idents, names, targets),
    st.builds(Add, idents, names, targets, st.one_of(st.none(), positions)),
    st.builds(Add, idents, names, targets, positions=st.lists(positions, max_size=2).map(tuple)),
    st.builds(Remove, idents, names, targets, st.booleans(), require_present=st.booleans()),
    st.builds(UpdateWhere, names, st.one_of(st.none(), filters), attributes),
    st.builds(DeleteWhere, names, st.one_of(st.none(), filters)),
    st.builds(Get, idents, queries),
    st.builds(List, names, queries),
    st.builds(GetRelated, idents, names, queries),
    st.builds(GetLinkage, idents, names, queries),
    st.builds(Aggregate, names, st.lists(st.tuples(st.sampled_from(["sum", "count"]), names), max_size=2).map(tuple), st.none() | filters),
)
resources = st.builds(Resource, names, ids, attributes, relationships, st.one_of(st.none(), names))
results = st.one_of(
    st.none(),
    st.builds(One, st.one_of(st.none(), resources), st.lists(resources, max_size=2).map(tuple)),
    st.builds(ResourceList, st.lists(resources, max_size=2).map(tuple), st.one_of(st.none(), st.integers(0, 99))),
    st.builds(LinkageResult, linkages, st.lists(resources, max_size=1).map(tuple)),
    st.builds(Count, st.integers(0, 99)),
    st.builds(Aggregates, st.dictionaries(st.tuples(st.sampled_from(["sum", "avg"]), names), st.none() | st.integers(), max_size=2)),
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_every_op_comes_back_from_its_notation(op: Any) -> None:
    text = json.dumps(encode(op))  # the notation is JSON, not just plain values
    assert decode(json.loads(text)) == op


@settings(max_examples=200, deadline=None)
@given(results)
def test_every_result_comes_back_from_its_notation(result: Any) -> None:
    assert decode(json.loads(json.dumps(encode(result))), "Result") == result


@settings(max_examples=50, deadline=None)
@given(st.lists(ops, max_size=3), st.booleans())
def test_batches_and_outcomes_come_back(batch_ops: list[Any], atomic: bool) -> None:
    batch = Batch(tuple(batch_ops), atomic)
    assert decode(encode(batch)) == batch
    outcome = Outcome((Count(1), None), {("people", "x"): "1"}, (Step(0, "done", "POST /people"),))
    assert decode(encode(outcome)) == outcome


def _recorded_ops(value: Any) -> list[Any]:
    """Every op object under an ``"ops"`` key, at any depth of an exchange file."""
    if isinstance(value, dict):
        return [op for k, v in value.items() for op in (v if k == "ops" and isinstance(v, list) else _recorded_ops(v))]
    if isinstance(value, list):
        return [op for v in value for op in _recorded_ops(v)]
    return []


def test_the_notation_is_the_golden_exchanges_own() -> None:
    """Every op recorded in dialects/*/exchanges decodes and encodes back to the same JSON."""
    seen = 0
    for path in sorted((ROOT / "dialects").glob("*/exchanges/*.json")):
        for op in _recorded_ops(json.loads(path.read_text())):
            if isinstance(op, dict):
                assert encode(decode(op)) == op, f"{path.name}: {op}"
                seen += 1
    assert seen > 250  # the files hold hundreds: a glob that found nothing must not pass


def test_a_readable_example() -> None:
    op = Add(Ident("people", "1"), "computers", (Ident("computers", "2"), Ident("computers", lid="new")), Before(Ident("computers", "3")))
    assert encode(op) == {
        "@": "Add",
        "ref": "people/1",
        "relationship": "computers",
        "targets": ["computers/2", "computers/lid:new"],
        "position": {"@": "Before", "anchor": "computers/3"},
    }
    assert decode(encode(op)) == op


def test_where_an_ident_is_expected_a_string_is_one_and_elsewhere_stays_a_string() -> None:
    created = decode({"@": "Create", "ref": "people/lid:a", "type": "people", "attributes": {"name": "people/2"}})
    assert created == Create(Ident("people", lid="a"), "people", {"name": "people/2"})
    assert decode({"@": "Get", "ref": "contactsources/a/b"}) == Get(Ident("contactsources", "a/b"))  # the first slash ends the type


def test_a_comparisons_array_is_a_tuple_and_attribute_arrays_stay_lists() -> None:
    assert decode({"@": "Cmp", "field": "age", "op": "in", "value": [1, 2]}) == Cmp("age", "in", (1, 2))
    assert decode({"@": "Create", "ref": None, "type": "t", "attributes": {"tags": [1, 2]}}).attributes == {"tags": [1, 2]}


def test_problems_come_back() -> None:
    problem = Problem(409, "conflict", "Conflict", "taken", at=("data", "attributes", "name"), meta={"steps": [{"op": 0}]})
    assert decode(encode(problem)) == Problem(409, "conflict", "Conflict", "taken", meta={"steps": [{"op": 0}]})  # ``at`` is not notation


def test_every_model_class_is_named() -> None:
    assert {"Add", "Create", "One", "LinkageResult", "Problem", "Query", "Before", "Outcome"} <= set(CLASSES)


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ({"@": "Frobnicate"}, Any, "$.@: unknown class 'Frobnicate'"),
        ({"@": "Delete"}, Any, "$: Delete needs 'ref'"),
        ({"@": "Delete", "ref": "people"}, Any, "$.ref: expected an identifier"),
        ({"@": "Delete", "ref": "people/1", "colour": 1}, Any, "$: Delete has no field 'colour'"),
        ({"@": "Replace", "ref": "people/1", "relationship": "x", "targets": "people/2"}, Any, "$.targets: expected an array"),
        ({"@": "Add", "ref": "a/1", "relationship": "x", "targets": [], "position": {"@": "Page"}}, Any, "$.position: a Page is not"),
        ({"@": "Count", "n": "3"}, Any, "$.n: expected int"),
        ({"@": "Delete", "ref": "people/1"}, "Result", "$: a Delete is not allowed here"),
        ([1], "Result", "fits none of"),
    ],
)
def test_what_is_not_notation_is_named_where_it_stands(value: Any, kind: Any, message: str) -> None:
    with pytest.raises(NotationError) as caught:
        decode(value, kind)
    assert message in str(caught.value)
