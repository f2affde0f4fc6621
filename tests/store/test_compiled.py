"""The read path's precompiled statements (relgate/store/compiled.py) answer what SQLAlchemy's own statements answer.

Every test runs on a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from relgate.config import from_dict
from relgate.model import Batch, Create, Get, GetRelated, Ident, List, Page, ProblemError, Query
from relgate.store import Store
from relgate.store.compiled import BUCKETS, bucket, padded

KINDS = {
    "types": {
        "things": {
            "id": "uuid",
            "attributes": {
                "s": "string",
                "i": "integer",
                "f": "float",
                "b": "boolean",
                "d": "date",
                "t": "datetime",
                "j": "json",
            },
            "relationships": {"owner": {"type": "owners", "inverse": "things"}},
        },
        "owners": {
            "id": "string",
            "attributes": {"name": "string"},
            "relationships": {"things": {"type": "things", "many": True, "inverse": "owner", "ordered": True}},
        },
    },
    "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi", "target": "store"}],
}

VALUES = [
    {
        "s": "x",
        "i": 2**40,
        "f": 1.5,
        "b": True,
        "d": dt.date(2024, 2, 29),
        "t": dt.datetime(2024, 2, 29, 13, 14, 15, 123456),
        "j": {"a": [1, None]},
    },
    {"s": None, "i": None, "f": None, "b": False, "d": None, "t": None, "j": [1, "two"]},
]


async def run(store: Store, *ops: Any) -> tuple[Any, ...]:
    return (await store.execute(Batch(tuple(ops)))).results


@pytest.fixture
async def kinds(store_url: str) -> Any:
    store = Store.from_url(store_url, from_dict(KINDS).schema)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_every_kind_of_value_reads_back_as_sqlalchemy_reads_it(kinds: Store) -> None:
    (owner,) = await run(kinds, Create(Ident("owners", "o-1"), "owners", {"name": "O"}))
    created = [(await run(kinds, Create(None, "things", v, {"owner": owner.item.ident})))[0].item for v in VALUES]
    table = kinds.tables.of("things")
    async with kinds.engine.connect() as conn:  # SQLAlchemy's own statements and type processing
        expected = {str(r["id"]): dict(r) for r in (await conn.execute(sa.select(table))).mappings()}
    for item, values in zip(created, VALUES, strict=True):
        (one,) = await run(kinds, Get(item.ident))
        assert one.item.attributes == {k: expected[item.id][k] for k in values} == values
        assert one.item.relationships["owner"] == owner.item.ident
        assert type(one.item.attributes["b"]) is bool
    (page,) = await run(kinds, List("things", Query(page=Page(0, 10), count=True, include=(("owner",),))))
    assert page.total == 2
    assert sorted((r.id, dict(r.attributes)) for r in page.items) == sorted((i, {k: v[k] for k in VALUES[0]}) for i, v in expected.items())
    assert [r.ident for r in page.included] == [owner.item.ident]
    (related,) = await run(kinds, GetRelated(owner.item.ident, "things", Query()))
    assert [r.id for r in related.items] == [c.id for c in created], "in the relationship's order"


async def test_a_missing_or_malformed_id_is_404_as_before(kinds: Store) -> None:
    for ident in (Ident("things", "00000000-0000-0000-0000-000000000000"), Ident("things", "not-a-uuid")):
        with pytest.raises(ProblemError) as err:
            await run(kinds, Get(ident))
        assert err.value.status == 404


@pytest.mark.parametrize("n", [1, 3, 17, 900, 901])
async def test_linkage_includes_and_pages_read_every_member_whatever_the_list_length(store: Store, n: int) -> None:
    people, computers = store.tables.of("people"), store.tables.of("computers")
    async with store.engine.begin() as conn:
        pid = (await conn.execute(sa.insert(people).values(name="Ann").returning(people.c.id))).scalar_one()
        await conn.execute(sa.insert(computers), [{"name": f"c{i}", "owner_id": pid} for i in range(n)])
        ids = [str(i) for i in (await conn.execute(sa.select(computers.c.id).order_by(computers.c.id))).scalars()]
    ann = Ident("people", str(pid))
    (one,) = await run(store, Get(ann, Query(include=(("computers",),))))
    assert [i.id for i in one.item.relationships["computers"]] == ids
    assert [r.id for r in one.included] == ids
    (page,) = await run(store, List("computers", Query(page=Page(n - 1, 5), count=True)))
    assert page.total == n and [r.id for r in page.items] == ids[n - 1 :]


def test_in_lists_are_padded_to_their_bucket_with_their_last_value() -> None:
    assert [bucket(n) for n in (1, 2, 3, 5, 900)] == [1, 2, 4, 8, 900]
    assert padded([7, 8, 9]) == (7, 8, 9, 9)
    assert padded(list(range(BUCKETS[-1]))) == tuple(range(BUCKETS[-1]))
    with pytest.raises(ValueError):
        bucket(BUCKETS[-1] + 1)
