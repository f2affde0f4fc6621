"""Prometheus metrics (``prometheus-client``): the metric objects and a small recording API.

Front doors resolve their label values once at start-up (:class:`DoorMetrics`), so a request
costs a dictionary look-up and two increments.  Targets that call backends take a
:class:`BackendMetrics` per backend when they are built and call :meth:`BackendMetrics.observe`
once per backend request; the planner calls :func:`emulated` and :func:`compensated`.

With several worker processes (``relgate serve --workers N``, or gunicorn) each process counts
in files under ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker sums them all
(prometheus-client's multiprocess mode); the variable must be set before this module is
imported, which ``relgate serve`` does for its workers.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder

from relgate import context

# The ``*_created`` series double what a scrape returns and no relgate dashboard needs them.
disable_created_metrics()

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "relgate_requests",
    "HTTP requests answered, by front door (route prefix), dialect, target and status",
    ["route", "dialect", "target", "status"],
)
REQUEST_DURATION = Histogram(
    "relgate_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by front door",
    ["route", "dialect", "target"],
    buckets=LATENCY_BUCKETS,
)
BACKEND_REQUESTS = Counter(
    "relgate_backend_requests",
    "Requests relgate sent to a backend, by backend and the backend's status ('error': no answer)",
    ["backend", "status"],
)
BACKEND_ERRORS = Counter(
    "relgate_backend_errors",
    "Backend requests that failed: no answer (timeout, connect …) or a 5xx, by backend and kind",
    ["backend", "kind"],
)
BACKEND_DURATION = Histogram(
    "relgate_backend_request_duration_seconds",
    "Duration of requests to a backend, by backend",
    ["backend"],
    buckets=LATENCY_BUCKETS,
)
PLANNER_EMULATIONS = Counter(
    "relgate_planner_emulations",
    "Operations the planner emulated because a backend lacks the capability, by rewrite rule",
    ["rule"],
)
PLANNER_COMPENSATIONS = Counter(
    "relgate_planner_compensations",
    "Compensations (inverse operations undoing a failed batch's applied steps), by backend and outcome",
    ["backend", "outcome"],
)


class DoorMetrics:
    """The request metrics of one front door (or of one of relgate's own endpoints)."""

    __slots__ = ("_by_status", "_duration", "_labels", "dialect", "route", "target")

    def __init__(self, route: str, dialect: str = "", target: str = "") -> None:
        self.route, self.dialect, self.target = route, dialect, target
        self._labels = (route, dialect, target)
        self._duration = REQUEST_DURATION.labels(*self._labels)
        self._by_status: dict[int, Counter] = {}

    def observe(self, status: int, seconds: float) -> None:
        child = self._by_status.get(status)
        if child is None:
            child = self._by_status[status] = REQUESTS.labels(*self._labels, str(status))
        child.inc()
        self._duration.observe(seconds)


UNROUTED = DoorMetrics("(none)")
"""Requests no front door or endpoint took (the gateway's own 404)."""


class BackendMetrics:
    """The metrics of one backend; build it once per backend, when its target is built."""

    __slots__ = ("_by_status", "_duration", "_errors", "backend")

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._duration = BACKEND_DURATION.labels(backend)
        self._by_status: dict[str, Counter] = {}
        self._errors: dict[str, Counter] = {}

    def observe(self, seconds: float, *, status: int | None = None, error: str | None = None) -> None:
        """One backend request: its duration and status, or ``error`` (``"timeout"``, ``"connect"`` …) when none came.

        Also counts the call for the current request's log line (``backend_requests``).
        """
        key = "error" if status is None else str(status)
        child = self._by_status.get(key)
        if child is None:
            child = self._by_status[key] = BACKEND_REQUESTS.labels(self.backend, key)
        child.inc()
        self._duration.observe(seconds)
        kind = error if error is not None else ("5xx" if status is not None and status >= 500 else None)
        if kind is not None:
            errors = self._errors.get(kind)
            if errors is None:
                errors = self._errors[kind] = BACKEND_ERRORS.labels(self.backend, kind)
            errors.inc()
        ctx = context.current()
        if ctx is not None:
            ctx.backend_requests += 1


def emulated(rule: str) -> None:
    """The planner rewrote an operation with ``rule`` (e.g. ``"remove-delete-targets"``)."""
    PLANNER_EMULATIONS.labels(rule).inc()


def compensated(backend: str, *, ok: bool) -> None:
    """The planner ran a compensation on ``backend``; ``ok`` False: undoing failed too."""
    PLANNER_COMPENSATIONS.labels(backend, "done" if ok else "failed").inc()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The scrape body and its content type (OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(accept or "")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return encoder(registry), content_type
    return encoder(REGISTRY), content_type
