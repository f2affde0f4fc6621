"""The store's tables against a changed configuration: created once, additive changes applied, the rest refused.

Real SQLite files and real PostgreSQL databases (``store_url`` runs each test on both).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from relgate.config import from_dict
from relgate.model import Add, Batch, Create, Get, GetLinkage, Ident, Query, SetOne
from relgate.store import Store, StoreSchemaError
from tests.conftest import PG_HOST, PG_PORT, PG_USER, _pg_admin, _require_pg

BASE: dict[str, Any] = {
    "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi"}],
    "types": {
        "people": {
            "attributes": {"name": {"type": "string", "unique": True}, "age": "integer"},
            "relationships": {"articles": {"type": "articles", "many": True, "inverse": "author"}},
        },
        "articles": {"attributes": {"title": "string"}, "relationships": {"author": {"type": "people", "inverse": "articles"}}},
    },
}


def schema(change: Any = None) -> Any:
    data = copy.deepcopy(BASE)
    if change is not None:
        change(data["types"])
    return from_dict(data).schema


async def opened(url: str, change: Any = None) -> Store:
    store = Store.from_url(url, schema(change))
    try:
        await store.open()
    except BaseException:
        await store.close()
        raise
    return store


async def columns(store: Store, table: str) -> dict[str, str]:
    async with store.engine.connect() as conn:
        cols = await conn.run_sync(lambda c: sa.inspect(c).get_columns(table))
    return {c["name"]: str(c["type"]) for c in cols}


async def one(store: Store, *ops: Any) -> Any:
    return (await store.execute(Batch(tuple(ops)))).results


def additive(types: dict[str, Any]) -> None:
    types["people"]["attributes"]["email"] = {"type": "string", "unique": True}
    types["people"]["relationships"]["articles"]["ordered"] = True
    types["articles"]["relationships"]["editor"] = {"type": "people"}
    types["tags"] = {"attributes": {"label": "string"}, "relationships": {"articles": {"type": "articles", "many": True, "ordered": True}}}


async def test_additive_changes_are_applied_at_start_up_and_logged(store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    old = await opened(store_url)
    (ann,) = await one(old, Create(None, "people", {"name": "Ann", "age": 3}))
    (art,) = await one(old, Create(None, "articles", {"title": "t"}, {"author": ann.item.ident}))
    await old.close()
    with caplog.at_level(logging.INFO, logger="relgate.store"):
        new = await opened(store_url, additive)
    try:
        logged = " | ".join(r.getMessage() for r in caplog.records)
        for expected in ("people.email", "articles.editor_id", "articles.author_rank", "tags"):
            assert expected in logged, logged
        # every new field works at once, and what was stored is still there
        (bob,) = await one(new, Create(None, "people", {"name": "Bob", "email": "b@x"}))
        await one(new, SetOne(art.item.ident, "editor", bob.item.ident))
        (tag,) = await one(new, Create(None, "tags", {"label": "l"}, {"articles": (art.item.ident,)}))
        (got,) = await one(new, Get(art.item.ident, Query()))
        assert got.item.relationships["editor"] == bob.item.ident
        assert got.item.attributes["title"] == "t"
        (a2,) = await one(new, Create(None, "articles", {"title": "u"}))
        await one(new, Add(ann.item.ident, "articles", (a2.item.ident,)))
        (links,) = await one(new, GetLinkage(ann.item.ident, "articles"))
        assert [i.id for i in links.linkage] == [a2.item.id, art.item.id]  # members from before the flag have no rank: last
        with pytest.raises(Exception):  # noqa: B017 - the new unique attribute is unique
            await one(new, Create(None, "people", {"name": "Cy", "email": "b@x"}))
        del tag
    finally:
        await new.close()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="relgate.store"):
        again = await opened(store_url, additive)  # nothing left to change
    await again.close()
    assert [r.getMessage() for r in caplog.records if "store schema" in r.getMessage()] == []


def dropped(types: dict[str, Any]) -> None:
    del types["people"]["attributes"]["age"]


def retyped(types: dict[str, Any]) -> None:
    types["articles"]["attributes"]["title"] = "integer"


def made_unique(types: dict[str, Any]) -> None:
    types["articles"]["attributes"]["title"] = {"type": "string", "unique": True}


@pytest.mark.parametrize(
    ("change", "names"), [(dropped, "people.age"), (retyped, "articles.title"), (made_unique, "articles.title becomes unique")]
)
async def test_a_change_that_loses_data_stops_start_up_with_one_line_and_changes_nothing(store_url: str, change: Any, names: str) -> None:
    old = await opened(store_url)
    await one(old, Create(None, "people", {"name": "Ann", "age": 3}))
    before = {t: await columns(old, t) for t in ("people", "articles")}
    await old.close()
    store = Store.from_url(store_url, schema(lambda t: (change(t), additive(t))))
    try:
        with pytest.raises(StoreSchemaError) as err:
            await store.open()
        line = str(err.value)
        assert "\n" not in line
        assert names in line and "relgate migrate" in line
        assert "email" not in line  # additive changes are not differences that stop start-up
        assert {t: await columns(store, t) for t in ("people", "articles")} == before  # not even the additive ones applied
    finally:
        await store.close()


async def test_a_type_no_longer_configured_keeps_its_table_and_start_up_goes_on(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = await opened(store_url)
    (ann,) = await one(old, Create(None, "people", {"name": "Ann", "age": 3}))
    await one(old, Create(None, "articles", {"title": "t"}, {"author": ann.item.ident}))
    await old.close()

    def without_articles(types: dict[str, Any]) -> None:
        del types["articles"]
        del types["people"]["relationships"]["articles"]

    with caplog.at_level(logging.WARNING, logger="relgate.store"):
        store = await opened(store_url, without_articles)
    try:
        assert any("articles" in r.getMessage() and "left as it is" in r.getMessage() for r in caplog.records)
        assert (await one(store, Get(ann.item.ident, Query())))[0].item.attributes["name"] == "Ann"
        async with store.engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT count(*) FROM articles"))).scalar() == 1
    finally:
        await store.close()


async def test_migrate_dry_run_shows_the_sql_then_migrate_applies_it(store_url: str) -> None:
    old = await opened(store_url)
    (ann,) = await one(old, Create(None, "people", {"name": "Ann", "age": 3}))
    await one(old, Create(None, "articles", {"title": "42"}, {"author": ann.item.ident}))
    await old.close()
    store = Store.from_url(store_url, schema(lambda t: (dropped(t), retyped(t))))
    try:
        changes, sql = await store.migrate(dry_run=True)
        assert any("people.age" in c for c in changes) and any("articles.title" in c for c in changes)
        assert sql and any("DROP" in s.upper() or "CAST" in s.upper() for s in sql)
        assert "age" in await columns(store, "people")  # the dry run changed nothing
        with pytest.raises(StoreSchemaError):
            await store.open()
        await store.migrate()
        await store.open()
        assert "age" not in await columns(store, "people")
        (person,) = await one(store, Get(ann.item.ident, Query(include=(("articles",),))))
        assert person.item.attributes == {"name": "Ann"}
        assert [a.attributes["title"] for a in person.included] == [42]
        assert (await store.migrate())[0] == []  # nothing left
    finally:
        await store.close()


async def test_a_store_from_before_unique_ranks_is_re_keyed_in_its_order(store_url: str) -> None:
    """Old stores have a plain rank index and may hold shared ranks (the concurrency bug)."""

    def ordered(types: dict[str, Any]) -> None:
        types["people"]["relationships"]["articles"]["ordered"] = True

    store = Store.from_url(store_url, schema(ordered))
    arts = store.tables.of("articles")
    (ux,) = [i for i in arts.indexes if i.unique]
    arts.indexes.discard(ux)
    old_index = sa.Index("ix_articles_author_id_author_rank", arts.c.author_id, arts.c.author_rank)
    async with store.engine.begin() as conn:
        await conn.run_sync(store.tables.metadata.create_all)
        await conn.execute(sa.insert(store.tables.of("people")).values(id=1, name="Ann"))
        rows = [("a", "a1"), ("b", "a0"), ("c", "a1"), ("d", "a1"), ("e", None)]
        await conn.execute(sa.insert(arts), [{"id": i + 1, "title": t, "author_id": 1, "author_rank": r} for i, (t, r) in enumerate(rows)])
    arts.indexes.discard(old_index)
    arts.indexes.add(ux)
    await store.close()
    store = await opened(store_url, ordered)
    try:
        (links,) = await one(store, GetLinkage(Ident("people", "1"), "articles"))
        assert [i.id for i in links.linkage] == ["2", "1", "3", "4", "5"]  # b, then a c d by id, then the unranked e
        async with store.engine.connect() as conn:
            ranks = (await conn.execute(sa.select(arts.c.author_rank).where(arts.c.author_rank.is_not(None)))).scalars().all()
        assert len(ranks) == len(set(ranks)) == 4
    finally:
        await store.close()


@pytest.fixture
def pg_server() -> None:
    _require_pg()  # (synchronous: it runs its own event loop)


@pytest.mark.postgres
async def test_two_stores_opening_one_empty_postgresql_database_at_once_both_succeed(pg_server: None) -> None:
    for _ in range(4):
        name = f"relgate_t_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
        stores = [Store.from_url(url, schema(additive)) for _ in range(3)]
        try:
            results = await asyncio.gather(*(s.open() for s in stores), return_exceptions=True)
            assert [r for r in results if isinstance(r, BaseException)] == []
        finally:
            for s in stores:
                await s.close()
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
