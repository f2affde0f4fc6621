"""Where a batch runs: a sync SQLAlchemy connection in one transaction, handed over once per batch.

- :class:`ThreadRunner` (a SQLite file): reads on a few worker threads, each batch one hand-off
  from the event loop; writes on ONE writer thread, so this process's write batches queue in
  arrival order (fair) instead of every pooled connection taking ``BEGIN IMMEDIATE`` and the
  losers sleeping in SQLite's busy handler, which gave 16 concurrent writers a p99 of seconds.
  Other processes on the same file (``--workers``) still meet on the file's lock and its busy
  timeout.  A batch whose caller is cancelled stops before its next statement (the running one
  is interrupted) and rolls back.
- :class:`LoopRunner` (PostgreSQL, and in-memory SQLite): the batch runs inside one
  ``AsyncConnection.run_sync`` greenlet on the event loop; the driver's round trips still
  yield to it.  Read-only batches on PostgreSQL run without BEGIN/COMMIT (autocommit): under
  READ COMMITTED every statement takes its own snapshot either way, so the two round trips
  bought nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from relgate.store.connection import Stopped
from relgate.store.engine import READ_ONLY

T = TypeVar("T")

Work = Callable[[sa.Connection, threading.Event | None], T]
"""What a runner runs: a function of the batch's sync connection (in a transaction) and its stop flag."""

READ_THREADS = 3
"""Worker threads for read batches on SQLite (WAL: readers run beside each other and the writer)."""


class ThreadRunner:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="relgate-store-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="relgate-store-write")

    async def run(self, work: Work[T], *, writes: bool) -> T:
        stop = threading.Event()
        active: list[Any] = []  # the DBAPI connection while the batch runs on it (to interrupt it)
        guard = threading.Lock()

        def job() -> T:
            if stop.is_set():
                raise Stopped
            with self.engine.connect() as conn:
                if not writes:
                    conn = conn.execution_options(**{READ_ONLY: True})
                with guard:
                    active.append(conn.connection.dbapi_connection)
                try:
                    with conn.begin():
                        return work(conn, stop)
                finally:
                    with guard:
                        active.clear()

        # (in the request's context, as if it ran in the request's task: its log lines keep the request id)
        future = asyncio.get_running_loop().run_in_executor(self._writer if writes else self._readers, contextvars.copy_context().run, job)
        try:
            return await future
        except asyncio.CancelledError:
            stop.set()
            with guard:
                for dbapi_conn in active:
                    dbapi_conn.interrupt()  # the statement running now fails; the transaction rolls back
            raise

    async def close(self) -> None:
        for pool in (self._readers, self._writer):
            pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


class LoopRunner:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # the same pool; its connections are set up for reads as they are checked out (no extra step per batch)
        read_options = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {READ_ONLY: True}
        self._read_engine = engine.execution_options(**read_options)

    async def run(self, work: Work[T], *, writes: bool) -> T:
        async with (self.engine if writes else self._read_engine).connect() as conn:
            return await _run_sync(conn, work)

    async def close(self) -> None:
        pass  # the store disposes of its engine


async def _run_sync(conn: AsyncConnection, work: Work[T]) -> T:
    def in_transaction(sync: sa.Connection) -> T:
        with sync.begin():
            return work(sync, None)

    return await conn.run_sync(in_transaction)
