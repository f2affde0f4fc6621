"""The operation flags of a resource object's ``meta`` (``Util/MetaOperationParser.php``).

``update`` and ``validate`` must be booleans; ``upsert`` a boolean or a non-empty list of
non-blank strings (``["id"]`` means ``true``); at most one of them may be truthy.  The first
malformed flag stops the parse (Oro returns null right there), so a document gets one flag error
per resource object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relgate.dialects.jsonapi.errors import Issues
from relgate.dialects.oro.errors import request_data, value
from relgate.model import Path


@dataclass(frozen=True, slots=True)
class Flags:
    update: bool = False
    upsert: bool | tuple[str, ...] = False
    """``True`` (find by id) or the names of the fields to find the resource by."""
    validate: bool = False


NO_FLAGS = Flags()


def operation_flags(meta: Any, meta_at: Path, issues: Issues) -> Flags | None:
    """The flags of ``meta`` (at ``meta_at``), or None after reporting a malformed one."""
    if not isinstance(meta, Mapping) or not meta:
        return NO_FLAGS
    update = _boolean(meta, "update", meta_at, issues)
    if update is None:
        return None
    upsert: bool | tuple[str, ...] = False
    if "upsert" in meta:
        raw = meta["upsert"]
        if isinstance(raw, bool):
            upsert = raw
        elif isinstance(raw, list) and raw and all(isinstance(v, str) and v.strip() for v in raw):
            upsert = tuple(raw)
        else:
            issues.add(value((*meta_at, "upsert"), "This value should be a boolean or an array of strings."))
            return None
    validate = _boolean(meta, "validate", meta_at, issues)
    if validate is None:
        return None
    if sum(1 for f in (update, upsert, validate) if f) > 1:
        issues.add(request_data(meta_at, "Only one meta option can be used."))
        return None
    if upsert == ("id",):
        upsert = True
    return Flags(update, upsert, validate)


def _boolean(meta: Mapping[str, Any], name: str, meta_at: Path, issues: Issues) -> bool | None:
    if name not in meta:
        return False
    raw = meta[name]
    if isinstance(raw, bool):
        return raw
    issues.add(value((*meta_at, name), "This value should be a boolean."))
    return None
