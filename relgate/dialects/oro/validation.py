"""Oro's structural checks of request documents, with Oro's exact messages and pointers.

Ported from ``Request/JsonApi/AbstractBaseRequestDataValidator.php``,
``AbstractRequestDataValidator.php``, ``TypedRequestDataValidator.php`` (resource documents
with ``included``) and ``RelationshipRequestDataValidator.php`` (relationship endpoints).  Every
problem is a ``request data constraint`` (400) except a primary ``type``/``id`` that does not
match the URL (``conflict constraint``, 409).  A pointer names the offending member itself, also
when it is missing (``/included/0/id`` for an included item without ``id``).

"array" in Oro's messages is a PHP array: a JSON object or array.  Where PHP's loose typing
would crash (a string as ``data``) relgate answers 400 with the nearest Oro message instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from relgate.dialects.jsonapi.errors import Issues
from relgate.dialects.oro.errors import conflict, request_data
from relgate.model import Path

RESOURCE_MEMBERS = ("type", "id", "meta", "attributes", "relationships", "links")
"""Members a resource object may have in an Oro request (``getResourceObjectProperties``)."""


def _php_empty(value: Any) -> bool:
    """PHP ``empty()`` on a decoded JSON value."""
    return value is None or value is False or value == 0 or value in ("", "0") or (isinstance(value, (list, dict)) and not value)


class _Checks:
    def __init__(self, issues: Issues) -> None:
        self.issues = issues

    def error(self, at: Path, detail: str) -> None:
        self.issues.add(request_data(at, detail))

    def array(self, obj: Mapping[str, Any], name: str, at: Path, *, not_empty: bool = False, assoc: bool = False) -> bool:
        """``validateArray``: the member must be an object/array (non-empty, an object)."""
        value = obj[name]
        where = (*at, name)
        if not isinstance(value, (dict, list)):
            self.error(where, f"The '{name}' property should be an array")
            return False
        if not_empty and not value:
            self.error(where, f"The '{name}' property should not be empty")
            return False
        if assoc and value and isinstance(value, list):
            self.error(where, f"The '{name}' property should be an associative array")
            return False
        return True

    def section(self, obj: Mapping[str, Any], name: str, at: Path) -> None:
        if name in obj:
            self.array(obj, name, at, assoc=True)

    def not_blank_string(self, obj: Mapping[str, Any], name: str, at: Path) -> bool:
        if name not in obj:
            return True
        value = obj[name]
        where = (*at, name)
        if value is None:
            self.error(where, f"The '{name}' property should not be null")
        elif not isinstance(value, str):
            self.error(where, f"The '{name}' property should be a string")
        elif not value.strip():
            self.error(where, f"The '{name}' property should not be blank")
        else:
            return True
        return False

    def required_string(self, obj: Mapping[str, Any], name: str, at: Path) -> bool:
        if name not in obj:
            self.error((*at, name), f"The '{name}' property is required")
            return False
        return self.not_blank_string(obj, name, at)

    def type_and_id(self, obj: Mapping[str, Any], at: Path) -> bool:
        ok_type = self.required_string(obj, "type", at)
        ok_id = self.required_string(obj, "id", at)
        return ok_type and ok_id

    def structure(self, obj: Mapping[str, Any], at: Path) -> None:
        """``validateResourceObjectStructure``: only the allowed members (so no ``lid``)."""
        for name in obj:
            if name not in RESOURCE_MEMBERS:
                self.error(at, f"The '{name}' property is not allowed for a resource object")
        self.section(obj, "meta", at)
        self.section(obj, "links", at)

    def attributes_and_relationships(self, obj: Mapping[str, Any], at: Path) -> None:
        if "attributes" in obj:
            self.array(obj, "attributes", at, not_empty=True, assoc=True)
        if "relationships" in obj and self.array(obj, "relationships", at, not_empty=True, assoc=True):
            rels = obj["relationships"]
            if isinstance(rels, dict):
                self.relationships(rels, (*at, "relationships"))

    def relationships(self, rels: Mapping[str, Any], at: Path) -> None:
        for name, rel in rels.items():
            where = (*at, name)
            if not isinstance(rel, dict) or "data" not in rel:
                self.error(where, "The relationship should have 'data' property")
                continue
            data = rel["data"]
            if data is None or not self.array(rel, "data", where):
                continue
            if isinstance(data, list):
                for i, item in enumerate(data):
                    if isinstance(item, dict):
                        self.type_and_id(item, (*where, "data", i))
                    else:
                        self.error((*where, "data", i), "The resource identifier object should be an object")
            elif data:
                self.type_and_id(data, (*where, "data"))


def check_resource_document(
    doc: Mapping[str, Any],
    issues: Issues,
    *,
    type_matches: Callable[[Any], bool],
    url_id: str | None,
    id_matches: Callable[[str], bool] | None = None,
) -> bool:
    """Check a create (``url_id=None``) or update request document; False when ``data`` is unusable.

    ``type_matches(raw)`` says whether a ``type`` names the URL's resource type and
    ``id_matches(raw)`` whether a primary ``id`` is the URL's id.
    """
    c = _Checks(issues)
    c.section(doc, "jsonapi", ())
    c.section(doc, "meta", ())
    c.section(doc, "links", ())
    if "data" not in doc:
        c.error(("data",), "The primary data object should exist")
        return False
    data = doc["data"]
    if _php_empty(data):
        c.error(("data",), "The primary data object should not be empty")
        return False
    if not isinstance(data, dict):
        c.error(("data",), "The primary resource object should be an object")
        return False
    at: Path = ("data",)
    c.structure(data, at)
    if url_id is None:
        if c.required_string(data, "type", at) and not type_matches(data["type"]):
            issues.add(conflict((*at, "type"), "The 'type' property of the primary data object should match the requested resource"))
        c.not_blank_string(data, "id", at)
    elif c.type_and_id(data, at):
        if not type_matches(data["type"]):
            issues.add(conflict((*at, "type"), "The 'type' property of the primary data object should match the requested resource"))
        elif id_matches is not None and not id_matches(data["id"]):
            issues.add(
                conflict((*at, "id"), "The 'id' property of the primary data object should match 'id' parameter of the query string")
            )
    c.attributes_and_relationships(data, at)
    if "included" in doc and c.array(doc, "included", (), not_empty=True):
        included = doc["included"]
        if not isinstance(included, list):
            c.error(("included",), "The 'included' property should be an array")
        else:
            for i, item in enumerate(included):
                where: Path = ("included", i)
                if not isinstance(item, dict):
                    c.error(where, "The related resource should be an object")
                    continue
                c.structure(item, where)
                c.type_and_id(item, where)
                c.attributes_and_relationships(item, where)
    return True


def check_relationship_document(doc: Mapping[str, Any], issues: Issues, *, many: bool) -> None:
    """A relationship endpoint's document (``validateResourceIdentifierObject[Collection]``)."""
    c = _Checks(issues)
    c.section(doc, "jsonapi", ())
    c.section(doc, "meta", ())
    c.section(doc, "links", ())
    if "data" not in doc:
        c.error(("data",), 'The "data" top-level section should exist')
        return
    data = doc["data"]
    if not many:
        if data is None:
            return
        if not isinstance(data, dict):
            c.error(("data",), "The resource identifier object should be NULL or an object")
            return
        _identifier(c, data, ("data",))
        return
    if not isinstance(data, list):
        c.error(("data",), "The list of resource identifier objects should be an array")
        return
    for i, item in enumerate(data):
        if isinstance(item, dict):
            _identifier(c, item, ("data", i))
        else:
            c.error(("data", i), "The resource identifier object should be an object")


def _identifier(c: _Checks, obj: Mapping[str, Any], at: Path) -> None:
    if not obj:
        c.error(at, "The resource identifier object should be not empty object")
        return
    c.type_and_id(obj, at)
