"""Engines for the store: URL normalisation and the per-connection set-up each backend needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_ONLY = "relgate_read_only"
"""Execution option marking a read-only transaction (SQLite then begins DEFERRED)."""


def normalize_url(url: str) -> str:
    """``sqlite:///`` and ``postgresql://`` mean the async drivers relgate uses."""
    for plain, full in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return full + url[len(plain) :]
    return url


def make_engine(url: str, *, lock_timeout: float = 30.0, foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for a store URL.

    ``lock_timeout`` is how long a SQLite writer waits for the file's lock; ``foreign_keys=False``
    (SQLite) is for ``relgate migrate`` rebuilding a table that others reference.
    """
    url = normalize_url(url)
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": lock_timeout}, **kwargs)
        _sqlite_setup(engine.sync_engine, int(lock_timeout * 1000), foreign_keys)
        return engine
    if sa_url.get_backend_name() == "postgresql":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=False, **kwargs)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite+aiosqlite:///path or postgresql+asyncpg://…")


def sqlite_file(engine: AsyncEngine) -> bool:
    """A SQLite store in a file (not in memory, where every connection is a database of its own)."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and "mode=memory" not in str(url)


def make_thread_engine(engine: AsyncEngine, pool_size: int, lock_timeout: float = 30.0, foreign_keys: bool = True) -> sa.Engine:
    """A sync (pysqlite) engine on the same SQLite file as ``engine``, for batches run in worker threads.

    ``pool_size`` connections, no overflow: one per worker thread.  The same per-connection
    set-up and BEGIN rules as :func:`make_engine`.
    """
    url = engine.url.set(drivername="sqlite+pysqlite")
    sync = sa.create_engine(url, connect_args={"timeout": lock_timeout, "check_same_thread": False}, pool_size=pool_size, max_overflow=0)
    _sqlite_setup(sync, int(lock_timeout * 1000), foreign_keys)
    return sync


def _sqlite_setup(engine: sa.Engine, busy_ms: int, foreign_keys: bool = True) -> None:
    """WAL, foreign keys, case-sensitive LIKE, and explicit BEGIN (IMMEDIATE for writes).

    pysqlite's own transaction handling is switched off so the ``begin`` hook decides: a write
    batch takes the write lock up front, so two concurrent writers queue instead of
    deadlocking on a lock upgrade.
    """

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA case_sensitive_like=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
