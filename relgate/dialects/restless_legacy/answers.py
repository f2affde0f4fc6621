"""Reading a Flask-Restless 0.17 backend's answers: objects -> canonical resources, errors -> problems.

The other direction of :mod:`relgate.dialects.restless_legacy.documents`.  A 0.17 object carries
its columns (``id``, attributes, foreign-key columns such as ``owner_id``) and every relationship
one level deep, the related objects with their columns only (A1.2).  So one object read gives the
resource with the linkage of every relationship *and* the related resources (without their own
to-many linkage): :meth:`ObjectReader.resource` returns both.

Errors are ``{"message": ...}`` bodies (``{}`` for a missing instance, 404).  0.17 names a
database error by its exception class (``IntegrityError``: a unique value, an existing id): that
is the caller's 409.  A member is named where the backend says which (``validation_errors``, or
relgate's own ``(at name)`` suffix).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from relgate.dialects.client import backend_failed, bad_answer, json_body, status_code
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.model import HttpResponse, Ident, Linkage, Path, Problem, ProblemError, Resource
from relgate.schema import Attribute, ValueProblem, coerce_attribute

_AT = re.compile(r"\(at ([A-Za-z_][A-Za-z0-9_]*)\)\s*$")
_DB_ERRORS = ("IntegrityError", "DataError", "ProgrammingError")


class ObjectReader:
    """Reads one 0.17 backend's objects and errors (its collection names compiled once)."""

    def __init__(self, catalog: Catalog, backend: str) -> None:
        self.catalog = catalog
        self.backend = backend

    # --- objects -----------------------------------------------------------------------------

    def resource(self, fields: Fields, obj: Any) -> tuple[Resource, list[Resource]]:
        """The resource an object shows and the related resources inline in it (columns only)."""
        if not isinstance(obj, Mapping):
            raise bad_answer(self.backend, f"an object of '{fields.name}' was expected")
        related: list[Resource] = []
        relationships: dict[str, Linkage] = {}
        for column, rel in fields.fk_columns.items():
            if column in obj and rel.name not in obj:
                relationships[rel.name] = self._fk(rel.target, obj[column])
        for name, rel in fields.relationships.items():
            if name not in obj:
                continue
            target = self.catalog.target(rel)
            value = obj[name]
            if rel.many:
                if not isinstance(value, list):
                    raise bad_answer(self.backend, f"the to-many '{name}' of '{fields.name}' is not a list")
                members = [self.columns(target, v) for v in value]
                related.extend(members)
                relationships[name] = tuple(m.ident for m in members)
            elif value is None:
                relationships[name] = None
            else:
                member = self.columns(target, value)
                related.append(member)
                relationships[name] = member.ident
        base = self.columns(fields, obj)
        return Resource(base.type, base.id, base.attributes, {**base.relationships, **relationships}), related

    def columns(self, fields: Fields, obj: Any) -> Resource:
        """A resource from an object's columns (the linkage its foreign-key columns give)."""
        if not isinstance(obj, Mapping):
            raise bad_answer(self.backend, f"an object of '{fields.name}' was expected")
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)):
            raise bad_answer(self.backend, f"an object of '{fields.name}' has no id")
        attributes = {name: _value(attr, obj[name]) for name, attr in fields.attributes.items() if name in obj}
        relationships: dict[str, Linkage] = {
            rel.name: self._fk(rel.target, obj[column]) for column, rel in fields.fk_columns.items() if column in obj
        }
        return Resource(fields.rtype.name, str(raw_id), attributes, relationships)

    def _fk(self, type_name: str, value: Any) -> Ident | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad_answer(self.backend, f"a foreign key of '{type_name}' is not an id")
        return Ident(type_name, str(value))

    def page(self, response: HttpResponse) -> Mapping[str, Any]:
        """A collection envelope ``{num_results, objects, page, total_pages}``."""
        doc = json_body(self.backend, response)
        if not isinstance(doc, Mapping) or not isinstance(doc.get("objects"), list):
            raise bad_answer(self.backend, "a page with 'objects' was expected", response.status)
        return doc

    def aggregate(self, attr: Attribute | None, value: Any) -> Any:
        """An ``/eval`` value: dates and date-times come as HTTP dates there (Flask's encoder)."""
        if attr is None or value is None or attr.kind not in ("date", "datetime") or not isinstance(value, str):
            return value
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return _value(attr, value)
        if attr.kind == "date":
            return parsed.date()
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)

    # --- errors ------------------------------------------------------------------------------

    def failure(self, response: HttpResponse, at: Path) -> ProblemError:
        """The problem of a 0.17 error answer, pointing into the caller's op at ``at``."""
        status = response.status
        if status >= 500 or status < 400:
            text = " ".join(response.body[:300].decode("utf-8", "replace").split())
            return backend_failed(self.backend, status, text)
        try:
            doc = json_body(self.backend, response)
        except ProblemError:
            doc = None
        meta: dict[str, Any] = {"backend": self.backend}
        if status == 404 and (doc == {} or not isinstance(doc, Mapping)):
            return ProblemError(Problem(404, "not-found", "Not found", "The backend has no such resource.", at=at or None, meta=meta))
        message = doc.get("message") if isinstance(doc, Mapping) else None
        member: str | None = None
        errors = doc.get("validation_errors") if isinstance(doc, Mapping) else None
        if isinstance(errors, Mapping) and errors:
            name, text = next(iter(errors.items()))
            if isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                member = name
            message = message or (text if isinstance(text, str) else None)
            meta["backend_validation_errors"] = dict(errors)
        elif isinstance(errors, str) and not message:
            message = errors
        text = message if isinstance(message, str) else " ".join(response.body[:300].decode("utf-8", "replace").split())
        found = _AT.search(text)
        if found is not None and member is None:
            member = found.group(1)
        if status == 400 and text.startswith(_DB_ERRORS[0]):
            status = 409
        title = "Conflict" if status == 409 else "Refused by the backend"
        return ProblemError(Problem(status, status_code(status), title, text, at=at or None, member=member, meta=meta))


def _value(attr: Attribute, value: Any) -> Any:
    try:
        return coerce_attribute(attr, value)
    except ValueProblem:
        return value  # kept as the backend said it rather than lost
