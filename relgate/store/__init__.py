"""relgate's own store: the schema's tables in SQLite or PostgreSQL, one transaction per batch."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from relgate.model import (
    WRITE_OPS,
    Add,
    Aggregate,
    Batch,
    Create,
    Delete,
    DeleteWhere,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    List,
    One,
    Op,
    Outcome,
    Problem,
    ProblemError,
    Query,
    Remove,
    Replace,
    Result,
    SetOne,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.schema import Schema
from relgate.store.engine import READ_ONLY, make_engine, normalize_url
from relgate.store.filters import FilterCompiler
from relgate.store.reads import Reader
from relgate.store.session import Session
from relgate.store.tables import Tables, build_tables
from relgate.store.writes import Writer
from relgate.targets import NO_CALL, Call, Readiness

__all__ = ["Store", "normalize_url"]


class Store:
    """Executes canonical batches against the database, each batch in one transaction.

    A batch either takes effect entirely or (on any :class:`ProblemError`, or any database
    error) not at all.  Integrity errors the checks did not foresee become a 409 problem
    rather than a crash.
    """

    name = "store"

    def __init__(self, engine: AsyncEngine, schema: Schema) -> None:
        self.engine = engine
        self.schema = schema
        self.tables: Tables = build_tables(schema)
        self.filters = FilterCompiler(schema, self.tables)

    @classmethod
    def from_url(cls, url: str, schema: Schema, **engine_kwargs: Any) -> Store:
        return cls(make_engine(url, **engine_kwargs), schema)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    async def open(self) -> None:
        """Create the tables the schema needs (existing tables are left as they are)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(self.tables.metadata.create_all)

    async def close(self) -> None:
        await self.engine.dispose()

    async def check(self) -> Readiness:
        """Ready when a read of one of the schema's tables succeeds (the database answers, the tables exist).

        A pooled connection the server dropped is invalidated by the first try; the second gets a new one.
        """
        table = next(iter(self.tables.metadata.sorted_tables))
        query = sa.select(sa.literal(1)).select_from(table).limit(1)
        error: BaseException | None = None
        for _ in range(2):
            try:
                async with self.engine.connect() as conn:
                    conn = await conn.execution_options(**{READ_ONLY: True})
                    await conn.execute(query)
                return Readiness(True, self.url)
            except sa.exc.DBAPIError as exc:
                error = exc.orig or exc
                if not exc.connection_invalidated:
                    break
            except Exception as exc:  # unreachable host, refused connection …
                error = exc
                break
        return Readiness(False, f"{type(error).__name__}: {error}")

    async def execute(self, batch: Batch, call: Call = NO_CALL) -> Outcome:
        """Run ``batch`` in one transaction (``call`` is not needed by the store)."""
        writes = any(isinstance(op, WRITE_OPS) for op in batch.ops)
        options = {} if writes else {READ_ONLY: True}
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**options)
                async with conn.begin():
                    sess = Session(conn, self.schema, self.tables, self.filters)
                    results = [await self._one(sess, op) for op in batch.ops]
                    return Outcome(tuple(results), dict(sess.lids))
        except sa.exc.IntegrityError as exc:
            raise ProblemError(Problem(409, "conflict", "Conflict", f"The change violates a constraint of the store: {exc.orig}")) from None
        except (sa.exc.InterfaceError, sa.exc.OperationalError) as exc:
            if not any(m in str(exc.orig) for m in ("number of query arguments", "too many SQL variables")):
                raise
            # a statement's bound values are limited (asyncpg: 32,767), e.g. a search OR-ing 40,000 comparisons
            raise ProblemError(
                Problem(400, "invalid", "Request too large", "The request needs more values in one query than the store takes.")
            ) from None

    async def _one(self, sess: Session, op: Op) -> Result:
        writer = Writer(sess)
        reader = Reader(sess)
        if isinstance(op, Create):
            id_, _ = await writer.create(op)
            return await self._after_write(reader, op, Ident(op.type, id_, at=op.at))
        if isinstance(op, Upsert):
            id_, _ = await writer.upsert(op)
            return await self._after_write(reader, op, Ident(op.type, id_, at=op.at))
        if isinstance(op, Update):
            id_, _ = await writer.update(op)
            return await self._after_write(reader, op, Ident(op.ref.type, id_, at=op.at))
        if isinstance(op, Delete):
            await writer.delete(op)
            return None
        if isinstance(op, SetOne):
            await writer.set_one(op)
            return None
        if isinstance(op, Replace):
            await writer.replace(op)
            return None
        if isinstance(op, Add):
            await writer.add(op)
            return None
        if isinstance(op, Remove):
            await writer.remove(op)
            return None
        if isinstance(op, UpdateWhere):
            return await writer.update_where(op)
        if isinstance(op, DeleteWhere):
            return await writer.delete_where(op)
        if isinstance(op, Get):
            return await reader.get(op)
        if isinstance(op, List):
            return await reader.list(op)
        if isinstance(op, GetRelated):
            return await reader.get_related(op)
        if isinstance(op, GetLinkage):
            return await reader.get_linkage(op)
        if isinstance(op, Aggregate):
            return await reader.aggregate(op)
        raise TypeError(f"not an operation: {op!r}")

    async def _after_write(self, reader: Reader, op: Create | Update | Upsert, ident: Ident) -> One | None:
        """The written resource as read back (all fields), unless the op says a later read answers."""
        if not op.returning:
            return None
        return await reader.get(Get(ident, Query()))
