"""deploy/nginx.conf on a real nginx in front of a real ``relgate serve``.

The snippet is included as it is; only its two addresses are changed (nginx's ``listen`` and
the upstream ``server``) to ephemeral ports on 127.0.0.1.  A body between relgate's limit and
nginx's is answered by relgate, in the caller's dialect; nginx's own errors are JSON.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
JSONAPI = "application/vnd.api+json"
IN_CI = os.environ.get("CI", "").lower() == "true"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None:
        if IN_CI:
            pytest.fail("CI=true but nginx is not installed (.ci/run installs it with apt-get)", pytrace=False)
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def relgate(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0", "--log-level", "warning"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
    assert m
    yield proc, int(m.group(1))
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)


@pytest.fixture
def proxy(tmp_path: Path, relgate: tuple[subprocess.Popen[str], int]) -> Iterator[str]:
    nginx = nginx_binary()
    port = free_port()
    snippet = (ROOT / "deploy" / "nginx.conf").read_text()
    snippet = snippet.replace("listen 80;", f"listen 127.0.0.1:{port};")
    snippet = snippet.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{relgate[1]};")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "relgate.conf").write_text(snippet)
    # workers as the test's own user, so they may write their temp files under tmp_path
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""
        {user}
        daemon off;
        pid {prefix}/nginx.pid;
        error_log {prefix}/error.log;
        events {{ worker_connections 64; }}
        http {{
            access_log off;
            client_body_temp_path {prefix}/body;
            proxy_temp_path {prefix}/proxy;
            include {prefix}/relgate.conf;
        }}
        """
    )
    test = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/jsonapi/people", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    yield url
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_requests_pass_through_with_forwarding_headers(proxy: str) -> None:
    r = httpx.post(proxy + "/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}},
                   headers={"Content-Type": JSONAPI}, timeout=10)  # fmt: skip
    assert r.status_code == 201, r.text
    assert httpx.get(proxy + "/jsonapi/people/1", timeout=10).json()["data"]["attributes"]["name"] == "Ann"


def test_a_body_over_relgates_limit_is_relgates_413_in_the_callers_dialect(proxy: str) -> None:
    body = b'{"data": {"type": "people", "attributes": {"name": "' + b"x" * 1_500_000 + b'"}}}'
    r = httpx.post(proxy + "/jsonapi/people", content=body, headers={"Content-Type": JSONAPI}, timeout=30)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(JSONAPI)  # relgate's answer, not nginx's
    assert r.json()["errors"][0]["detail"] == "The request body exceeds the limit of 1048576 bytes."


def test_a_body_over_nginxs_limit_is_a_json_413(proxy: str) -> None:
    r = httpx.post(proxy + "/jsonapi/people", content=b"x" * (9 * 1024 * 1024), headers={"Content-Type": JSONAPI}, timeout=30)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errors"][0]["status"] == "413"


def test_relgate_down_is_a_json_502(proxy: str, relgate: tuple[subprocess.Popen[str], int]) -> None:
    relgate[0].send_signal(signal.SIGINT)
    relgate[0].wait(timeout=15)
    r = httpx.get(proxy + "/jsonapi/people", timeout=30)
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/json" and r.headers["retry-after"] == "5"
    assert r.json()["errors"][0] == {"status": "502", "title": "Bad gateway", "detail": "relgate is not answering; try again shortly."}
