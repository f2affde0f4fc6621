"""The ASGI application: front doors by path prefix, each a dialect's server half over a target.

Pure ASGI throughout (no ``BaseHTTPMiddleware``): Starlette's router mounts one
:class:`FrontDoor` per configured route, and a front door reads the body (bounded by the
configured limit), hands plain values to its sans-IO codec, runs the batch on its target and
writes the codec's response.  Everything a request needs is built at start-up.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import anyio
import httpx
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Mount, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from relgate import context
from relgate.auth import Guard
from relgate.config import Config, Route
from relgate.dialects import Intent, ServerDialect, server_factory
from relgate.edge import EdgeHeaders, Origins, cache_control
from relgate.metrics import DoorMetrics
from relgate.model import HttpRequest, HttpResponse, Problem, ProblemError
from relgate.observe import Observer
from relgate.passthrough import PassThrough
from relgate.targets import NO_CALL, Call, Target
from relgate.targets.registry import backend_targets, used
from relgate.targets.remote import BackendFault, RemoteTarget

if TYPE_CHECKING:
    from relgate.store import Store

log = logging.getLogger("relgate")


class FrontDoor:
    """One route: ``dialect`` parses and renders, ``target`` executes.

    In front of a backend, a request the route need not translate — every request when the
    caller's dialect is the backend's, otherwise a path the dialect's schema does not cover
    (Strapi's ``/upload``, a backend's health URL) — is decided on before the body is read and
    streamed to the backend and back untouched (:class:`~relgate.passthrough.PassThrough`).
    """

    def __init__(
        self,
        route: Route,
        dialect: ServerDialect,
        target: Target,
        *,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        origins: Origins | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.route = route
        self.dialect = dialect
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.pass_through: PassThrough | None = None
        if isinstance(target, RemoteTarget):
            # the same dialect streams untouched, unless its server half says the backend's options make
            # another wire format of it (``streams_to``: a Strapi 5 door in front of a Strapi 4 backend),
            # or relgate keeps the order the backend cannot (``order = "overlay"``: every request is planned)
            same = (
                target.backend.dialect == route.dialect
                and target.backend.order == "backend"
                and getattr(dialect, "streams_to", lambda _b: True)(target.backend)
            )
            self.pass_through = PassThrough(target, dialect, whole_route=same)
        self.body_timeout = body_timeout
        self.origins = origins or Origins()
        self.guard = guard
        self.metrics = DoorMetrics(route.prefix, route.dialect, route.target)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets are not relgate's business
            return
        ctx = context.current()
        if ctx is not None:  # the observer counts and logs the request under this door
            ctx.door = self.metrics
        root = scope.get("root_path", "")
        path = scope["path"]
        if root and path.startswith(root):
            path = path[len(root) :]
        headers = _headers(scope["headers"])
        if self.guard is not None and not await self._admitted(scope, send, path or "/", headers):
            return
        if self.pass_through is not None and self.pass_through.takes(path or "/"):
            try:
                await self.pass_through(scope, receive, send, path or "/", _call(scope, headers, self.origins.origin(scope, headers)))
            except BackendFault as fault:
                request = HttpRequest(scope["method"], path or "/", scope.get("query_string", b"").decode("latin-1"), headers, base=root)
                await _send(send, self.dialect.render_error(ProblemError(fault.problem), request), method=scope["method"])
            return
        request = HttpRequest(
            method=scope["method"],
            path=path or "/",
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            base=root,
            origin=self.origins.origin(scope, headers),
        )
        head = request.method == "HEAD"
        if head:
            # HEAD is GET without the body (RFC 9110 §9.3.2), for every dialect alike.
            request = dataclasses.replace(request, method="GET")
        try:
            body = await self._read_body(headers, receive)
        except _ClientGone:
            return  # nobody to answer; a partial body is never processed
        except ProblemError as error:
            response = self._error(error, request)
        else:
            response = await self.handle(dataclasses.replace(request, body=body), _call(scope, headers, request.origin))
        await _send(send, response, method=scope["method"])

    async def _admitted(self, scope: Scope, send: Send, path: str, headers: Mapping[str, str]) -> bool:
        """The route's auth, before anything else (pass-through included) and before the body is read."""
        assert self.guard is not None
        try:
            self.guard.check(scope["method"], headers.get("authorization"))
        except ProblemError as error:
            query = scope.get("query_string", b"").decode("latin-1")
            request = HttpRequest(scope["method"], path, query, headers, base=scope.get("root_path", ""))
            await _send(send, self._error(error, request), method=scope["method"])
            return False
        return True

    def _error(self, error: ProblemError, request: HttpRequest) -> HttpResponse:
        response = self.dialect.render_error(error, request)
        if error.headers:
            response = HttpResponse(response.status, (*response.headers, *error.headers.items()), response.body)
        return response

    async def handle(self, request: HttpRequest, call: Call = NO_CALL) -> HttpResponse:
        try:
            intent: Intent = self.dialect.parse(request)
            outcome = await self.target.execute(intent.batch, call)
            return self.dialect.render(intent, outcome)
        except ProblemError as error:
            return self._error(error, request)
        except Exception:
            log.exception("unexpected error on %s %s%s", request.method, request.base, request.path)
            problem = Problem(500, "internal", "Internal error", "relgate failed to process this request; the error is logged.")
            return self.dialect.render_error(ProblemError(problem), request)

    async def _read_body(self, headers: Mapping[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        # A deadline for the whole body: a client sending a byte a second cannot hold a request open.
        with anyio.move_on_after(self.body_timeout) as deadline:
            return await self._receive_body(receive)
        assert deadline.cancelled_caught
        raise _timed_out(self.body_timeout)

    async def _receive_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _ClientGone(Exception):
    """The client disconnected before its request body was complete."""


def _timed_out(seconds: float) -> ProblemError:
    problem = Problem(408, "timeout", "Request Timeout", f"The request body was not received within {seconds:g} seconds.")
    return ProblemError(problem, headers={"Connection": "close"})


def _too_large(limit: int) -> ProblemError:
    return ProblemError(Problem(413, "too-large", "Request body too large", f"The request body exceeds the limit of {limit} bytes."))


def _call(scope: Scope, headers: Mapping[str, str], origin: str) -> Call:
    """The caller's side as a backend sees it: ``X-Forwarded-Proto``/``-Host`` come from the origin
    relgate decided (its public URL, or a trusted forwarder's), never from an untrusted ``Host``."""
    client = scope.get("client")
    parts = urlsplit(origin) if origin else None
    return Call(
        headers=headers,
        client=client[0] if client else "",
        scheme=parts.scheme if parts else scope.get("scheme", "http"),
        host=parts.netloc if parts else "",
        request_id=context.current_request_id() or "",
    )


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def _header_value(value: str) -> bytes:
    """Header bytes; characters outside latin-1 (an id in a ``Location``) are percent-encoded.

    The batch has already committed when the response is sent, so this must never fail.
    """
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return quote(value, safe="!#$%&'()*+,/:;=?@[]~ ").encode("ascii")


async def _send(send: Send, response: HttpResponse, *, method: str) -> None:
    """Send relgate's own answer (a HEAD gets the headers only), with its Cache-Control policy."""
    head = method == "HEAD"
    headers = [(k.lower().encode("latin-1"), _header_value(v)) for k, v in response.headers]
    if not any(name == b"cache-control" for name, _ in headers):
        headers.append((b"cache-control", cache_control(method, response.status)))
    bodiless = response.status in (204, 304)
    if not bodiless or response.body:
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if bodiless or head else response.body})


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    response = JSONResponse({"error": f"No front door serves {scope['path']}"}, status_code=404, headers={"cache-control": "no-store"})
    await response(scope, receive, send)


class Gateway:
    """The relgate ASGI app for a configuration.

    Use as ``async with Gateway(config) as app`` (opens and closes its targets: the store and
    the backends its routes use), or hand it to an ASGI server, which drives the same through
    the lifespan protocol.  ``transports`` replaces a backend's connection pool by name (an
    :class:`httpx.ASGITransport`, a mock for faults in tests); ``apps`` names backends that are
    ASGI apps in this process (:class:`relgate.middleware.RelgateMiddleware`).
    """

    def __init__(
        self,
        config: Config,
        *,
        store: Store | None = None,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        apps: Mapping[str, ASGIApp] | None = None,
    ) -> None:
        self.config = config
        self._store = store
        every: dict[str, Target] = dict(backend_targets(config, transports, apps))
        if store is not None or any(r.target == "store" for r in config.routes):
            every["store"] = self.store
        self.targets: dict[str, Target] = used(config, every)
        targets = every
        self.doors: list[FrontDoor] = []
        server = config.server
        origins = Origins(server.public_url, server.trusted_proxies)
        for route in config.routes:
            dialect = server_factory(route.dialect)(config.schema, route, server)
            limits = {"max_body_bytes": server.max_body_bytes, "body_timeout": server.body_timeout}
            guard = Guard(config.auth[route.auth]) if route.auth else None
            self.doors.append(FrontDoor(route, dialect, targets[route.target], origins=origins, guard=guard, **limits))
        config.schema.warm(tuple(r.dialect for r in config.routes))
        # No slash redirects: Starlette's would send a bare prefix (and a re-sent POST) to whatever
        # Host says; a bare prefix goes to its front door instead (see _unrouted).
        self.router = Router(routes=[Mount(d.route.prefix, app=d) for d in self.doors], default=self._unrouted, redirect_slashes=False)
        self.app: ASGIApp = self.router
        if config.server.cors_origins:
            # Browser front ends on another origin (a Strapi or JSON:API app): Starlette's pure-ASGI
            # CORS middleware answers preflights and adds the headers; Location is readable too.
            self.app = CORSMiddleware(
                self.router,
                allow_origins=list(config.server.cors_origins),
                allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=["*"],
                expose_headers=["Location", "Link"],
                max_age=600,
            )
        self.app = EdgeHeaders(self.app)
        # Outermost: request ids, /healthz, /readyz and /metrics, the request's metrics and log line.
        self.app = Observer(self.app, config.server, self.targets)
        self._started = False

    @property
    def store(self) -> Store:
        """relgate's own store, built on first use: a gateway whose routes all go to backends
        never imports it (middleware mode inside an app pinned to SQLAlchemy 1.3, such as
        Flask-Restless 0.17's, runs without relgate's SQLAlchemy 2 store)."""
        if self._store is None:
            from relgate.store import Store

            self._store = Store.from_url(self.config.store_url, self.config.schema)
        return self._store

    @property
    def started(self) -> bool:
        return self._started

    async def startup(self) -> None:
        if not self._started:
            opened: list[Target] = []
            try:
                for target in self.targets.values():
                    await target.open()
                    opened.append(target)
            except BaseException:
                for target in reversed(opened):
                    await target.close()
                raise
            self._started = True

    async def shutdown(self) -> None:
        if self._started:
            for target in reversed(self.targets.values()):
                await target.close()
            self._started = False

    async def __aenter__(self) -> Gateway:
        await self.startup()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.shutdown()

    async def _unrouted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A path the mounts did not match: still a front door's when it lies under its prefix.

        Starlette's ``Mount`` pattern (``.*``) stops at a newline, so ``/jsonapi/people%0A1``
        would miss its door and get the gateway's own 404 instead of one in the caller's dialect;
        and a bare prefix (``/jsonapi``) is its door's ``/``, answered in its dialect.
        """
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path = scope["path"][len(root) :] if root and scope["path"].startswith(root) else scope["path"]
            for door in self.doors:  # longest prefix first, as the routes are
                if path == door.route.prefix or path.startswith(door.route.prefix + "/"):
                    await door({**scope, "root_path": root + door.route.prefix}, receive, send)
                    return
        await _not_found(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: dict[str, Any] = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    if not _store_schema_error(exc):  # that one is a line (the server prints it) saying what to run
                        log.exception("relgate failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _store_schema_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the store's "tables differ from the schema" refusal.

    Looked up without importing the store: when it was never imported, nothing raised it.
    """
    migrate = sys.modules.get("relgate.store.migrate")
    return migrate is not None and isinstance(exc, migrate.StoreSchemaError)
