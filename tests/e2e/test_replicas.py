"""Two ``relgate serve`` processes started together on one empty PostgreSQL database both come up.

(The Kubernetes manifest runs two replicas; before the advisory lock one of them died in
``create_all`` with a duplicate ``pg_type`` row.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import EXAMPLE

pytestmark = pytest.mark.postgres


def launch(store: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relgate.cli", "serve", "--config", str(EXAMPLE), "--store", store, "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
    )


def address(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            return m.group(1)
    raise AssertionError(f"relgate serve exited ({proc.wait()}) without listening")


def answers(url: str, proc: subprocess.Popen[str]) -> int:
    for _ in range(300):
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"a replica died at start-up (exit {proc.returncode}):\n{out}")
        try:
            return httpx.get(url + "/jsonapi/people", headers={"Accept": "application/vnd.api+json"}, timeout=2).status_code
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("no answer")


@pytest.mark.parametrize("attempt", range(2))
def test_two_replicas_on_one_empty_postgresql_database_both_serve(pg_url: str, attempt: int) -> None:
    procs = [launch(pg_url), launch(pg_url)]
    try:
        urls = [address(p) for p in procs]
        assert [answers(u, p) for u, p in zip(urls, procs, strict=True)] == [200, 200]
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
