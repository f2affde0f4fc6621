"""The store on a real SQLite file and a real PostgreSQL database (every test runs on both)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from relgate.config import from_dict
from relgate.model import (
    Add,
    After,
    Aggregate,
    Batch,
    Before,
    Cmp,
    Create,
    Delete,
    DeleteWhere,
    End,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    List,
    Not,
    Or,
    Page,
    ProblemError,
    Query,
    Related,
    Remove,
    Replace,
    SetOne,
    SortKey,
    Start,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.store import Store
from tests.store_rows import store_rows


async def run(store: Store, *ops: Any) -> tuple[Any, ...]:
    return (await store.execute(Batch(tuple(ops)))).results


async def make(store: Store, type_: str, **attrs: Any) -> Ident:
    (one,) = await run(store, Create(None, type_, attrs))
    return one.item.ident


async def linkage(store: Store, ref: Ident, rel: str) -> list[str]:
    (res,) = await run(store, GetLinkage(ref, rel))
    return [i.id for i in res.linkage]


async def test_create_read_roundtrip_with_lids(store: Store) -> None:
    outcome = await store.execute(
        Batch(
            (
                Create(Ident("people", lid="ann"), "people", {"name": "Ann", "age": 31}),
                Create(Ident("computers", lid="c"), "computers", {"name": "lappy"}, {"owner": Ident("people", lid="ann")}),
                List("people", Query(include=(("computers",),))),
            )
        )
    )
    person_id = outcome.lids[("people", "ann")]
    listing = outcome.results[2]
    assert [p.id for p in listing.items] == [person_id]
    assert listing.items[0].relationships["computers"] == (Ident("computers", outcome.lids[("computers", "c")]),)
    assert [r.attributes["name"] for r in listing.included] == ["lappy"]
    assert outcome.results[0].item.lid == "ann"


async def test_failed_batch_leaves_every_table_unchanged(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    before = await store_rows(store)
    with pytest.raises(ProblemError) as err:
        await run(
            store,
            Create(None, "people", {"name": "Bob"}),
            Update(ann, {"age": 40}),
            Add(ann, "computers", (Ident("computers", "999", at=("data", 0)),)),
        )
    assert err.value.problems[0].status == 404
    assert err.value.problems[0].at == ("data", 0)
    assert await store_rows(store) == before


async def test_ordered_positions_insert_and_move(store: Store) -> None:
    r = await make(store, "restaurants", name="R")
    c = [await make(store, "categories", name=f"c{i}") for i in range(5)]
    await run(store, Replace(r, "categories", (c[0], c[1])))
    await run(store, Add(r, "categories", (c[2],), Before(c[0])))
    await run(store, Add(r, "categories", (c[3],), After(c[2])))
    await run(store, Add(r, "categories", (c[4],), Start()))
    assert await linkage(store, r, "categories") == [c[4].id, c[2].id, c[3].id, c[0].id, c[1].id]
    # A member already present is moved by a positioned add, and left alone by a plain one.
    await run(store, Add(r, "categories", (c[4],), End()))
    await run(store, Add(r, "categories", (c[0],)))
    assert await linkage(store, r, "categories") == [c[2].id, c[3].id, c[0].id, c[1].id, c[4].id]
    await run(store, Add(r, "categories", (c[1],), Before(c[2])))
    assert await linkage(store, r, "categories") == [c[1].id, c[2].id, c[3].id, c[0].id, c[4].id]
    # The inverse side sees the same rows.
    assert await linkage(store, c[3], "restaurants") == [r.id]


async def test_anchor_rules(store: Store) -> None:
    r = await make(store, "restaurants", name="R")
    a, b, outsider = [await make(store, "categories", name=n) for n in "ab_"]
    await run(store, Replace(r, "categories", (a,)))
    with pytest.raises(ProblemError) as err:
        await run(store, Add(r, "categories", (b,), Before(Ident("categories", outsider.id, at=("x",)))))
    assert (err.value.problems[0].status, err.value.problems[0].code, err.value.problems[0].at) == (400, "invalid-position", ("x",))
    await run(store, Add(r, "categories", (b,), Before(outsider, strict=False)))
    assert await linkage(store, r, "categories") == [a.id, b.id]
    with pytest.raises(ProblemError) as err:
        await run(store, Add(r, "categories", (a,), After(a)))
    assert err.value.problems[0].code == "invalid-position"


async def test_add_and_remove_are_idempotent(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    c1, c2 = await make(store, "computers", name="c1"), await make(store, "computers", name="c2")
    await run(store, Add(ann, "computers", (c1, c2)))
    await run(store, Add(ann, "computers", (c2, c1)))
    assert await linkage(store, ann, "computers") == [c1.id, c2.id]
    await run(store, Remove(ann, "computers", (c1,)))
    await run(store, Remove(ann, "computers", (c1, Ident("computers", "12345"))))
    assert await linkage(store, ann, "computers") == [c2.id]


async def test_one_to_many_moves_the_member_from_its_previous_owner(store: Store) -> None:
    ann, bob = await make(store, "people", name="Ann"), await make(store, "people", name="Bob")
    art = await make(store, "articles", title="t")
    await run(store, Add(ann, "articles", (art,)))
    await run(store, Add(bob, "articles", (art,)))
    assert await linkage(store, ann, "articles") == []
    (got,) = await run(store, Get(art))
    assert got.item.relationships["author"] == bob


async def test_replace_keeps_the_given_order_and_detaches_the_rest(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    cs = [await make(store, "computers", name=f"c{i}") for i in range(3)]
    await run(store, Replace(ann, "computers", (cs[2], cs[0])))
    assert sorted(await linkage(store, ann, "computers")) == sorted([cs[2].id, cs[0].id])
    await run(store, Replace(ann, "computers", ()))
    assert await linkage(store, ann, "computers") == []
    r = await make(store, "restaurants", name="R")
    cats = [await make(store, "categories", name=f"k{i}") for i in range(3)]
    await run(store, Replace(r, "categories", (cats[2], cats[0], cats[1])))
    await run(store, Replace(r, "categories", (cats[1], cats[2])))
    assert await linkage(store, r, "categories") == [cats[1].id, cats[2].id]


async def test_remove_can_delete_the_targets(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    c1, c2 = await make(store, "computers", name="c1"), await make(store, "computers", name="c2")
    await run(store, Add(ann, "computers", (c1, c2)))
    await run(store, Remove(ann, "computers", (c1,), delete_targets=True))
    (listing,) = await run(store, List("computers"))
    assert [c.id for c in listing.items] == [c2.id]


async def test_delete_clears_links_on_both_sides(store: Store) -> None:
    r = await make(store, "restaurants", name="R")
    cat = await make(store, "categories", name="k")
    ann = await make(store, "people", name="Ann")
    comp = await make(store, "computers", name="c")
    await run(store, Add(r, "categories", (cat,)), SetOne(comp, "owner", ann))
    await run(store, Delete(cat), Delete(ann))
    assert await linkage(store, r, "categories") == []
    (got,) = await run(store, Get(comp))
    assert got.item.relationships["owner"] is None


async def test_set_one_and_related_reads(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    art = await make(store, "articles", title="t")
    await run(store, SetOne(art, "author", ann))
    (rel,) = await run(store, GetRelated(art, "author"))
    assert rel.item.attributes["name"] == "Ann"
    (rel,) = await run(store, GetRelated(ann, "articles", Query(count=True)))
    assert ([a.id for a in rel.items], rel.total) == ([art.id], 1)
    await run(store, SetOne(art, "author", None))
    (rel,) = await run(store, GetRelated(art, "author"))
    assert rel.item is None


async def test_unique_and_existing_id_conflicts(store: Store) -> None:
    await make(store, "people", name="Ann")
    with pytest.raises(ProblemError) as err:
        await run(store, Create(None, "people", {"name": "Ann"}, at=("data",)))
    p = err.value.problems[0]
    assert (p.status, p.code, p.member, p.at) == (409, "conflict", "name", ("data",))
    tid = "6f1c8a52-3c1e-4a55-9d3f-2f4b8a6f0b11"
    await run(store, Create(Ident("trunks", tid), "trunks", {"name": "t"}))
    with pytest.raises(ProblemError) as err:
        await run(store, Create(Ident("trunks", tid, at=("data",)), "trunks", {"name": "again"}))
    assert err.value.problems[0].status == 409


async def test_filters_sort_page_and_count(store: Store) -> None:
    for name, age in (("Ann", 30), ("bob", 20), ("Cid", 40), ("dee", None)):
        await make(store, "people", name=name, age=age)
    (cid,) = [p for p in (await run(store, List("people")))[0].items if p.attributes["name"] == "Cid"]
    comp = await make(store, "computers", name="mac", vendor="Apple")
    await run(store, SetOne(comp, "owner", cid.ident))

    async def names(where: Any, **q: Any) -> list[str]:
        (res,) = await run(store, List("people", Query(where=where, **q)))
        return [p.attributes["name"] for p in res.items]

    assert await names(Cmp("age", "gt", 25), sort=(SortKey(("age",)),)) == ["Ann", "Cid"]
    assert await names(Cmp("name", "contains", "b")) == ["bob"]
    assert await names(Cmp("name", "contains", "B")) == []
    assert await names(Cmp("name", "icontains", "B")) == ["bob"]
    assert await names(Cmp("age", "is_null")) == ["dee"]
    assert await names(Cmp("age", "between", (20, 30))) == ["Ann", "bob"]
    assert await names(Or((Cmp("age", "eq", 20), Not(Cmp("age", "lt", 35))))) == ["bob", "Cid"]
    assert await names(Related("computers", Cmp("vendor", "eq", "Apple"))) == ["Cid"]
    assert await names(Not(Related("computers"))) == ["Ann", "bob", "dee"]
    assert await names(None, sort=(SortKey(("age",), descending=True),)) == ["dee", "Cid", "Ann", "bob"]
    (res,) = await run(store, List("people", Query(page=Page(1, 2), count=True, sort=(SortKey(("name",)),))))
    assert ([p.attributes["name"] for p in res.items], res.total) == (["Cid", "bob"], 4)
    (res,) = await run(store, List("computers", Query(sort=(SortKey(("owner", "name")),))))
    assert [c.attributes["name"] for c in res.items] == ["mac"]


async def test_bulk_update_delete_and_aggregate(store: Store) -> None:
    for name, age in (("a", 10), ("b", 20), ("c", 30)):
        await make(store, "people", name=name, age=age)
    (count,) = await run(store, UpdateWhere("people", Cmp("age", "ge", 20), {"age": 1}))
    assert count.n == 2
    (agg,) = await run(store, Aggregate("people", (("sum", "age"), ("max", "age"), ("count", "id"), ("avg", "age"))))
    assert agg.values == {("sum", "age"): 12, ("max", "age"): 10, ("count", "id"): 3, ("avg", "age"): 4.0}
    (count,) = await run(store, DeleteWhere("people", Cmp("age", "eq", 1)))
    assert count.n == 2


async def test_upsert_by_attribute(store: Store) -> None:
    (one,) = await run(store, Upsert(None, "people", ("name",), {"name": "Ann", "age": 1}))
    (two,) = await run(store, Upsert(None, "people", ("name",), {"name": "Ann", "age": 2}))
    assert one.item.id == two.item.id and two.item.attributes["age"] == 2


async def test_includes_are_deduplicated_and_sparse_fields_apply(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    arts = [await make(store, "articles", title=f"t{i}") for i in range(2)]
    await run(store, Add(ann, "articles", tuple(arts)))
    (res,) = await run(store, List("articles", Query(include=(("author", "articles"),), fields={"people": frozenset({"name"})})))
    assert [(r.type, r.id) for r in res.included] == [("people", ann.id)]
    assert set(res.included[0].attributes) == {"name"} and res.included[0].relationships == {}


async def test_unknown_lid_is_a_problem(store: Store) -> None:
    with pytest.raises(ProblemError) as err:
        await run(store, Create(None, "computers", {"name": "x"}, {"owner": Ident("people", lid="nobody", at=("d",))}))
    assert (err.value.problems[0].code, err.value.problems[0].at) == ("unknown-lid", ("d",))


ONE_TO_ONE: dict[str, Any] = {
    "routes": [{"prefix": "/x", "dialect": "jsonapi"}],
    "types": {
        "users": {"attributes": {"name": "string"}, "relationships": {"profile": {"type": "profiles", "inverse": "user"}}},
        "profiles": {"attributes": {"bio": "string"}, "relationships": {"user": {"type": "users", "inverse": "profile"}}},
    },
}


async def test_one_to_one_takes_the_target_from_its_previous_owner(store_url: str) -> None:
    config = from_dict(ONE_TO_ONE)
    store = Store.from_url(store_url, config.schema)
    await store.open()
    try:
        u1, u2 = await make(store, "users", name="u1"), await make(store, "users", name="u2")
        p = await make(store, "profiles", bio="b")
        await run(store, SetOne(u1, "profile", p))
        await run(store, SetOne(p, "user", u2))
        (a,), (b,) = await run(store, Get(u1)), await run(store, Get(u2))
        assert a.item.relationships["profile"] is None
        assert b.item.relationships["profile"] == p
    finally:
        await store.close()


async def test_remove_with_require_present_refuses_strangers(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    c1, c2 = await make(store, "computers", name="c1"), await make(store, "computers", name="c2")
    await run(store, Add(ann, "computers", (c1,)))
    stranger = Ident("computers", c2.id, at=("computers", "remove", 1))
    with pytest.raises(ProblemError) as err:
        await run(store, Remove(ann, "computers", (c1, stranger), require_present=True))
    assert [(p.status, p.at) for p in err.value.problems] == [(400, ("computers", "remove", 1))]
    assert await linkage(store, ann, "computers") == [c1.id]
    await run(store, Remove(ann, "computers", (c1,), require_present=True))
    assert await linkage(store, ann, "computers") == []


async def test_a_write_can_skip_its_read_back(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    outcome = await store.execute(
        Batch(
            (
                Update(ann, {"age": 5}, returning=False),
                Create(Ident("people", lid="b"), "people", {"name": "Bob"}, returning=False),
                Get(ann),
            )
        )
    )
    assert outcome.results[:2] == (None, None)
    assert outcome.results[2].item.attributes["age"] == 5
    assert ("people", "b") in outcome.lids


async def test_filters_take_the_python_dates_codecs_produce(store: Store) -> None:
    # Codecs coerce filter values at parse time (JSON:API, Strapi): the store must not re-read them as JSON strings.
    await make(store, "people", name="Ann", birth_date=dt.date(1990, 1, 2))
    await make(store, "people", name="Bob", birth_date=dt.date(2001, 5, 6))
    await make(store, "computers", name="pc", purchase_time=dt.datetime(2020, 1, 2, 3, 4, 5))

    async def names(type_: str, where: Any) -> list[str]:
        (res,) = await run(store, List(type_, Query(where=where)))
        return [r.attributes["name"] for r in res.items]

    assert await names("people", Cmp("birth_date", "lt", dt.date(2000, 1, 1))) == ["Ann"]
    assert await names("people", Cmp("birth_date", "in", (dt.date(2001, 5, 6),))) == ["Bob"]
    assert await names("computers", Cmp("purchase_time", "gt", dt.datetime(2020, 1, 2, 3, 0))) == ["pc"]
    # An offset is converted to UTC, as stored: 05:00+02:00 is 03:00 UTC.
    plus_two, minus_five = dt.timezone(dt.timedelta(hours=2)), dt.timezone(-dt.timedelta(hours=5))
    assert await names("computers", Cmp("purchase_time", "lt", dt.datetime(2020, 1, 2, 5, 0, tzinfo=plus_two))) == []
    with pytest.raises(ProblemError) as err:  # year 10000 in UTC
        await run(store, List("computers", Query(where=Cmp("purchase_time", "gt", dt.datetime(9999, 12, 31, 23, tzinfo=minus_five)))))
    assert err.value.status == 400


async def test_values_beyond_64_bits_are_not_found_or_empty_never_a_driver_error(store: Store) -> None:
    ann = await make(store, "people", name="Ann")
    huge = str(2**63)
    with pytest.raises(ProblemError) as err:
        await run(store, Get(Ident("people", huge)))
    assert err.value.status == 404
    with pytest.raises(ProblemError) as err:
        await run(store, Delete(Ident("people", huge)))
    assert err.value.status == 404
    (page,) = await run(store, List("people", Query(page=Page(2**70, 2**70), count=True)))
    assert (page.items, page.total) == ((), 1)
    (page,) = await run(store, List("people", Query(page=Page(0, 2**64))))
    assert [p.id for p in page.items] == [ann.id]


async def test_text_comparisons_take_text_fields_and_no_nul(store: Store) -> None:
    # PostgreSQL has no LIKE on integers and no NUL in text (SQLite allowed both): a 400 on both stores, not a 500 on one.
    await make(store, "people", name="Ann", age=30)
    await make(store, "contactsources", name="Web")
    for type_, where in (
        ("people", Cmp("age", "contains", "3")),
        ("people", Cmp("id", "startswith", "1")),
        ("people", Cmp("birth_date", "like", "1990%")),
        ("people", Cmp("name", "contains", "a\x00")),
    ):
        with pytest.raises(ProblemError) as err:
            await run(store, List(type_, Query(where=where)))
        assert err.value.status == 400, where
    (res,) = await run(store, List("people", Query(where=Cmp("name", "icontains", "AN"))))
    assert [p.attributes["name"] for p in res.items] == ["Ann"]
    (res,) = await run(store, List("contactsources", Query(where=Cmp("id", "like", "%-%"))))
    assert len(res.items) == 1  # generated string ids are uuids: text


async def test_lists_of_values_are_bounded(store: Store) -> None:
    # PostgreSQL's driver binds at most 32,767 values per statement: a longer list was a 500 there.
    await make(store, "people", name="Ann")
    with pytest.raises(ProblemError) as err:
        await run(store, List("people", Query(where=Cmp("id", "in", tuple(range(40_000))))))
    assert err.value.status == 400 and "at most 10000" in err.value.problems[0].detail
    (res,) = await run(store, List("people", Query(where=Cmp("id", "in", tuple(range(10_000))))))
    assert [p.attributes["name"] for p in res.items] == ["Ann"]
    # Several lists in one statement: a 400 where the store cannot bind them all, never a driver error.
    where = Or(tuple(Cmp("id", "in", tuple(range(k, k + 9_000))) for k in range(0, 36_000, 9_000)))
    try:
        (res,) = await run(store, List("people", Query(where=where)))
    except ProblemError as exc:
        assert exc.status == 400
    else:
        assert [p.attributes["name"] for p in res.items] == ["Ann"]
