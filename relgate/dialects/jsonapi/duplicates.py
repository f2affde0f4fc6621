"""Member names repeated within one JSON object of a request document.

RFC 8259 says the names of an object "SHOULD be unique" and leaves the meaning of repeats to the
parser; the fast parser keeps the last one, so ``{"data": {A}, "data": {B}}`` would silently write B.
A JSON:API document whose members repeat is ambiguous, and the codec refuses it (400, a pointer per
repeated member) instead of guessing.  This is a second, slower parse, made only for the paths: the
body has already been parsed and checked by :func:`relgate.dialects.wire.load_json`.
"""

from __future__ import annotations

import json
from typing import Any

from relgate.model import Path


class _Repeats(dict):  # type: ignore[type-arg]
    """An object whose member names repeat (``names``: each repeated name once, in order)."""

    __slots__ = ("names",)


def duplicate_members(body: bytes) -> list[Path]:
    """The path of every member whose name repeats in its object, in document order."""
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj: dict[str, Any] = {}
        repeated: list[str] = []
        for name, value in pairs:
            if name in obj and name not in repeated:
                repeated.append(name)
            obj[name] = value
        if not repeated:
            return obj
        found = True
        marked = _Repeats(obj)
        marked.names = repeated
        return marked

    try:
        value = json.loads(body, object_pairs_hook=hook)
    except ValueError:  # what the fast parser accepted but this one does not: nothing to report
        return []
    if not found:
        return []
    out: list[Path] = []
    _collect(value, (), out)
    return out


def _collect(node: Any, path: Path, out: list[Path]) -> None:
    if isinstance(node, dict):
        if isinstance(node, _Repeats):
            out.extend((*path, name) for name in node.names)
        for name, child in node.items():
            _collect(child, (*path, name), out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _collect(child, (*path, i), out)
