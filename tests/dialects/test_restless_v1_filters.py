"""flask-restless-ng's ``filter[objects]`` and ``sort`` on the ``restless`` front door.

The filter objects are parsed by the parser shared with ``restless-legacy``'s ``q``
(:mod:`relgate.dialects.restless_filters`); these tests pin what is NG's own (operators, no
``rel__field`` names, the parameter and its errors), that both front doors build the same
canonical filters from the same objects, and that the plain ``jsonapi`` door is unaffected.
Golden exchanges: ``dialects/restless/exchanges/05-filtering.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from relgate.config import Config
from relgate.dialects import server_factory
from relgate.dialects.jsonapi.query import COLLECTION, SINGLE
from relgate.dialects.restless.query import FILTER_PARAM, RestlessQueryParser, where_in_filter
from relgate.dialects.restless_filters import NG_OPERATORS, NG_UNSUPPORTED, OPERATORS
from relgate.dialects.restless_legacy.fields import Catalog as LegacyCatalog
from relgate.dialects.restless_legacy.search import SearchParser
from relgate.model import And, Cmp, FieldCmp, GetRelated, HttpRequest, List, Or, ProblemError, Related, SortKey
from tests.dialects.jsonapi_support import gateway_client
from tests.dialects.restless_v1_support import ERROR_MEMBERS, JSONAPI, PREFIX

NG_PREFIXES = ("Unable to decode filter objects as JSON list", "Invalid filter object", "Unable to construct query")
CLOCK = dt.datetime(2024, 3, 9, 22, 30, tzinfo=dt.UTC)


def objects(filters: Any) -> str:
    return f"{FILTER_PARAM}={quote(json.dumps(filters))}"


def request(path: str, query: str = "") -> HttpRequest:
    return HttpRequest("GET", path, query, {"accept": JSONAPI}, b"", PREFIX)


def parse(config: Config, path: str, query: str) -> Any:
    """The only op of the ``restless`` door's batch for ``GET path?query``."""
    (op,) = door_of(config).parse(request(path, query)).batch.ops
    return op


def where(config: Config, collection: str, filters: Any) -> Any:
    op = parse(config, f"/{collection}", objects(filters))
    assert isinstance(op, List)
    return op.query.where


def problems(config: Config, path: str, query: str) -> list[Any]:
    with pytest.raises(ProblemError) as info:
        door_of(config).parse(request(path, query))
    return list(info.value.problems)


def door_of(config: Config, prefix: str = PREFIX) -> Any:
    """The codec of the front door at ``prefix``, built as the gateway builds it."""
    route = next(r for r in config.routes if r.prefix == prefix)
    return server_factory(route.dialect)(config.schema, route, config.server)


def one_problem(config: Config, path: str, query: str) -> Any:
    (p,) = problems(config, path, query)
    assert p.status == 400 and p.code == "bad-parameter"
    return p


# --- the parameter -----------------------------------------------------------------------------


def test_the_ng_client_example(example_config: Config) -> None:
    """``GET /person?filter[objects]=[{"name":"age","op":"gt","val":20}]``: one List, filtered, paged, counted."""
    op = parse(example_config, "/person", objects([{"name": "age", "op": "gt", "val": 20}]))
    assert isinstance(op, List) and op.type == "people"
    assert op.query.where == Cmp("age", "gt", 20)
    assert op.query.count and op.query.page is not None and op.query.page.offset == 0


@pytest.mark.parametrize("alias", sorted(set(NG_OPERATORS) - {"has", "any", "is_null", "is_not_null"}))
def test_every_ng_comparison_alias(example_config: Config, alias: str) -> None:
    canonical = NG_OPERATORS[alias]
    if canonical in ("in", "not_in"):
        item, value = {"name": "age", "op": alias, "val": [1, 2]}, (1, 2)
    elif canonical in ("like", "not_like", "ilike"):
        item, value = {"name": "name", "op": alias, "val": "A%"}, "A%"
    else:
        item, value = {"name": "age", "op": alias, "val": 3}, 3
    assert where(example_config, "person", [item]) == Cmp(item["name"], canonical, value)


def test_ng_operators_extend_0_17s() -> None:
    assert set(OPERATORS) < set(NG_OPERATORS)
    assert NG_OPERATORS["not_like"] == "not_like" and NG_OPERATORS["<>"] == "ne"
    assert not set(NG_UNSUPPORTED) & set(NG_OPERATORS)


@pytest.mark.parametrize("op", sorted(NG_UNSUPPORTED))
def test_postgresql_only_operators_are_refused_by_name(example_config: Config, op: str) -> None:
    p = one_problem(example_config, "/person", objects([{"name": "age", "op": op, "val": 1}]))
    assert p.parameter == FILTER_PARAM and p.title == "Unsupported operator"
    assert f"'{op}'" in p.detail and "filter[objects][0].op" in p.detail


def test_unary_field_and_relation_forms(example_config: Config) -> None:
    assert where(example_config, "person", [{"name": "age", "op": "is_not_null", "val": 5}]) == Cmp("age", "is_not_null", None)
    assert where(example_config, "person", [{"name": "age", "op": "<", "field": "id"}]) == FieldCmp("age", "lt", "id")
    # the foreign-key column is filterable, as on NG's model; the store gets the relationship
    assert where(example_config, "computer", [{"name": "owner_id", "op": "in", "val": [1, "2"]}]) == Cmp("owner", "in", ("1", "2"))
    nested = {"name": "owner", "op": "has", "val": {"name": "computers", "op": "any", "val": {"name": "vendor", "op": "like", "val": "A%"}}}
    assert where(example_config, "computer", [nested]) == Related("owner", Related("computers", Cmp("vendor", "like", "A%")))


def test_boolean_trees_and_the_implicit_and(example_config: Config) -> None:
    old_not_x = {"and": [{"name": "age", "op": "gt", "val": 60}, {"name": "name", "op": "ne", "val": "x"}]}
    tree = [{"or": [{"name": "age", "op": "lt", "val": 20}, old_not_x]}]
    assert where(example_config, "person", tree) == Or((Cmp("age", "lt", 20), And((Cmp("age", "gt", 60), Cmp("name", "ne", "x")))))
    two = [{"name": "age", "op": "gt", "val": 1}, {"name": "name", "op": "not_like", "val": "B%"}]
    assert where(example_config, "person", two) == And((Cmp("age", "gt", 1), Cmp("name", "not_like", "B%")))
    assert where(example_config, "person", []) is None


def test_the_same_objects_give_the_same_filter_through_legacy_q(example_config: Config) -> None:
    """One parser: a filter list NG and 0.17 both understand is the same canonical filter."""
    legacy = SearchParser(LegacyCatalog(example_config.schema))
    people = legacy.catalog.by_collection["person"]
    for filters in (
        [{"name": "age", "op": ">=", "val": 30}, {"name": "birth_date", "op": "lt", "val": "1990-01-01"}],
        [{"or": [{"name": "name", "op": "like", "val": "%o%"}, {"name": "id", "op": "in", "val": [1, 3]}]}],
        [{"name": "computers", "op": "any", "val": {"name": "owner", "op": "has", "val": {"name": "age", "op": "is_null"}}}],
        [{"name": "age", "op": "eq", "field": "id"}],
    ):
        assert where(example_config, "person", filters) == legacy.search(people, {"filters": filters}).where, filters


def test_rel__field_names_are_0_17s_only(example_config: Config) -> None:
    item = {"name": "computers__vendor", "op": "any", "val": "Apple"}
    legacy = SearchParser(LegacyCatalog(example_config.schema))
    found = legacy.search(legacy.catalog.by_collection["person"], {"filters": [item]})
    assert found.where == Related("computers", Cmp("vendor", "eq", "Apple"))
    p = one_problem(example_config, "/person", objects([item]))
    assert p.title == "Unknown field" and p.detail.startswith("Invalid filter object: person has no field 'computers__vendor'")


def test_date_keywords_use_the_clock(example_config: Config) -> None:
    parser = RestlessQueryParser(example_config.schema, "restless", example_config.server, clock=lambda: CLOCK)
    people = example_config.schema["people"]
    args = parser.parse([(FILTER_PARAM, '[{"name": "birth_date", "op": "lt", "val": "CURRENT_DATE"}]')], people, COLLECTION, paged=True)
    assert args.query.where == Cmp("birth_date", "lt", "2024-03-09")
    computers = example_config.schema["computers"]
    args = parser.parse([(FILTER_PARAM, '[{"name": "purchase_time", "op": "ge", "val": "CURRENT_TIMESTAMP"}]')], computers, COLLECTION)
    assert args.query.where == Cmp("purchase_time", "ge", "2024-03-09T22:30:00")


def test_with_jsonapi_filters_sort_and_pages(example_config: Config) -> None:
    query = objects([{"name": "age", "op": "gt", "val": 20}]) + "&filter[name]=Bob&sort=-age,name&page[size]=5&page[number]=2"
    op = parse(example_config, "/person", query)
    assert op.query.where == And((Cmp("name", "eq", "Bob"), Cmp("age", "gt", 20)))
    assert op.query.sort == (SortKey(("age",), True), SortKey(("name",)))
    assert op.query.page is not None and (op.query.page.offset, op.query.page.limit) == (5, 5)


def test_sort_0_is_no_sort_and_stays_in_the_links(example_config: Config) -> None:
    intent = door_of(example_config).parse(request("/person", "sort=0&" + objects([])))
    (op,) = intent.batch.ops
    assert op.query.sort == () and op.query.where is None
    page_two = intent.context.args.page_query(2)
    assert "sort=0" in page_two and "filter%5Bobjects%5D=%5B%5D" in page_two
    # one sort only: a second one is the usual duplicate
    found = problems(example_config, "/person", "sort=0&sort=name")
    assert any(p.parameter == "sort" and "more than once" in p.detail for p in found)


def test_a_to_many_related_collection_filters_the_related_type(example_config: Config) -> None:
    op = parse(example_config, "/person/1/computers", objects([{"name": "vendor", "op": "eq", "val": "Apple"}]) + "&sort=name")
    assert isinstance(op, GetRelated) and op.relationship == "computers"
    assert op.query.where == Cmp("vendor", "eq", "Apple") and op.query.sort == (SortKey(("name",)),)
    p = one_problem(example_config, "/person/1/computers", objects([{"name": "age", "op": "gt", "val": 1}]))
    assert p.detail == "Invalid filter object: computer has no field 'age' (at filter[objects][0].name)"


@pytest.mark.parametrize(
    "path", ["/person/1", "/computer/1/owner", "/person/1/relationships/computers", "/person/1/computers/2"], ids=lambda p: p
)
def test_endpoints_without_a_collection_refuse_it(example_config: Config, path: str) -> None:
    p = one_problem(example_config, path, objects([]))
    assert p.parameter == FILTER_PARAM and "not supported by this endpoint" in p.detail


def test_filter_single_was_removed_by_ng(example_config: Config) -> None:
    p = one_problem(example_config, "/person", "filter[single]=1&" + objects([{"name": "id", "op": "eq", "val": 1}]))
    assert p.parameter == "filter[single]" and "removed it in 2.0.0" in p.detail


# --- bad filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "title", "says"),
    [
        ("[{", "Malformed filter objects", "Unable to decode filter objects as JSON list: "),
        ("", "Malformed filter objects", "Unable to decode filter objects as JSON list: "),
        ("null", "Invalid filter object", "must be a JSON array of filter objects, not null (at filter[objects])"),
        ('"age"', "Invalid filter object", "not a string"),
        ("[[]]", "Invalid filter object", "a filter must be an object (at filter[objects][0])"),
        ('[{"or": 5}]', "Invalid filter object", '"or" must be a list of filters (at filter[objects][0].or)'),
        ('[{"and": [5]}]', "Invalid filter object", "a filter must be an object (at filter[objects][0].and[0])"),
        ('[{"or": [], "name": "age"}]', "Invalid filter object", 'exactly one key, "or" or "and"'),
        ('[{"name": 5, "op": "eq", "val": 1}]', "Invalid filter object", 'needs a field name in "name" (at filter[objects][0].name)'),
        ('[{"name": "age", "op": 5, "val": 1}]', "Invalid filter object", 'needs an operator in "op"'),
        ('[{"name": "age", "op": "asc"}]', "Unknown operator", "'asc' is a sort direction, not a filter operator"),
        ('[{"name": "age", "op": "eq", "val": 1, "field": "id"}]', "Invalid filter object", 'give either "val" or "field", not both'),
        ('[{"name": "age", "op": "in", "field": "id"}]', "Invalid filter object", "operator 'in' cannot compare two fields"),
        ('[{"name": "age", "op": "like", "val": "1%"}]', "Invalid filter value", "'like' needs a text field; 'age' is not one"),
        ('[{"name": "name", "op": "like", "val": 5}]', "Invalid filter value", "'like' needs a string pattern for 'name'"),
        ('[{"name": "age", "op": "in", "val": [1, null]}]', "Invalid filter value", "cannot contain null (at filter[objects][0].val[1])"),
        ('[{"name": "age", "op": "in", "val": [1, "x"]}]', "Invalid filter value", 'not "x" (at filter[objects][0].val[1])'),
        ('[{"name": "id", "op": "eq", "val": "one"}]', "Invalid filter value", "'id' needs an integer id, not \"one\""),
        ('[{"name": "id", "op": "eq", "val": true}]', "Invalid filter value", "'id' needs an integer id, not true"),
        ('[{"name": "computers", "op": "any"}]', "Invalid filter value", "'any' needs a value in \"val\""),
        ('[{"name": "computers", "op": "any", "val": {"or": "x"}}]', "Invalid filter object", "(at filter[objects][0].val.or)"),
        ('[{"name": "computers", "op": "any", "val": {"name": "age", "op": "gt", "val": 1}}]', "Unknown field", "computer has no field"),
        ('[{"name": "computers", "op": "any", "field": "id"}]', "Invalid filter object", '\'any\' takes a value in "val", not "field"'),
        ('[{"name": "nobody", "op": "has", "val": {}}]', "Unknown field", "person has no relation 'nobody'"),
    ],
)
def test_bad_filters_are_400s_naming_the_member(example_config: Config, raw: str, title: str, says: str) -> None:
    p = one_problem(example_config, "/person", f"{FILTER_PARAM}={quote(raw)}")
    assert p.parameter == FILTER_PARAM and p.title == title
    assert p.detail.startswith(NG_PREFIXES) and says in p.detail, p.detail


def test_too_deep_is_refused_before_parsing(example_config: Config) -> None:
    deep: Any = {"name": "age", "op": "eq", "val": 1}
    for _ in range(example_config.server.max_json_depth):
        deep = {"or": [deep]}
    p = one_problem(example_config, "/person", objects([deep]))
    assert p.title == "Malformed filter objects" and "nests deeper than" in p.detail


def test_every_problem_of_the_query_string_at_once(example_config: Config) -> None:
    query = objects([{"name": "x", "op": "eq", "val": 1}]) + "&page[number]=abc&filter[single]=1&sort=nope"
    found = problems(example_config, "/person", query)
    assert sorted(p.parameter for p in found) == sorted([FILTER_PARAM, "page[number]", "filter[single]", "sort"])


def test_where_in_filter() -> None:
    assert where_in_filter(()) == "filter[objects]"
    assert where_in_filter((0, "val", "or", 1, "op")) == "filter[objects][0].val.or[1].op"


def test_the_error_document_has_ngs_shape(example_config: Config) -> None:
    codec = door_of(example_config)
    req = request("/person", objects([{"name": "age", "op": "bogus", "val": 1}]))
    with pytest.raises(ProblemError) as info:
        codec.parse(req)
    doc = json.loads(codec.render_error(info.value, req).body)
    (obj,) = doc["errors"]
    assert set(obj) <= ERROR_MEMBERS and None not in obj.values() and doc["jsonapi"] == {"version": "1.0"}
    assert obj["status"] == "400" and obj["code"] == "bad-parameter" and obj["source"] == {"parameter": FILTER_PARAM}
    assert obj["detail"] == "Unable to construct query: unknown operator 'bogus' (at filter[objects][0].op)"


def test_plain_jsonapi_query_parsing_is_unchanged(example_config: Config) -> None:
    """``/jsonapi`` has no NG parameters: ``filter[objects]`` is a filter on a field ``objects``."""
    jsonapi = door_of(example_config, "/jsonapi")
    with pytest.raises(ProblemError) as info:
        jsonapi.parse(HttpRequest("GET", "/people", objects([]), {"accept": JSONAPI}, b"", "/jsonapi"))
    (p,) = info.value.problems
    assert p.parameter == FILTER_PARAM and "no field 'objects'" in p.detail
    with pytest.raises(ProblemError):
        jsonapi.parse(HttpRequest("GET", "/people", "sort=0", {"accept": JSONAPI}, b"", "/jsonapi"))
    args = jsonapi.queries.parse([("filter[name]", "Bob")], example_config.schema["people"], SINGLE | {"filter"})
    assert args.query.where == Cmp("name", "eq", "Bob")


# --- through the Gateway, on SQLite and PostgreSQL --------------------------------------------

H = {"Accept": JSONAPI, "Content-Type": JSONAPI}


async def ids(client: httpx.AsyncClient, path: str, filters: Any, extra: str = "") -> list[str]:
    resp = await client.get(f"{PREFIX}{path}?{objects(filters)}{extra}", headers={"Accept": JSONAPI})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["meta"]["total"] == len(doc["data"]) or "page[size]" in extra
    return [r["id"] for r in doc["data"]]


async def test_filters_run_on_the_store(example_config: Config, store_url: str) -> None:
    async with gateway_client(example_config, store_url) as (_, client):
        for name, age in (("Ann", 30), ("Ben", 17), ("Cid", None)):
            body = {"data": {"type": "person", "attributes": {"name": name, "age": age}}}
            assert (await client.post(f"{PREFIX}/person", json=body, headers=H)).status_code == 201
        for name, vendor, owner in (("a", "Apple", "1"), ("b", "Dell", "1"), ("c", "Apple", "2"), ("d", "HP", None)):
            rel = {"owner": {"data": {"type": "person", "id": owner}}} if owner else {}
            body = {"data": {"type": "computer", "attributes": {"name": name, "vendor": vendor}, "relationships": rel}}
            assert (await client.post(f"{PREFIX}/computer", json=body, headers=H)).status_code == 201
        apple = {"name": "vendor", "op": "eq", "val": "Apple"}
        has_apple = {"name": "computers", "op": "any", "val": apple}
        assert await ids(client, "/person", [has_apple]) == ["1", "2"]
        assert await ids(client, "/person", [has_apple, {"name": "age", "op": ">=", "val": 18}]) == ["1"]
        no_age_or_not_a = {"or": [{"name": "age", "op": "is_null"}, {"name": "name", "op": "not_like", "val": "A%"}]}
        assert await ids(client, "/person", [no_age_or_not_a]) == ["2", "3"]
        adult = {"name": "owner", "op": "has", "val": {"name": "age", "op": "gt", "val": 18}}
        assert await ids(client, "/computer", [adult], "&sort=-name") == ["2", "1"]
        assert await ids(client, "/computer", [{"name": "owner_id", "op": "is_null"}]) == ["4"]
        assert await ids(client, "/person/1/computers", [{"name": "vendor", "op": "<>", "val": "Apple"}]) == ["2"]
        assert await ids(client, "/person", [{"name": "age", "op": "gt", "field": "id"}], "&sort=0") == ["1", "2"]
        bad = await client.get(f"{PREFIX}/person?{objects([{'name': 'age', 'op': 'gt', 'val': 'old'}])}", headers={"Accept": JSONAPI})
        assert bad.status_code == 400 and bad.json()["errors"][0]["source"] == {"parameter": FILTER_PARAM}
        # the same people through /legacy/api's q: the same answer
        q = json.dumps({"filters": [has_apple]})
        legacy = await client.get(f"/legacy/api/person?q={quote(q)}")
        assert legacy.status_code == 200 and [o["id"] for o in legacy.json()["objects"]] == [1, 2]


async def test_query_errors_use_the_front_doors_type_names(example_config: Config, sqlite_url: str) -> None:
    async with gateway_client(example_config, sqlite_url) as (_, client):
        r = await client.get("/restless/api/person?sort=bogus", headers={"accept": "application/vnd.api+json"})
        assert r.status_code == 400
        assert "'person'" in r.json()["errors"][0]["detail"] and "'people'" not in r.json()["errors"][0]["detail"]
