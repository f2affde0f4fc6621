"""The qs bracket parser: what qs.parse gives, and a 400 where qs would guess."""

from __future__ import annotations

import pytest

from relgate.dialects.strapi.qs import QueryStringError, parse


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("sort=title:asc", {"sort": "title:asc"}),
        ("filters[title][$eq]=x", {"filters": {"title": {"$eq": "x"}}}),
        ("filters%5Btitle%5D%5B%24eq%5D=a%20b+c", {"filters": {"title": {"$eq": "a b c"}}}),
        ("populate[0]=a&populate[1]=b", {"populate": ["a", "b"]}),
        ("populate[1]=b&populate[0]=a", {"populate": ["a", "b"]}),
        ("a[]=1&a[]=2", {"a": ["1", "2"]}),
        ("sort=a&sort=b&sort=c", {"sort": ["a", "b", "c"]}),
        ("f[$or][0][n]=a&f[$or][1][n][$ne]=b", {"f": {"$or": [{"n": "a"}, {"n": {"$ne": "b"}}]}}),
        ("a[101]=x", {"a": {"101": "x"}}),
        ("a[5]=x&a[1]=y", {"a": ["y", "x"]}),
        ("filters[x][$null]", {"filters": {"x": {"$null": None}}}),
        ("x=&y", {"x": "", "y": None}),
        ("a=%E2%82%AC", {"a": "€"}),
        ("&&a=1&", {"a": "1"}),
    ],
)
def test_parse(query: str, expected: object) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("filters[name=x", "unbalanced"),
        ("a]=1", "unbalanced"),
        ("a[b[c]]=1", "unbalanced"),
        ("a[b]c=1", "unexpected text"),
        ("[a]=1", "no name"),
        ("a=1&a[b]=2", "both a value and nested keys"),
        ("a[b]=2&a=1", "both a value and nested keys"),
        ("a[0]=1&a[b]=2", "mixes array indexes"),
        ("a[b]=1&a[]=2", "mixes [] with named keys"),
        ("a" + "[x]" * 21 + "=1", "deeper than 20"),
    ],
)
def test_ambiguous_query_strings_are_refused(query: str, message: str) -> None:
    with pytest.raises(QueryStringError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(query)


def test_twenty_levels_are_fine() -> None:
    assert parse("a" + "[x]" * 20 + "=1")["a"]["x"]["x"]
