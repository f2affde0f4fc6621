"""Helpers for planner tests: a Context for a configured backend, an offline driver with canned
results, and a transport that fails the Nth backend request (fault injection)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from relgate.config import from_dict
from relgate.dialects import client_factory
from relgate.model import Batch, Op, ProblemError, Result
from relgate.planner import Context, Plan, PlanStep
from tests.targets.proxy_support import proxy_config


def context(backend: str = "restless", caller: str = "jsonapi", **backend_keys: Any) -> Context:
    """The planner's view of a backend of dialect ``backend`` as the proxy tests configure it."""
    config = from_dict(proxy_config(caller, backend, **backend_keys))
    table = config.backends["backend"]
    client = client_factory(table.dialect)(config.schema, table)
    return Context(config.schema, table, client.capabilities)


@dataclass
class Driven:
    """What an offline drive handed out: every step (undo steps included) and the outcome or failure."""

    steps: list[PlanStep] = field(default_factory=list)
    outcome: Any = None
    error: ProblemError | None = None

    def ops(self) -> list[Op]:
        return [s.op for s in self.steps]

    def writes(self) -> list[PlanStep]:
        return [s for s in self.steps if s.write and s.undoes is None]


def drive(ops: tuple[Op, ...] | Op, ctx: Context, answer: Callable[[PlanStep], Result]) -> Driven:
    """Run a plan offline: ``answer(step)`` gives each step's canonical result (or raises ProblemError)."""
    batch = Batch(ops if isinstance(ops, tuple) else (ops,))
    plan = Plan(batch, ctx)
    out = Driven()
    while (step := plan.next_step()) is not None:
        out.steps.append(step)
        try:
            result = answer(step)
        except ProblemError as error:
            plan.fail(error, (f"step {step.number}",))
        else:
            plan.feed(result, (f"step {step.number}",) if step.write else ())
    try:
        out.outcome = plan.outcome()
    except ProblemError as error:
        out.error = error
    return out


class Faulty(httpx.AsyncBaseTransport):
    """Delegates to ``inner``; the ``fail_at``-th request (1-based, counted from :meth:`arm`) gets
    no answer (a refused connection: the caller sees 502).  ``log`` records every request's method
    and path, ``urls`` its method and whole target (with the query)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.fail_at: int | None = None
        self.count = 0
        self.log: list[str] = []
        self.urls: list[str] = []

    def arm(self, fail_at: int | None) -> None:
        self.fail_at, self.count, self.log, self.urls = fail_at, 0, [], []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        self.log.append(f"{request.method} {request.url.path}")
        self.urls.append(f"{request.method} {request.url.raw_path.decode()}")
        if self.count == self.fail_at:
            raise httpx.ConnectError("injected fault", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def steps_meta(error: ProblemError) -> list[dict[str, Any]]:
    """``meta.steps`` of a failure (the same on every problem)."""
    return list((error.problems[0].meta or {}).get("steps", []))
