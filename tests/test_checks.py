"""relgate.checks: a Batch against the schema alone, before any target sees it."""

from __future__ import annotations

from relgate.checks import problems
from relgate.model import Add, After, Batch, Before, Create, Ident, Remove, Replace, SetOne
from tests.dialects.test_client_encoders import SCHEMA


def _codes(*ops) -> list[tuple[int, str, tuple]]:
    return [(p.status, p.code, p.at or ()) for p in problems(Batch(tuple(ops)), SCHEMA)]


def test_a_well_formed_batch_has_no_problems() -> None:
    ann = Create(Ident("people", lid="a", at=("atomic:operations", 0, "data")), "people", {"name": "Ann"})
    link = Add(Ident("people", lid="a"), "computers", (Ident("computers", "1"),), After(Ident("computers", "2")))
    assert _codes(ann, link) == []


def test_lids_must_be_defined_before_use_and_only_once() -> None:
    first = ("atomic:operations", 0)
    early = SetOne(Ident("articles", "1"), "author", Ident("people", lid="p", at=(*first, "data")), at=first)
    make = Create(Ident("people", lid="p", at=("atomic:operations", 1, "data")), "people", {"name": "A"})
    again = Create(Ident("people", lid="p", at=("atomic:operations", 2, "data")), "people", {"name": "B"})
    assert _codes(early, make, again) == [
        (400, "unknown-lid", ("atomic:operations", 0, "data")),
        (400, "invalid", ("atomic:operations", 2, "data")),
    ]


def test_relationship_names_and_kinds() -> None:
    at = ("data",)
    assert _codes(Add(Ident("people", "1"), "nope", (), at=at)) == [(404, "not-found", at)]
    assert _codes(Replace(Ident("articles", "1"), "author", (), at=at)) == [(400, "invalid", at)]
    assert _codes(SetOne(Ident("people", "1"), "computers", None, at=at)) == [(400, "invalid", at)]
    assert _codes(Remove(Ident("articles", "1"), "author", (Ident("people", "1"),), at=at)) == []  # removing a to-one is fine


def test_a_member_cannot_be_placed_relative_to_itself() -> None:
    one = Ident("computers", "1", at=("data", 0))
    anchor = Ident("computers", "1", at=("data", 0, "position", "before"))
    assert _codes(Add(Ident("people", "1"), "computers", (one,), Before(anchor))) == [(400, "invalid-position", anchor.at)]
    # one position per target (Strapi's connect): another item of the same connect is a fine anchor
    two = Ident("computers", "2")
    assert _codes(Add(Ident("people", "1"), "computers", (one, two), positions=(Before(anchor), Before(one)))) == [
        (400, "invalid-position", anchor.at)
    ]
