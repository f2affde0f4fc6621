"""Helpers every codec needs for JSON bodies and query strings (still sans-IO)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from relgate.model import Path, Problem, ProblemError


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def load_json(body: bytes, *, max_depth: int) -> Any:
    """Parse a JSON body, refusing malformed JSON and nesting deeper than ``max_depth``.

    Raises :class:`ProblemError` with code ``malformed-json`` or ``too-deep`` (status 400).
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(Problem(400, "malformed-json", "Malformed JSON", f"The request body is not valid JSON: {exc}")) from None
    depth = json_depth(value, max_depth)
    if depth > max_depth:
        raise ProblemError(
            Problem(400, "too-deep", "JSON nested too deeply", f"The request body nests deeper than the limit of {max_depth} levels.")
        )
    return value


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of containers in ``value`` (stops counting once past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def unaddressable(id_: str) -> str | None:
    """Why a client-chosen ``id_`` cannot be an id, or None when it can.

    A resource's URL holds its id as one path segment: an id with ``/`` arrives decoded as two
    segments, and ``.`` / ``..`` are dropped by clients (dot segments), so such a resource could
    be created but never addressed again.  Every front door that takes client ids refuses them.
    """
    if "/" in id_ or id_ in (".", ".."):
        return f"'{id_}' cannot be an id here: it must fit in one URL path segment."
    return None


def query_pairs(query: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs of a query string, blank values kept."""
    return parse_qsl(query, keep_blank_values=True)


def pointer(path: Path | None) -> str | None:
    """RFC 6901 JSON Pointer for a request path (``None`` stays ``None``)."""
    if path is None:
        return None
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
