"""The canonical notation: canonical values (ops, queries, results, problems) as compact JSON.

What the golden exchange files (``dialects/*/exchanges``) record as a request's ops::

    {"@": "Add", "ref": "people/1", "relationship": "computers", "targets": ["computers/2"]}

- an :class:`~relgate.model.Ident` is ``"type/id"``, or ``"type/lid:x"`` for a local id;
- any other dataclass is an object naming its class in ``"@"``, with its fields except ``at``
  (where a value stood in the request is not part of its meaning) and except fields left at
  their default;
- tuples and lists are arrays, sets are sorted arrays, mappings objects (a non-string key as its
  ``str()``), dates ISO 8601 strings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from relgate.model import Ident

# --- encoding ----------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """Canonical values as compact JSON: Idents as ``"type/id"`` or ``"type/lid:x"``, dataclasses
    as ``{"@": ClassName, field: value}`` without ``at`` and without fields left at their default."""
    if isinstance(value, Ident):
        return f"{value.type}/{value.id}" if value.id is not None else f"{value.type}/lid:{value.lid}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"@": type(value).__name__}
        for f in dataclasses.fields(value):
            if f.name == "at":
                continue
            v = getattr(value, f.name)
            if f.default is not dataclasses.MISSING and v == f.default:
                continue
            if f.default_factory is not dataclasses.MISSING and v == f.default_factory():
                continue
            out[f.name] = encode(v)
        return out
    if isinstance(value, (frozenset, set)):
        return sorted(encode(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
