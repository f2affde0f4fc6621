"""Query parameters -> canonical Query (include, fields, sort, page, filter) and their 400s."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest

from relgate.config import Config
from relgate.dialects.jsonapi.query import COLLECTION, NOTHING, SINGLE, QueryParser
from relgate.dialects.wire import query_pairs
from relgate.model import And, Cmp, Not, Page, ProblemError, Related, SortKey


@pytest.fixture(scope="module")
def parser(example_config: Config) -> QueryParser:
    return QueryParser(example_config.schema, "jsonapi", example_config.server)


def parse(
    parser: QueryParser, example_config: Config, qs: str, type_name: str = "people", allowed: frozenset[str] = COLLECTION, **kw: object
):
    return parser.parse(query_pairs(qs), example_config.schema[type_name], allowed, paged=allowed == COLLECTION, **kw)  # type: ignore[arg-type]


def problems(parser: QueryParser, example_config: Config, qs: str, **kw: object) -> list[tuple[str | None, str]]:
    with pytest.raises(ProblemError) as exc:
        parse(parser, example_config, qs, **kw)  # type: ignore[arg-type]
    assert all(p.status == 400 and p.code == "bad-parameter" for p in exc.value.problems)
    return [(p.parameter, p.detail) for p in exc.value.problems]


def test_defaults_for_a_collection(parser: QueryParser, example_config: Config) -> None:
    args = parse(parser, example_config, "")
    assert args.query.page == Page(0, 20) and args.query.count
    assert (args.page_number, args.page_size, args.include_given) == (1, 20, False)


def test_include_fields_sort_page(parser: QueryParser, example_config: Config) -> None:
    args = parse(
        parser,
        example_config,
        "include=articles.author,computers,articles.author&fields[people]=name,articles&fields[article]=&sort=-age,name,id&page[number]=3&page[size]=5",
    )
    q = args.query
    assert q.include == (("articles", "author"), ("computers",))
    assert q.fields == {"people": frozenset({"name", "articles"}), "articles": frozenset()}
    assert q.sort == (SortKey(("age",), True), SortKey(("name",)), SortKey(("id",)))
    assert q.page == Page(10, 5)
    assert args.include_given


def test_brackets_may_be_percent_encoded(parser: QueryParser, example_config: Config) -> None:
    args = parse(parser, example_config, "page%5Bsize%5D=2&fields%5Bpeople%5D=name")
    assert args.query.page == Page(0, 2) and args.query.fields == {"people": frozenset({"name"})}


def test_page_size_is_clamped_and_links_keep_other_parameters(parser: QueryParser, example_config: Config) -> None:
    args = parse(parser, example_config, "sort=name&page[size]=5000&filter[age][gt]=1")
    assert args.page_size == example_config.server.max_page_size
    assert dict(parse_qsl(args.page_query(4))) == {"sort": "name", "filter[age][gt]": "1", "page[number]": "4", "page[size]": "100"}


def test_filters(parser: QueryParser, example_config: Config) -> None:
    q = parse(parser, example_config, "filter[name]=Bob").query
    assert q.where == Cmp("name", "eq", "Bob")
    q = parse(parser, example_config, "filter[age][ge]=3&filter[birth_date][lt]=2000-01-31").query
    assert q.where == And((Cmp("age", "ge", 3), Cmp("birth_date", "lt", dt.date(2000, 1, 31))))
    q = parse(parser, example_config, "filter[id][in]=1,2,3").query
    assert q.where == Cmp("id", "in", ("1", "2", "3"))
    q = parse(parser, example_config, "filter[age][is_null]=false").query
    assert q.where == Cmp("age", "is_not_null", None)
    q = parse(parser, example_config, "filter[author.computers.vendor][icontains]=app", "articles").query
    assert q.where == Related("author", Related("computers", Cmp("vendor", "icontains", "app")))
    q = parse(parser, example_config, "filter[owner]=2", "computers").query
    assert q.where == Related("owner", Cmp("id", "eq", "2"))
    q = parse(parser, example_config, "filter[purchase_time][gt]=2020-01-01T10:00:00", "computers").query
    assert q.where == Cmp("purchase_time", "gt", dt.datetime(2020, 1, 1, 10))


@pytest.mark.parametrize(
    ("qs", "param", "fragment"),
    [
        ("include=shoes", "include", "no relationship 'shoes'"),
        ("include=articles.author.pets", "include", "'people' has no relationship 'pets'"),
        ("fields[people]=shoe", "fields[people]", "no field 'shoe'"),
        ("fields[shoes]=x", "fields[shoes]", "Unknown type"),
        ("fields=name", "fields", "Unsupported"),
        ("sort=shoe", "sort", "Cannot sort"),
        ("sort=articles.title", "sort", "Cannot sort"),  # through a to-many
        ("sort=", "sort", "Cannot sort"),
        ("page[number]=x", "page[number]", "positive integer"),
        ("page[size]=0", "page[size]", "positive integer"),
        ("page[cursor]=abc", "page[cursor]", "Unsupported"),
        ("filter[shoe]=1", "filter[shoe]", "no field 'shoe'"),
        ("filter[age][between]=1", "filter[age][between]", "Unknown filter operator"),
        ("filter[age]=x", "filter[age]", "must be an integer"),
        ("filter[id]=x", "filter[id]", "not a valid integer id"),
        ("filter[birth_date]=yesterday", "filter[birth_date]", "date"),
        ("filter[age][is_null]=yes", "filter[age][is_null]", "true' or 'false"),
        ("filter[pets.name]=x", "filter[pets.name]", "no relationship 'pets'"),
        ("filter=x", "filter", "Unsupported"),
        ("filter[]=x", "filter[]", "Unsupported"),
        ("Sort=name", "Sort", "Unknown query parameter"),
        ("camelCase=1", "camelCase", "Unknown query parameter"),
        ("ext:param=1", "ext:param", "Unknown query parameter"),
        ("sort=name&sort=age", "sort", "more than once"),
    ],
)
def test_bad_parameters(parser: QueryParser, example_config: Config, qs: str, param: str, fragment: str) -> None:
    found = problems(parser, example_config, qs)
    assert found[0][0] == param
    assert fragment in found[0][1]


def test_every_bad_parameter_is_reported(parser: QueryParser, example_config: Config) -> None:
    assert [p for p, _ in problems(parser, example_config, "sort=x&shoe=1&include=y")] == ["sort", "shoe", "include"]


def test_endpoint_restrictions(parser: QueryParser, example_config: Config) -> None:
    assert [p for p, _ in problems(parser, example_config, "sort=name&page[size]=1&filter[name]=x", allowed=SINGLE)] == [
        "sort",
        "page[size]",
        "filter[name]",
    ]
    assert [p for p, _ in problems(parser, example_config, "include=articles", allowed=NOTHING)] == ["include"]
    args = parse(parser, example_config, "include=articles&fields[articles]=title", allowed=SINGLE)
    assert args.query.page is None and not args.query.count


def test_include_relative_to_a_relationship(parser: QueryParser, example_config: Config) -> None:
    args = parse(parser, example_config, "include=articles.author", allowed=SINGLE, include_head="articles")
    assert args.query.include == (("articles", "author"),)
    assert problems(parser, example_config, "include=computers", allowed=SINGLE, include_head="articles")[0][0] == "include"


def test_empty_include_asks_for_no_resources_but_is_given(parser: QueryParser, example_config: Config) -> None:
    args = parse(parser, example_config, "include=", allowed=SINGLE)
    assert args.query.include == () and args.include_given


def test_is_null_on_a_relationship_means_no_related_resource(parser: QueryParser, example_config: Config) -> None:
    q = parse(parser, example_config, "filter[owner][is_null]=true", "computers").query
    assert q.where == Not(Related("owner"))  # "the related id is null" would match no row at all
    q = parse(parser, example_config, "filter[author.computers][is_null]=false", "articles").query
    assert q.where == Related("author", Related("computers"))
    assert problems(parser, example_config, "filter[owner][is_null]=yes", type_name="computers")[0][0] == "filter[owner][is_null]"
