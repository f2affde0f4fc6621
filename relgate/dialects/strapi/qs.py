"""Query strings in ``qs`` bracket syntax, as Strapi parses them (``qs.parse`` with
``strictNullHandling``, ``arrayLimit: 100``, ``depth: 20``).

``filters[title][$eq]=x&populate[0]=a&populate[1]=b&sort=title:asc`` becomes
``{"filters": {"title": {"$eq": "x"}}, "populate": ["a", "b"], "sort": "title:asc"}``.
Keys and values are percent-decoded (``+`` is a space) first, so the percent-encoded brackets
``@strapi/client`` sends work too.  A key without ``=`` has the value ``None``.

Where ``qs`` quietly guesses (unbalanced brackets, nesting deeper than 20, a name used both
as a value and as an object), this parser raises :class:`QueryStringError` instead, which the
dialect answers with a 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote_plus

ARRAY_LIMIT = 100
DEPTH = 20


class QueryStringError(ValueError):
    """A query string that cannot be read unambiguously; the message names the parameter."""


class _Array(dict):
    """Index -> value while building; becomes a list (in index order) at the end."""


def parse(query: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        raw_key, eq, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        value: str | None = unquote_plus(raw_value) if eq else None
        if not key:
            continue
        segments = _segments(key)
        _put(root, segments, value, key)
    return _finish(root)


def _segments(key: str) -> list[str | None]:
    """``a[b][]`` -> ``["a", "b", None]`` (None: an array push)."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        if "]" in key:
            raise QueryStringError(f"unbalanced brackets in the query parameter {key!r}")
        return [key]
    if not head:
        raise QueryStringError(f"the query parameter {key!r} has no name before its brackets")
    segments: list[str | None] = [head]
    rest = "[" + rest
    while rest:
        if not rest.startswith("["):
            raise QueryStringError(f"unexpected text {rest!r} after the brackets of the query parameter {key!r}")
        close = rest.find("]")
        if close < 0 or "[" in rest[1:close]:
            raise QueryStringError(f"unbalanced brackets in the query parameter {key!r}")
        inner = rest[1:close]
        segments.append(inner if inner else None)
        rest = rest[close + 1 :]
        if len(segments) > DEPTH + 1:
            raise QueryStringError(f"the query parameter {key!r} nests deeper than {DEPTH} levels")
    return segments


def _put(node: dict[str, Any], segments: list[str | None], value: str | None, key: str) -> None:
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg is None:  # a push; the parent was made an _Array when this segment was seen
            seg_key: Any = len(node)
        elif isinstance(node, _Array) and seg.isdigit() and int(seg) <= ARRAY_LIMIT:
            seg_key = int(seg)
        elif isinstance(node, _Array):
            raise QueryStringError(f"the query parameter {key!r} mixes array indexes with named keys")
        else:
            seg_key = seg
        if last:
            existing = node.get(seg_key, _MISSING)
            if existing is _MISSING:
                node[seg_key] = value
            elif isinstance(existing, dict):
                raise QueryStringError(f"the query parameter {key!r} is given both a value and nested keys")
            elif isinstance(existing, list):
                existing.append(value)
            else:
                node[seg_key] = [existing, value]  # a=1&a=2 -> ["1", "2"], as qs does
            return
        child = node.get(seg_key, _MISSING)
        nxt = segments[i + 1]
        wants_array = nxt is None or (nxt.isdigit() and int(nxt) <= ARRAY_LIMIT)
        if child is _MISSING:
            child = _Array() if wants_array else {}
            node[seg_key] = child
        elif not isinstance(child, dict):
            raise QueryStringError(f"the query parameter {key!r} is given both a value and nested keys")
        elif isinstance(child, _Array) and not wants_array:
            raise QueryStringError(f"the query parameter {key!r} mixes array indexes with named keys")
        elif not isinstance(child, _Array) and wants_array and nxt is None:
            raise QueryStringError(f"the query parameter {key!r} mixes [] with named keys")
        node = child


_MISSING = object()


def _finish(node: Any) -> Any:
    if isinstance(node, _Array):
        return [_finish(node[k]) for k in sorted(node)]
    if isinstance(node, dict):
        return {k: _finish(v) for k, v in node.items()}
    return node


# --- the other direction: values -> a qs query string (for Strapi backends) ---------------------


def encode(params: dict[str, Any]) -> str:
    """``{"filters": {"name": {"$eq": "x"}}, "populate": ["a"]}`` -> ``filters[name][$eq]=x&populate[0]=a``.

    The inverse of :func:`parse` for trees of dicts, lists and strings (``None`` is a key without
    ``=``): lists are written with their indexes, so order is kept; an empty dict or list writes
    nothing, as in ``qs.stringify``.  Brackets and ``$`` stay readable; everything else in keys and
    values is percent-encoded.
    """
    return "&".join(_pairs(params))


def _pairs(params: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in params.items():
        _emit(quote(str(key), safe="$"), value, out)
    return out


def _emit(key: str, value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _emit(f"{key}[{quote(str(k), safe='$')}]", v, out)
    elif isinstance(value, list):
        if len(value) > ARRAY_LIMIT + 1:
            raise QueryStringError(f"{key}: more than {ARRAY_LIMIT + 1} items cannot be written as a qs array")
        for i, v in enumerate(value):
            _emit(f"{key}[{i}]", v, out)
    elif value is None:
        out.append(key)
    else:
        out.append(f"{key}={quote(str(value), safe='')}")
