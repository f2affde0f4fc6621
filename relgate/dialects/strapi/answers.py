"""Reading a Strapi backend's answers: entries -> canonical resources, error envelopes -> problems.

The other direction of :mod:`.documents`.  Strapi 5 entries are flat (``{id, documentId, name,
categories: [...]}``); Strapi 4 entries are ``{id, attributes: {name, categories: {data: [...]}}}``.
A resource's id toward callers is its ``documentId`` (Strapi 5) or its numeric ``id`` (Strapi 4).
A relation shows only when populated: its members become the linkage, and — where the caller
asked to include it — resources of their own (read with their own populated relations).

Errors are ``{"data": null, "error": {"status", "name", "message", "details"}}``.  Their status is
kept, with two translations a caller of another dialect expects: Strapi's ``This attribute must
be unique`` is a 409 conflict, and ``Document with id "X", locale "null" not found`` (a related
document that does not exist, which Strapi answers 400) is a 404 at the caller's member that
named X (``N relation(s) of type … do not exist``, its answer to numeric ids, a 404 too).
``details.errors[].path`` names the member.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from relgate.dialects.client import backend_failed, bad_answer, json_body, status_code
from relgate.model import HttpResponse, Ident, Linkage, Path, Problem, ProblemError, Resource
from relgate.schema import ResourceType, Schema, ValueProblem, coerce_attribute

UNIQUE = "This attribute must be unique"
MISSING_DOCUMENT = re.compile(r'Document with id "(?P<id>[^"]*)", locale "[^"]*" not found')
MISSING_ROWS = re.compile(r"\d+ relation\(s\) of type \S+ associated with this entity do not exist")
"""Strapi's answer to relation items by numeric id that name no row (Strapi 4 items)."""


class EntryReader:
    """Reads one Strapi backend's entries (v5 or v4 shape) and error envelopes."""

    def __init__(self, schema: Schema, backend: str, *, v4: bool) -> None:
        self.schema = schema
        self.backend = backend
        self.v4 = v4
        self.id_key = "id" if v4 else "documentId"

    # --- entries -----------------------------------------------------------------------------

    def document(self, response: HttpResponse) -> Mapping[str, Any]:
        doc = json_body(self.backend, response)
        if not isinstance(doc, Mapping) or "data" not in doc:
            raise bad_answer(self.backend, "a Strapi answer with 'data' was expected", response.status)
        return doc

    def entry(self, rtype: ResourceType, obj: Any, include: Mapping[str, Any], out: dict[tuple[str, str], Resource]) -> Resource:
        """The resource of an entry; the members of relations named in ``include`` go to ``out``."""
        if not isinstance(obj, Mapping):
            raise bad_answer(self.backend, f"an entry of '{rtype.name_in('strapi')}' was expected")
        raw_id = obj.get(self.id_key)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise bad_answer(self.backend, f"an entry of '{rtype.name_in('strapi')}' has no {self.id_key}")
        body = obj.get("attributes") if self.v4 else obj
        if not isinstance(body, Mapping):
            raise bad_answer(self.backend, "a Strapi 4 entry without 'attributes'")
        attributes: dict[str, Any] = {}
        for name, attr in rtype.attributes.items():
            if name in body:
                try:
                    attributes[name] = coerce_attribute(attr, body[name])
                except ValueProblem:
                    attributes[name] = body[name]
        relationships: dict[str, Linkage] = {}
        for name, rel in rtype.relationships.items():
            if name not in body:
                continue
            value = body[name]
            if self.v4:
                if not isinstance(value, Mapping) or "data" not in value:
                    raise bad_answer(self.backend, f"the Strapi 4 relation '{name}' has no 'data'")
                value = value["data"]
            target = self.schema[rel.target]
            sub = include.get(name)
            if rel.many:
                if not isinstance(value, list):
                    raise bad_answer(self.backend, f"the to-many relation '{name}' is not a list")
                relationships[name] = tuple(self._member(target, v, sub, out) for v in value)
            else:
                relationships[name] = None if value is None else self._member(target, value, sub, out)
        return Resource(rtype.name, str(raw_id), attributes, relationships)

    def _member(self, target: ResourceType, obj: Any, sub: Mapping[str, Any] | None, out: dict[tuple[str, str], Resource]) -> Ident:
        if sub is None:
            if not isinstance(obj, Mapping) or isinstance(obj.get(self.id_key), bool) or not isinstance(obj.get(self.id_key), (str, int)):
                raise bad_answer(self.backend, f"a related entry of '{target.name_in('strapi')}' has no {self.id_key}")
            return Ident(target.name, str(obj[self.id_key]))
        resource = self.entry(target, obj, sub, out)
        out.setdefault((resource.type, resource.id), resource)
        return resource.ident

    def total(self, doc: Mapping[str, Any]) -> int | None:
        meta = doc.get("meta")
        pagination = meta.get("pagination") if isinstance(meta, Mapping) else None
        total = pagination.get("total") if isinstance(pagination, Mapping) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    # --- errors ------------------------------------------------------------------------------

    def failure(
        self, response: HttpResponse, at: Path, rtype: ResourceType | None = None, named: Mapping[str, Ident] | None = None
    ) -> ProblemError:
        """The problem of a Strapi error answer, pointing into the caller's op at ``at``.

        ``named`` maps the ids the request sent to the caller's identifiers (for "Document with id
        X not found"); ``rtype`` is the type written, whose members ``details.errors[].path`` names.
        """
        status = response.status
        if status >= 500 or status < 400:
            return backend_failed(self.backend, status, " ".join(response.body[:300].decode("utf-8", "replace").split()))
        try:
            doc = json_body(self.backend, response)
        except ProblemError:
            doc = None
        error = doc.get("error") if isinstance(doc, Mapping) else None
        if not isinstance(error, Mapping):
            text = " ".join(response.body[:300].decode("utf-8", "replace").split())
            meta0 = {"backend": self.backend}
            return ProblemError(Problem(status, status_code(status), "Refused by the backend", text, at=at or None, meta=meta0))
        raw = error.get("status")
        if isinstance(raw, int) and not isinstance(raw, bool) and 400 <= raw < 500:
            status = raw
        name = error.get("name") if isinstance(error.get("name"), str) else "Error"
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        details = error.get("details") if isinstance(error.get("details"), Mapping) else {}
        meta: dict[str, Any] = {"backend": self.backend, "backend_error": name}
        missing_doc = MISSING_DOCUMENT.search(message)
        if missing_doc is not None:
            ident = (named or {}).get(missing_doc["id"])
            where = (ident.at or at) if ident is not None else at
            detail = f"No resource of type '{ident.type}' with id '{ident.id}'." if ident is not None else message
            return ProblemError(Problem(404, "not-found", "Resource not found", detail, at=where or None, meta=meta))
        if MISSING_ROWS.search(message):
            return ProblemError(Problem(404, "not-found", "Resource not found", message, at=at or None, meta=meta))
        items = details.get("errors") if isinstance(details.get("errors"), list) else []
        problems = []
        for item in items or [None]:
            member = None
            text = message
            if isinstance(item, Mapping):
                path = item.get("path")
                named_member = isinstance(path, list) and path and isinstance(path[0], str)
                if named_member and (rtype is None or path[0] in rtype.attributes or path[0] in rtype.relationships):
                    member = path[0]
                if isinstance(item.get("message"), str):
                    text = item["message"]
            here = status
            if here == 400 and text == UNIQUE:
                here = 409
            title = "Conflict" if here == 409 else name
            problems.append(Problem(here, status_code(here), title, text, at=at or None, member=member, meta=meta))
        if status == 404 and not message:
            problems = [Problem(404, "not-found", "Not found", "The backend has no such document.", at=at or None, meta=meta)]
        return ProblemError(*problems)
