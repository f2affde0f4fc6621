"""The client halves' encoders read back by the server halves' parsers: ``parse(emit(x)) == x``.

One source for each rule: what the restless-legacy and strapi client halves write (``q`` filters,
qs bracket query strings, Strapi ``filters`` trees) must mean, to that dialect's own parser,
exactly the canonical value it was written from.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relgate.config import from_dict
from relgate.dialects.restless_filters import FilterWriter
from relgate.dialects.restless_legacy.fields import Catalog
from relgate.dialects.restless_legacy.search import SearchParser
from relgate.dialects.strapi import qs
from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.filters_out import FilterTree
from relgate.dialects.strapi.query import QueryParser
from relgate.model import And, Cmp, Filter, Not, Or, Related

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = from_dict(tomllib.loads((ROOT / "gateway.example.toml").read_text())).schema


class Refused(Exception):
    pass


def _fail(what, at):
    return Refused(what)


# --- qs ------------------------------------------------------------------------------------------

_text = st.text(alphabet="ab é&=+%#[]$\n", max_size=6)
_key = st.text(alphabet="abyz é&=+%#$._-", min_size=1, max_size=5)
_tree = st.recursive(
    _text | st.none(),
    lambda inner: st.lists(inner, min_size=1, max_size=3) | st.dictionaries(_key, inner, min_size=1, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_key, _tree, min_size=1, max_size=3))
def test_qs_encode_is_read_back_by_the_parser(params) -> None:
    assert qs.parse(qs.encode(params)) == params


def test_qs_encode_keeps_brackets_readable_and_escapes_values() -> None:
    text = qs.encode({"filters": {"name": {"$eq": "a&b=c d"}}, "populate": ["x"]})
    assert text == "filters[name][$eq]=a%26b%3Dc%20d&populate[0]=x"


# --- restless-legacy q ---------------------------------------------------------------------------

LEGACY = Catalog(SCHEMA)
LEGACY_FILTERS = [
    Cmp("age", "gt", 30),
    Cmp("name", "in", ("a", "b")),
    Cmp("birth_date", "is_null"),
    And((Cmp("age", "ge", 1), Cmp("name", "ne", "x"))),
    Or((Cmp("age", "lt", 3), Cmp("name", "like", "%J%"))),
    Related("computers", Cmp("vendor", "eq", "Apple")),
    Related("computers", None),
    Cmp("birth_date", "ge", "1990-01-02"),
]


@pytest.mark.parametrize("where", LEGACY_FILTERS, ids=repr)
def test_q_filters_are_read_back_by_the_legacy_parser(where: Filter) -> None:
    fields = LEGACY.of("people")
    writer = FilterWriter(LEGACY, _fail, not_like=False)
    parser = SearchParser(LEGACY)
    back = parser.search(fields, {"filters": writer.objects(fields, where)}).where
    if isinstance(where, Related) and where.where is None:
        assert back == Related("computers", Cmp("id", "is_not_null"))  # "has a member" as 0.17 says it
    else:
        assert back == where


def test_q_refuses_what_0_17_cannot_say() -> None:
    fields = LEGACY.of("people")
    writer = FilterWriter(LEGACY, _fail, not_like=False)
    with pytest.raises(Refused):
        writer.objects(fields, Not(Cmp("age", "eq", 1)))
    with pytest.raises(Refused):
        writer.objects(fields, Cmp("name", "not_like", "%x%"))


# --- Strapi filters ------------------------------------------------------------------------------

IDS = DocumentIds(SCHEMA.types)
STRAPI = QueryParser(SCHEMA, IDS, default_limit=25, max_limit=100, with_count=True)
STRAPI_FILTERS = [
    Cmp("age", "ge", 40),
    Cmp("name", "in", ("a", "b")),
    Cmp("name", "icontains", "x"),
    Cmp("birth_date", "between", (dt.date(1990, 1, 1), dt.date(2000, 1, 1))),
    Cmp("name", "is_null"),
    Or((Cmp("age", "lt", 3), Not(Cmp("name", "startswith", "J")))),
    And((Cmp("age", "gt", 1), Related("computers", Cmp("vendor", "eq", "Apple")))),
    Related("computers"),
    Not(Related("computers")),
]


def _strapi_back(type_name: str, where: Filter, id_key: str = "documentId") -> Filter | None:
    tree = FilterTree(SCHEMA, id_key, _fail).tree(type_name, where)
    return STRAPI.filters(qs.parse(qs.encode({"filters": tree}))["filters"], SCHEMA[type_name])


@pytest.mark.parametrize("where", STRAPI_FILTERS, ids=repr)
def test_strapi_filters_are_read_back_by_the_strapi_parser(where: Filter) -> None:
    assert _strapi_back("people", where) == where


def test_strapi_ids_and_like_patterns() -> None:
    doc = IDS.encode("people", "7")
    assert _strapi_back("people", Cmp("id", "eq", doc)) == Cmp("id", "eq", "7")  # a documentId names the row
    assert _strapi_back("people", Cmp("id", "eq", "7"), "id") == Cmp("id", "eq", "7")  # Strapi 4: the id itself
    assert _strapi_back("people", Cmp("name", "like", "%an%")) == Cmp("name", "contains", "an")
    assert _strapi_back("people", Cmp("name", "ilike", "an%")) == Cmp("name", "istartswith", "an")
    assert _strapi_back("people", Cmp("name", "in", ())) == Cmp("id", "is_null")  # matches nothing, is not dropped
    with pytest.raises(Refused):
        FilterTree(SCHEMA, "documentId", _fail).tree("people", Cmp("name", "like", "a%b%"))
    # a to-one compared by its id (0.17's owner_id): through the relation, by documentId
    assert _strapi_back("computers", Cmp("owner", "eq", doc)) == Related("owner", Cmp("id", "eq", "7"))
    assert _strapi_back("computers", Cmp("owner", "is_null")) == Not(Related("owner"))
