"""End to end: ``relgate serve`` (real uvicorn on 127.0.0.1, an ephemeral port) over HTTP.

Each test starts the CLI as a subprocess, reads the address it prints, talks to it with httpx
and stops it when the test ends.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.jsonapi_schema import check_jsonapi_response

ROOT = Path(__file__).resolve().parents[2]
JSONAPI = "application/vnd.api+json"
H = {"Content-Type": JSONAPI, "Accept": JSONAPI}
HOOKS = {"response": [check_jsonapi_response]}


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str, banner: list[str]) -> None:
        self.proc = proc
        self.url = url
        self.banner = banner


def start(*args: str, cwd: Path) -> Served:
    proc = subprocess.Popen(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0", "--log-level", "warning", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
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
        if url and line.strip().startswith("/jsonapi"):
            break
        if len(banner) > 50:
            break
    if url is None:
        proc.kill()
        raise AssertionError("relgate serve did not start:\n" + "\n".join(banner))
    # Wait until the server answers (uvicorn finishes start-up after the banner).
    for _ in range(100):
        try:
            httpx.get(url + "/jsonapi/people", headers={"Accept": JSONAPI}, timeout=1)
            break
        except httpx.TransportError:
            import time

            time.sleep(0.05)
    return Served(proc, url, banner)


def stop(served: Served) -> None:
    served.proc.send_signal(signal.SIGINT)
    try:
        served.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory holding a copy of the example configuration, as a user has it."""
    shutil.copy(ROOT / "gateway.example.toml", tmp_path / "gateway.example.toml")
    return tmp_path


@pytest.fixture
def served_sqlite(workdir: Path) -> Iterator[Served]:
    served = start(cwd=workdir)
    yield served
    stop(served)


def test_default_serve_uses_the_example_and_a_sqlite_file_in_the_working_directory(served_sqlite: Served, workdir: Path) -> None:
    assert served_sqlite.url.startswith("http://127.0.0.1:")
    assert any(line.strip().startswith("/jsonapi") and "jsonapi" in line for line in served_sqlite.banner)
    assert (workdir / "relgate.db").exists()


def test_relationship_lifecycle_over_http(served_sqlite: Served) -> None:
    with httpx.Client(base_url=served_sqlite.url + "/jsonapi", headers=H, timeout=10, event_hooks=HOOKS) as http:
        r = http.post("/people", json={"data": {"type": "people", "attributes": {"name": "Ann", "age": 33}}})
        assert r.status_code == 201, r.text
        person = r.json()["data"]
        assert r.headers["location"].endswith(f"/jsonapi/people/{person['id']}")
        comps = []
        for name in ("alpha", "beta", "gamma"):
            r = http.post("/computers", json={"data": {"type": "computers", "attributes": {"name": name}}})
            assert r.status_code == 201, r.text
            comps.append({"type": "computers", "id": r.json()["data"]["id"]})
        rel = f"/people/{person['id']}/relationships/computers"
        assert http.post(rel, json={"data": comps[:2]}).status_code == 204
        assert http.post(rel, json={"data": comps[:1]}).status_code == 204  # already present: no change
        assert http.get(rel).json()["data"] == comps[:2]
        assert http.request("DELETE", rel, json={"data": [comps[0], comps[2]]}).status_code == 204
        assert http.get(rel).json()["data"] == [comps[1]]
        r = http.get(f"/people/{person['id']}", params={"include": "computers"})
        assert [c["attributes"]["name"] for c in r.json()["included"]] == ["beta"]
        r = http.post(rel, json={"data": [{"type": "computers", "id": "9999"}]})
        assert r.status_code == 404
        assert r.json()["errors"][0]["source"]["pointer"] == "/data/0"
        r = http.post("/people", content=b"{not json", headers=H)
        assert r.status_code == 400 and r.headers["content-type"].startswith(JSONAPI)


def test_oversized_body_is_413_in_the_callers_dialect(served_sqlite: Served) -> None:
    big = b'{"data": {"type": "people", "attributes": {"name": "' + b"x" * 2_000_000 + b'"}}}'
    r = httpx.post(served_sqlite.url + "/jsonapi/people", content=big, headers=H, timeout=30)
    assert r.status_code == 413
    assert r.json()["errors"][0]["status"] == "413"


@pytest.mark.postgres
def test_serve_on_postgresql(workdir: Path, pg_url: str) -> None:
    plain = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    served = start("--store", plain, cwd=workdir)
    try:
        assert "postgresql+asyncpg://" in served.banner[0]
        with httpx.Client(base_url=served.url + "/jsonapi", headers=H, timeout=10, event_hooks=HOOKS) as http:
            r = http.post("/restaurants", json={"data": {"type": "restaurants", "attributes": {"name": "R"}}})
            assert r.status_code == 201, r.text
            rid = r.json()["data"]["id"]
            cats = [
                {
                    "type": "categories",
                    "id": http.post("/categories", json={"data": {"type": "categories", "attributes": {"name": n}}}).json()["data"]["id"],
                }
                for n in ("a", "b", "c")
            ]
            rel = f"/restaurants/{rid}/relationships/categories"
            assert http.patch(rel, json={"data": [cats[2], cats[0], cats[1]]}).status_code == 204
            assert http.get(rel).json()["data"] == [cats[2], cats[0], cats[1]]
    finally:
        stop(served)
    assert not (workdir / "relgate.db").exists()
