"""``/healthz`` (the process answers) and ``/readyz`` (the store and every target can serve).

Both are answered by the observer before any front door sees the request, take no
authentication and read no body.  ``/readyz`` runs every target's ``check()`` concurrently, each
bounded by :data:`CHECK_TIMEOUT`, and names each in its body::

    {"status": "ready", "checks": {"store": {"ok": true, "detail": "sqlite+aiosqlite:///relgate.db", "duration_ms": 0.4}}}

It is 200 when every check passed and 503 otherwise: what a load balancer or a Kubernetes
readiness probe needs to stop sending traffic to an instance whose database went away, while
``/healthz`` (liveness) stays 200 so the instance is not restarted for a fault it cannot fix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import Receive, Scope, Send

from relgate.targets import Readiness

if TYPE_CHECKING:
    from relgate.config import ServerConfig

CHECK_TIMEOUT = 2.0
"""Seconds a target's check may take before it counts as not ready (probe timeouts should be longer)."""


def endpoint_paths(server: ServerConfig) -> dict[str, str]:
    """Where relgate's own endpoints answer (``metrics`` absent when turned off)."""
    paths = {"healthz": f"{server.health_prefix}/healthz", "readyz": f"{server.health_prefix}/readyz"}
    if server.metrics_path:
        paths["metrics"] = server.metrics_path
    return paths


async def send_json(scope: Scope, send: Send, status: int, body: Any, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload})


async def method_not_allowed(scope: Scope, send: Send) -> None:
    await send_json(scope, send, 405, {"error": f"{scope['method']} is not allowed here; use GET"}, ((b"allow", b"GET, HEAD"),))


class Health:
    """The two endpoints over the gateway's targets (by name: ``store``, later each backend)."""

    def __init__(self, targets: Mapping[str, object]) -> None:
        self.targets = dict(targets)

    async def healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await method_not_allowed(scope, send)
            return
        await send_json(scope, send, 200, {"status": "ok"})

    async def readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await method_not_allowed(scope, send)
            return
        checks = await self.check_all()
        ready = all(c["ok"] for c in checks.values())
        await send_json(scope, send, 200 if ready else 503, {"status": "ready" if ready else "unavailable", "checks": checks})

    async def check_all(self) -> dict[str, dict[str, Any]]:
        names = list(self.targets)
        results = await asyncio.gather(*(self._check(self.targets[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def _check(self, target: object) -> dict[str, Any]:
        started = time.perf_counter()
        check = getattr(target, "check", None)
        if check is None:
            result = Readiness(True, "no readiness check")
        else:
            try:
                result = await asyncio.wait_for(check(), CHECK_TIMEOUT)
            except TimeoutError:
                result = Readiness(False, f"no answer within {CHECK_TIMEOUT:g} s")
            except Exception as exc:  # a check must not raise; if one does, it is not ready
                result = Readiness(False, f"{type(exc).__name__}: {exc}")
        return {"ok": result.ok, "detail": result.detail, "duration_ms": round((time.perf_counter() - started) * 1000, 3)}
