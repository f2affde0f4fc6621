"""relgate's own store: the schema's tables in SQLite or PostgreSQL, one transaction per batch."""

from __future__ import annotations

import asyncio
import random
import threading
from functools import partial
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
from relgate.store import errors, migrate
from relgate.store.compiled import Statements
from relgate.store.connection import BatchConnection, run_to_end
from relgate.store.engine import READ_ONLY, make_engine, make_thread_engine, normalize_url, sqlite_file
from relgate.store.filters import FilterCompiler
from relgate.store.migrate import StoreSchemaError
from relgate.store.reads import Reader
from relgate.store.runner import READ_THREADS, LoopRunner, ThreadRunner
from relgate.store.session import ADVANCE_SEQUENCE, Session, quoted
from relgate.store.tables import Tables, build_tables
from relgate.store.writes import Writer
from relgate.targets import NO_CALL, Call, Readiness

__all__ = ["Store", "StoreSchemaError", "normalize_url"]

RETRIES = 4
"""Reruns of a batch that lost a PostgreSQL deadlock or serialization race before answering 503."""


SCHEMA_LOCK = 0x72656C67617465  # "relgate"
"""PostgreSQL advisory lock key held while the schema is checked and created at start-up."""


class _Failed:
    """Which operation of a batch was running when the database failed (for the problem's pointer)."""

    __slots__ = ("op",)

    def __init__(self, op: Op | None) -> None:
        self.op = op


class Store:
    """Executes canonical batches against the database, each batch in one transaction.

    A batch either takes effect entirely or (on any :class:`ProblemError`, or any database
    error) not at all.  Integrity errors the checks did not foresee become a 409 problem
    rather than a crash.
    """

    name = "store"

    def __init__(self, engine: AsyncEngine, schema: Schema, *, lock_timeout: float = 30.0) -> None:
        self.engine = engine
        """The async engine: schema set-up, readiness, migrations; on PostgreSQL the batches too."""
        self.schema = schema
        self.tables: Tables = build_tables(schema)
        self.filters = FilterCompiler(schema, self.tables)
        self.runner: ThreadRunner | LoopRunner
        if sqlite_file(engine):
            # batches run in worker threads on a pysqlite engine of the same file (relgate/store/runner.py)
            batch_engine = make_thread_engine(engine, READ_THREADS + 1, lock_timeout)
            self.runner = ThreadRunner(batch_engine)
            self._forward = _Forward(batch_engine, engine.sync_engine)
        else:
            batch_engine = engine.sync_engine
            self.runner = LoopRunner(engine)
            self._forward = None
        self.statements = Statements(self.tables, batch_engine.dialect)

    @classmethod
    def from_url(cls, url: str, schema: Schema, **engine_kwargs: Any) -> Store:
        return cls(make_engine(url, **engine_kwargs), schema, lock_timeout=engine_kwargs.get("lock_timeout", 30.0))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    async def open(self) -> None:
        """Bring the tables in line with the schema: create what is missing, apply additive changes.

        A difference that could lose data raises :class:`StoreSchemaError` (one line naming it
        and ``relgate migrate``) and changes nothing.  On PostgreSQL a transaction-scoped
        advisory lock serialises this between instances starting together on one database (the
        second waits, then finds the tables made).
        """
        async with self.engine.begin() as conn:
            await self._schema_lock(conn)
            plan = await conn.run_sync(migrate.plan, self.tables.metadata)
            for text in plan.ignored:
                migrate.log.warning("store schema: %s", text)
            if plan.blocking:
                raise migrate.StoreSchemaError([c.text for c in plan.blocking])
            for change in plan.additive:
                migrate.log.info("store schema: %s", change.text)
                await conn.run_sync(change.apply)

    async def migrate(self, *, dry_run: bool = False) -> tuple[list[str], list[str]]:
        """Apply every difference between the tables and the schema (``relgate migrate``).

        Returns the changes and the SQL statements issued; with ``dry_run`` the transaction is
        rolled back (DDL is transactional on SQLite and PostgreSQL), so nothing changes.
        """
        engine = make_engine(self.engine.url.render_as_string(hide_password=False), foreign_keys=False)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH")):
                statements.append(statement.strip() + (f"  -- {parameters}" if parameters else ""))

        try:
            async with engine.connect() as conn:
                trans = await conn.begin()
                await self._schema_lock(conn)
                plan = await conn.run_sync(migrate.plan, self.tables.metadata)
                sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
                for change in plan.changes:
                    await conn.run_sync(change.apply)
                sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
                if conn.dialect.name == "sqlite" and (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first():
                    await trans.rollback()
                    raise migrate.StoreSchemaError(["rows would reference missing resources after the rebuild (nothing changed)"])
                if dry_run:
                    await trans.rollback()
                else:
                    await trans.commit()
        finally:
            await engine.dispose()
        return [*(c.text for c in plan.changes), *plan.ignored], statements

    @staticmethod
    async def _schema_lock(conn: Any) -> None:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})

    async def close(self) -> None:
        await self.runner.close()
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
        """Run ``batch`` in one transaction; a PostgreSQL deadlock or serialization failure reruns it.

        Contention that outlasts the retries is a 503 with ``Retry-After``; a database error
        relgate can explain is its own problem (the driver's text is logged, not answered).
        ``call`` is not needed by the store.
        """
        for attempt in range(RETRIES + 1):
            failed = _Failed(None)
            try:
                return await self._execute_once(batch, failed)
            except sa.exc.DBAPIError as exc:
                if errors.is_transient(exc) and attempt < RETRIES:
                    errors.log.info("store contention (%s), retrying the batch (attempt %d)", errors.sqlstate(exc), attempt + 1)
                    await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                    continue
                lagging = errors.lagging_sequence(exc, self.schema)
                if lagging is not None and attempt < RETRIES:
                    await self._resync_sequence(lagging)
                    continue
                problem = errors.problem_for(exc, self.tables, failed.op)
                if problem is None:
                    raise
                raise problem from None
        raise AssertionError("unreachable")

    async def _resync_sequence(self, type_name: str) -> None:
        """A generated id collided with an existing row (a store written before ids advanced it)."""
        errors.log.warning("the id sequence of '%s' was behind its rows; moved it past the largest id", type_name)
        table = self.tables.of(type_name)
        async with self.engine.begin() as conn:
            top = (await conn.execute(sa.select(sa.func.max(table.c.id)))).scalar()
            if top is not None:
                await conn.execute(ADVANCE_SEQUENCE, {"table": quoted(type_name), "value": top})

    async def _execute_once(self, batch: Batch, failed: _Failed) -> Outcome:
        writes = any(isinstance(op, WRITE_OPS) for op in batch.ops)
        if self._forward is not None:
            self._forward.update()
        return await self.runner.run(partial(self._run, batch, failed), writes=writes)

    def _run(self, batch: Batch, failed: _Failed, conn: sa.Connection, stop: threading.Event | None) -> Outcome:
        """The batch on ``conn``, inside the runner's transaction (a worker thread or a greenlet)."""
        sess = Session(BatchConnection(conn, self.statements, self.engine.sync_engine, stop), self.schema, self.tables, self.filters)
        return run_to_end(self._ops(sess, batch, failed))

    async def _ops(self, sess: Session, batch: Batch, failed: _Failed) -> Outcome:
        results = []
        for op in batch.ops:
            failed.op = op
            results.append(await self._one(sess, op))
        failed.op = None
        return Outcome(tuple(results), dict(sess.lids))

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


class _Forward:
    """Listeners of ``target``'s ``before_cursor_execute`` also hear the statements ``source`` runs.

    The store's batches run on a second engine on SQLite; whoever listens to ``Store.engine``
    (benchmarks counting statements) still hears every statement of every batch.  The relay is
    in place only while someone listens: any listener makes SQLAlchemy dispatch every event of
    every statement.
    """

    def __init__(self, source: sa.Engine, target: sa.Engine) -> None:
        self.source = source
        self.target = target
        self.on = False

    def update(self) -> None:
        wanted = bool(self.target.dispatch.before_cursor_execute)
        if wanted and not self.on:
            sa.event.listen(self.source, "before_cursor_execute", self.relay)
        elif self.on and not wanted:
            sa.event.remove(self.source, "before_cursor_execute", self.relay)
        self.on = wanted

    def relay(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        listeners = self.target.dispatch.before_cursor_execute
        if listeners:
            listeners(conn, cursor, statement, parameters, context, executemany)
