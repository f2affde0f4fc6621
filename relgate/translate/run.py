"""One request translated offline: the caller's door, the plan, the backend's client half, the answer.

:class:`Translator` builds, once per configuration and route, exactly what the gateway builds for
that route — its :class:`~relgate.app.FrontDoor` (auth, pass-through decision, the caller's
dialect with the route's settings) and, for a backend, its
:class:`~relgate.targets.remote.RemoteTarget` (refusals, planner context, client half), never
opened — and carries a request through them as the gateway would, with the
:class:`~relgate.translate.standin.StandIn` answering the backend's requests.  What it saw is a
:class:`Translation`, plain values for :mod:`relgate.translate.report`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from relgate import checks
from relgate.app import FrontDoor
from relgate.auth import Guard
from relgate.config import Config, Route
from relgate.context import request_id_from
from relgate.dialects import Intent, server_factory
from relgate.dialects.client import action, is_write
from relgate.edge import Origins
from relgate.model import HttpRequest, HttpResponse, Op, Problem, ProblemError, Result
from relgate.planner import Plan
from relgate.planner.overlay import OverlayRead, overlay_action
from relgate.planner.rules import RULES, choose
from relgate.targets import Call
from relgate.targets.forwarding import passed_through, translated
from relgate.targets.registry import backend_targets
from relgate.targets.remote import RemoteTarget
from relgate.translate.httpfile import CannedAnswer, FileRequest
from relgate.translate.overlay import OfflineOverlay
from relgate.translate.standin import Placeholders, StandIn

CALLER_ADDRESS = "<caller address>"
REQUEST_ID = "<request id>"
"""What stands in the forwarding headers for what only a live request has."""

Mode = Literal["backend", "store", "pass-through", "refused"]


class UnknownRoute(LookupError):
    """``--route`` names no route of the configuration (the message lists them)."""


@dataclass
class BackendRequest:
    """One request to the backend, as the gateway would send it, and its offline answer."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    status: int = 0
    note: str = ""
    answer: bytes = b""
    answered_by: str = ""
    """``assumed``, ``canned`` or ``refused`` (relgate's model of the backend's dialect refused it)."""


@dataclass
class StepView:
    """One step of the plan as carried out offline."""

    number: int
    source: int
    purpose: str
    write: bool
    op: Op
    requests: list[BackendRequest] = field(default_factory=list)
    result: Result = None
    error: ProblemError | None = None
    undoes: int | None = None
    undo: Op | None = None
    undo_note: str = ""
    undo_requests: list[BackendRequest] = field(default_factory=list)
    overlay: str = ""
    """For a step carried out in relgate's order overlay (its store): what it does there."""
    overlay_note: str = ""
    undo_overlay: str = ""


@dataclass
class RuleView:
    op: int
    rule: str
    capability: str = ""


@dataclass
class Translation:
    """What translating one request showed."""

    request: FileRequest
    route: Route
    mode: Mode
    path: str
    """The request's path below the route prefix, as its door sees it."""
    serves: str = ""
    """Which door serves the route, and what it targets (:meth:`Translator.describe`)."""
    ops: tuple[Op, ...] = ()
    rules: list[RuleView] = field(default_factory=list)
    guarded: bool = False
    steps: list[StepView] = field(default_factory=list)
    streamed: BackendRequest | None = None
    """The request as streamed to the backend untouched (``mode == "pass-through"``)."""
    streamed_why: str = ""
    answer: HttpResponse | None = None
    """What the caller gets (offline: from the stand-in's answers)."""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing refused or failed (a store or pass-through request: nothing known to fail)."""
        if self.answer is None:
            return self.mode in ("store", "pass-through")
        return self.answer.status < 400


class Translator:
    """The gateway's pieces for one route, to carry requests through offline."""

    def __init__(self, config: Config, prefix: str) -> None:
        route = next((r for r in config.routes if r.prefix == prefix.rstrip("/") or r.prefix == prefix), None)
        if route is None:
            known = ", ".join(sorted(r.prefix for r in config.routes))
            raise UnknownRoute(f"no route has the prefix {prefix!r} (routes: {known})")
        self.config = config
        self.route = route
        server = config.server
        dialect = server_factory(route.dialect)(config.schema, route, server)
        self.target: RemoteTarget | None = backend_targets(config)[route.target] if route.target != "store" else None
        guard = Guard(config.auth[route.auth]) if route.auth else None
        # The gateway's own front door (never called: translate drives its parts synchronously).
        self.door = FrontDoor(route, dialect, self.target or _NoTarget(), max_body_bytes=server.max_body_bytes, guard=guard)
        self.origins = Origins(server.public_url, server.trusted_proxies)

    @property
    def dialect(self) -> object:
        return self.door.dialect

    def describe(self) -> str:
        """``/jsonapi (jsonapi) -> backend ng (restless at http://…)``."""
        r = self.route
        if self.target is None:
            return f"{r.prefix} ({r.dialect}) -> relgate's store"
        b = self.target.backend
        return f"{r.prefix} ({r.dialect}) -> backend {b.name} ({b.dialect} at {b.url})"

    # --- one request ---------------------------------------------------------------------------

    def translate(
        self, file_request: FileRequest, shared: Iterable[CannedAnswer] = (), placeholders: Placeholders | None = None
    ) -> Translation:
        placeholders = placeholders or Placeholders()
        placeholders.begin()
        request, call, notes = self._http_request(file_request)
        out = Translation(file_request, self.route, "refused", request.path, self.describe(), notes=notes)
        door = self.door
        if door.guard is not None:
            try:
                door.guard.check(file_request.method, request.header("authorization"))
            except ProblemError as error:
                return self._refused(out, error, request)
        if door.pass_through is not None and door.pass_through.takes(request.path):
            return self._streamed(out, request, call)
        if len(request.body) > door.max_body_bytes:
            problem = Problem(
                413, "too-large", "Request body too large", f"The request body exceeds the limit of {door.max_body_bytes} bytes."
            )
            return self._refused(out, ProblemError(problem), request)
        try:
            intent: Intent = door.dialect.parse(request)
        except ProblemError as error:
            return self._refused(out, error, request)
        out.ops = intent.batch.ops
        if self.target is None:
            out.mode = "store"
            return out
        out.mode = "backend"
        problems = checks.problems(intent.batch, self.config.schema)
        if problems:
            out.notes.append("refused before any backend request: the batch does not hold together (as the store would refuse it)")
            return self._refused(out, ProblemError(*problems), request)
        refusals = self.target.lowering.refusals(intent.batch)
        if refusals:
            out.notes.append(f"refused before any backend request: the backend '{self.target.name}' cannot carry this out as asked")
            return self._refused(out, ProblemError(*refusals), request)
        canned = [*file_request.answers, *shared]
        stand_in = StandIn(self.config.schema, self.target.backend, placeholders, [c for c in canned if c.method != "ORDER"])
        overlay = OfflineOverlay(canned)
        self._run(out, intent, request, call, stand_in, overlay)
        unused = stand_in.unused() + overlay.unused()
        if unused:
            out.notes += [f"unused canned answer: {c.method} {c.target} ({c.where})" for c in unused]
        return out

    def _run(self, out: Translation, intent: Intent, request: HttpRequest, call: Call, stand_in: StandIn, overlay: OfflineOverlay) -> None:
        assert self.target is not None
        plan = Plan(intent.batch, self.target.context)
        out.guarded = plan.context.guarded
        for index, op in enumerate(intent.batch.ops):
            rule = choose(op, plan.context)
            entry = next((e for e in RULES if e.rule is rule), None)
            out.rules.append(RuleView(index, _rule_name(rule), entry.capability if entry else ""))
        views: dict[int, StepView] = {}
        while (step := plan.next_step()) is not None:
            view = StepView(step.number, step.source, step.purpose, step.write, step.op, undoes=step.undoes)
            out.steps.append(view)
            views[step.number] = view
            stand_in.step = step.number
            sent: list[str] = []
            try:
                if step.target == "overlay":  # relgate's order overlay: its store live, an in-memory copy here
                    if step.write:
                        sent.append(overlay_action(step.op))  # type: ignore[arg-type]
                    view.overlay = overlay_action(step.op) if step.write else _overlay_read(step.op)  # type: ignore[arg-type]
                    view.result, view.overlay_note = overlay.run(step.op)  # type: ignore[arg-type]
                else:
                    view.result = self._exchange(step.op, call, stand_in, view.requests, sent)
            except ProblemError as error:
                view.error = error
                plan.fail(error, tuple(sent))
            else:
                plan.feed(view.result, tuple(sent))
                if step.write and step.undoes is None:
                    record = plan.log.records[-1]
                    view.undo = record.inverse
                    view.undo_note = _undo_note(step.undo, record.inverse, plan.context.guarded) or _assumed_reads(out.steps, step.source)
        for record in plan.log.records:  # what each applied write's undo would send, were a later step to fail
            view = views[record.step.number]
            if record.status == "done" and getattr(type(record.inverse), "TARGET", "") == "overlay":
                view.undo_overlay = overlay_action(record.inverse)  # type: ignore[arg-type]
            elif record.status == "done" and record.inverse is not None:
                stand_in.preview, stand_in.step = True, record.step.number
                try:
                    self._exchange(record.inverse, call, stand_in, view.undo_requests, [])
                except ProblemError as error:
                    refused = any(q.answered_by == "refused" for q in view.undo_requests)
                    who = f"relgate's model of the {self.target.backend.dialect} backend refuses it" if refused else "it fails offline"
                    view.undo_note = f"this undo would not work: {who}: {error}"
                stand_in.preview = False
            elif record.status != "done" and view.undo is not None:
                view.undo_note = {"compensated": "undone: a later step failed", "not-compensated": f"not undone: {record.detail}"}.get(
                    record.status, record.status
                )
        try:
            outcome = plan.outcome()
        except ProblemError as error:
            out.answer = self._error(error, request)
        else:
            out.answer = self.door.dialect.render(intent, outcome)

    def _exchange(self, op: Op, call: Call, stand_in: StandIn, requests: list[BackendRequest], sent: list[str]) -> Result:
        """``op`` through the client half, each request answered by the stand-in (as the remote target drives it)."""
        assert self.target is not None
        backend = self.target.backend
        exchange = self.target.client.exchange(op)
        request = next(exchange)
        while True:
            if is_write(request):
                sent.append(action(request))
            url = backend.url + request.path + (f"?{request.query}" if request.query else "")
            shown = BackendRequest(request.method, url, translated(request.headers, call, backend.headers), request.body)
            requests.append(shown)
            answered = stand_in.answer(request)
            shown.status, shown.note, shown.answer = answered.response.status, answered.note, answered.response.body
            shown.answered_by = answered.by
            try:
                request = exchange.send(answered.response)
            except StopIteration as done:
                return done.value

    # --- the rest ------------------------------------------------------------------------------

    def _http_request(self, file_request: FileRequest) -> tuple[HttpRequest, Call, list[str]]:
        """The caller's request as the front door sees it, and the call a backend request is made for."""
        notes: list[str] = []
        parts = urlsplit(file_request.url)
        headers: dict[str, str] = {}
        for name, value in file_request.headers:
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        path = unquote(parts.path) or "/"
        prefix = self.route.prefix
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :] or "/"
        else:
            notes.append(f"the request's path {path} is not under {prefix}: taken as relative to it")
            path = path if path.startswith("/") else "/" + path
        scheme = parts.scheme or "http"
        if parts.hostname:
            server = (parts.hostname, parts.port or (443 if scheme == "https" else 80))
        else:  # a path alone: the request reached relgate where `relgate serve` listens
            server = (self.config.server.host, self.config.server.port)
        origin = self.origins.origin({"scheme": scheme, "client": None, "server": server}, headers)
        # as the gateway's front door: X-Forwarded-Proto/-Host from the origin it decided, never from Host
        decided = urlsplit(origin) if origin else None
        method = "GET" if file_request.method == "HEAD" else file_request.method  # as the front door does
        request = HttpRequest(method, path, parts.query, headers, file_request.body, prefix, origin)
        given = headers.get("x-request-id")
        request_id = (
            given if given is not None and request_id_from([(b"x-request-id", given.encode("latin-1"))]) == given.strip() else REQUEST_ID
        )
        call = Call(headers, CALLER_ADDRESS, decided.scheme if decided else scheme, decided.netloc if decided else "", request_id)
        return request, call, notes

    def _streamed(self, out: Translation, request: HttpRequest, call: Call) -> Translation:
        assert self.target is not None
        out.mode = "pass-through"
        backend = self.target.backend
        same = self.door.pass_through is not None and self.door.pass_through.whole_route
        out.streamed_why = "the route's dialect and wire format are the backend's" if same else "its dialect does not cover this path"
        url = backend.url + request.path + (f"?{request.query}" if request.query else "")
        headers = passed_through(out.request.headers, call, backend.headers)
        out.streamed = BackendRequest(out.request.method, url, headers, out.request.body)
        return out

    def _refused(self, out: Translation, error: ProblemError, request: HttpRequest) -> Translation:
        out.mode = "refused"
        out.answer = self._error(error, request)
        return out

    def _error(self, error: ProblemError, request: HttpRequest) -> HttpResponse:
        response = self.door.dialect.render_error(error, request)
        if error.headers:
            response = HttpResponse(response.status, (*response.headers, *error.headers.items()), response.body)
        return response

    def error_document(self, problem: Problem, file_request: FileRequest | None = None) -> HttpResponse:
        """``problem`` in the caller's error format (for a ``.http`` file that cannot be read)."""
        request = HttpRequest(file_request.method if file_request else "GET", "/", base=self.route.prefix)
        if file_request is not None:
            request = dataclasses.replace(request, path=self._http_request(file_request)[0].path)
        return self._error(ProblemError(problem), request)


def _rule_name(rule: object) -> str:
    """``native``, ``upsert``; ``ordered_writes.write`` where the function's name alone says little."""
    name = getattr(rule, "__name__", str(rule))
    module = getattr(rule, "__module__", "").rsplit(".", 1)[-1]
    return name if module in (name, "rules", "") else f"{module}.{name}"


def _overlay_read(op: OverlayRead) -> str:
    """How the report names an overlay read (``overlay_action`` names writes)."""
    owners = ", ".join(op.owners)
    return f"READ ORDER {op.owner_type}/{owners}/{op.relationship}" + (" (around the members placed)" if op.around is not None else "")


def _assumed_reads(steps: list[StepView], source: int) -> str:
    """Which reads of the same caller op, whose answers the undo may rest on, were assumed answers."""
    numbers = [s.number for s in steps if s.source == source and not s.write and any(q.answered_by == "assumed" for q in s.requests)]
    if not numbers:
        return ""
    return "computed from the assumed answer of step " + ", ".join(map(str, numbers))


def _undo_note(planned: object, inverse: Op | None, guarded: bool) -> str:
    if inverse is not None:
        return ""
    if planned is None:
        return (
            "none: it cannot be undone" if guarded else "none planned (the caller asked for one write; only plans of several are guarded)"
        )
    return "none needed: it changed nothing"


class _NoTarget:
    """The store's place in a translate-only front door (the store is never opened)."""

    name = "store"
