"""A backend that refuses, stalls, resets mid-body or answers garbage: 502/504 in the caller's dialect.

Real sockets on 127.0.0.1; each fault is tried on a translated request and on a pass-through one.
"""

from __future__ import annotations

import time

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import from_dict
from tests.targets import faults
from tests.targets.proxy_support import proxy_config, serving_app


def _gateway(caller: str, port: int, timeout: float = 0.5, backend: str = "restless") -> Gateway:
    """``caller`` in front of a ``backend`` at ``port`` (a jsonapi caller to a jsonapi backend passes through)."""
    data = proxy_config(caller, backend)
    data["backends"]["backend"]["url"] = f"http://127.0.0.1:{port}/api"
    data["backends"]["backend"]["timeout"] = timeout
    return Gateway(from_dict(data))


async def _get(gw: Gateway, path: str) -> httpx.Response:
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        return await c.get(path)


PATHS = pytest.mark.parametrize(
    ("path", "backend"),
    [("/jsonapi/people/1", "restless"), ("/jsonapi/not-a-type/x", "restless"), ("/jsonapi/people/1", "jsonapi")],
    ids=["translated", "uncovered-path", "same-dialect"],
)


@PATHS
async def test_refused_is_502_in_the_callers_dialect(path: str, backend: str) -> None:
    r = await _get(_gateway("jsonapi", faults.closed_port(), backend=backend), path)
    assert r.status_code == 502
    err = r.json()["errors"][0]
    assert err["status"] == "502" and "backend" in err["detail"]


@PATHS
async def test_stalled_is_504_within_the_timeout(path: str, backend: str) -> None:
    async with faults.serving(faults.stall) as port:
        started = time.monotonic()
        r = await _get(_gateway("jsonapi", port, timeout=0.5, backend=backend), path)
        elapsed = time.monotonic() - started
    assert r.status_code == 504
    assert "0.5 s" in r.json()["errors"][0]["detail"]
    assert elapsed < 5  # bounded by the configured timeout, never a hang


async def test_reset_mid_body_translated_is_502() -> None:
    async with faults.serving(faults.reset_mid_body) as port:
        r = await _get(_gateway("jsonapi", port), "/jsonapi/people")
    assert r.status_code == 502
    assert r.json()["errors"][0]["status"] == "502"


async def test_reset_mid_body_pass_through_is_a_truncated_answer() -> None:
    """The status line went out before the fault: over a real server the caller sees the answer
    end early (a protocol error), never a short body passed off as complete."""
    async with (
        faults.serving(faults.reset_mid_body) as port,
        serving_app(_gateway("jsonapi", port, backend="jsonapi")) as base,
        httpx.AsyncClient(base_url=base) as c,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await c.get("/jsonapi/people")


@pytest.mark.parametrize("handler", [faults.garbage, faults.not_http], ids=["html", "not-http"])
async def test_garbage_is_502_naming_the_backend(handler: faults.Handler) -> None:
    async with faults.serving(handler) as port:
        r = await _get(_gateway("jsonapi", port), "/jsonapi/people/1")
    assert r.status_code == 502
    assert "'backend'" in r.json()["errors"][0]["detail"]


async def test_faults_in_the_strapi_callers_format() -> None:
    r = await _get(_gateway("strapi", faults.closed_port()), "/strapi/api/restaurants")
    assert r.status_code == 502
    body = r.json()
    assert body["data"] is None and body["error"]["status"] == 502 and body["error"]["name"] == "BadGatewayError"


async def test_faults_in_the_legacy_callers_format() -> None:
    r = await _get(_gateway("restless-legacy", faults.closed_port()), "/legacy/api/person/1")
    assert r.status_code == 502
    assert "message" in r.json()
