"""Every row of every table of a store: the suite's one way to prove "nothing was written"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from relgate.store import Store

Rows = dict[str, list[tuple[Any, ...]]]


async def store_rows(store: Store) -> Rows:
    """Rows per table (resource tables and join tables), in primary-key order."""
    out: Rows = {}
    async with store.engine.connect() as conn:
        for table in store.tables.metadata.sorted_tables:
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out
