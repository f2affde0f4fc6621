"""Oro's error documents: constraint titles, the mapping of neutral problems, the status rule.

An Oro error object is ``{"status": "400", "title": "<constraint name>", "detail": ...,
"source": {"pointer" | "parameter": ...}}`` (``JsonApiDocumentBuilder::convertErrorToArray``);
the title is a lower-case constraint name (``Request/Constraint.php``) or the snake-cased
exception class (``not found http exception``).

Problems the Oro codec raises itself carry an Oro title (see :data:`ORO_TITLES`) and an exact
``at``: their pointer is rendered as is, even where it names a member that is missing from the
request (Oro points at ``/included/0/id`` when ``id`` is absent).  Problems raised elsewhere (the
JSON:API reader, the router, the store) are translated by :func:`translate`; the important one is
the store's 404 for a resource named in the request, which Oro reports as a 400 validation error.

Status for several errors (:func:`response_status`, ``ErrorResponseStatusCodeTrait``): take the
highest class; one distinct code in it wins, otherwise the class code (400/500) — except a 4xx
mix containing 409, which is 409 (``oro-didww.md`` A1.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from relgate.dialects.jsonapi.errors import source_path
from relgate.dialects.wire import pointer
from relgate.model import Path, Problem

REQUEST_DATA = "request data constraint"
VALUE = "value constraint"
ENTITY = "entity constraint"
ENTITY_TYPE = "entity type constraint"
ENTITY_ID = "entity identifier constraint"
CONFLICT = "conflict constraint"
FORM = "form constraint"
EXTRA_FIELDS = "extra fields constraint"
FILTER = "filter constraint"
SORT = "sort constraint"
NOT_FOUND = "not found http exception"
METHOD_NOT_ALLOWED = "method not allowed http exception"
UNSUPPORTED_MEDIA_TYPE = "unsupported media type http exception"
NOT_ACCEPTABLE = "not acceptable http exception"
ACCESS_DENIED = "access denied exception"
TOO_LARGE = "request entity too large http exception"
INTERNAL = "internal server error"

ORO_TITLES = frozenset(
    {
        REQUEST_DATA, VALUE, ENTITY, ENTITY_TYPE, ENTITY_ID, CONFLICT, FORM, EXTRA_FIELDS, FILTER, SORT,
        NOT_FOUND, METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE, NOT_ACCEPTABLE, ACCESS_DENIED, TOO_LARGE, INTERNAL,
    }
)  # fmt: skip

ENTITY_NOT_EXIST = "The entity does not exist."
NOT_FOUND_DETAIL = "An entity with the requested identifier does not exist."

_CODES = {REQUEST_DATA: "invalid", VALUE: "invalid", ENTITY: "not-found", ENTITY_TYPE: "invalid", ENTITY_ID: "invalid"}


def oro_problem(title: str, detail: str, at: Path | None, *, status: int = 400, code: str | None = None) -> Problem:
    """A problem in Oro's own words; ``at`` is rendered verbatim as ``source.pointer``."""
    return Problem(status, code or _CODES.get(title, "invalid"), title, detail, at=at)


def request_data(at: Path | None, detail: str) -> Problem:
    return oro_problem(REQUEST_DATA, detail, at)


def value(at: Path | None, detail: str) -> Problem:
    return oro_problem(VALUE, detail, at)


def conflict(at: Path | None, detail: str) -> Problem:
    return oro_problem(CONFLICT, detail, at, status=409, code="conflict")


# --- translation of neutral problems ---------------------------------------------------------


def translate(problem: Problem, doc: Any) -> tuple[int, dict[str, Any]]:
    """The status and Oro error object of ``problem`` (``doc``: the parsed request body, if any)."""
    if problem.title in ORO_TITLES:
        path = problem.at
        return problem.status, _object(problem.status, problem.title, problem.detail, path, problem)
    path = source_path(problem, doc)
    status, title, detail = problem.status, _title(problem), problem.detail
    code = problem.code
    if code == "not-found":
        status, title, detail, path = _not_found(problem, path)
    elif code == "unknown-field" and path:
        detail = f'This form should not contain extra fields: "{path[-1]}"'
    elif code == "conflict" and problem.title == "Upsert is ambiguous":
        detail = "The upsert operation founds more than one entity."
    return status, _object(status, title, detail, path, problem)


def _not_found(problem: Problem, path: Path | None) -> tuple[int, str, str, Path | None]:
    """Oro answers 404 only for the URL's resource; a missing resource named in the body is a 400."""
    if not path:
        detail = NOT_FOUND_DETAIL if problem.title == "Resource not found" else problem.detail
        return 404, NOT_FOUND, detail, None
    if "relationships" in path:
        i = path.index("relationships")
        return 400, FORM, ENTITY_NOT_EXIST, path[: i + 3]
    if len(path) == 2 and path[0] == "included":
        return 400, ENTITY, ENTITY_NOT_EXIST, path
    return 400, FORM, ENTITY_NOT_EXIST, path


def _title(problem: Problem) -> str:
    code = problem.code
    if code == "bad-parameter":
        return SORT if (problem.parameter or "").startswith("sort") else FILTER
    if code in ("conflict", "type-mismatch", "id-mismatch"):
        return CONFLICT
    if code == "unknown-field":
        return EXTRA_FIELDS
    if code == "invalid" and problem.title == "Invalid attribute value":
        return FORM
    if code == "invalid" and problem.title == "Invalid id":
        return ENTITY_ID
    fixed = {
        "method-not-allowed": METHOD_NOT_ALLOWED,
        "unsupported-media-type": UNSUPPORTED_MEDIA_TYPE,
        "not-acceptable": NOT_ACCEPTABLE,
        "too-large": TOO_LARGE,
        "too-much-work": TOO_LARGE,
        "internal": INTERNAL,
    }
    if code in fixed:
        return fixed[code]
    if problem.status == 403:
        return ACCESS_DENIED
    if problem.status == 400:
        return REQUEST_DATA
    return problem.title.lower()


def _object(status: int, title: str, detail: str, path: Path | None, problem: Problem) -> dict[str, Any]:
    obj: dict[str, Any] = {"status": str(status), "title": title}
    if detail:
        obj["detail"] = detail
    if path is not None:
        obj["source"] = {"pointer": pointer(path)}
    elif problem.parameter is not None:
        obj["source"] = {"parameter": problem.parameter}
    if problem.meta:
        obj["meta"] = dict(problem.meta)
    return obj


def response_status(statuses: Iterable[int]) -> int:
    """Oro's status for a response with several errors (see the module docstring)."""
    groups: dict[int, list[int]] = {}
    for s in statuses:
        codes = groups.setdefault(s // 100 * 100, [])
        if s not in codes:
            codes.append(s)
    if not groups:
        return 500
    top = max(groups)
    codes = groups[top]
    if len(codes) == 1:
        return codes[0]
    if top == 400 and 409 in codes:
        return 409
    return top


def error_document(problems: Iterable[Problem], doc: Any) -> tuple[int, Mapping[str, Any]]:
    statuses: list[int] = []
    objects: list[dict[str, Any]] = []
    for p in problems:
        status, obj = translate(p, doc)
        statuses.append(status)
        objects.append(obj)
    return response_status(statuses), {"errors": objects}
