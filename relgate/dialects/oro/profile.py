"""Oro's settings of the JSON:API codec (``../shared/reference/oro-didww.md`` Part A)."""

from __future__ import annotations

from relgate.dialects.jsonapi.profile import JsonApiProfile

ORO = JsonApiProfile(
    dialect="oro",
    version="",
    media_type_params="none",
    atomic=False,
    to_one_add_remove_status=405,
    lid=False,
    duplicate_linkage="collapse",
    included_in_requests=True,
)
"""OroPlatform: JSON:API 1.0 media types, no Atomic Operations, no ``lid`` (temporary ids go in
``id``), POST/DELETE on a to-one relationship is 405, a repeated identifier in a to-many is kept
once (a Doctrine collection holds an entity once).  ``version=""``: Oro documents have no
``jsonapi`` member (Oro renders its own documents anyway)."""
