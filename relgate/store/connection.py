"""A batch's connection: the awaitable face the store's readers and writers see, over a sync SQLAlchemy connection.

:class:`~relgate.store.reads.Reader` and :class:`~relgate.store.writes.Writer` are coroutines
that ``await conn.execute(...)``.  Their connection is a :class:`BatchConnection`, whose methods
run synchronously on a SQLAlchemy :class:`~sqlalchemy.Connection` and return without ever
suspending; :func:`run_to_end` therefore drives a whole batch's coroutine in one call.  Where
that call runs is the runner's choice (relgate/store/runner.py): on SQLite, in a worker
thread, so a batch is one hand-off to a thread rather than one per driver call; on PostgreSQL,
inside one greenlet of ``AsyncConnection.run_sync``, where asyncpg's round trips still yield to
the event loop.

Besides SQLAlchemy statements, :meth:`BatchConnection.fetch` runs the read path's precompiled
statements (relgate/store/compiled.py) on the DBAPI cursor itself.  Listeners of the store
engine's ``before_cursor_execute`` event see those too (benchmarks count statements that way).
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine, Sequence
from types import TracebackType
from typing import Any, TypeVar

import sqlalchemy as sa

from relgate.store.compiled import Compiled, Row, Statements

T = TypeVar("T")


class Stopped(Exception):
    """The batch's caller went away (its request was cancelled): stop before the next statement, roll back."""


def run_to_end(coro: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (every ``await`` in it returns at once)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a store batch awaited something other than its BatchConnection")


class BatchConnection:
    """The connection one batch runs on; see the module docstring."""

    def __init__(self, conn: sa.Connection, statements: Statements, events: sa.Engine, stop: threading.Event | None = None) -> None:
        self.sync = conn
        self.statements = statements
        self.dialect = conn.dialect
        self._events = events.dispatch  # whose before_cursor_execute listeners hear the precompiled statements
        self._stop = stop

    def _check(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise Stopped

    async def execute(self, statement: sa.Executable, parameters: Any = None) -> sa.CursorResult[Any]:
        self._check()
        return self.sync.execute(statement, parameters)

    async def exec_driver_sql(self, sql: str, parameters: Any = None) -> sa.CursorResult[Any]:
        self._check()
        return self.sync.exec_driver_sql(sql, parameters)

    def begin_nested(self) -> _Nested:
        return _Nested(self.sync)

    async def fetch(self, compiled: Compiled, params: Sequence[Any]) -> list[Sequence[Any]]:
        """The rows of a precompiled statement, converted by the column types (tuples, in column order)."""
        self._check()
        params = tuple(params)
        fairy = self.sync.connection
        cursor = fairy.cursor()
        listeners = self._events.before_cursor_execute
        if listeners:
            listeners(self.sync, cursor, compiled.sql, params, None, False)
        try:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
            description = cursor.description
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(exc, compiled.sql, params, cursor) from exc
        finally:
            cursor.close()
        return compiled.convert(self.dialect, description, rows)

    async def fetch_rows(self, compiled: Compiled, params: Sequence[Any]) -> list[Row]:
        """As :meth:`fetch`, each row a dict by column name."""
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in await self.fetch(compiled, params)]

    def _wrapped(self, exc: Exception, sql: str, params: tuple[Any, ...], cursor: Any) -> BaseException:
        """The driver's error as SQLAlchemy raises it (the store maps those), the connection dropped when it is dead."""
        dbapi_conn = self.sync.connection.dbapi_connection
        disconnect = self.dialect.is_disconnect(exc, dbapi_conn, cursor)
        if disconnect:
            self.sync.invalidate(exc)
        return sa.exc.DBAPIError.instance(
            sql, params, exc, self.dialect.loaded_dbapi.Error, connection_invalidated=disconnect, dialect=self.dialect
        )


class _Nested:
    """``async with conn.begin_nested():`` (a savepoint) over the sync connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._tx: sa.NestedTransaction | None = None

    async def __aenter__(self) -> _Nested:
        self._tx = self._conn.begin_nested()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._tx is not None
        if kind is None:
            self._tx.commit()
        else:
            self._tx.rollback()
