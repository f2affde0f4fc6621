"""Reading a JSON:API backend's answers: documents -> canonical results, errors -> problems.

The other direction of :mod:`relgate.dialects.jsonapi.rendering` (which writes documents for
callers): resource objects become :class:`~relgate.model.Resource` values with canonical type
and relationship names, ids as strings (JSON:API-shaped backends such as Flask-Restless send
integer ids in linkage too), attribute values read with the schema's kinds.  A backend's
``errors`` become problems that keep its status and detail and point at the caller's own
member when the backend's pointer names an attribute or relationship.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relgate.dialects.client import backend_failed, bad_answer, json_body, status_code
from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.model import HttpResponse, Ident, Linkage, Path, Problem, ProblemError, Resource
from relgate.schema import Relationship, ResourceType, Schema, ValueProblem, coerce_attribute


class AnswerReader:
    """Reads one backend's documents (its type names compiled once)."""

    def __init__(self, schema: Schema, profile: JsonApiProfile, backend: str, total_meta: tuple[str, ...]) -> None:
        self.schema = schema
        self.profile = profile
        self.backend = backend
        self.types = schema.accepted_for(profile.dialect)
        self.total_meta = total_meta

    # --- documents ---------------------------------------------------------------------------

    def document(self, response: HttpResponse) -> Mapping[str, Any]:
        doc = json_body(self.backend, response)
        if not isinstance(doc, Mapping) or "data" not in doc:
            raise bad_answer(self.backend, "a JSON:API document with 'data' was expected", response.status)
        return doc

    def resource(self, obj: Any) -> Resource:
        if not isinstance(obj, Mapping):
            raise bad_answer(self.backend, "a resource object was expected")
        rtype = self._type(obj.get("type"))
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise bad_answer(self.backend, f"a resource of type '{obj.get('type')}' has no id")
        attributes: dict[str, Any] = {}
        raw_attributes = obj.get("attributes") or {}
        if isinstance(raw_attributes, Mapping):
            for name, value in raw_attributes.items():
                attr = rtype.attributes.get(name)
                if attr is None:
                    continue  # a column the schema does not describe (a backend's FK column, say)
                try:
                    attributes[name] = coerce_attribute(attr, value)
                except ValueProblem:
                    attributes[name] = value  # kept as the backend said it rather than lost
        relationships: dict[str, Linkage] = {}
        raw_relationships = obj.get("relationships") or {}
        if isinstance(raw_relationships, Mapping):
            for name, member in raw_relationships.items():
                rel = rtype.relationships.get(name)
                if rel is not None and isinstance(member, Mapping) and "data" in member:
                    relationships[name] = self.linkage(rel, member["data"])
        return Resource(rtype.name, str(raw_id), attributes, relationships)

    def resources(self, value: Any) -> tuple[Resource, ...]:
        if not isinstance(value, list):
            raise bad_answer(self.backend, "an array of resource objects was expected")
        return tuple(self.resource(obj) for obj in value)

    def included(self, doc: Mapping[str, Any]) -> tuple[Resource, ...]:
        value = doc.get("included")
        return () if value is None else self.resources(value)

    def identifier(self, obj: Any) -> Ident:
        if not isinstance(obj, Mapping):
            raise bad_answer(self.backend, "a resource identifier object was expected")
        rtype = self._type(obj.get("type"))
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise bad_answer(self.backend, "a resource identifier without an id")
        return Ident(rtype.name, str(raw_id))

    def linkage(self, rel: Relationship, data: Any) -> Linkage:
        if rel.many:
            if not isinstance(data, list):
                raise bad_answer(self.backend, f"the linkage of the to-many '{rel.name}' is not an array")
            return tuple(self.identifier(i) for i in data)
        return None if data is None else self.identifier(data)

    def total(self, doc: Mapping[str, Any]) -> int | None:
        node: Any = doc.get("meta")
        for step in self.total_meta:
            if not isinstance(node, Mapping):
                return None
            node = node.get(step)
        return node if isinstance(node, int) and not isinstance(node, bool) else None

    def _type(self, name: Any) -> ResourceType:
        rtype = self.types.get(name) if isinstance(name, str) else None
        if rtype is None:
            raise bad_answer(self.backend, f"unknown resource type {name!r}")
        return rtype

    # --- errors ------------------------------------------------------------------------------

    def failure(self, response: HttpResponse, at: Path) -> ProblemError:
        """The problems of a backend's error answer, pointing into the caller's op at ``at``."""
        if response.status >= 500 or response.status < 400:
            return backend_failed(self.backend, response.status, _detail_of(response.body))
        try:
            doc = json_body(self.backend, response)
        except ProblemError:
            doc = None
        errors = doc.get("errors") if isinstance(doc, Mapping) else None
        if not isinstance(errors, list) or not errors:
            text = _detail_of(response.body)
            return ProblemError(self._problem(response.status, {"detail": text} if text else {}, at))
        return ProblemError(*(self._problem(response.status, e if isinstance(e, Mapping) else {}, at) for e in errors))

    def _problem(self, status: int, error: Mapping[str, Any], at: Path) -> Problem:
        raw = error.get("status")
        if isinstance(raw, (str, int)) and str(raw).isdigit() and 400 <= int(raw) < 500:
            status = int(raw)
        title = error.get("title") if isinstance(error.get("title"), str) else "Refused by the backend"
        detail = error.get("detail") if isinstance(error.get("detail"), str) else ""
        member = None
        source = error.get("source")
        pointer = source.get("pointer") if isinstance(source, Mapping) else None
        if isinstance(pointer, str):
            parts = pointer.split("/")
            if len(parts) >= 4 and parts[1] == "data" and parts[2] in ("attributes", "relationships"):
                member = parts[3].replace("~1", "/").replace("~0", "~")
        meta: dict[str, Any] = {"backend": self.backend}
        if isinstance(source, Mapping) and source:
            meta["backend_source"] = dict(source)
        if isinstance(error.get("code"), str):
            meta["backend_code"] = error["code"]
        return Problem(status, status_code(status), title, detail, at=at, member=member, meta=meta)


def _detail_of(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return " ".join(text.split())
