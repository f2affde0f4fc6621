"""JSON:API error objects (§6) and the problems the codec raises.

Pointers: a problem's ``at`` becomes ``source.pointer`` (RFC 6901).  When the problem names a
``member`` (the store knows an attribute's name, not where the dialect keeps it) the pointer
gets ``/attributes/<m>`` or ``/relationships/<m>`` appended, whichever exists in the resource
object at ``at``.  1.1 requires a pointer to reference a value that exists, so a path that does
not resolve in the request document is cut back to its longest existing prefix.  ``at=()``
is the whole document (pointer ``""``); ``at=None`` means no pointer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from relgate.model import Path, Problem, ProblemError

# --- problem constructors ------------------------------------------------------------------


def invalid(at: Path | None, detail: str, title: str = "Invalid document", code: str = "invalid") -> Problem:
    return Problem(400, code, title, detail, at=at)


def unknown_field(at: Path, detail: str) -> Problem:
    return Problem(400, "unknown-field", "Unknown field", detail, at=at)


def type_mismatch(status: int, at: Path, detail: str) -> Problem:
    return Problem(status, "type-mismatch", "Type does not match", detail, at=at)


def forbidden(at: Path | None, detail: str, code: str = "forbidden", title: str = "Forbidden") -> Problem:
    return Problem(403, code, title, detail, at=at)


def bad_parameter(name: str, detail: str, title: str = "Invalid query parameter") -> Problem:
    return Problem(400, "bad-parameter", title, detail, parameter=name)


def too_many(status: int, at: Path, what: str, limit: int, given: int, key: str) -> Problem:
    """More ``what`` in one request than the server's ``key`` allows; ``at`` is the first one over."""
    return Problem(
        status,
        "too-much-work",
        f"Too many {what}",
        f"One request takes at most {limit} {what} ({key}); this one has {given}. Split it into several requests.",
        at=at,
    )


def not_found(detail: str, title: str = "Not found") -> ProblemError:
    return ProblemError(Problem(404, "not-found", title, detail))


def method_not_allowed(method: str, allow: Sequence[str]) -> ProblemError:
    return ProblemError(
        Problem(405, "method-not-allowed", "Method not allowed", f"{method} is not allowed here; allowed: {', '.join(allow)}."),
        headers={"Allow": ", ".join(allow)},
    )


def unsupported_media_type(detail: str) -> ProblemError:
    return ProblemError(Problem(415, "unsupported-media-type", "Unsupported media type", detail, header="Content-Type"))


def not_acceptable(detail: str) -> ProblemError:
    return ProblemError(Problem(406, "not-acceptable", "Not acceptable", detail, header="Accept"))


class Issues:
    """Collects the problems of one document so the client learns all of them at once."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        """Record ``problem`` (once: ``include=x,x`` is one problem, and ``errors`` items are unique)."""
        if problem not in self.problems:
            self.problems.append(problem)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ProblemError(*self.problems)


# --- rendering -----------------------------------------------------------------------------


def _resolve(doc: Any, path: Path) -> tuple[Path, Any]:
    """The longest prefix of ``path`` that exists in ``doc``, and the value there."""
    node = doc
    for i, step in enumerate(path):
        in_object = isinstance(node, Mapping) and isinstance(step, str) and step in node
        in_array = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if in_object or in_array:
            node = node[step]
        else:
            return path[:i], node
    return path, node


def source_path(problem: Problem, doc: Any) -> Path | None:
    """The request path ``problem`` points at (member appended, cut back to what exists)."""
    if problem.at is None:
        return None
    if doc is None:
        return problem.at or None
    path, node = _resolve(doc, problem.at)
    if problem.member is not None and path == problem.at and isinstance(node, Mapping):
        m = problem.member
        for section in ("attributes", "relationships"):
            sub = node.get(section)
            if isinstance(sub, Mapping) and m in sub:
                return (*path, section, m)
        if m in node:
            return (*path, m)
    return path


def pointer_of(path: Path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def error_object(problem: Problem, doc: Any) -> dict[str, Any]:
    """The JSON:API error object of a problem (``doc``: the parsed request body, if any)."""
    obj: dict[str, Any] = {"status": str(problem.status), "code": problem.code, "title": problem.title}
    if problem.detail:
        obj["detail"] = problem.detail
    source: dict[str, str] = {}
    path = source_path(problem, doc)
    if path is not None:
        source["pointer"] = pointer_of(path)
    elif problem.parameter is not None:
        source["parameter"] = problem.parameter
    elif problem.header is not None:
        source["header"] = problem.header
    if source:
        obj["source"] = source
    if problem.meta:
        obj["meta"] = dict(problem.meta)
    return obj
