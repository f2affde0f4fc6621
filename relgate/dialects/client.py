"""What every client half shares: the exchange protocol, reading a backend's answer, faults.

A client half turns one canonical op into the backend requests that carry it out and reads the
backend's answers back into a canonical result — without doing any I/O itself.  Its unit of
work is an :data:`Exchange`: a generator that yields each :class:`~relgate.model.HttpRequest`
it needs (``path`` relative to the backend's API root), is sent the
:class:`~relgate.model.HttpResponse` for it, and returns the op's result.  An op that needs
several requests (a create answered with 204 and read back, a read-modify-write) is one
exchange that yields several times; whoever drives it — the remote target over httpx, the
offline ``relgate translate`` with canned answers, a test — sees only plain values::

    exchange = client.exchange(op)
    request = next(exchange)
    while True:
        try:
            request = exchange.send(answer(request))
        except StopIteration as done:
            result = done.value
            break

A backend's 4xx is raised from inside the exchange as a :class:`ProblemError` in canonical
terms (status and detail kept, its pointer mapped onto the caller's op); an answer that cannot
be read is :func:`bad_answer` (502 naming the backend).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

import orjson

from relgate.model import HttpRequest, HttpResponse, Problem, ProblemError, Resource, Result

Exchange = Generator[HttpRequest, HttpResponse, Result]
"""Yields backend requests, is sent their answers, returns the op's canonical result."""

READ_METHODS = frozenset({"GET", "HEAD"})


def is_write(request: HttpRequest) -> bool:
    return request.method.upper() not in READ_METHODS


def action(request: HttpRequest) -> str:
    """``"POST /people"``: how a step report names a backend request."""
    return f"{request.method} {request.path}" + (f"?{request.query}" if request.query else "")


def bad_answer(backend: str, detail: str, status: int | None = None) -> ProblemError:
    """The backend answered something relgate cannot read: 502 in the caller's dialect."""
    got = f" (status {status})" if status is not None else ""
    text = f"The backend '{backend}' sent an answer relgate cannot read{got}: {detail}"
    return ProblemError(Problem(502, "bad-gateway", "Bad gateway", text, meta={"backend": backend}))


def backend_failed(backend: str, status: int, detail: str = "") -> ProblemError:
    """The backend failed (5xx, or a status the exchange did not expect): 502 in the caller's dialect."""
    text = f"The backend '{backend}' failed with status {status}" + (f": {detail}" if detail else ".")
    return ProblemError(Problem(502, "bad-gateway", "Bad gateway", text, meta={"backend": backend, "status": status}))


def json_body(backend: str, response: HttpResponse) -> Any:
    """The JSON of an answer, or a 502 naming the backend."""
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise bad_answer(backend, f"not JSON ({exc})", response.status) from None


def include_tree(paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """Include paths as a tree: ``("author", "computers"), ("author",)`` -> ``{"author": {"computers": {}}}``."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for name in path:
            node = node.setdefault(name, {})
    return tree


def distinct_resources(resources: Iterable[Resource]) -> tuple[Resource, ...]:
    """``resources`` without repeats (by type and id), each at its first place (included resources)."""
    seen: set[tuple[str, str]] = set()
    out: list[Resource] = []
    for r in resources:
        if (r.type, r.id) not in seen:
            seen.add((r.type, r.id))
            out.append(r)
    return tuple(out)


def status_code(problem_status: int) -> str:
    """The canonical problem code for a backend's 4xx status."""
    return _CODES.get(problem_status, "invalid" if 400 <= problem_status < 500 else "bad-gateway")


_CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed", 409: "conflict",
          413: "too-large", 415: "unsupported-media-type", 422: "invalid", 429: "too-many-requests"}  # fmt: skip
