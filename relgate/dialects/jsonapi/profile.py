"""What varies between JSON:API-shaped dialects, as data.

The JSON:API codec is written once; Flask-Restless 1.0, OroPlatform and DIDWW speak the same
document format with different rules (media-type strictness, URL segments, status codes,
lenient ids, policies).  Each of them is a :class:`JsonApiProfile` value handed to
:func:`relgate.dialects.jsonapi.server`, not a copy of the codec.  ``jsonapi`` itself is
:data:`JSONAPI_1_1`.

A route may override the simple (bool/int/str) fields with its ``options`` table, e.g.
``options = { media_type_params = "any" }`` for clients that add ``charset=utf-8``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from relgate.config import RouteOptionsError
from relgate.model import Problem
from relgate.suggest import did_you_mean

ATOMIC_EXT = "https://jsonapi.org/ext/atomic"
"""The Atomic Operations extension URI (namespace ``atomic``)."""

ErrorShaper = Callable[[Problem, dict[str, Any]], dict[str, Any]]
"""Hook turning the default error object of a problem into the profile's own shape."""
StatusRule = Callable[[tuple[Problem, ...]], int]
"""Hook choosing the response status for several problems."""


@dataclass(frozen=True, slots=True)
class JsonApiProfile:
    """The variable behaviour of the JSON:API codec.  Every field has the JSON:API 1.1 default."""

    dialect: str = "jsonapi"
    """Key of the type names/aliases in the schema (``names = { restless = "person" }``)."""
    version: str = "1.1"
    """``jsonapi.version`` in every response document (``None``-like ``""`` omits the object)."""

    # --- content negotiation ---------------------------------------------------------------
    media_type_params: Literal["ext-profile", "none", "any"] = "ext-profile"
    """``ext-profile``: 1.1 rules (other params 415/406); ``none``: 1.0 rules (any param 415/406);
    ``any``: ignore unknown params such as ``charset`` (``ext`` is still checked)."""
    atomic: bool = True
    """Serve the Atomic Operations extension at :attr:`operations_path`."""
    operations_path: str = "/operations"

    # --- URLs ------------------------------------------------------------------------------
    relationship_segments: tuple[str, ...] = ("relationships",)
    """URL segments that introduce a relationship endpoint; the first one is emitted in links."""
    relationship_reads: bool = True
    """``GET /{type}/{id}/relationships/{rel}`` exists."""
    relationship_writes: bool = True
    """``PATCH/POST/DELETE /{type}/{id}/relationships/{rel}`` exist (DIDWW: relationships only inline)."""

    # --- statuses --------------------------------------------------------------------------
    to_one_add_remove_status: Literal[400, 403, 405] = 403
    """POST/DELETE to a to-one relationship URL: 403 (or 400, flask-restless-ng) with code
    ``to-one-requires-patch``, or 405 with ``Allow: GET, PATCH`` (Oro)."""
    type_mismatch_status: int = 409
    update_status: Literal[200, 204] = 200
    """Resource PATCH success: 200 with the updated resource, or 204 without a body."""
    relationship_update_status: Literal[200, 204] = 204
    """Relationship endpoint write success: 204, or 200 with the resulting linkage."""

    # --- identifiers -----------------------------------------------------------------------
    integer_ids_in_linkage: bool = False
    """Accept ``"id": 1`` in resource identifier objects (Flask-Restless); the spec wants strings."""
    malformed_linkage_id_status: Literal[400, 404] = 400
    """A linkage id that cannot be an id of its type (``"bogus"`` for integer ids): 400 ``Invalid
    id``, or 404 ``not-found`` as a server that looks the id up answers (flask-restless-ng)."""
    lid: bool = True
    """Accept JSON:API 1.1 local ids (``lid``)."""
    client_id_styles: frozenset[str] = frozenset({"uuid", "string"})
    """Id styles whose resources may be created with a client-generated ``id`` (others: 403)."""
    untyped_relationship_members: bool = False
    """On a relationship URL (PATCH/POST/DELETE ``/{type}/{id}/relationships/{rel}``) an identifier
    without ``type`` is of the relationship's target type (devour-client's ``destroy`` of members
    sends ``{"id": …}`` only).  Off: such an identifier is 400, as everywhere else."""
    duplicate_linkage: Literal["reject", "collapse"] = "reject"
    """A resource identifier repeated in one linkage array: 400 pointing at the repeat, or
    silently keep the first."""

    # --- relationship policies -------------------------------------------------------------
    replace_policy: str = "allow_replace"
    """Policy gating full replacement of a to-many (PATCH inline or on the relationship URL)."""
    remove_policy: str = "allow_remove"
    """Policy gating DELETE from a to-many relationship URL."""
    replace_default: bool = True
    remove_default: bool = True

    # --- documents -------------------------------------------------------------------------
    total_meta: str = "total"
    """Name of the ``meta`` member holding the number of matching resources of a collection."""
    included_in_requests: bool = False
    """A top-level ``included`` in a request is rejected (400) unless a profile handles it."""

    # --- error hooks -----------------------------------------------------------------------
    shape_error: ErrorShaper | None = None
    error_status: StatusRule | None = None

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Free-form settings for subclasses of the server (not read by the base codec)."""

    def with_options(self, options: Mapping[str, Any]) -> JsonApiProfile:
        """This profile with a route's ``options`` applied.

        Unknown, mistyped or inconsistent options raise :class:`RouteOptionsError` listing each
        one under its key (``options.update_status: …``).
        """
        changes: dict[str, Any] = {}
        problems: list[str] = []
        simple = {f.name: f for f in dataclasses.fields(self) if f.name in _OPTION_FIELDS}
        for key, value in options.items():
            if key not in simple:
                known = ", ".join(sorted(simple))
                problems.append(f"options.{key}: unknown option{did_you_mean(key, simple)} for a JSON:API front door (known: {known})")
                continue
            current = getattr(self, key)
            if isinstance(current, tuple | frozenset):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append(f"options.{key}: must be an array of strings")
                    continue
                value = type(current)(value)
            elif type(value) is not type(current):
                problems.append(f"options.{key}: must be {type(current).__name__}, got {type(value).__name__}")
                continue
            changes[key] = value
        if problems:
            raise RouteOptionsError(problems)
        if not changes:
            return self
        profile = dataclasses.replace(self, **changes)
        profile.check()
        return profile

    def check(self) -> None:
        """Reject inconsistent settings (raises :class:`RouteOptionsError`, keyed by option)."""
        problems = [f"options.{name}: {message}" for name, message in self._problems()]
        if problems:
            raise RouteOptionsError(problems)

    def _problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.media_type_params not in ("ext-profile", "none", "any"):
            out.append(("media_type_params", "must be 'ext-profile', 'none' or 'any'"))
        if self.to_one_add_remove_status not in (400, 403, 405):
            out.append(("to_one_add_remove_status", "must be 400, 403 or 405"))
        if self.malformed_linkage_id_status not in (400, 404):
            out.append(("malformed_linkage_id_status", "must be 400 or 404"))
        for name in ("update_status", "relationship_update_status"):
            if getattr(self, name) not in (200, 204):
                out.append((name, "must be 200 or 204"))
        if self.duplicate_linkage not in ("reject", "collapse"):
            out.append(("duplicate_linkage", "must be 'reject' or 'collapse'"))
        if not self.relationship_segments:
            out.append(("relationship_segments", "needs at least one segment"))
        if not self.operations_path.startswith("/") or self.operations_path.count("/") != 1:
            out.append(("operations_path", "must be one path segment such as '/operations'"))
        return out


_OPTION_FIELDS = frozenset(
    {
        "version", "media_type_params", "atomic", "operations_path", "relationship_segments",
        "relationship_reads", "relationship_writes", "to_one_add_remove_status", "type_mismatch_status",
        "update_status", "relationship_update_status", "integer_ids_in_linkage", "malformed_linkage_id_status", "lid", "client_id_styles",
        "untyped_relationship_members",
        "duplicate_linkage", "replace_policy", "remove_policy", "replace_default", "remove_default", "total_meta",
    }
)  # fmt: skip

JSONAPI_1_1 = JsonApiProfile(untyped_relationship_members=True)
"""The ``jsonapi`` dialect: JSON:API 1.1 with Atomic Operations and ``lid``, taking identifiers
without ``type`` on relationship URLs (what real clients send, see the dialect's README)."""
