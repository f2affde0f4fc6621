"""Database failures answered as relgate's own problems: 503 for contention, 400/409 in relgate's words.

The driver's text (constraint and table names, SQLite's messages) goes to the log; the caller
gets a status that says what to do and a message that names relgate's own terms.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from urllib.parse import quote

import httpx
import orjson
import pytest
import sqlalchemy as sa

from relgate.app import Gateway
from relgate.config import Config
from relgate.model import Batch, Cmp, Create, Ident, List, Or, ProblemError, Query
from relgate.store import Store


async def run(store: Store, *ops):
    return await store.execute(Batch(tuple(ops)))


async def test_sqlite_write_lock_held_elsewhere_is_503_with_retry_after(example_config: Config, sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url, example_config.schema, lock_timeout=0.2)
    await store.open()
    other = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(ProblemError) as err:
            await run(store, Create(None, "people", {"name": "Ann"}))
        assert err.value.status == 503
        assert err.value.headers.get("Retry-After") == "1"
        assert "locked" not in err.value.problems[0].detail
        other.execute("ROLLBACK")
        await run(store, Create(None, "people", {"name": "Ann"}))  # the store works once the lock is gone
    finally:
        other.close()
        await store.close()


DOORS = [
    ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
    ("/restless/api/person", {"data": {"type": "person", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
    ("/legacy/api/person", {"name": "Ann"}, "application/json"),
    ("/strapi/api/people", {"data": {"name": "Ann"}}, "application/json"),
    ("/oro/api/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
]


@pytest.mark.parametrize(("url", "body", "media"), DOORS, ids=[d[0].split("/")[1] for d in DOORS])
async def test_every_door_answers_a_busy_sqlite_store_503_in_its_dialect(
    example_config: Config, sqlite_url: str, url: str, body: dict, media: str
) -> None:
    store = Store.from_url(sqlite_url, example_config.schema, lock_timeout=0.2)
    other = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    async with Gateway(dataclasses.replace(example_config, store_url=sqlite_url), store=store) as gw:
        transport = httpx.ASGITransport(app=gw)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as c:
            other.execute("BEGIN IMMEDIATE")
            try:
                r = await c.post(url, content=orjson.dumps(body), headers={"Content-Type": media, "Accept": media})
            finally:
                other.execute("ROLLBACK")
                other.close()
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    assert "locked" not in r.text and "sqlite" not in r.text.lower()
    assert r.json()  # a document in the door's own error format, not an empty body


async def test_a_filter_with_a_thousand_or_terms_is_400_on_sqlite_and_answered_on_postgresql(store: Store) -> None:
    where = Or(tuple(Cmp("name", "eq", f"n{i}") for i in range(1200)))
    if store.engine.dialect.name == "postgresql":
        (res,) = (await run(store, List("people", Query(where=where)))).results
        assert res.items == ()
        return
    with pytest.raises(ProblemError) as err:  # SQLite's expression depth limit (1,000)
        await run(store, List("people", Query(where=where)))
    assert err.value.status == 400
    assert "Expression tree" not in err.value.problems[0].detail


async def test_legacy_q_with_a_thousand_or_terms_is_400(client: httpx.AsyncClient) -> None:
    q = {"filters": [{"or": [{"name": "age", "op": "==", "val": i} for i in range(1000)]}]}
    # quoted by hand, leaving what a query may hold as it is: httpx refuses a query over 64 KiB
    r = await client.get("/legacy/api/person?q=" + quote(orjson.dumps(q).decode(), safe=":,=[]"))
    assert r.status_code == 400, r.text
    assert "Expression tree" not in r.text and r.json()["message"]


async def test_an_explicit_integer_id_does_not_break_later_creates(store: Store) -> None:
    await run(store, Create(Ident("people", "2"), "people", {"name": "Two"}))
    await run(store, Create(Ident("people", "5"), "people", {"name": "Five"}))
    made = [(await run(store, Create(None, "people", {"name": f"p{i}"}))).results[0].item.id for i in range(6)]
    assert not {"2", "5"} & set(made)
    assert len(set(made)) == 6


async def test_a_unique_conflict_found_by_the_database_names_the_attribute_not_the_constraint(store: Store) -> None:
    results = await asyncio.gather(
        *(run(store, Create(Ident("people", lid="x", at=("data",)), "people", {"name": "same"}, at=("data",))) for _ in range(8)),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, ProblemError)]
    assert len(failed) == 7
    for f in failed:
        (p,) = f.problems
        assert (p.status, p.code, p.member) == (409, "conflict", "name")
        assert p.at == ("data",)
        assert "people_name_key" not in p.detail and "UNIQUE constraint" not in p.detail and "people.name" not in p.detail


async def test_a_store_whose_sequence_is_behind_its_rows_still_creates(store: Store) -> None:
    """A store written before ids advanced the sequence (rows 1-3 inserted with explicit ids)."""
    people = store.tables.of("people")
    async with store.engine.begin() as conn:
        await conn.execute(sa.insert(people), [{"id": i, "name": f"old{i}"} for i in (1, 2, 3)])
    made = [(await run(store, Create(None, "people", {"name": f"p{i}"}))).results[0].item.id for i in range(3)]
    assert sorted(made, key=int) == ["4", "5", "6"]


@pytest.mark.postgres
async def test_legacy_nested_owner_with_an_id_then_plain_creates_on_postgresql(example_config: Config, pg_url: str) -> None:
    """0.17's get_or_create makes person 2; the next ordinary creates must not collide with it."""
    async with Gateway(dataclasses.replace(example_config, store_url=pg_url)) as gw:
        transport = httpx.ASGITransport(app=gw)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as c:
            r = await c.post("/legacy/api/computer", json={"name": "lappy", "owner": {"id": 2, "name": "Two"}})
            assert r.status_code == 201, r.text
            for i in range(3):
                r = await c.post("/legacy/api/person", json={"name": f"p{i}"})
                assert r.status_code == 201, r.text
                assert r.json()["id"] != 2
            r = await c.post("/legacy/api/person", json={"name": "p0"})
            assert r.status_code == 409 or r.status_code == 400, r.text
            assert "people_name_key" not in r.text and "constraint" not in r.text.lower()
