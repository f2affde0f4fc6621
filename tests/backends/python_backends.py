"""Pytest fixtures: the real Python backends of examples/ as servers (a plugin, see tests/conftest.py).

Session-scoped servers, each started once under gunicorn on 127.0.0.1 (port 0: gunicorn picks a
free one and logs it) with a fresh SQLite file, and stopped at session end:

    ng_server      flask-restless-ng 3.3.0     dialect "restless"         url http://127.0.0.1:P/api
    zero17_server  Flask-Restless 0.17.0       dialect "restless-legacy"  url http://127.0.0.1:P/api
    drf_server     djangorestframework-jsonapi dialect "jsonapi" (1.0)    url http://127.0.0.1:P/api

Function-scoped ``ng_backend``, ``zero17_backend``, ``drf_backend`` (and ``python_backend``,
parametrized over the three) give the same object with empty tables: the reset deletes every row
through the SQLite file itself (the apps expose nothing extra), and the tests read "the backend's
own data afterwards" from that file with :meth:`RealBackend.rows`.  A failing test gets the
server's log lines written during it as a report section.

:func:`serve` starts one outside pytest (benchmarks), with gunicorn's threads and workers to choose.

The venvs come from ``python tests/backends/install.py``; without them these fixtures skip and
say so, under ``CI=true`` they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import install

IN_CI = os.environ.get("CI", "").lower() == "true"
START_TIMEOUT = 60.0
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to serve one backend of tests/backends/install.py."""

    backend: str  # install.BACKENDS key
    dialect: str  # relgate's dialect name for it
    wsgi: str  # gunicorn's APP_MODULE, relative to the app folder
    tables: tuple[str, ...]  # every table the reset empties
    probe: str  # a URL below the server that answers once it is up
    migrate: bool = False  # Django: run migrations on the fresh file first


SPECS = {
    "ng": Spec(
        "flask-restless-ng",
        "restless",
        "app:app",
        ("restaurant_categories", "restaurants", "categories", "computer", "article", "person"),
        "/api/person",
    ),
    "zero17": Spec("flask-restless-0.17", "restless-legacy", "app:app", ("computer", "article", "person"), "/api/person"),
    "drf": Spec("drf-jsonapi", "jsonapi", "library.wsgi", ("computer", "article", "person"), "/api/people", migrate=True),
}


@dataclasses.dataclass
class RealBackend:
    """A running backend: its API root, its SQLite file, and helpers on that file."""

    name: str
    dialect: str
    url: str  # the API root, e.g. http://127.0.0.1:PORT/api (what a [backends.NAME] url is)
    db_path: Path
    log_path: Path
    tables: tuple[str, ...]

    @property
    def base(self) -> str:
        """The server's origin, without the API root's path."""
        return self.url.rsplit("/", 1)[0]

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def rows(self, table: str, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of ``table`` as a dict, in ``order_by`` order (the backend's own data)."""
        with self.connect() as conn:
            return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order_by}')]

    def seed(self, table: str, *rows: dict[str, Any]) -> list[int]:
        """Insert ``rows`` into ``table`` directly; returns their ids (rowids)."""
        ids = []
        conn = self.connect()
        try:
            with conn:
                for row in rows:
                    cols = ", ".join(f'"{c}"' for c in row)
                    marks = ", ".join("?" for _ in row)
                    ids.append(conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', tuple(row.values())).lastrowid)
        finally:
            conn.close()
        return ids

    def seed_example(self) -> None:
        """A small data set for scenario tests: people 1-2, computers 1-3, articles 1-2.

        Ann (1) owns computers 1 (Dell) and 2 (Apple) and wrote article 1; Bob (2) wrote article 2;
        computer 3 (Lenovo) and nothing else is unowned.
        """
        self.seed("person", {"id": 1, "name": "Ann", "age": 31, "birth_date": "1994-05-06"}, {"id": 2, "name": "Bob", "age": 45})
        self.seed(
            "computer",
            {"id": 1, "name": "Inspiron", "vendor": "Dell", "owner_id": 1},
            {"id": 2, "name": "MacBook", "vendor": "Apple", "owner_id": 1},
            {"id": 3, "name": "ThinkPad", "vendor": "Lenovo", "owner_id": None},
        )
        self.seed("article", {"id": 1, "title": "On relationships", "author_id": 1}, {"id": 2, "title": "On gateways", "author_id": 2})

    def reset(self) -> None:
        """Empty every table and restart ids at 1 (Django's AUTOINCREMENT counters too)."""
        conn = self.connect()
        try:
            with conn:
                for table in self.tables:
                    conn.execute(f'DELETE FROM "{table}"')
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
                    conn.execute("DELETE FROM sqlite_sequence")
        finally:
            conn.close()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")


class BackendError(RuntimeError):
    """A backend that would not start (its log is in the message)."""


class Server:
    """One gunicorn process serving a backend (started and stopped by its own pid).

    ``threads``, ``workers`` and ``worker_class`` are gunicorn's (``sync``: one request at a time
    per worker, no keep-alive); more than one worker means several processes writing the SQLite
    file (fine for reads, e.g. a benchmark).
    """

    def __init__(self, key: str, spec: Spec, folder: Path, threads: int = 4, workers: int = 1, worker_class: str = "gthread") -> None:
        backend = install.BACKENDS[spec.backend]
        python = str(install.venv_python(backend))
        db_path = folder / f"{key}.db"
        log_path = folder / f"{key}.log"
        env = {**os.environ, "RELGATE_DB": str(db_path), "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if spec.migrate:
            migrate = [python, "manage.py", "migrate", "-v0"]
            done = subprocess.run(migrate, cwd=backend.app_dir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackendError(f"{spec.backend}: migrate failed:\n{done.stdout}{done.stderr}")
        self.log = log_path.open("wb")
        cmd = [python, "-m", "gunicorn", "--no-control-socket", "--bind", "127.0.0.1:0", "--workers", str(workers)]
        cmd += ["--worker-class", worker_class, "--threads", str(threads), "--log-level", "info", "--access-logfile", "-", spec.wsgi]
        self.proc = subprocess.Popen(
            cmd, cwd=backend.app_dir, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.backend = RealBackend(key, spec.dialect, "", db_path, log_path, spec.tables)
        self.backend.url = f"http://127.0.0.1:{self._wait(spec)}/api"

    def _wait(self, spec: Spec) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise BackendError(f"{spec.backend} exited with {self.proc.returncode}:\n{self.backend.log_since(0)}")
            if port is None:
                found = LISTENING.search(self.backend.log_since(0))
                port = int(found.group(1)) if found else None
            if port is not None:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{spec.probe}", timeout=2)
                    return port
                except urllib.error.HTTPError:
                    return port  # it answers, whatever it thinks of the request
                except OSError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise BackendError(f"{spec.backend} did not answer within {START_TIMEOUT:.0f}s:\n{self.backend.log_since(0)}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: the master stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the process group this fixture started
                self.proc.wait()
        self.log.close()


def require_installed(spec: Spec) -> None:
    backend = install.BACKENDS[spec.backend]
    problem = install.status(backend)
    if problem is None:
        return
    reason = f"{spec.backend} backend not installed ({problem}): run `python tests/backends/install.py {spec.backend}`"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def serve(key: str, folder: Path, threads: int = 4, workers: int = 1, worker_class: str = "gthread") -> Iterator[RealBackend]:
    """Serve backend ``key`` (``ng``, ``zero17``, ``drf``) with its files in ``folder``, outside pytest too.

    For scripts such as benchmarks; raises :class:`BackendError` when it is not installed or does not start.
    """
    spec = SPECS[key]
    problem = install.status(install.BACKENDS[spec.backend])
    if problem is not None:
        raise BackendError(f"{spec.backend} backend not installed ({problem}): run `python tests/backends/install.py {spec.backend}`")
    server = Server(key, spec, folder, threads=threads, workers=workers, worker_class=worker_class)
    try:
        yield server.backend
    finally:
        server.stop()


def _server(key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    spec = SPECS[key]
    require_installed(spec)
    try:
        server = Server(key, spec, tmp_path_factory.mktemp(f"backend-{key}"))
    except BackendError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.backend
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ng_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    yield from _server("ng", tmp_path_factory)


@pytest.fixture(scope="session")
def zero17_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    yield from _server("zero17", tmp_path_factory)


@pytest.fixture(scope="session")
def drf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    yield from _server("drf", tmp_path_factory)


LOGS = pytest.StashKey[list[tuple[RealBackend, int]]]()


def _fresh(request: pytest.FixtureRequest, backend: RealBackend) -> RealBackend:
    backend.reset()
    request.node.stash.setdefault(LOGS, []).append((backend, backend.log_size()))
    return backend


@pytest.fixture
def ng_backend(request: pytest.FixtureRequest, ng_server: RealBackend) -> RealBackend:
    return _fresh(request, ng_server)


@pytest.fixture
def zero17_backend(request: pytest.FixtureRequest, zero17_server: RealBackend) -> RealBackend:
    return _fresh(request, zero17_server)


@pytest.fixture
def drf_backend(request: pytest.FixtureRequest, drf_server: RealBackend) -> RealBackend:
    return _fresh(request, drf_server)


@pytest.fixture(params=["ng", "zero17", "drf"])
def python_backend(request: pytest.FixtureRequest) -> RealBackend:
    """Each real Python backend in turn, with empty tables."""
    return _fresh(request, request.getfixturevalue(f"{request.param}_server"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for backend, offset in item.stash.get(LOGS, []):
            report.sections.append((f"{backend.name} backend log ({backend.log_path})", backend.log_since(offset)))
