"""The 0.17 ``q`` language -> canonical filters, sort keys and paging (sans-IO, no store)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects.restless_legacy.errors import REASON
from relgate.dialects.restless_legacy.fields import Catalog
from relgate.dialects.restless_legacy.search import OPERATORS, SearchParser
from relgate.model import And, Cmp, FieldCmp, Or, ProblemError, Related, SortKey

CLOCK = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture
def parser(example_config: Config) -> SearchParser:
    return SearchParser(Catalog(example_config.schema), clock=lambda: CLOCK)


def search(parser: SearchParser, collection: str, q: Any) -> Any:
    return parser.search(parser.catalog.by_collection[collection], q)


def where(parser: SearchParser, collection: str, *filters: Any) -> Any:
    return search(parser, collection, {"filters": list(filters)}).where


def problem(parser: SearchParser, collection: str, q: Any) -> str:
    with pytest.raises(ProblemError) as info:
        search(parser, collection, q)
    (p,) = info.value.problems
    assert p.status == 400
    assert p.parameter == "q"
    return p.detail


# --- operators ------------------------------------------------------------------------------

ALIASES = {
    "eq": ["==", "eq", "equals", "equal_to"],
    "ne": ["!=", "ne", "neq", "not_equal_to", "does_not_equal"],
    "gt": [">", "gt"],
    "lt": ["<", "lt"],
    "ge": [">=", "ge", "gte", "geq"],
    "le": ["<=", "le", "lte", "leq"],
}


@pytest.mark.parametrize(("alias", "canonical"), [(a, c) for c, aliases in ALIASES.items() for a in aliases])
def test_every_comparison_alias(parser: SearchParser, alias: str, canonical: str) -> None:
    assert where(parser, "person", {"name": "age", "op": alias, "val": 30}) == Cmp("age", canonical, 30)


def test_the_operator_table_is_0_17s() -> None:
    """Every key of 0.17's OPERATORS except the two sort directions (which build no condition)."""
    zero17 = {
        "is_null", "is_not_null", "desc", "asc", "==", "eq", "equals", "equal_to", "!=", "ne", "neq", "not_equal_to",
        "does_not_equal", ">", "gt", "<", "lt", ">=", "ge", "gte", "geq", "<=", "le", "lte", "leq", "ilike", "like",
        "in", "not_in", "has", "any",
    }  # fmt: skip
    assert set(OPERATORS) == zero17 - {"desc", "asc"}


def test_unary_operators_ignore_val(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "birth_date", "op": "is_null"}) == Cmp("birth_date", "is_null")
    assert where(parser, "person", {"name": "age", "op": "is_not_null", "val": 3}) == Cmp("age", "is_not_null")


def test_like_ilike_in_not_in(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "name", "op": "like", "val": "%y%"}) == Cmp("name", "like", "%y%")
    assert where(parser, "person", {"name": "name", "op": "ilike", "val": "j%"}) == Cmp("name", "ilike", "j%")
    assert where(parser, "person", {"name": "age", "op": "in", "val": [1, 2]}) == Cmp("age", "in", (1, 2))
    assert where(parser, "person", {"name": "id", "op": "not_in", "val": [1, "2"]}) == Cmp("id", "not_in", ("1", "2"))


def test_ids_and_foreign_key_columns(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "id", "op": "eq", "val": 7}) == Cmp("id", "eq", "7")
    # owner_id is the column of the to-one 'owner': the store compares that column
    assert where(parser, "computer", {"name": "owner_id", "op": "eq", "val": 1}) == Cmp("owner", "eq", "1")
    assert where(parser, "computer", {"name": "owner_id", "op": "is_null"}) == Cmp("owner", "is_null")


def test_field_to_field(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "age", "op": "lt", "field": "id"}) == FieldCmp("age", "lt", "id")


def test_dates_are_checked_and_sent_as_iso(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "birth_date", "op": "lt", "val": "2000-01-02"}) == Cmp("birth_date", "lt", "2000-01-02")
    got = where(parser, "computer", {"name": "purchase_time", "op": "ge", "val": "2015-02-17"})
    assert got == Cmp("purchase_time", "ge", "2015-02-17T00:00:00")


def test_date_keywords_use_the_clock(parser: SearchParser) -> None:
    assert where(parser, "person", {"name": "birth_date", "op": "lt", "val": "CURRENT_DATE"}) == Cmp("birth_date", "lt", "2026-03-04")
    got = where(parser, "computer", {"name": "purchase_time", "op": "lt", "val": "CURRENT_TIMESTAMP"})
    assert got == Cmp("purchase_time", "lt", "2026-03-04T05:06:07")


# --- relations ------------------------------------------------------------------------------


def test_any_with_relation__field(parser: SearchParser) -> None:
    got = where(parser, "person", {"name": "computers__vendor", "op": "any", "val": "Apple"})
    assert got == Related("computers", Cmp("vendor", "eq", "Apple"))


def test_has_with_relation__field(parser: SearchParser) -> None:
    got = where(parser, "computer", {"name": "owner__name", "op": "has", "val": "Mary"})
    assert got == Related("owner", Cmp("name", "eq", "Mary"))


def test_has_any_with_a_nested_filter(parser: SearchParser) -> None:
    got = where(parser, "person", {"name": "computers", "op": "any", "val": {"name": "id", "op": "gt", "val": 1}})
    assert got == Related("computers", Cmp("id", "gt", "1"))
    got = where(parser, "computer", {"name": "owner", "op": "has", "val": {"name": "name", "op": "like", "val": "%Jeff%"}})
    assert got == Related("owner", Cmp("name", "like", "%Jeff%"))


def test_nested_has_inside_any(parser: SearchParser) -> None:
    inner = {"name": "owner", "op": "has", "val": {"name": "age", "op": "ge", "val": 18}}
    got = where(parser, "person", {"name": "computers", "op": "any", "val": inner})
    assert got == Related("computers", Related("owner", Cmp("age", "ge", 18)))


def test_boolean_trees_nest(parser: SearchParser) -> None:
    q = {
        "or": [
            {"and": [{"name": "name", "op": "like", "val": "%y%"}, {"name": "age", "op": "ge", "val": 10}]},
            {"name": "name", "op": "eq", "val": "John"},
        ]
    }
    got = where(parser, "person", q)
    assert got == Or((And((Cmp("name", "like", "%y%"), Cmp("age", "ge", 10))), Cmp("name", "eq", "John")))


def test_top_level_filters_are_anded(parser: SearchParser) -> None:
    got = where(parser, "person", {"name": "age", "op": "gt", "val": 1}, {"name": "age", "op": "lt", "val": 9})
    assert got == And((Cmp("age", "gt", 1), Cmp("age", "lt", 9)))
    assert search(parser, "person", {"filters": []}).where is None
    assert search(parser, "person", {}).where is None


# --- order_by, limit, offset, single ---------------------------------------------------------


def test_order_by_with_primary_key_tiebreak(parser: SearchParser) -> None:
    s = search(parser, "person", {"order_by": [{"field": "age", "direction": "desc"}, {"field": "name"}]})
    assert s.sort == (SortKey(("age",), True), SortKey(("name",)), SortKey(("id",)))
    assert s.where is None


def test_order_by_through_a_to_one_keeps_only_rows_with_one(parser: SearchParser) -> None:
    """0.17 joins the relation (INNER JOIN): rows without an owner are not in the result."""
    s = search(parser, "computer", {"order_by": [{"field": "owner__name"}], "filters": [{"name": "vendor", "op": "eq", "val": "Dell"}]})
    assert s.sort == (SortKey(("owner", "name")), SortKey(("id",)))
    assert s.where == And((Cmp("vendor", "eq", "Dell"), Related("owner")))


def test_limit_offset_single(parser: SearchParser) -> None:
    s = search(parser, "person", {"limit": 5, "offset": 2, "single": True})
    assert (s.limit, s.offset, s.single) == (5, 2, True)
    s = search(parser, "person", {"limit": 0, "offset": 0})  # 0.17: `if limit:` -- zero means none
    assert (s.limit, s.offset, s.single) == (None, 0, False)


# --- bad q: a 400 naming the member ----------------------------------------------------------

BAD = [
    ({"filters": [{"name": "nosuch", "op": "eq", "val": 1}]}, "person has no field 'nosuch' (at q.filters[0].name)"),
    ({"filters": [{"name": "age", "op": "foo", "val": 1}]}, "unknown operator 'foo' (at q.filters[0].op)"),
    ({"filters": [{"name": "age", "op": "gt", "val": "abc"}]}, "'age' must be an integer, not \"abc\" (at q.filters[0].val)"),
    ({"filters": [{"name": "age", "op": "in", "val": 3}]}, "'in' needs a list of values for 'age' (at q.filters[0].val)"),
    ({"filters": [{"name": "age", "op": "in", "val": [1, "x"]}]}, "(at q.filters[0].val[1])"),
    ({"filters": [{"name": "age", "op": "like", "val": "1%"}]}, "'like' needs a text field; 'age' is not one"),
    ({"filters": [{"name": "name", "op": "like", "val": 3}]}, "'like' needs a string pattern for 'name'"),
    ({"filters": [{"name": "name", "op": "eq"}]}, 'needs a value in "val"; to compare with null use is_null'),
    ({"filters": [{"name": "birth_date", "op": "lt", "val": "2nd Jan 1900"}]}, "'birth_date' must be a date as YYYY-MM-DD"),
    ({"filters": [{"name": "id", "op": "eq", "val": "abc"}]}, "'id' needs an integer id, not \"abc\""),
    ({"filters": [{"name": "name", "op": "desc"}]}, "'desc' is a sort direction, not a filter operator"),
    ({"filters": [{"name": "computers__vendor", "op": "eq", "val": "x"}]}, "can only be searched with 'has' or 'any'"),
    ({"filters": [{"name": "computers", "op": "eq", "val": 1}]}, "'computers' is a relation; search it with 'has' or 'any'"),
    ({"filters": [{"name": "computers", "op": "has", "val": {"name": "id", "op": "gt", "val": 1}}]}, "use 'any', not 'has'"),
    ({"filters": [{"name": "articles__nosuch", "op": "any", "val": 1}]}, "article has no field 'nosuch'"),
    ({"filters": [{"name": "computers", "op": "any", "val": "Apple"}]}, 'needs a filter object in "val"'),
    ({"filters": [{"name": "computers", "op": "any", "val": {"name": "nosuch", "op": "eq", "val": 1}}]}, "(at q.filters[0].val.name)"),
    ({"filters": [{"name": "computers__vendor", "op": "any", "val": ["a"]}]}, '"val" must be a single value'),
    ({"filters": [{"name": "a__b__c", "op": "any", "val": 1}]}, "only one level of relation__field"),
    ({"filters": [{"name": "age", "op": "lt", "field": "nosuch"}]}, "person has no field 'nosuch' (at q.filters[0].field)"),
    ({"filters": [{"name": "age", "op": "in", "field": "id"}]}, "operator 'in' cannot compare two fields"),
    ({"filters": [{"name": "age", "op": "lt", "val": 1, "field": "id"}]}, 'give either "val" or "field", not both'),
    ({"filters": [{"name": "age", "op": "lt", "value": 1}]}, "unknown filter key 'value'"),
    ({"filters": [{"or": [{"name": "age", "op": "lt", "val": 1}], "name": "x"}]}, 'exactly one key, "or" or "and"'),
    ({"filters": [{"or": {"name": "age"}}]}, '"or" must be a list of filters (at q.filters[0].or)'),
    ({"filters": [{"or": [{"name": "age", "op": "zz", "val": 1}]}]}, "unknown operator 'zz' (at q.filters[0].or[0].op)"),
    ({"filters": {"name": "age"}}, "filters must be a list"),
    ({"filters": ["age"]}, "a filter must be an object"),
    ({"filters": [{"op": "eq", "val": 1}]}, 'a filter needs a field name in "name"'),
    ({"order_by": [{"field": "nosuch"}]}, "person has no field 'nosuch' to sort by (at q.order_by[0].field)"),
    ({"order_by": [{"field": "age", "direction": "sideways"}]}, 'direction must be "asc" or "desc"'),
    ({"order_by": [{"field": "computers__name"}]}, "cannot sort by a field of the to-many relation 'computers'"),
    ({"order_by": [{"field": "age", "dir": "asc"}]}, "unknown order_by key 'dir'"),
    ({"limit": -1}, "limit must be a non-negative integer (at q.limit)"),
    ({"offset": "2"}, "offset must be a non-negative integer (at q.offset)"),
    ({"single": "yes"}, "single must be true or false"),
    ({"group_by": [{"field": "age"}]}, "group_by is not supported"),
    ({"disjunction": True, "filters": []}, '"disjunction" was removed in Flask-Restless 0.17'),
    ({"functions": []}, "unknown key 'functions' for a search"),
    ([1, 2], "q must be a JSON object"),
]


@pytest.mark.parametrize(("q", "says"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_q_is_a_400_naming_the_member(parser: SearchParser, q: Any, says: str) -> None:
    detail = problem(parser, "person", q)
    assert detail.startswith("Unable to construct query: "), detail
    assert says in detail, detail


def test_undecodable_q(parser: SearchParser) -> None:
    with pytest.raises(ProblemError) as info:
        parser.decode("{bad")
    (problem,) = info.value.problems
    assert problem.detail == "Unable to decode data" and problem.meta[REASON].startswith("q is not valid JSON")
