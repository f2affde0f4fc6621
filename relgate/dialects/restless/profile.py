"""Flask-Restless 1.0 / flask-restless-ng as a :class:`JsonApiProfile`: its rules as data.

What differs from JSON:API 1.1 (sources: ``/work/shared/reference/flask-restless.md`` A2, checked
against flask-restless-ng 3.3.0; see ``dialects/restless/README.md``):

- type = collection name (``names = { restless = "person" }``), ``jsonapi.version`` "1.0",
  JSON:API 1.0 media-type rules (no parameters at all), no Atomic Operations, no ``lid``;
- relationship URLs under ``/relationships/`` and the pre-1.0 ``/links/`` (accepted, never emitted);
- resource PATCH answers 204 without a body; relationship writes 204;
- linkage ids may be JSON integers; a repeated identifier in one array is collapsed;
- ``allow_to_many_replacement`` and ``allow_delete_from_to_many_relationships`` are off unless
  the front door turns them on (Flask-Restless's defaults), client-generated ids refused;
- error objects are NG's ``error()`` members that have a value (``status`` as a string, ``code``,
  ``title``, ``detail``, ``source``, ``meta``; NG's ``null`` ones are left out, as JSON:API 1.0
  wants), NG's fixed ``detail`` texts exact (:data:`NG_DETAILS`);
- POST/DELETE on a to-one relationship URL is 400, a linkage id that cannot be an id of its type
  is 404 (NG looks it up and finds nothing).

Route options may use Flask-Restless's own ``create_api`` keywords (see :data:`ORIGINAL_OPTIONS`)
besides the profile field names every JSON:API front door takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from relgate.config import RouteOptionsError
from relgate.dialects.jsonapi import JsonApiProfile
from relgate.model import Problem
from relgate.schema import ID_STYLES

NG_DETAILS: Mapping[str, str] = {
    "malformed-json": "Unable to decode data",
    "replace-forbidden": "Not allowed to replace a to-many relationship",
    "remove-forbidden": "Not allowed to delete from a to-many relationship",
    "null-to-many": "Cannot set null value on a to-many relationship",
}
"""Problem codes whose ``detail`` is NG's fixed text, exactly; relgate's own goes to ``meta.detail``."""


def shape_error(problem: Problem, obj: dict[str, Any]) -> dict[str, Any]:
    """NG's error object as valid JSON:API 1.0: members relgate has nothing for are left out
    (NG sends them as ``null``, which 1.0 does not allow), ``status`` a string, NG's fixed
    ``detail`` texts exact with relgate's explanation in ``meta``."""
    fixed = NG_DETAILS.get(problem.code)
    if fixed is None:
        return obj
    out = dict(obj)
    explanation = obj.get("detail")
    out["detail"] = fixed
    if explanation and explanation != fixed:
        out["meta"] = {**obj.get("meta", {}), "detail": explanation}
    return out


RESTLESS_1_0 = JsonApiProfile(
    dialect="restless",
    version="1.0",
    media_type_params="none",
    atomic=False,
    relationship_segments=("relationships", "links"),
    to_one_add_remove_status=400,
    type_mismatch_status=409,
    update_status=204,
    relationship_update_status=204,
    integer_ids_in_linkage=True,
    malformed_linkage_id_status=404,
    lid=False,
    client_id_styles=frozenset({"string"}),
    duplicate_linkage="collapse",
    replace_policy="allow_replace",
    remove_policy="allow_remove",
    replace_default=False,
    remove_default=False,
    total_meta="total",
    shape_error=shape_error,
)
"""The ``restless`` dialect.  String-id types keep client ids (relgate cannot generate them)."""


def _set_replace(profile: JsonApiProfile, value: bool) -> JsonApiProfile:
    return dataclasses.replace(profile, replace_default=value)


def _set_remove(profile: JsonApiProfile, value: bool) -> JsonApiProfile:
    return dataclasses.replace(profile, remove_default=value)


def _set_client_ids(profile: JsonApiProfile, value: bool) -> JsonApiProfile:
    return dataclasses.replace(profile, client_id_styles=frozenset(ID_STYLES) if value else RESTLESS_1_0.client_id_styles)


ORIGINAL_OPTIONS = {
    "allow_to_many_replacement": _set_replace,
    "allow_delete_from_to_many_relationships": _set_remove,
    "allow_client_generated_ids": _set_client_ids,
}
"""``create_api`` keywords accepted as route options: front-door-wide defaults (bool).

Per relationship, the route's ``policies`` table decides: ``allow_replace`` is
``allow_to_many_replacement``, ``allow_remove`` is ``allow_delete_from_to_many_relationships``.
"""


def profile_for(options: Mapping[str, Any]) -> tuple[JsonApiProfile, dict[str, Any]]:
    """The profile with the original-name options applied, and the options left for the codec.

    Raises :class:`RouteOptionsError` for a non-boolean original option (the rest are checked by
    :meth:`JsonApiProfile.with_options`).
    """
    profile = RESTLESS_1_0
    rest: dict[str, Any] = {}
    for key, value in options.items():
        setter = ORIGINAL_OPTIONS.get(key)
        if setter is None:
            rest[key] = value
            continue
        if not isinstance(value, bool):
            raise RouteOptionsError([f"options.{key}: must be bool, got {type(value).__name__}"])
        profile = setter(profile, value)
    return profile, rest
