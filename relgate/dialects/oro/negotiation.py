"""Oro's media type rules (JSON:API 1.0 strict), ``Processor/Shared/JsonApi/CheckRequestType.php``.

- ``Accept`` naming the JSON:API media type only with parameters (``q`` counts as one) -> 406.
- ``Content-Type: application/vnd.api+json`` with any parameter -> 415.
- A JSON:API ``Content-Type`` with an ``Accept`` that allows neither JSON:API nor
  ``application/json``, ``application/*``, ``*/*`` -> 406.

A request that names the JSON:API media type in neither header is, for Oro, a request to its
plain REST API (another document format); relgate has only the JSON:API side, so such a request
is answered by the JSON:API rules (406 for an Accept that excludes JSON:API, 415 for a body of
another media type).
"""

from __future__ import annotations

from relgate.dialects.jsonapi.negotiation import split_header_list
from relgate.dialects.oro.errors import NOT_ACCEPTABLE, UNSUPPORTED_MEDIA_TYPE, oro_problem
from relgate.model import HttpRequest, ProblemError

JSONAPI = "application/vnd.api+json"
_ACCEPTS_JSON = frozenset({"*/*", "application/*", "application/json"})


def _media(value: str) -> tuple[str, bool]:
    """The media type (lower-cased) and whether anything follows it after ';'."""
    head, sep, rest = value.partition(";")
    return head.strip().lower(), bool(sep and rest.strip())


def is_jsonapi(request: HttpRequest) -> bool:
    """Whether Oro takes the request for a JSON:API request; raises Oro's 406/415 problems."""
    raw_accept = request.header("accept") or ""
    accepts = [_media(v) for v in split_header_list(raw_accept)]
    by_accept = False
    jsonapi = [has_params for media, has_params in accepts if media == JSONAPI]
    if jsonapi:
        if all(jsonapi):
            raise ProblemError(
                oro_problem(
                    NOT_ACCEPTABLE,
                    'The "Accept" request header should contains at least one instance of JSON:API media type without any parameters.',
                    None,
                    status=406,
                    code="not-acceptable",
                )
            )
        by_accept = True
    raw_type = request.header("content-type") or ""
    if raw_type.strip():
        media, has_params = _media(raw_type)
        if media == JSONAPI:
            if has_params:
                raise ProblemError(
                    oro_problem(
                        UNSUPPORTED_MEDIA_TYPE,
                        'The "Content-Type" request header should contain JSON:API media type without any parameters.',
                        None,
                        status=415,
                        code="unsupported-media-type",
                    )
                )
            if not by_accept and accepts and not any(m in _ACCEPTS_JSON for m, _ in accepts):
                detail = 'The "Accept" request header does not accept JSON:API content type.'
                raise ProblemError(oro_problem(NOT_ACCEPTABLE, detail, None, status=406, code="not-acceptable"))
            return True
    return by_accept
