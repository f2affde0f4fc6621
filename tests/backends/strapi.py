"""Fixtures for a real Strapi 5 backend (examples/strapi5, installed by tests/backends/install_strapi.py).

* ``strapi_server`` (session): one ``strapi start`` per test session on 127.0.0.1 and a free port,
  on its own copy of the installed template SQLite database; stopped (its process group) at the end.
* ``strapi_backend`` (function): the same server with every content entry deleted before the test,
  straight in the SQLite file (one transaction, milliseconds), so each test starts empty.

Both yield a :class:`StrapiBackend`: ``url`` (the API root), ``dialect = "strapi"``, ``db_path``, and
helpers that read the backend's own data, through its REST API or its SQLite file.  Without Node or
the installed project the fixtures skip, naming the install command; under ``CI=true`` they fail.
A failing test that used the backend gets the tail of Strapi's log as a report section.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backends import install_strapi

IN_CI = os.environ.get("CI", "").lower() == "true"
START_TIMEOUT = float(os.environ.get("RELGATE_STRAPI_START_TIMEOUT", "240"))
# The content types of examples/strapi5: API collection name -> SQLite table.
COLLECTIONS = {
    "people": "people",
    "articles": "articles",
    "computers": "computers",
    "restaurants": "restaurants",
    "categories": "categories",
    "accounts": "accounts",
    "contacts": "contacts",
    "organizations": "organizations",
    "app-users": "app_users",
    "contactsources": "contactsources",
    "dids": "dids",
    "trunks": "trunks",
    "trunk-groups": "trunk_groups",
}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but the Strapi 5 backend is unavailable: {reason}", pytrace=False)
    pytest.skip(f"Strapi 5 backend unavailable: {reason}")


@dataclass
class StrapiBackend:
    """A running Strapi 5 and ways to look at its data without going through relgate."""

    url: str
    db_path: Path
    log_path: Path
    dialect: str = "strapi"
    client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url.rstrip("/") + "/", timeout=30)

    # --- through Strapi's own REST API -------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path.lstrip("/"), **kwargs)

    def create(self, collection: str, data: dict[str, Any], **params: Any) -> dict[str, Any]:
        """POST an entry; returns Strapi's entry (with ``documentId``).  Fails the test on a non-201."""
        resp = self.request("POST", collection, json={"data": data}, params=params)
        assert resp.status_code == 201, resp.text
        return resp.json()["data"]

    def get(self, collection: str, document_id: str, **params: Any) -> dict[str, Any] | None:
        """One entry by documentId (``populate`` etc. as params); None when Strapi answers 404."""
        resp = self.request("GET", f"{collection}/{document_id}", params=params)
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def entries(self, collection: str, **params: Any) -> list[dict[str, Any]]:
        """Every entry of a collection, page by page (Strapi cuts a page at 100), sorted by row id."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            query = {"pagination[page]": page, "pagination[pageSize]": 100, "sort": "id", **params}
            resp = self.request("GET", collection, params=query)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            out.extend(body["data"])
            if page >= body["meta"]["pagination"]["pageCount"]:
                return out
            page += 1

    def related(self, collection: str, document_id: str, relation: str) -> list[str] | str | None:
        """The documentIds a relation holds, in Strapi's order (to-many: a list; to-one: one or None)."""
        entry = self.get(collection, document_id, **{f"populate[{relation}][fields][0]": "documentId"})
        assert entry is not None, f"{collection}/{document_id} does not exist"
        value = entry[relation]
        if isinstance(value, list):
            return [item["documentId"] for item in value]
        return value["documentId"] if value else None

    # --- straight from its SQLite file -------------------------------------------------------

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run a read-only query on Strapi's SQLite file (tables: see ``COLLECTIONS`` and ``*_lnk``)."""
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql, params)]
        finally:
            con.close()

    def document_ids(self, collection: str) -> list[str]:
        """The documentIds of a collection's rows in its SQLite table, by row id."""
        table = COLLECTIONS[collection]
        return [r["document_id"] for r in self.rows(f"SELECT document_id FROM {table} ORDER BY id")]

    def count(self, collection: str) -> int:
        return self.rows(f"SELECT count(*) AS n FROM {COLLECTIONS[collection]}")[0]["n"]

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # --- between tests ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Delete every content entry and every link between them, in one SQLite transaction.

        Strapi keeps no cache of entries, so deleting underneath it is safe while it is idle; users,
        roles and permissions are Strapi's own tables and stay.
        """
        con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            ours = set(COLLECTIONS.values())
            # A link table is named <owner's table>_<attribute>_lnk (restaurants_categories_lnk).
            tables = [n for n in names if n in ours or (n.endswith("_lnk") and any(n.startswith(t + "_") for t in ours))]
            con.execute("BEGIN IMMEDIATE")
            for table in tables:
                con.execute(f'DELETE FROM "{table}"')
            con.execute("COMMIT")
        finally:
            con.close()


def _start(tmp_dir: Path) -> tuple[StrapiBackend, subprocess.Popen]:
    if shutil.which("node") is None:
        _unavailable(f"Node.js is not installed (needs Node 20+ and `{install_strapi.INSTALL_COMMAND}`)")
    dest = install_strapi.install_dir()
    if not (dest / "node_modules").is_dir() or not install_strapi.is_current(dest):
        _unavailable(f"{dest} is missing or older than examples/strapi5: run `{install_strapi.INSTALL_COMMAND}`")
    db_path = tmp_dir / "strapi.db"
    shutil.copyfile(dest / "data" / install_strapi.TEMPLATE_DB, db_path)
    port = install_strapi.free_port()
    log_path = tmp_dir / "strapi.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            install_strapi.strapi_command(dest),
            cwd=dest,
            env=install_strapi.strapi_env(dest, db_path, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    backend = StrapiBackend(url=f"http://127.0.0.1:{port}/api", db_path=db_path, log_path=log_path)
    started = time.monotonic()
    if not install_strapi.wait_ready(f"{backend.url}/restaurants", proc, START_TIMEOUT):
        install_strapi.stop(proc)
        pytest.fail(f"Strapi did not answer within {START_TIMEOUT:.0f} s; its log ({log_path}):\n{backend.log_tail()}", pytrace=False)
    print(f"strapi5 ready in {time.monotonic() - started:.1f} s at {backend.url}")
    return backend, proc


@pytest.fixture(scope="session")
def strapi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StrapiBackend]:
    backend, proc = _start(tmp_path_factory.mktemp("strapi5"))
    try:
        yield backend
    finally:
        backend.client.close()
        install_strapi.stop(proc)


@pytest.fixture
def strapi_backend(strapi_server: StrapiBackend) -> StrapiBackend:
    strapi_server.reset()
    return strapi_server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "strapi_server" in getattr(item, "fixturenames", ()):
        backend = item.funcargs.get("strapi_backend") or item.funcargs.get("strapi_server")  # type: ignore[attr-defined]
        if isinstance(backend, StrapiBackend):
            report.sections.append(("Strapi log (tail)", backend.log_tail()))
