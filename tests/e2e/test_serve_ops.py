"""Operating a real ``relgate serve``: JSON logs, /metrics, health, workers, proxies, shutdown.

Each test starts the CLI (real uvicorn on 127.0.0.1, an ephemeral port) with its standard error
in a file, so every log line it wrote can be parsed afterwards, and stops it when the test ends.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import EXAMPLE, _pg_admin

JSONAPI = "application/vnd.api+json"
H = {"Content-Type": JSONAPI, "Accept": JSONAPI}
SECRETS = ("Bearer eyJhbGciOi.s3cr3t", "sessionid=c00kie-value", "tok-9f8e7d", "k3y-abc", "hunter2")


class Server:
    def __init__(self, proc: subprocess.Popen[str], url: str, banner: list[str], stderr: Path) -> None:
        self.proc, self.url, self.banner, self.stderr_path = proc, url, banner, stderr

    def lines(self) -> list[dict]:
        """Every line the server wrote to standard error, each parsed as JSON (any other line fails the test)."""
        return [orjson.loads(line) for line in self.stderr_path.read_text().splitlines() if line.strip()]

    def access(self) -> list[dict]:
        return [line for line in self.lines() if line.get("logger") == "relgate.access"]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def start(cwd: Path, *args: str, health: str = "/healthz") -> Server:
    stderr = cwd / f"stderr-{time.monotonic_ns()}.log"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "relgate", "serve", "--port", "0", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    assert proc.stdout is not None
    banner: list[str] = []
    url = None
    for line in proc.stdout:
        banner.append(line.rstrip())
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        raise AssertionError("relgate serve did not start:\n" + "\n".join(banner) + stderr.read_text())
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
    server = Server(proc, url, banner, stderr)
    wait_ready(server, health)
    return server


def wait_ready(server: Server, path: str = "/healthz") -> None:
    for _ in range(200):
        try:
            if httpx.get(server.url + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.proc.poll() is not None:
            raise AssertionError(f"relgate exited with {server.proc.returncode}:\n{server.stderr_path.read_text()}")
        time.sleep(0.05)
    raise AssertionError("relgate did not answer " + path)


def write_config(directory: Path, server_lines: str = "", store: str | None = None) -> Path:
    """The example with ``server_lines`` (``key = value`` lines) replacing its [server] keys of those names."""
    text = EXAMPLE.read_text()
    for line in server_lines.splitlines():
        key = line.split("=", 1)[0].strip()
        text = re.sub(rf"(?m)^{re.escape(key)}\s*=.*\n", "", text, count=1)
    text = text.replace("[server]\n", f"[server]\n{server_lines}\n", 1)
    if store is not None:
        text = text.replace('url = "sqlite+aiosqlite:///relgate.db"', f'url = "{store}"')
    path = directory / "gateway.toml"
    path.write_text(text)
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
def served(workdir: Path) -> Iterator[Server]:
    server = start(workdir)
    yield server
    server.stop()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url + "/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def create_person(http: httpx.Client, name: str) -> str:
    r = http.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": name}}}, headers=H)
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


# --- logs -----------------------------------------------------------------------------------


def test_every_line_is_json_one_per_request_with_its_fields_and_no_secret(served: Server) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        create_person(http, "Ann")
        r = http.get(
            "/strapi/api/people",
            params={"access_token": "tok-9f8e7d", "api_key": "k3y-abc", "password": "hunter2", "sort": "name"},
            headers={"Authorization": SECRETS[0], "Cookie": SECRETS[1], "X-Request-ID": "from-nginx-42"},
        )
        assert r.status_code in (200, 400)
        assert r.headers["x-request-id"] == "from-nginx-42"
        assert http.get("/nowhere").status_code == 404
        assert http.get("/healthz").status_code == 200
    assert served.stop() == 0
    lines = served.lines()  # every line parses as JSON
    assert {"Started server process", "Application startup complete."} <= {re.sub(r" \[\d+\]", "", line["message"]) for line in lines}
    access = served.access()
    assert [(a["method"], a["path"], a["route"], a["status"]) for a in access] == [
        ("POST", "/jsonapi/people", "/jsonapi", 201),
        ("GET", "/strapi/api/people", "/strapi/api", r.status_code),
        ("GET", "/nowhere", "(none)", 404),
    ]  # /healthz is DEBUG: probes stay out of the default level
    for a in access:
        fields = {"time", "level", "pid", "method", "path", "route", "status", "duration_ms", "request_id", "backend_requests", "client"}
        assert set(a) >= fields
        assert a["level"] == "INFO" and a["backend_requests"] == 0 and a["client"] == "127.0.0.1"
        assert a["duration_ms"] > 0
    assert access[1]["request_id"] == "from-nginx-42"
    assert access[1]["query"] == "access_token=[redacted]&api_key=[redacted]&password=[redacted]&sort=name"
    assert len({a["request_id"] for a in access}) == 3
    everything = served.stderr_path.read_text() + "\n".join(served.banner)
    for secret in SECRETS:
        assert secret not in everything
    for word in ("c00kie", "s3cr3t", "eyJhbGciOi"):
        assert word not in everything


def test_log_level_warning_writes_no_request_line_and_debug_adds_probes(workdir: Path) -> None:
    quiet = start(workdir, "--log-level", "warning")
    httpx.get(quiet.url + "/jsonapi/people", timeout=5)
    quiet.stop()
    assert quiet.lines() == []
    loud = start(workdir, "--log-level", "debug")
    httpx.get(loud.url + "/readyz", timeout=5)
    loud.stop()
    assert any(a["path"] == "/readyz" and a["level"] == "DEBUG" for a in loud.access())


# --- metrics and health -----------------------------------------------------------------------


def test_metrics_scraped_and_parsed(served: Server) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for name in ("a", "b", "c"):
            create_person(http, name)
        assert http.get("/jsonapi/people/424242", headers=H).status_code == 404
        assert http.get("/legacy/api/person").status_code == 200
    samples = scrape(served.url)
    door = {"route": "/jsonapi", "dialect": "jsonapi", "target": "store"}
    assert value(samples, "relgate_requests_total", **door, status="201") == 3
    assert value(samples, "relgate_requests_total", **door, status="404") == 1
    assert value(samples, "relgate_requests_total", route="/legacy/api", dialect="restless-legacy", target="store", status="200") == 1
    assert value(samples, "relgate_request_duration_seconds_count", **door) == 4
    assert value(samples, "relgate_request_duration_seconds_bucket", **door, le="+Inf") == 4
    assert value(samples, "relgate_request_duration_seconds_bucket", **door, le="0.001") <= 4
    assert value(samples, "process_resident_memory_bytes") > 10_000_000  # prometheus-client's process collector


def test_readyz_and_healthz_on_serve(served: Server) -> None:
    r = httpx.get(served.url + "/readyz", timeout=5)
    assert r.status_code == 200
    assert r.json()["checks"]["store"]["ok"] is True
    assert r.json()["checks"]["store"]["detail"].startswith("sqlite+aiosqlite:///")


def test_health_prefix_and_metrics_path_from_the_config(tmp_path: Path) -> None:
    write_config(tmp_path, 'health_prefix = "/-"\nmetrics_path = "/-/metrics"')
    server = start(tmp_path, health="/-/healthz")
    try:
        assert httpx.get(server.url + "/-/readyz", timeout=5).status_code == 200
        assert "relgate_requests_total" in httpx.get(server.url + "/-/metrics", timeout=5).text
        assert httpx.get(server.url + "/metrics", timeout=5).status_code == 404
    finally:
        server.stop()


@pytest.mark.postgres
def test_readyz_is_503_while_postgresql_refuses_and_ready_again_after(tmp_path: Path, pg_url: str) -> None:
    write_config(tmp_path, store=pg_url)
    database = pg_url.rsplit("/", 1)[1]
    server = start(tmp_path)
    try:
        assert httpx.get(server.url + "/readyz", timeout=5).status_code == 200
        asyncio.run(_pg_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
        asyncio.run(_pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"))
        r = httpx.get(server.url + "/readyz", timeout=10)
        assert r.status_code == 503, r.text
        assert r.json()["status"] == "unavailable"
        assert r.json()["checks"]["store"]["ok"] is False
        assert "not currently accepting connections" in r.json()["checks"]["store"]["detail"]
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
        asyncio.run(_pg_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200
    finally:
        asyncio.run(_pg_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        server.stop()


# --- workers ----------------------------------------------------------------------------------


def _many_writes(url: str, n: int) -> list[int]:
    def one(i: int) -> int:
        with httpx.Client(base_url=url, timeout=60) as http:  # a new connection each: spread over the workers
            r = http.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": f"p{i}"}}}, headers=H)
            return r.status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


def test_two_sqlite_workers_share_the_file_and_their_metrics(workdir: Path) -> None:
    server = start(workdir, "--workers", "2")
    try:
        statuses = _many_writes(server.url, 60)
        assert statuses == [201] * 60
        with httpx.Client(base_url=server.url, timeout=10) as http:
            ids = set()
            for _ in range(10):  # every worker sees every row
                r = http.get("/jsonapi/people", params={"page[size]": 100}, headers={"Accept": JSONAPI, "Connection": "close"})
                ids.add(len(r.json()["data"]))
            assert ids == {60}
        # a scrape of any worker counts the requests of all of them
        for _ in range(4):
            samples = scrape(server.url)
            door = {"route": "/jsonapi", "dialect": "jsonapi", "target": "store"}
            assert value(samples, "relgate_requests_total", **door, status="201") == 60
    finally:
        assert server.stop() == 0
    pids = {a["pid"] for a in server.access()}
    assert len(pids) == 2, pids
    assert not list(workdir.glob("relgate-metrics-*"))


@pytest.mark.postgres
def test_two_workers_on_a_fresh_postgresql_database(tmp_path: Path, pg_url: str) -> None:
    """The parent creates the tables once: two workers racing on CREATE TABLE would fail."""
    write_config(tmp_path, store=pg_url)
    server = start(tmp_path, "--workers", "2")
    try:
        assert _many_writes(server.url, 20) == [201] * 20
        assert httpx.get(server.url + "/readyz", timeout=5).status_code == 200
    finally:
        assert server.stop() == 0


def test_workers_must_be_a_positive_number(workdir: Path) -> None:
    command = [sys.executable, "-m", "relgate", "serve", "--workers", "0"]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--workers: must be a whole number of at least 1, got '0'" in done.stderr


# --- proxies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "server_lines", "client"),
    [
        ((), "", "127.0.0.1"),  # without --proxy-headers the peer is the client
        (("--proxy-headers",), "", "203.0.113.9"),  # 127.0.0.1 is trusted by default
        (("--proxy-headers",), 'trusted_proxies = ["10.0.0.0/8"]', "127.0.0.1"),  # an untrusted forwarder is ignored
        (("--proxy-headers",), 'trusted_proxies = ["127.0.0.9/8"]', "203.0.113.9"),  # a network written with host bits
        (("--proxy-headers",), 'trusted_proxies = ["192.0.2.1", "*"]', "203.0.113.9"),  # any peer
    ],
)
def test_forwarded_for_believed_only_from_trusted_proxies(tmp_path: Path, args: tuple[str, ...], server_lines: str, client: str) -> None:
    write_config(tmp_path, server_lines)
    server = start(tmp_path, *args)
    try:
        httpx.get(server.url + "/jsonapi/people", headers={"X-Forwarded-For": "203.0.113.9", "Accept": JSONAPI}, timeout=5)
    finally:
        server.stop()
    assert [a["client"] for a in server.access()] == [client]


# --- shutdown ---------------------------------------------------------------------------------


def _hold_write_lock(db: Path) -> sqlite3.Connection:
    """Another process's writer: relgate's next write waits on SQLite's busy timeout (a real slow request)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _post_in_background(url: str) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def post() -> None:
        try:
            body = {"data": {"type": "people", "attributes": {"name": "late"}}}
            r = httpx.post(url + "/jsonapi/people", json=body, headers=H, timeout=60)
            result["status"] = r.status_code
        except httpx.HTTPError as exc:
            result["error"] = exc

    thread = threading.Thread(target=post)
    thread.start()
    return thread, result


def test_sigterm_lets_an_in_flight_request_finish_then_closes_the_store(served: Server, workdir: Path) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        create_person(http, "first")  # the tables exist, the pool has a connection
    lock = _hold_write_lock(workdir / "relgate.db")
    thread, result = _post_in_background(served.url)
    time.sleep(1.0)  # the POST is waiting for the write lock inside relgate
    served.proc.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert served.proc.poll() is None, "relgate exited with a request in flight"
    with pytest.raises(httpx.TransportError):  # no new connections once shutdown began
        httpx.get(served.url + "/healthz", timeout=2)
    lock.rollback()
    lock.close()
    thread.join(30)
    assert result == {"status": 201}
    assert served.stop() == 0
    messages = [line["message"] for line in served.lines()]
    assert messages.index("Waiting for connections to close. (CTRL+C to force quit)") < messages.index("Application shutdown complete.")
    assert any(a["method"] == "POST" and a["status"] == 201 and a["duration_ms"] > 1500 for a in served.access())
    names = [row[0] for row in sqlite3.connect(workdir / "relgate.db").execute("SELECT name FROM people ORDER BY id")]
    assert names == ["first", "late"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_grace_period_bounds_the_stop(tmp_path: Path, workers: str) -> None:
    """A request still waiting when the grace period ends is cut, and the stop does not wait for it.

    SQLite's busy wait (30 s) cannot be cancelled; relgate leaves it LINGER (3 s) after the grace
    period rather than waiting (its transaction never committed).
    """
    write_config(tmp_path, "shutdown_grace = 1")
    server = start(tmp_path, "--workers", workers)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        create_person(http, "first")
    for _ in range(200):  # every worker has opened the store (its start-up writes too)
        if sum(line["message"] == "Application startup complete." for line in server.lines()) == int(workers):
            break
        time.sleep(0.05)
    lock = _hold_write_lock(tmp_path / "relgate.db")
    try:
        thread, result = _post_in_background(server.url)
        time.sleep(1.0)
        server.proc.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        server.proc.wait(timeout=40)
        took = time.monotonic() - stopping
        thread.join(30)
    finally:
        lock.rollback()
        lock.close()
    assert server.proc.returncode == 0
    assert took < 20, f"the stop took {took:.1f} s: it waited for SQLite's busy timeout"
    assert "error" in result or result.get("status") == 500  # the request was cut, not answered 201
    messages = [line["message"] for line in server.lines()]
    assert any("timeout graceful shutdown exceeded" in m for m in messages)
    if workers == "1":  # (a worker process may also end on its own: multiprocessing does not wait for its threads)
        assert any("after the grace period" in m for m in messages), messages
    names = [row[0] for row in sqlite3.connect(tmp_path / "relgate.db").execute("SELECT name FROM people")]
    assert names == ["first"]  # nothing half-written


# --- entry points -----------------------------------------------------------------------------


def test_python_m_relgate_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    for command in ([sys.executable, "-m", "relgate", "--version"], [sys.executable, "-m", "relgate.cli", "--version"]):
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"relgate {version('relgate')}"


def test_asgi_app_under_plain_uvicorn_reads_relgate_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, store=f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}")
    run_dir = tmp_path / "run"
    run_dir.mkdir()  # no gateway.toml here: only RELGATE_CONFIG can find it
    stderr = run_dir / "stderr.log"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "relgate.asgi:app", "--port", "0", "--no-access-log"],
            cwd=run_dir,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            env={**os.environ, "RELGATE_CONFIG": str(config), "PYTHONUNBUFFERED": "1"},
        )
    try:
        url = None
        for _ in range(200):
            m = re.search(r"Uvicorn running on (http://\S+)", stderr.read_text())
            if m:
                url = m.group(1)
                break
            assert proc.poll() is None, stderr.read_text()
            time.sleep(0.05)
        assert url, stderr.read_text()
        r = httpx.get(url + "/readyz", timeout=5)
        assert r.status_code == 200 and r.json()["checks"]["store"]["detail"].endswith("elsewhere.db")
        assert httpx.get(url + "/jsonapi/people", headers={"Accept": JSONAPI}, timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert (tmp_path / "elsewhere.db").exists()
    ours = [orjson.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    assert [(a["path"], a["status"]) for a in ours if a.get("logger") == "relgate.access"] == [("/jsonapi/people", 200)]


def test_asgi_app_with_a_broken_config_says_so_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = "x"\n')
    done = subprocess.run(
        [sys.executable, "-c", "import relgate.asgi as m; m.app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RELGATE_CONFIG": str(bad)},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"relgate: {bad}: server.port: must be int, got str" in done.stderr.splitlines()


# --- backends ---------------------------------------------------------------------------------


def test_a_proxy_counts_its_backend_calls_sends_its_request_id_and_reports_the_backend_ready(tmp_path: Path) -> None:
    from tests.e2e.test_proxy_serve import _proxy_toml

    backend_dir, proxy_dir = tmp_path / "backend", tmp_path / "proxy"
    backend_dir.mkdir()
    proxy_dir.mkdir()
    write_config(backend_dir)
    backend = start(backend_dir)
    try:
        (proxy_dir / "gateway.toml").write_text(_proxy_toml(backend.url))
        proxy = start(proxy_dir)
        try:
            with httpx.Client(base_url=proxy.url, timeout=10) as http:
                create_person(http, "Ann")  # no X-Request-ID: the proxy makes one and passes it on
                r = http.get("/jsonapi/people", headers={"Accept": JSONAPI, "X-Request-ID": "bad id with spaces"})
                assert r.status_code == 200
                ready = http.get("/readyz")
                assert ready.status_code == 200
                assert set(ready.json()["checks"]) == {"ng"}  # the store serves no route here
                assert ready.json()["checks"]["ng"]["detail"].startswith(f"{backend.url}/restless/api answered ")
            samples = scrape(proxy.url)
            assert value(samples, "relgate_backend_requests_total", backend="ng", status="201") == 1
            assert value(samples, "relgate_backend_requests_total", backend="ng", status="200") >= 1
            assert value(samples, "relgate_backend_request_duration_seconds_count", backend="ng") >= 2
            assert value(samples, "relgate_requests_total", route="/jsonapi", dialect="jsonapi", target="ng", status="201") == 1
        finally:
            proxy.stop()
    finally:
        backend.stop()
    # with the backend gone, the proxy is alive but not ready, and names the backend
    orphan = start(proxy_dir)
    try:
        r = httpx.get(orphan.url + "/readyz", timeout=10)
        assert r.status_code == 503 and r.json()["checks"]["ng"]["ok"] is False
        assert "ConnectError" in r.json()["checks"]["ng"]["detail"]
        assert httpx.get(orphan.url + "/healthz", timeout=10).status_code == 200
        assert httpx.get(orphan.url + "/jsonapi/people", headers={"Accept": JSONAPI}, timeout=10).status_code == 502
        samples = scrape(orphan.url)
        assert value(samples, "relgate_backend_errors_total", backend="ng", kind="connect") == 1
        assert value(samples, "relgate_backend_requests_total", backend="ng", status="error") == 1  # /readyz is not counted
    finally:
        orphan.stop()
    front = [a for a in proxy.access() if a["path"].startswith("/jsonapi")]
    back = {a["request_id"]: a for a in backend.access()}
    first = [a for a in front if a["method"] == "POST"]
    assert first and first[0]["backend_requests"] >= 1
    assert first[0]["request_id"] in back  # the backend logged the proxy's id
    refused = [a for a in front if a["method"] == "GET" and a["status"] == 200]
    assert refused and refused[0]["request_id"] != "bad id with spaces" and refused[0]["request_id"] in back
