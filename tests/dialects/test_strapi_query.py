"""Strapi query parameters -> canonical Query (filters, sort, fields, populate, pagination)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.qs import parse
from relgate.dialects.strapi.query import QueryParser, View
from relgate.model import And, Cmp, Not, Or, Page, ProblemError, Query, Related, SortKey


@pytest.fixture(scope="module")
def qp(example_config: Config) -> QueryParser:
    schema = example_config.schema
    return QueryParser(schema, DocumentIds(schema.types), default_limit=25, max_limit=100, with_count=True)


def read(qp: QueryParser, query: str, type_: str = "people") -> tuple[Query, View, Any]:
    return qp.read(parse(query), qp.schema[type_], listing=True)


def where(qp: QueryParser, query: str, type_: str = "people") -> Any:
    return read(qp, query, type_)[0].where


def strapi_error(excinfo: pytest.ExceptionInfo[ProblemError]) -> dict[str, Any]:
    meta = excinfo.value.problems[0].meta
    assert meta is not None
    return meta["strapi"]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("$eq", "Ann", Cmp("name", "eq", "Ann")),
        ("$ne", "Ann", Cmp("name", "ne", "Ann")),
        ("$lt", "Ann", Cmp("name", "lt", "Ann")),
        ("$lte", "Ann", Cmp("name", "le", "Ann")),
        ("$gt", "Ann", Cmp("name", "gt", "Ann")),
        ("$gte", "Ann", Cmp("name", "ge", "Ann")),
        ("$contains", "nn", Cmp("name", "contains", "nn")),
        ("$notContains", "nn", Cmp("name", "not_contains", "nn")),
        ("$containsi", "NN", Cmp("name", "icontains", "NN")),
        ("$notContainsi", "NN", Cmp("name", "not_icontains", "NN")),
        ("$startsWith", "A", Cmp("name", "startswith", "A")),
        ("$startsWithi", "a", Cmp("name", "istartswith", "a")),
        ("$endsWith", "n", Cmp("name", "endswith", "n")),
        ("$endsWithi", "N", Cmp("name", "iendswith", "N")),
        ("$null", "true", Cmp("name", "is_null")),
        ("$null", "false", Cmp("name", "is_not_null")),
        ("$notNull", "true", Cmp("name", "is_not_null")),
        ("$notNull", "0", Cmp("name", "is_null")),
        ("$eqi", "ann", Cmp("name", "ilike", "ann")),
        ("$nei", "ann", Not(Cmp("name", "ilike", "ann"))),
    ],
)
def test_every_operator(qp: QueryParser, op: str, value: str, expected: Any) -> None:
    assert where(qp, f"filters[name][{op}]={value}") == expected


def test_list_operators_and_values_of_the_attribute_type(qp: QueryParser) -> None:
    assert where(qp, "filters[age][$in][0]=1&filters[age][$in][1]=2") == Cmp("age", "in", (1, 2))
    assert where(qp, "filters[age][$notIn]=3") == Cmp("age", "not_in", (3,))
    assert where(qp, "filters[age][$between][0]=1&filters[age][$between][1]=9") == Cmp("age", "between", (1, 9))
    assert where(qp, "filters[birth_date][$gte]=2020-01-02") == Cmp("birth_date", "ge", dt.date(2020, 1, 2))
    assert where(qp, "filters[purchase_time][$lt]=2024-01-01T10:00:00Z", "computers") == Cmp(
        "purchase_time", "lt", dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC)
    )
    assert where(qp, "filters[age]=7") == Cmp("age", "eq", 7)  # a bare value is $eq
    assert where(qp, "filters[age][0]=7&filters[age][1]=8") == Cmp("age", "in", (7, 8))  # an array is $in
    assert where(qp, "filters[id][$eq]=12") == Cmp("id", "eq", "12")
    assert where(qp, "filters[age][$eq]") == Cmp("age", "eq", None)  # strictNullHandling: no value is null
    assert where(qp, "filters[name]=x&filters[age]=3") == And((Cmp("name", "eq", "x"), Cmp("age", "eq", 3)))


def test_logical_operators(qp: QueryParser) -> None:
    got = where(qp, "filters[$or][0][name]=a&filters[$or][1][$and][0][age][$gt]=1&filters[$or][1][$and][1][$not][age]=5")
    assert got == Or((Cmp("name", "eq", "a"), And((Cmp("age", "gt", 1), Not(Cmp("age", "eq", 5))))))
    assert where(qp, "filters[age][$not][$lt]=3") == Not(Cmp("age", "lt", 3))
    assert where(qp, "filters[age][$or][0][$lt]=3&filters[age][$or][1][$gt]=9") == Or((Cmp("age", "lt", 3), Cmp("age", "gt", 9)))


def test_filters_through_relations(qp: QueryParser) -> None:
    assert where(qp, "filters[articles][title][$eq]=T") == Related("articles", Cmp("title", "eq", "T"))
    assert where(qp, "filters[articles][author][name][$startsWith]=A") == Related(
        "articles", Related("author", Cmp("name", "startswith", "A"))
    )
    assert where(qp, "filters[author]=3", "articles") == Related("author", Cmp("id", "eq", "3"))
    assert where(qp, "filters[author][$in][0]=3", "articles") == Related("author", Cmp("id", "in", ("3",)))
    assert where(qp, "filters[articles][$null]=true") == Not(Related("articles"))
    assert where(qp, "filters[articles][$notNull]=true") == Related("articles")
    assert where(qp, "filters[author][id][$null]=true", "articles") == Not(Related("author"))
    assert where(qp, "filters[$not][articles][title]=T") == Not(Related("articles", Cmp("title", "eq", "T")))
    assert where(qp, "filters[articles][$and][0][title]=T&filters[articles][$and][1][author]=2") == Related(
        "articles", And((Cmp("title", "eq", "T"), Related("author", Cmp("id", "eq", "2"))))
    )


def test_document_id_filters(qp: QueryParser) -> None:
    doc = qp.ids.encode("people", "4")
    assert where(qp, f"filters[documentId][$eq]={doc}") == Cmp("id", "eq", "4")
    assert where(qp, f"filters[documentId][$in][0]={doc}&filters[documentId][$in][1]=nope") == Cmp("id", "in", ("4",))
    assert where(qp, "filters[documentId]=nope") == Cmp("id", "in", ())
    other = qp.ids.encode("articles", "4")
    assert where(qp, f"filters[documentId]={other}") == Cmp("id", "in", ())  # a documentId of another type matches nothing


def test_search(qp: QueryParser) -> None:
    assert where(qp, "_q=an") == Or((Cmp("name", "icontains", "an"),))
    assert where(qp, "_q=x", "computers") == Or((Cmp("name", "icontains", "x"), Cmp("vendor", "icontains", "x")))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("filters[nope]=1", "Invalid key nope"),
        ("filters[name][$STARTSWITH]=A", "Invalid key $STARTSWITH at name.$STARTSWITH"),
        ("filters[name][$foo]=A", "Invalid key $foo at name.$foo"),
        ("filters[$eq]=A", "Invalid key $eq"),
        ("filters[articles][nope]=1", "Invalid key nope at articles.nope"),
        ("filters=x", "Invalid key filters: expected an object"),
        ("filters[age][$eq]=old", "Invalid value for age.$eq: 'old' is not a valid integer"),
        ("filters[id][$eq]=abc", "Invalid value for id.$eq: 'abc' is not a valid number"),
        ("filters[birth_date][$eq]=tomorrow", "Invalid value for birth_date.$eq: 'tomorrow' is not a valid date"),
        ("filters[age][$between]=1", "Invalid value for age.$between: $between takes two values"),
        ("filters[name][$null]=maybe", "Invalid value for name.$null: expected true or false"),
        ("filters[name][$eqi]=50%25", "relgate cannot compare a value containing %, _ or \\ case-insensitively"),
        ("filters[$or]=x", "Invalid key $or: expected an array"),
        ("filters[age][$eq][x]=1", "Invalid value for age.$eq: expected a single value"),
    ],
)
def test_bad_filters(qp: QueryParser, query: str, message: str) -> None:
    with pytest.raises(ProblemError) as err:
        read(qp, query)
    e = strapi_error(err)
    assert (e["status"], e["name"]) == (400, "ValidationError")
    assert e["message"].startswith(message) or e["message"].endswith(message)


def test_sort(qp: QueryParser) -> None:
    assert read(qp, "sort=name")[0].sort == (SortKey(("name",)),)
    assert read(qp, "sort=age:DESC,name:asc")[0].sort == (SortKey(("age",), True), SortKey(("name",)))
    assert read(qp, "sort[0]=age:desc&sort[1]=id")[0].sort == (SortKey(("age",), True), SortKey(("id",)))
    assert read(qp, "sort[age]=desc")[0].sort == (SortKey(("age",), True),)
    assert read(qp, "sort=author.name:desc", "articles")[0].sort == (SortKey(("author", "name"), True),)
    assert read(qp, "sort[author][name]=asc", "articles")[0].sort == (SortKey(("author", "name")),)
    assert read(qp, "sort=documentId")[0].sort == (SortKey(("id",)),)
    for bad, message in [
        ("sort=nope", "Invalid key nope"),
        ("sort=name:up", "Invalid order. order can only be one of asc|desc|ASC|DESC"),
        ("sort=articles.title", "Invalid key articles at articles.title: relgate sorts only through to-one relations"),
    ]:
        with pytest.raises(ProblemError) as err:
            read(qp, bad, "people")
        assert strapi_error(err)["message"] == message


def test_fields_and_populate(qp: QueryParser) -> None:
    query, view, _ = read(qp, "fields[0]=name&populate[articles][fields][0]=title&populate[articles][populate][author][fields]=age")
    assert view.fields == frozenset({"name"})
    assert view.populate["articles"].fields == frozenset({"title"})
    assert view.populate["articles"].populate["author"].fields == frozenset({"age"})
    assert query.include == (("articles",), ("articles", "author"))
    # The store is asked for what some place of the response shows, nothing more.
    assert query.fields == {"people": frozenset({"name", "age", "articles"}), "articles": frozenset({"title", "author"})}
    assert read(qp, "populate=*")[1].populate.keys() == {"articles", "computers"}
    assert read(qp, "populate=articles,computers")[0].include == (("articles",), ("computers",))
    assert read(qp, "populate[0]=articles.author")[0].include == (("articles",), ("articles", "author"))
    assert read(qp, "populate[articles]=true&populate[computers]=false")[0].include == (("articles",),)
    assert read(qp, "populate[articles][populate]=*")[0].include == (("articles",), ("articles", "author"))
    assert read(qp, "populate[articles][sort]=title:desc")[1].populate["articles"].sort == (SortKey(("title",), True),)
    unpopulated = read(qp, "")[0]
    assert unpopulated.include == () and unpopulated.fields == {"people": frozenset({"name", "age", "birth_date"})}
    for bad, message in [
        ("populate=nope", "Invalid key nope"),
        ("populate=articles.nope", "Invalid key nope at articles.nope"),
        ("populate[articles][nope]=1", "Invalid key nope at articles.nope"),
        ("populate[articles][filters][title]=x", "relgate does not support filters inside populate"),
        ("populate[articles]=maybe", "Invalid key articles: expected true, false or an object"),
        ("fields=articles", "Invalid key articles"),
        ("populate[articles][fields]=nope", "Invalid key nope at articles.fields.nope"),
    ]:
        with pytest.raises(ProblemError) as err:
            read(qp, bad)
        assert strapi_error(err)["message"].startswith(message), bad


@pytest.mark.parametrize(
    ("query", "page", "paging"),
    [
        ("", Page(0, 25), (True, 0, 25, True)),
        ("pagination[page]=3&pagination[pageSize]=10", Page(20, 10), (True, 20, 10, True)),
        ("pagination[pageSize]=1000", Page(0, 100), (True, 0, 100, True)),
        ("pagination[start]=5&pagination[limit]=2", Page(5, 2), (False, 5, 2, True)),
        ("pagination[start]=5", Page(5, 25), (False, 5, 25, True)),
        ("pagination[limit]=-1", Page(0, 100), (False, 0, 100, True)),
        ("pagination[limit]=0", Page(0, 1), (False, 0, 1, True)),
        ("pagination[withCount]=f", Page(0, 25), (True, 0, 25, False)),
        ("pagination[withCount]=1", Page(0, 25), (True, 0, 25, True)),
    ],
)
def test_pagination(qp: QueryParser, query: str, page: Page, paging: tuple[Any, ...]) -> None:
    q, _, p = read(qp, query)
    assert q.page == page
    assert (p.by_page, p.start, p.limit, p.count) == paging
    assert q.count == paging[3]


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("pagination[page]=0", "PaginationError", "Invalid 'page' parameter. Expected an integer > 0, received: 0"),
        ("pagination[page]=x", "PaginationError", "Invalid 'page' parameter. Expected an integer > 0, received: x"),
        ("pagination[pageSize]=-2", "PaginationError", "Invalid 'pageSize' parameter. Expected an integer > 0, received: -2"),
        ("pagination[start]=-1", "PaginationError", "Invalid 'start' parameter. Expected an integer >= 0, received: -1"),
        ("pagination[limit]=-5", "PaginationError", "Invalid 'limit' parameter. Expected an integer >= 0 or -1, received: -5"),
        ("pagination[page]=1&pagination[start]=0", "PaginationError", "Cannot use both page & offset pagination in the same query"),
        ("pagination[withCount]=yes", "ValidationError", 'Invalid withCount parameter. Expected "t","1","true","false","0","f"'),
        ("pagination=5", "PaginationError", "Invalid pagination parameter. Expected an object"),
    ],
)
def test_bad_pagination(qp: QueryParser, query: str, name: str, message: str) -> None:
    with pytest.raises(ProblemError) as err:
        read(qp, query)
    e = strapi_error(err)
    assert (e["status"], e["name"], e["message"]) == (400, name, message)


def test_find_one_reads_only_populate_and_fields(qp: QueryParser) -> None:
    q, view, paging = qp.read(parse("populate=articles&filters[name]=x&sort=name"), qp.schema["people"], listing=False)
    assert paging is None and q.where is None and q.sort == () and q.page is None
    assert q.include == (("articles",),) and view.populate.keys() == {"articles"}
