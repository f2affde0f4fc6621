"""Reading request documents: resource objects, resource identifier objects (RIOs), linkage.

Reusable by every JSON:API-shaped dialect (Atomic Operations here, Oro's ``included`` on top):
the functions take the path of the member they read and report problems with exact pointers
into an :class:`~relgate.dialects.jsonapi.errors.Issues` collector instead of stopping at the
first one.  Results are canonical: types by their canonical name (aliases resolved), ids in
their canonical string form (``parse_id``), attribute values coerced (``coerce_attribute``).

Rules (JSON:API 1.1 §document-structure; ``profile`` fields in brackets):
- ``type``, ``id`` and ``lid`` are strings ([integer_ids_in_linkage] lets RIO ids be integers);
  an RIO has ``type`` and exactly one of ``id`` and ``lid`` ([lid] enables lids at all).
- A type that does not match what the context expects (the endpoint's collection, the
  relationship's target) is a conflict: [type_mismatch_status], 409 by default.
- A to-one takes one RIO or ``null``; a to-many an array (``null`` and objects are 400);
  an identifier repeated in one array is 400 at the repeat ([duplicate_linkage]).
- Unknown attributes and relationships are 400 at the member; members the specification does
  not define on a resource object or RIO are ignored (§2.1 "MUST ignore"), as are ``@``-members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from relgate.dialects.jsonapi.errors import Issues, forbidden, invalid, type_mismatch, unknown_field
from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.dialects.wire import unaddressable
from relgate.model import Ident, Linkage, Path, Problem
from relgate.schema import Relationship, ResourceType, Schema, ValueProblem, coerce_attribute, parse_id


@dataclass(frozen=True, slots=True)
class ResourceInput:
    """A resource object read from a request."""

    type: ResourceType
    id: str | None
    lid: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    relationships: Mapping[str, Linkage] = field(default_factory=dict)
    meta: Mapping[str, Any] | None = None
    at: Path = ()

    @property
    def ref(self) -> Ident | None:
        """The resource's identifier (``at`` = the resource object), or None."""
        if self.id is not None:
            return Ident(self.type.name, self.id, at=self.at)
        if self.lid is not None:
            return Ident(self.type.name, lid=self.lid, at=self.at)
        return None


class LidScope:
    """The local ids of one request document, in the order they are defined.

    A lid is scoped by type.  ``define`` refuses a lid defined twice; ``knows`` says whether a
    lid can be referenced at this point (only after its definition).
    """

    __slots__ = ("defined",)

    def __init__(self) -> None:
        self.defined: dict[tuple[str, str], Path] = {}

    def define(self, type_name: str, lid: str, at: Path) -> Problem | None:
        key = (type_name, lid)
        if key in self.defined:
            return invalid(at, f"The lid '{lid}' of type '{type_name}' is already defined in this document.", "Duplicate local id")
        self.defined[key] = at
        return None

    def knows(self, type_name: str, lid: str) -> bool:
        return (type_name, lid) in self.defined


IdRule = Literal["create", "update"]


class DocumentReader:
    """Reads the documents of one front door (name maps compiled once)."""

    def __init__(self, schema: Schema, profile: JsonApiProfile) -> None:
        self.schema = schema
        self.profile = profile
        self.accepted = schema.accepted_for(profile.dialect)

    # --- types ---------------------------------------------------------------------------------

    def resolve_type(self, raw: Any, at: Path, expected: ResourceType | None, issues: Issues) -> ResourceType | None:
        """The type named by ``raw`` (the value at ``at``), checked against ``expected``."""
        if not isinstance(raw, str) or not raw:
            issues.add(invalid(at, "'type' must be a non-empty string.", "Invalid type"))
            return None
        rtype = self.accepted.get(raw)
        if expected is not None and rtype is not expected:
            want = expected.name_in(self.profile.dialect)
            what = f"unknown type '{raw}'" if rtype is None else f"type '{raw}'"
            issues.add(type_mismatch(self.profile.type_mismatch_status, at, f"Expected type '{want}', got {what}."))
            return None
        if rtype is None:
            issues.add(invalid(at, f"Unknown type '{raw}'.", "Unknown type"))
        return rtype

    # --- identifiers -----------------------------------------------------------------------------

    def identifier(
        self, obj: Any, at: Path, issues: Issues, *, expected: ResourceType | None, lids: LidScope | None, implied_type: bool = False
    ) -> Ident | None:
        """A resource identifier object at ``at``; ``lids=None`` means lids are not allowed here.

        ``implied_type``: a missing ``type`` means ``expected`` (the URL already names it).
        """
        if not isinstance(obj, Mapping):
            issues.add(invalid(at, "A resource identifier object must be an object with 'type' and 'id'.", "Invalid identifier"))
            return None
        if "type" not in obj:
            if not (implied_type and expected is not None):
                issues.add(invalid(at, "A resource identifier object needs a 'type'.", "Invalid identifier"))
                return None
            rtype: ResourceType | None = expected
        else:
            rtype = self.resolve_type(obj["type"], (*at, "type"), expected, issues)
        if rtype is None:
            return None
        has_id, has_lid = "id" in obj, "lid" in obj
        if has_id and has_lid:
            issues.add(invalid(at, "A resource identifier object has either 'id' or 'lid', not both.", "Invalid identifier"))
            return None
        if has_lid:
            lid = self._lid(obj["lid"], (*at, "lid"), issues, lids)
            if lid is None:
                return None
            if lids is not None and not lids.knows(rtype.name, lid):
                issues.add(
                    Problem(
                        400,
                        "unknown-lid",
                        "Unknown local id",
                        f"No resource of type '{obj['type']}' with lid '{lid}' is defined before this point in the document.",
                        at=(*at, "lid"),
                    )
                )
                return None
            return Ident(rtype.name, lid=lid, at=at)
        if not has_id:
            issues.add(invalid(at, "A resource identifier object needs an 'id'.", "Invalid identifier"))
            return None
        id_ = self.id_value(obj["id"], (*at, "id"), rtype, issues, linkage=True)
        return Ident(rtype.name, id_, at=at) if id_ is not None else None

    def id_value(self, raw: Any, at: Path, rtype: ResourceType, issues: Issues, *, linkage: bool) -> str | None:
        """The canonical id of ``raw`` for ``rtype`` (400 at ``at`` when not a string of its form)."""
        if isinstance(raw, int) and not isinstance(raw, bool) and linkage and self.profile.integer_ids_in_linkage:
            raw = str(raw)
        if not isinstance(raw, str):
            issues.add(invalid(at, f"'id' must be a string, got {_json_kind(raw)}.", "Invalid id"))
            return None
        id_ = parse_id(rtype.id_style, raw)
        if id_ is None:
            name = rtype.name_in(self.profile.dialect)
            if linkage and self.profile.malformed_linkage_id_status == 404:
                issues.add(Problem(404, "not-found", "Not found", f"No resource of type '{name}' with id '{raw}'.", at=at))
            else:
                issues.add(invalid(at, f"'{raw}' is not a valid id for '{name}' ({rtype.id_style} ids).", "Invalid id"))
        return id_

    def _lid(self, raw: Any, at: Path, issues: Issues, lids: LidScope | None) -> str | None:
        if not self.profile.lid:
            issues.add(invalid(at, "Local ids ('lid') are not supported by this API.", "Local ids not supported"))
            return None
        if lids is None:
            issues.add(invalid(at, "A 'lid' can only name a resource created in the same request document.", "Local id not allowed here"))
            return None
        if not isinstance(raw, str) or not raw:
            issues.add(invalid(at, "'lid' must be a non-empty string.", "Invalid local id"))
            return None
        return raw

    # --- linkage ---------------------------------------------------------------------------------

    def linkage(
        self, value: Any, rel: Relationship, at: Path, issues: Issues, *, lids: LidScope | None, implied_type: bool = False
    ) -> Linkage:
        """The linkage ``value`` (at ``at``) for ``rel``: an Ident or None, or a tuple of Idents.

        ``implied_type``: identifiers without ``type`` are of the relationship's target type.
        """
        target = self.schema[rel.target]
        label = f"'{rel.name}'"
        if not rel.many:
            if value is None:
                return None
            if isinstance(value, list):
                issues.add(invalid(at, f"{label} is a to-one relationship: give one resource identifier object or null, not an array."))
                return None
            return self.identifier(value, at, issues, expected=target, lids=lids, implied_type=implied_type)
        if value is None:
            issues.add(invalid(at, f"{label} is a to-many relationship: it cannot be null (use [] to empty it).", code="null-to-many"))
            return ()
        if not isinstance(value, list):
            issues.add(invalid(at, f"{label} is a to-many relationship: give an array of resource identifier objects."))
            return ()
        out: list[Ident] = []
        seen: dict[tuple[str, str, str], int] = {}
        for i, item in enumerate(value):
            ident = self.identifier(item, (*at, i), issues, expected=target, lids=lids, implied_type=implied_type)
            if ident is None:
                continue
            if ident.key in seen:
                if self.profile.duplicate_linkage == "reject":
                    issues.add(
                        invalid(
                            (*at, i),
                            f"This resource identifier repeats the one at index {seen[ident.key]}; a relationship holds a resource once.",
                            "Duplicate resource identifier",
                        )
                    )
                continue
            seen[ident.key] = i
            out.append(ident)
        return tuple(out)

    def relationship_document(self, doc: Any, rel: Relationship, issues: Issues, *, lids: LidScope | None = None, at: Path = ()) -> Linkage:
        """The ``data`` of a relationship endpoint request (``{"data": ...}``).

        The URL names the relationship, so with the profile's ``untyped_relationship_members`` an
        identifier may leave out ``type`` (devour-client's relationship DELETE sends ``{"id": …}``).
        """
        if not isinstance(doc, Mapping):
            issues.add(invalid(at, "The request document must be a JSON object."))
            return None
        if "data" not in doc:
            issues.add(invalid(at, "The request document needs a top-level 'data' member."))
            return None
        return self.linkage(doc["data"], rel, (*at, "data"), issues, lids=lids, implied_type=self.profile.untyped_relationship_members)

    # --- resource objects ------------------------------------------------------------------------

    def resource(
        self,
        obj: Any,
        at: Path,
        issues: Issues,
        *,
        rule: IdRule,
        expected: ResourceType | None,
        lids: LidScope | None,
        expected_id: str | None = None,
    ) -> ResourceInput | None:
        """A resource object at ``at``.

        ``rule="create"``: ``id`` optional (a client id, refused with 403 for id styles outside
        the profile's ``client_id_styles``), ``lid`` optional and defined in ``lids``.
        ``rule="update"``: an ``id`` is required (or, where ``lids`` is given, the ``lid`` of an
        earlier creation); ``expected_id`` is the endpoint's id, and a different one is a 409.
        """
        if not isinstance(obj, Mapping):
            issues.add(invalid(at, "A resource object must be a JSON object."))
            return None
        if "type" not in obj:
            issues.add(invalid(at, "A resource object needs a 'type'."))
            return None
        rtype = self.resolve_type(obj["type"], (*at, "type"), expected, issues)
        if rtype is None:
            return None
        id_, lid = self._identity(obj, at, rtype, issues, rule, lids, expected_id)
        attributes = self.attributes(obj, at, rtype, issues)
        relationships = self.relationships(obj, at, rtype, issues, lids=lids)
        meta = obj.get("meta")
        if meta is not None and not isinstance(meta, Mapping):
            issues.add(invalid((*at, "meta"), "'meta' must be an object."))
            meta = None
        return ResourceInput(rtype, id_, lid, attributes, relationships, meta, at)

    def _identity(
        self,
        obj: Mapping[str, Any],
        at: Path,
        rtype: ResourceType,
        issues: Issues,
        rule: IdRule,
        lids: LidScope | None,
        expected_id: str | None,
    ) -> tuple[str | None, str | None]:
        has_id, has_lid = "id" in obj, "lid" in obj
        if has_id and has_lid:
            issues.add(invalid(at, "A resource object has either 'id' or 'lid', not both."))
            return None, None
        if rule == "create":
            if has_lid:
                lid = self._lid(obj["lid"], (*at, "lid"), issues, lids)
                if lid is not None and lids is not None:
                    problem = lids.define(rtype.name, lid, (*at, "lid"))
                    if problem is not None:
                        issues.add(problem)
                return None, lid
            if has_id:
                if rtype.id_style not in self.profile.client_id_styles:
                    issues.add(
                        forbidden(
                            (*at, "id"),
                            f"'{rtype.name_in(self.profile.dialect)}' has server-assigned {rtype.id_style} ids; "
                            "a client-generated id is not accepted.",
                            code="client-id-not-allowed",
                            title="Client-generated id not allowed",
                        )
                    )
                    return None, None
                id_ = self.id_value(obj["id"], (*at, "id"), rtype, issues, linkage=False)
                reason = unaddressable(id_) if id_ is not None else None
                if reason is not None:
                    issues.add(invalid((*at, "id"), reason, "Invalid id"))
                    return None, None
                return id_, None
            return None, None
        # update
        if has_lid and lids is not None:
            lid = self._lid(obj["lid"], (*at, "lid"), issues, lids)
            if lid is not None and not lids.knows(rtype.name, lid):
                issues.add(
                    Problem(
                        400,
                        "unknown-lid",
                        "Unknown local id",
                        f"No resource with lid '{lid}' is defined before this point.",
                        at=(*at, "lid"),
                    )
                )
                return None, None
            return None, lid
        if has_lid:
            self._lid(obj["lid"], (*at, "lid"), issues, lids)
            return None, None
        if not has_id:
            issues.add(invalid(at, "The resource object of an update needs its 'id'."))
            return None, None
        raw = obj["id"]
        if expected_id is not None and isinstance(raw, str):
            if parse_id(rtype.id_style, raw) != expected_id:
                issues.add(
                    Problem(
                        409,
                        "id-mismatch",
                        "Id does not match",
                        f"The id '{raw}' does not match the id '{expected_id}' this request targets.",
                        at=(*at, "id"),
                    )
                )
                return None, None
            return expected_id, None
        return self.id_value(raw, (*at, "id"), rtype, issues, linkage=False), None

    def attributes(self, obj: Mapping[str, Any], at: Path, rtype: ResourceType, issues: Issues) -> dict[str, Any]:
        raw = obj.get("attributes")
        if raw is None:
            if "attributes" in obj:
                issues.add(invalid((*at, "attributes"), "'attributes' must be an object."))
            return {}
        if not isinstance(raw, Mapping):
            issues.add(invalid((*at, "attributes"), "'attributes' must be an object."))
            return {}
        out: dict[str, Any] = {}
        label = rtype.name_in(self.profile.dialect)
        for name, value in raw.items():
            if name.startswith("@"):
                continue
            path = (*at, "attributes", name)
            attr = rtype.attributes.get(name)
            if attr is None:
                if name in rtype.relationships:
                    issues.add(unknown_field(path, f"'{name}' is a relationship of '{label}'; send it under 'relationships'."))
                else:
                    issues.add(unknown_field(path, f"'{label}' has no attribute '{name}'."))
                continue
            try:
                out[name] = coerce_attribute(attr, value)
            except ValueProblem as exc:
                issues.add(invalid(path, f"{exc}.", "Invalid attribute value"))
        return out

    def relationships(
        self, obj: Mapping[str, Any], at: Path, rtype: ResourceType, issues: Issues, *, lids: LidScope | None
    ) -> dict[str, Linkage]:
        raw = obj.get("relationships")
        if raw is None:
            if "relationships" in obj:
                issues.add(invalid((*at, "relationships"), "'relationships' must be an object."))
            return {}
        if not isinstance(raw, Mapping):
            issues.add(invalid((*at, "relationships"), "'relationships' must be an object."))
            return {}
        out: dict[str, Linkage] = {}
        label = rtype.name_in(self.profile.dialect)
        for name, value in raw.items():
            if name.startswith("@"):
                continue
            path = (*at, "relationships", name)
            rel = rtype.relationships.get(name)
            if rel is None:
                if name in rtype.attributes:
                    issues.add(unknown_field(path, f"'{name}' is an attribute of '{label}'; send it under 'attributes'."))
                else:
                    issues.add(unknown_field(path, f"'{label}' has no relationship '{name}'."))
                continue
            if not isinstance(value, Mapping) or "data" not in value:
                issues.add(invalid(path, f"The relationship '{name}' must be an object with a 'data' member."))
                continue
            out[name] = self.linkage(value["data"], rel, (*path, "data"), issues, lids=lids)
        return out


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return "a string"
