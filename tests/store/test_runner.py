"""Where batches run (relgate/store/runner.py): SQLite's worker threads and writer queue, PostgreSQL's one greenlet.

Real SQLite files (a second sqlite3 connection holds the file's write lock where a test needs a
writer to wait) and real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from relgate.config import Config
from relgate.model import Add, Batch, Create, Get, Query
from relgate.store import Store
from relgate.store.runner import ThreadRunner
from tests.store_rows import store_rows


async def run(store: Store, *ops: Any) -> tuple[Any, ...]:
    return (await store.execute(Batch(tuple(ops)))).results


@pytest.fixture
async def sqlite_store(example_config: Config, sqlite_url: str) -> Any:
    store = Store.from_url(sqlite_url, example_config.schema)
    await store.open()
    assert isinstance(store.runner, ThreadRunner)
    try:
        yield store
    finally:
        await store.close()


def hold_write_lock(sqlite_url: str) -> sqlite3.Connection:
    other = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_sqlite_write_batches_are_carried_out_in_arrival_order(sqlite_store: Store) -> None:
    names = [f"p{i:02}" for i in range(24)]
    results = await asyncio.gather(*(run(sqlite_store, Create(None, "people", {"name": n})) for n in names))
    assert [int(r[0].item.id) for r in results] == list(range(1, 25)), "ids are handed out in the order the batches came"


async def test_sqlite_reads_are_answered_while_the_writer_waits_for_the_lock(sqlite_store: Store, sqlite_url: str) -> None:
    (ann,) = await run(sqlite_store, Create(None, "people", {"name": "Ann"}))
    other = hold_write_lock(sqlite_url)
    try:
        write = asyncio.create_task(run(sqlite_store, Create(None, "people", {"name": "Bob"})))
        await asyncio.sleep(0.1)
        (read,) = await asyncio.wait_for(run(sqlite_store, Get(ann.item.ident, Query())), 5)
        assert read.item.attributes["name"] == "Ann" and not write.done()
    finally:
        other.execute("ROLLBACK")
        other.close()
    (bob,) = await write
    assert bob.item.attributes["name"] == "Bob"


async def test_a_cancelled_sqlite_write_is_rolled_back_and_the_store_goes_on(sqlite_store: Store, sqlite_url: str) -> None:
    before = await store_rows(sqlite_store)
    other = hold_write_lock(sqlite_url)
    try:
        write = asyncio.create_task(run(sqlite_store, Create(None, "people", {"name": "Gone"})))
        await asyncio.sleep(0.2)  # the writer thread waits in BEGIN IMMEDIATE
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
    finally:
        other.execute("ROLLBACK")  # the writer gets the lock now, then finds its batch cancelled
        other.close()
    (ann,) = await asyncio.wait_for(run(sqlite_store, Create(None, "people", {"name": "Ann"})), 10)
    after = await store_rows(sqlite_store)
    assert [r[1] for r in after["people"]] == ["Ann"], "the cancelled create left nothing"
    assert before["people"] == [] and ann.item.attributes["name"] == "Ann"


async def test_listeners_of_the_store_engine_hear_every_statement_of_a_batch(store: Store) -> None:
    heard: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(" ".join(statement.split()))

    (ann,) = await run(store, Create(None, "people", {"name": "Ann"}))
    (mac,) = await run(store, Create(None, "computers", {"name": "mac"}))
    sa.event.listen(store.engine.sync_engine, "before_cursor_execute", listen)
    try:
        await run(store, Get(ann.item.ident))
        reads = list(heard)
        heard.clear()
        await run(store, Add(ann.item.ident, "computers", (mac.item.ident,)))
        writes = list(heard)
    finally:
        sa.event.remove(store.engine.sync_engine, "before_cursor_execute", listen)
    assert any(s.startswith("SELECT people.id, people.name") and "WHERE people.id =" in s for s in reads), reads
    assert any("FROM computers WHERE computers.owner_id IN" in s for s in reads), reads
    assert any(s.startswith("UPDATE computers SET owner_id") for s in writes), writes
    heard.clear()
    await run(store, Get(ann.item.ident))
    assert heard == [], "a removed listener hears nothing"


async def test_a_driver_error_on_the_precompiled_path_is_sqlalchemys_error(store: Store) -> None:
    (ann,) = await run(store, Create(None, "people", {"name": "Ann"}))
    async with store.engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE people RENAME TO people_gone"))
    with pytest.raises(sa.exc.DBAPIError):
        await run(store, Get(ann.item.ident))


async def test_a_batch_runs_in_its_requests_context(store: Store) -> None:
    """Code inside a batch (a worker thread on SQLite, a greenlet on PostgreSQL) sees the request it serves."""
    from relgate import context

    seen: list[str | None] = []

    def listen(*_: Any) -> None:
        seen.append(context.current_request_id())

    sa.event.listen(store.engine.sync_engine, "before_cursor_execute", listen)
    token = context.enter(context.RequestContext("req-42"))
    try:
        await run(store, Create(None, "people", {"name": "Ann"}))
    finally:
        context.leave(token)
        sa.event.remove(store.engine.sync_engine, "before_cursor_execute", listen)
    assert seen and set(seen) == {"req-42"}


async def test_an_in_memory_sqlite_store_runs_its_batches_on_the_event_loop(example_config: Config) -> None:
    """A ``sqlite://`` store in memory is one database per connection: no worker threads, the async engine's own."""
    from relgate.store.runner import LoopRunner

    store = Store.from_url("sqlite+aiosqlite://", example_config.schema)
    await store.open()
    try:
        assert isinstance(store.runner, LoopRunner)
        (ann,) = await run(store, Create(None, "people", {"name": "Ann"}))
        (mac,) = await run(store, Create(None, "computers", {"name": "mac"}))
        await run(store, Add(ann.item.ident, "computers", (mac.item.ident,)))
        (read,) = await run(store, Get(ann.item.ident, Query(include=(("computers",),))))
        assert read.item.relationships["computers"] == (mac.item.ident,) and read.included[0].attributes["name"] == "mac"
    finally:
        await store.close()
