"""Start-up checks of ``relgate serve`` that end in one line instead of a traceback.

The store is opened (tables created) and closed again in an event loop of its own before the
server says it is listening, so an unreachable PostgreSQL, a missing database, an unknown host
or an unwritable SQLite path is reported as ``relgate: cannot open the store URL: reason``
and a non-zero exit.  The server's own start-up then opens the store again in its loop
(connections cannot move between event loops).
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3

import sqlalchemy as sa

from relgate.schema import Schema

PROBE_TIMEOUT = 30.0
"""Seconds the store may take to answer at start-up."""


class StartupError(Exception):
    """relgate cannot start; the message is one line saying what to fix."""


def open_store_once(url: str, schema: Schema, *, timeout: float = PROBE_TIMEOUT) -> None:
    """Open the store for ``schema`` at ``url`` and close it, or raise :class:`StartupError`."""
    from relgate.store import Store

    store = Store.from_url(url, schema)
    shown = store.url
    sa_url = store.engine.url
    if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
        # First with the stdlib driver: aiosqlite's worker thread, failing to open a file, may
        # report to a loop that is already closed and print a traceback of its own.
        try:
            sqlite3.connect(sa_url.database).close()
        except sqlite3.Error as exc:
            raise StartupError(f"cannot open the store {shown}: {_sqlite_reason(str(exc), sa_url)}") from exc

    async def probe() -> None:
        try:
            await asyncio.wait_for(store.open(), timeout)
        finally:
            await store.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        raise StartupError(f"cannot open the store {shown}: {reason(exc, store.engine.url, timeout)}") from exc


def reason(exc: BaseException, url: sa.URL, timeout: float = PROBE_TIMEOUT) -> str:
    """Why opening the store failed, in a few words (the driver's own message where it has one)."""
    if type(exc).__name__ == "StoreSchemaError":  # the store's own account of a schema it will not change
        return _one_line(str(exc))
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, TimeoutError):
        return f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"unknown host {url.host!r} ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where} (is PostgreSQL running there?)"
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        text = _one_line(str(exc.orig))
        return _sqlite_reason(text, url) if url.get_backend_name() == "sqlite" else text
    if isinstance(exc, OSError):
        return _one_line(exc.strerror or str(exc))
    return _one_line(f"{type(exc).__name__}: {exc}")


def _sqlite_reason(text: str, url: sa.URL) -> str:
    if "unable to open database file" in text:
        return f"{text} {url.database!r} (does its directory exist, and may relgate write there?)"
    return _one_line(text)


def _one_line(text: str) -> str:
    first = text.strip().splitlines()
    return first[0] if first else "unknown error"
