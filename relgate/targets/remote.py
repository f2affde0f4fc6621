"""A backend reached over HTTP: a batch carried out through the backend dialect's client half.

One pooled :class:`httpx.AsyncClient` per backend (limits and timeout from config); its
transport is the seam — the connection pool in production, :class:`httpx.ASGITransport` for an
app in the same process, :class:`httpx.MockTransport` for faults in tests.  Ops run in order;
each op is one :data:`~relgate.dialects.client.Exchange` of the client half, driven here with
real I/O.  Lids are bound by the plan as creates answer and substituted into later ops.

Faults become problems in canonical terms, which the caller's dialect renders: the backend
refused the connection or broke it → 502; no answer within ``timeout`` → 504; an answer the
client half cannot read → 502 naming the backend.  A batch is carried out as the planner's
:class:`~relgate.planner.Plan` says, step by step; when a step fails, the plan undoes the
applied writes and every problem says in ``meta.steps`` what was applied, undone or not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

from relgate import checks
from relgate.config import Backend
from relgate.dialects import ClientDialect
from relgate.dialects.client import Exchange, action, is_write
from relgate.metrics import BackendMetrics
from relgate.model import Batch, HttpRequest, HttpResponse, Outcome, Problem, ProblemError, Result
from relgate.planner import Context, Plan
from relgate.planner.overlay import overlay_action
from relgate.schema import Schema
from relgate.targets import NO_CALL, Call, Readiness
from relgate.targets.forwarding import end_to_end, passed_through, translated
from relgate.targets.lowering import Lowering

if TYPE_CHECKING:  # the store is imported only when a backend keeps an order overlay (registry.py)
    from relgate.store.overlay import OrderOverlay

log = logging.getLogger("relgate")
POOL = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)


class BackendFault(Exception):
    """A backend could not be asked or did not answer; ``problem`` is the caller's 502/504."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


class RemoteTarget:
    """Carries out batches against one ``[backends.NAME]``."""

    def __init__(
        self,
        schema: Schema,
        backend: Backend,
        client: ClientDialect,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        app: ASGIApp | None = None,
        overlay: OrderOverlay | None = None,
    ) -> None:
        self.name = backend.name
        self.schema = schema
        self.backend = backend
        self.client = client
        self.lowering = Lowering(schema, backend, client.capabilities)
        self.context = Context(schema, backend, client.capabilities)
        self.app = app
        """An ASGI app in this process that *is* the backend (middleware mode): translated requests
        reach it through :class:`httpx.ASGITransport`, streamed ones are handed to it directly."""
        self.root = urlsplit(backend.url).path.rstrip("/")
        """The path of the backend's API root (where a streamed request's path is rebased)."""
        self.transport = transport if transport is not None or app is None else httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.http: httpx.AsyncClient | None = None
        self.metrics = BackendMetrics(backend.name)
        self.overlay = overlay
        """The order relgate keeps in its store for this backend (``order = "overlay"``), else None."""

    async def open(self) -> None:
        if self.overlay is not None:
            await self.overlay.open()
        if self.http is None:
            timeout = httpx.Timeout(self.backend.timeout)
            self.http = httpx.AsyncClient(transport=self.transport, timeout=timeout, limits=POOL, follow_redirects=False, trust_env=False)

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None
        if self.overlay is not None:
            await self.overlay.close()

    # --- translated batches --------------------------------------------------------------------

    async def execute(self, batch: Batch, call: Call = NO_CALL) -> Outcome:
        refusals = checks.problems(batch, self.schema) or self.lowering.refusals(batch)
        if refusals:
            raise ProblemError(*refusals)
        plan = Plan(batch, self.context)
        while (step := plan.next_step()) is not None:
            sent: list[str] = []
            try:
                if step.target == "overlay":  # relgate's own order overlay, in its store
                    assert self.overlay is not None, "a plan used the order overlay of a backend without one"
                    if step.write:
                        sent.append(overlay_action(step.op))  # type: ignore[arg-type]
                    result = await self.overlay.run(step.op)  # type: ignore[arg-type]
                else:
                    result = await self._run(self.client.exchange(step.op), call, sent)
            except ProblemError as error:
                plan.fail(error, tuple(sent))
            else:
                plan.feed(result, tuple(sent))
        return plan.outcome()

    async def _run(self, exchange: Exchange, call: Call, sent: list[str]) -> Result:
        """One step's exchange driven over HTTP; ``sent`` collects the writes it made (for reports)."""
        request = next(exchange)
        while True:
            if is_write(request):
                sent.append(action(request))
            try:
                response = await self.send(request, call)
            except BackendFault as fault:
                raise ProblemError(fault.problem) from None
            try:
                request = exchange.send(response)
            except StopIteration as done:
                return done.value

    async def send(self, request: HttpRequest, call: Call = NO_CALL) -> HttpResponse:
        """One backend request of a client half, with forwarding headers; faults as :class:`BackendFault`."""
        assert self.http is not None, "the target is not open"
        url = self.backend.url + request.path + (f"?{request.query}" if request.query else "")
        headers = translated(request.headers, call, self.backend.headers)
        started = time.perf_counter()
        try:
            answer = await self.http.request(request.method, url, headers=headers, content=request.body or None)
        except httpx.HTTPError as exc:
            self.metrics.observe(time.perf_counter() - started, error=_error_kind(exc))
            raise BackendFault(self.fault(exc)) from None
        except Exception:
            if self.app is None:
                raise
            self.metrics.observe(time.perf_counter() - started, error="app")
            # The wrapped app raised (httpx.ASGITransport re-raises): its failure, logged, no traceback out.
            log.exception("the app behind backend %s failed on %s %s", self.name, request.method, request.path)
            raise BackendFault(self._app_failed(500)) from None
        self.metrics.observe(time.perf_counter() - started, status=answer.status_code)
        if self.app is not None and answer.status_code >= 500:
            # The wrapped app caught its own failure and answered for itself (Flask's error page, perhaps a
            # debugger's traceback): the caller gets the same status in its own format, not that page.
            log.error("the app behind backend %s answered %d to %s %s", self.name, answer.status_code, request.method, request.path)
            raise BackendFault(self._app_failed(answer.status_code))
        return HttpResponse(answer.status_code, tuple(end_to_end(answer.headers.items())), answer.content)

    def _app_failed(self, status: int) -> Problem:
        """The caller's problem when the app behind a middleware-mode backend failed (raised, or answered 5xx)."""
        detail = f"The application behind '{self.name}' failed while handling this request; the error is logged."
        return Problem(status, "internal", "Internal error", detail, meta={"backend": self.name})

    def fault(self, exc: Exception) -> Problem:
        """The caller's problem for a transport failure (504 for a timeout, else 502)."""
        meta = {"backend": self.name}
        if isinstance(exc, httpx.TimeoutException):
            detail = f"The backend '{self.name}' did not answer within {self.backend.timeout:g} s."
            return Problem(504, "gateway-timeout", "Gateway timeout", detail, meta=meta)
        reason = str(exc) or type(exc).__name__
        detail = f"The backend '{self.name}' could not be reached or broke the connection ({reason})."
        return Problem(502, "bad-gateway", "Bad gateway", detail, meta=meta)

    # --- pass-through ------------------------------------------------------------------------

    async def stream(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: AsyncIterator[bytes] | None, call: Call
    ) -> httpx.Response:
        """Open a streamed request to the backend, untouched (the caller reads and closes the answer)."""
        assert self.http is not None, "the target is not open"
        url = self.backend.url + path + (f"?{query}" if query else "")
        request = self.http.build_request(method, url, headers=passed_through(headers, call, self.backend.headers), content=body)
        started = time.perf_counter()
        try:
            answer = await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            self.metrics.observe(time.perf_counter() - started, error=_error_kind(exc))
            raise BackendFault(self.fault(exc)) from None
        self.metrics.observe(time.perf_counter() - started, status=answer.status_code)  # time to the answer's head
        return answer

    # --- readiness ----------------------------------------------------------------------------

    async def check(self) -> Readiness:
        """Ready when the backend's API root answers at all below 500 (a 401 or 404 is an answer); not counted in its metrics."""
        if self.http is None:
            return Readiness(False, "not open")
        try:
            async with self.http.stream("GET", self.backend.url + "/", headers=self.backend.headers) as answer:
                status = answer.status_code
        except httpx.HTTPError as exc:
            return Readiness(False, f"{self.backend.url}: {type(exc).__name__}: {exc}".rstrip(": "))
        return Readiness(status < 500, f"{self.backend.url} answered {status}")


def _error_kind(exc: httpx.HTTPError) -> str:
    """The ``kind`` label of a backend request that got no answer."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    return "transport"
