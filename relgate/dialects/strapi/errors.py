"""Strapi's error envelope and the mapping of relgate's neutral problems onto it.

Every error answer is ``{"data": null, "error": {"status", "name", "message", "details"}}``
(``packages/core/core/src/services/errors.ts``).  Errors the codec finds itself are raised
already in Strapi's words (:func:`strapi_error` keeps name, message and details in the
problem's ``meta``); problems the store finds (a missing document, a position anchor that is
not connected, a unique value taken) are translated by :func:`envelope_for` with the help of
the request body, because Strapi's messages quote the ids the client sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from relgate.dialects.wire import dumps
from relgate.model import HttpResponse, Path, Problem, ProblemError

JSON_HEADERS = (("content-type", "application/json; charset=utf-8"),)

NAMES: Mapping[int, str] = {
    400: "ValidationError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    408: "RequestTimeoutError",
    409: "ConflictError",
    413: "PayloadTooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "RateLimitError",
    501: "NotImplementedError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}

CIRCULAR = (
    "A circular reference was found in the connect array. "
    "One relation is trying to connect before/after another one that is trying to connect before/after it"
)


def strapi_error(
    status: int, name: str, message: str, details: Mapping[str, Any] | None = None, *, code: str = "invalid", at: Path | None = None
) -> ProblemError:
    """A problem already phrased the way Strapi phrases it."""
    envelope = {"status": status, "name": name, "message": message, "details": dict(details or {})}
    return ProblemError(Problem(status, code, name, message, at=at, meta={"strapi": envelope}))


def validation(message: str, details: Mapping[str, Any] | None = None, *, code: str = "invalid", at: Path | None = None) -> ProblemError:
    return strapi_error(400, "ValidationError", message, details, code=code, at=at)


def invalid_key(key: str, path: str | None = None, *, reason: str | None = None) -> ProblemError:
    """Strapi's ``throwInvalidKey``: ``Invalid key <key>`` (``at <path>`` when the path says more)."""
    location = f"Invalid key {key} at {path}" if path and path != key else f"Invalid key {key}"
    details: dict[str, Any] = {"key": key}
    if path is not None:
        details["path"] = path
    return validation(f"{location}: {reason}" if reason else location, details, code="unknown-field")


def yup_error(errors: list[tuple[list[str | int], str]]) -> ProblemError:
    """A yup validation failure: one message, or ``N errors occurred``, with ``details.errors``."""
    message = errors[0][1] if len(errors) == 1 else f"{len(errors)} errors occurred"
    items = [{"path": path, "message": msg, "name": "ValidationError"} for path, msg in errors]
    return validation(message, {"errors": items})


def too_many_entries(limit: int) -> ProblemError:
    """A read whose ``populate`` would render more entries than ``server.max_populated_entries``."""
    return validation(
        f"Invalid populate: the response would hold more than {limit} populated entries (server.max_populated_entries); "
        "populate fewer relations or ask for a smaller page",
        {"key": "populate", "path": "populate"},
        code="too-much-work",
    )


def pagination_error(message: str) -> ProblemError:
    return strapi_error(400, "PaginationError", message, code="bad-parameter")


def not_found() -> ProblemError:
    return strapi_error(404, "NotFoundError", "Not Found", code="not-found")


def response(
    status: int, name: str, message: str, details: Mapping[str, Any] | None, headers: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    error: dict[str, Any] = {"status": status, "name": name, "message": message}
    if details is not None:
        error["details"] = dict(details)
    return HttpResponse(status, JSON_HEADERS + headers, dumps({"data": None, "error": error}))


class RelationFacts:
    """What the renderer needs to phrase a store problem about a relation item.

    ``raw(at)`` is the request-body value at a path (None when absent); ``row_id(at)`` the row
    id the item or anchor at ``at`` names (decoded from a documentId), for Strapi's
    orderer messages; ``uid(relationship)`` the target's ``api::x.x`` uid.
    """

    def __init__(self, raw: Callable[[Path], Any], row_id: Callable[[Path], Any], uid: Callable[[str], str]) -> None:
        self.raw = raw
        self.row_id = row_id
        self.uid = uid


def envelope_for(error: ProblemError, facts: RelationFacts | None) -> tuple[int, str, str, Mapping[str, Any] | None]:
    """``(status, name, message, details)`` for a ProblemError from the codec or the store."""
    first = error.problems[0]
    if first.meta and "strapi" in first.meta:
        e = first.meta["strapi"]
        return e["status"], e["name"], e["message"], e["details"]
    code = first.code
    if first.status in (502, 503, 504):  # a backend's fault (proxy mode): http-errors' names, relgate's detail
        return first.status, NAMES[first.status], first.detail or first.title, {}
    if first.status >= 500:
        return 500, "InternalServerError", "Internal Server Error", None
    if code == "not-found":
        return _not_found(error.problems, facts)
    if code == "invalid-position":
        return 400, "ValidationError", _position_message(first, facts), {}
    if code == "conflict" and first.member:
        message = "This attribute must be unique"
        return 400, "ValidationError", message, {"errors": [{"path": [first.member], "message": message, "name": "ValidationError"}]}
    if code in ("malformed-json", "too-deep"):
        return 400, "BadRequestError", first.detail or first.title, {}
    if code == "too-large":
        return 413, "PayloadTooLargeError", first.detail or "Payload Too Large", {}
    if code == "forbidden":
        # Strapi's own policy refusal says only "Forbidden"; a backend's refusal (proxy mode) says why.
        return 403, "ForbiddenError", first.detail if first.meta and "backend" in first.meta else "Forbidden", {}
    status = first.status if first.status in NAMES else 400
    return status, NAMES[status], first.detail or first.title, {}


def _not_found(problems: tuple[Problem, ...], facts: RelationFacts | None) -> tuple[int, str, str, Mapping[str, Any] | None]:
    located = [p for p in problems if p.code == "not-found" and p.at and len(p.at) >= 2 and p.at[0] == "data"]
    if not located or facts is None:
        return 404, "NotFoundError", "Not Found", {}
    # A documentId the client sent: the document-service's message (data-ids.ts).
    for p in located:
        raw = facts.raw(p.at)  # type: ignore[arg-type]
        doc = raw.get("documentId") if isinstance(raw, dict) else raw
        if isinstance(doc, str) and not doc.isdigit():
            return 400, "ValidationError", f'Document with id "{doc}", locale "null" not found', {}
    # Row ids: the entity validator's count of missing relations of one attribute.
    rel = located[0].at[1]  # type: ignore[index]
    count = len({p.at for p in located if p.at[1] == rel})  # type: ignore[index]
    message = f"{count} relation(s) of type {facts.uid(str(rel))} associated with this entity do not exist"
    return 400, "ValidationError", message, {"errors": [{"path": [], "message": message, "name": "ValidationError"}]}


def _position_message(problem: Problem, facts: RelationFacts | None) -> str:
    if problem.meta and problem.meta.get("reason") == "circular":
        return CIRCULAR
    at = problem.at
    if facts is None or not at or len(at) < 3 or at[-2] != "position":
        return problem.detail or problem.title
    item_at, side = at[:-2], at[-1]
    item_id, anchor_id = facts.row_id(item_at), facts.row_id(at)
    if item_id is None or anchor_id is None:
        return problem.detail or problem.title
    position = dumps({side: anchor_id}).decode()
    return (
        f"There was a problem connecting relation with id {item_id} at position {position}. "
        f"The relation with id {anchor_id} needs to be connected first."
    )
