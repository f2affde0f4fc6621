"""The gateway's outermost ASGI layer: request id, relgate's own endpoints, metrics and the log line.

For every HTTP request it opens a :class:`relgate.context.RequestContext` (the caller's valid
``X-Request-ID`` or a new one, returned in the response's ``X-Request-ID``), answers
``/healthz``, ``/readyz`` and ``/metrics`` itself (before any front door or CORS), and when the
response is done counts it under the front door that took it (a door names itself in the
context) and writes one ``relgate.access`` line.  Health and metrics lines are DEBUG, so probes
and scrapes do not flood the default level.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relgate import context, logs
from relgate.config import ServerConfig
from relgate.health import Health, endpoint_paths, method_not_allowed, send_json
from relgate.metrics import UNROUTED, DoorMetrics, exposition

log = logging.getLogger("relgate")


class _Endpoint:
    __slots__ = ("app", "level", "metrics")

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.metrics = DoorMetrics(path)
        self.level = logging.DEBUG


class Observer:
    def __init__(self, app: ASGIApp, server: ServerConfig, targets: Mapping[str, object]) -> None:
        self.app = app
        self.health = Health(targets)
        handlers: dict[str, ASGIApp] = {"healthz": self.health.healthz, "readyz": self.health.readyz, "metrics": metrics_endpoint}
        self.endpoints = {path: _Endpoint(handlers[name], path) for name, path in endpoint_paths(server).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        ctx = context.RequestContext(context.request_id_from(scope["headers"]))
        token = context.enter(ctx)
        rid = (b"x-request-id", ctx.request_id.encode("ascii"))
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message = {**message, "headers": [*message.get("headers", ()), rid]}
            await send(message)

        endpoint = self.endpoints.get(scope["path"])
        try:
            await (endpoint.app if endpoint else self.app)(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            await send_json(scope, send_with_id, 500, {"error": "relgate failed to process this request; the error is logged."})
        finally:
            seconds = time.perf_counter() - started
            door: DoorMetrics = ctx.door or (endpoint.metrics if endpoint else UNROUTED)
            door.observe(status, seconds)
            level = endpoint.level if endpoint else logging.INFO
            logs.access(scope, status=status, seconds=seconds, ctx=ctx, route=door.route, level=level)
            context.leave(token)


async def metrics_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        await method_not_allowed(scope, send)
        return
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), None)
    body, content_type = exposition(accept)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
