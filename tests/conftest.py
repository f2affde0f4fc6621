"""Shared fixtures: real SQLite files and real PostgreSQL databases for the store.

PostgreSQL tests use the server on 127.0.0.1:5432 (trust auth).  Each test gets a fresh
database that is dropped afterwards.  Without a reachable server they skip with the reason;
under ``CI=true`` a missing server fails the run instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from relgate.config import Config, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "gateway.example.toml"
PG_HOST = os.environ.get("RELGATE_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("RELGATE_PG_PORT", "5432"))
PG_USER = os.environ.get("RELGATE_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("RELGATE_PG_DB", "test")
IN_CI = os.environ.get("CI", "").lower() == "true"

# The real backends' servers and fresh-data fixtures (tests/backends/), for every test; a Strapi
# fixture module there is picked up by its file name.
pytest_plugins = ["tests.backends.python_backends"]
if (ROOT / "tests" / "backends" / "strapi.py").exists():
    pytest_plugins.append("tests.backends.strapi")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_pg_unreachable: str | None = None


def _require_pg() -> None:
    global _pg_unreachable
    if _pg_unreachable is None:
        try:
            asyncio.run(_pg_admin("SELECT 1"))
            _pg_unreachable = ""
        except Exception as exc:  # any failure to connect means "no server here"
            _pg_unreachable = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable ({type(exc).__name__}: {exc})"
    if _pg_unreachable:
        if IN_CI:
            pytest.fail(f"CI=true but {_pg_unreachable}", pytrace=False)
        pytest.skip(_pg_unreachable)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'relgate.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    _require_pg()
    name = f"relgate_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def example_config() -> Config:
    return load(EXAMPLE)


@pytest.fixture
async def store(example_config: Config, store_url: str) -> AsyncIterator[object]:
    """The example schema's store, opened on SQLite and on PostgreSQL (via ``store_url``)."""
    from relgate.store import Store

    s = Store.from_url(store_url, example_config.schema)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def gateway(example_config: Config, sqlite_url: str) -> AsyncIterator[object]:
    """The example gateway over a fresh SQLite file, started and stopped around the test."""
    import dataclasses

    from relgate.app import Gateway

    async with Gateway(dataclasses.replace(example_config, store_url=sqlite_url)) as gw:
        yield gw


@pytest.fixture
async def client(gateway: object) -> AsyncIterator[object]:
    """An httpx client talking to the example gateway in-process (ASGI transport).

    Every response of the ``/jsonapi`` front door is checked against the official JSON:API schema.
    """
    import httpx

    from tests.jsonapi_schema import validate_jsonapi_response

    transport = httpx.ASGITransport(app=gateway)  # type: ignore[arg-type]
    hooks = {"response": [validate_jsonapi_response]}
    async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test", event_hooks=hooks) as c:
        yield c
