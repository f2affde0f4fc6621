"""POST / PATCH bodies with nested related objects -> one canonical Batch.

Source: flask-restless 0.17.0 ``views.py`` (``_dict_to_inst``, ``_update_relations``,
``_add_to_relation``, ``_remove_from_relation``, ``_set_on_relation``) and ``helpers.py``
(``get_or_create``).  The rules, and how each becomes canonical operations:

- A nested object *without* ``id`` is a new row: ``Create(Ident(lid=...))``, emitted before
  the operation that links it, which names it by that lid.
- A nested object *with* ``id`` is 0.17's ``get_or_create``: the row with that id gets the
  object's other fields, or is created with that id when there is none -> ``Upsert(keys=("id",))``.
- Its own relation keys recurse first (a list replaces that relation of the nested object, an
  object or null sets a to-one), as ``get_or_create`` assigns them.
- POST: a list for a to-many, an object or null for a to-one, become the new row's linkage.
- PATCH: a list replaces the to-many (``Replace``); ``{"add": [...], "remove": [...]}`` adds
  (``Add``, a single object allowed) then removes (``Remove(require_present=True)``; a
  ``"__delete__": true`` member also deletes the row: ``delete_targets``); an object or null
  sets a to-one (``SetOne``).  A remove item without ``id`` names the row by its other fields
  (``filter_by(**item)`` in 0.17): relgate looks it up with an ``Upsert`` keyed on those
  fields; the ``Remove`` that follows fails when that row is not a member (so a row the
  look-up had to create never survives: the batch is atomic).
- A foreign-key column (``"owner_id": 1``) sets its to-one.

Everything 0.17 crashes on (500) is refused here with a 400 naming the member: a non-object
nested value, a list for a to-one, an object without add/remove for a to-many, add/remove on a
to-one, a remove item that is neither an id nor fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relgate.dialects.restless_legacy.errors import SAID, bad, field_path
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.dialects.wire import unaddressable
from relgate.model import Add, Create, Ident, Linkage, Op, Path, Problem, ProblemError, Remove, Replace, SetOne, Update, Upsert
from relgate.schema import ValueProblem, coerce_attribute, parse_id

DELETE_FLAG = "__delete__"


class Body:
    """Builds the ops of one request body; new nested objects get lids ``n0``, ``n1``, ..."""

    def __init__(self, catalog: Catalog, *, creating: bool, max_items: int = 1_000) -> None:
        self.catalog = catalog
        self.ops: list[Op] = []
        self._next = 0
        self.creating = creating
        self.max_items = max_items
        """``server.max_nested_items``: related objects (nested, added, removed) one body may hold."""
        self._items = 0

    def _count(self, at: Path) -> None:
        """One more related object; past the limit the body is refused (413) before any op runs."""
        self._items += 1
        if self._items > self.max_items:
            raise ProblemError(
                Problem(
                    413,
                    "too-much-work",
                    "Payload Too Large",
                    f"{field_path(at)}: one request takes at most {self.max_items} nested objects (server.max_nested_items); "
                    "split it into several requests",
                    at=at,
                    meta={SAID: True},
                )
            )

    def lid(self) -> str:
        lid = f"n{self._next}"
        self._next += 1
        return lid

    # --- the top-level object ----------------------------------------------------------------

    def create(self, fields: Fields, body: Mapping[str, Any]) -> Ident:
        """POST: ops for the new row and its nested objects; returns the new row's Ident."""
        self._check_keys(fields, body, ())
        attributes, ref_id = self._attributes(fields, body, ())
        relationships = self._linkage(fields, body, ())
        ref = Ident(fields.rtype.name, ref_id) if ref_id is not None else Ident(fields.rtype.name, lid=self.lid())
        self.ops.append(Create(ref, fields.rtype.name, attributes, relationships))
        return ref

    def update(self, fields: Fields, ref: Ident, body: Mapping[str, Any]) -> None:
        """PATCH of one row: attributes first, then each relation key in body order."""
        self._check_keys(fields, body, ())
        attributes, ref_id = self._attributes(fields, body, ())
        if ref_id is not None and ref_id != ref.id:
            raise bad(
                f"id: the body's id {body['id']!r} differs from the URL's {ref.id!r}; relgate does not change primary keys", at=("id",)
            )
        relation_ops: list[Op] = []
        for key, value in body.items():
            kind = fields.kind(key)
            if kind == "fk":
                rel = fields.fk_columns[key]
                if rel.name in body:
                    raise bad(f"{key}: give {rel.name!r} or {key!r}, not both", at=(key,))
                relation_ops.append(SetOne(ref, rel.name, self._fk(fields, key, value, (key,)), at=(key,)))
            elif kind == "relationship":
                relation_ops.extend(self._patch_relation(fields, ref, key, value))
        if attributes:
            self.ops.append(Update(ref, attributes))
        self.ops.extend(relation_ops)

    # --- relations in a PATCH ----------------------------------------------------------------

    def _patch_relation(self, fields: Fields, ref: Ident, name: str, value: Any) -> list[Op]:
        rel = fields.relationships[name]
        target = self.catalog.target(rel)
        at: Path = (name,)
        is_edit = isinstance(value, dict) and ("add" in value or "remove" in value)
        if not rel.many:
            if is_edit:
                raise bad(f"{name}: add / remove apply to to-many relations; {name!r} is to-one, set it with an object or null", at=at)
            if isinstance(value, list):
                raise bad(f"{name}: {name!r} is a to-one relation; give an object or null, not a list", at=at)
            return [SetOne(ref, name, self._nested(target, value, at) if value is not None else None, at=at)]
        if isinstance(value, list):
            return [Replace(ref, name, tuple(self._nested(target, v, (*at, i)) for i, v in enumerate(value)), at=at)]
        if not is_edit:
            raise bad(f'{name}: {name!r} is a to-many relation; give a list, or an object with "add" and/or "remove"', at=at)
        for key in value:
            if key not in ("add", "remove"):
                raise bad(f'{field_path((*at, key))}: unknown key {key!r} (allowed: "add", "remove")', at=(*at, key))
        ops: list[Op] = []
        add = value.get("add")
        if add is not None:
            items = [add] if isinstance(add, dict) else add
            if not isinstance(items, list):
                raise bad(f"{name}.add: give a list of objects (or one object)", at=(*at, "add"))
            here = (*at, "add")
            targets = tuple(self._nested(target, v, (*here, i) if not isinstance(add, dict) else here) for i, v in enumerate(items))
            if targets:
                ops.append(Add(ref, name, targets, at=here))
        remove = value.get("remove")
        if remove is not None:
            if not isinstance(remove, list):
                raise bad(f"{name}.remove: give a list of objects", at=(*at, "remove"))
            for i, item in enumerate(remove):
                ops.append(self._remove(target, ref, name, item, (*at, "remove", i)))
        return ops

    def _remove(self, target: Fields, ref: Ident, name: str, item: Any, at: Path) -> Remove:
        self._count(at)
        where = field_path(at)
        if not isinstance(item, dict):
            raise bad(f"{where}: a remove item must be an object", at=at)
        delete = item.get(DELETE_FLAG, False)
        if not isinstance(delete, bool):
            raise bad(f"{where}.{DELETE_FLAG}: must be true or false", at=(*at, DELETE_FLAG))
        rest = {k: v for k, v in item.items() if k != DELETE_FLAG}
        for key in rest:
            kind = target.kind(key)
            if kind is None:
                raise bad(f"{where}: {target.name} has no field {key!r}", at=(*at, key))
            if kind != "id" and kind != "attribute":
                raise bad(f"{where}: a remove item names its row by id or by attributes, not by {key!r}", at=(*at, key))
        if "id" in rest:
            member = Ident(target.rtype.name, self._id(target, rest["id"], (*at, "id")), at=at)
        elif rest:
            attributes = {k: self._attribute(target, k, v, (*at, k)) for k, v in rest.items()}
            member = Ident(target.rtype.name, lid=self.lid(), at=at)
            self.ops.append(Upsert(member, target.rtype.name, tuple(attributes), attributes, at=at))
        else:
            raise bad(f"{where}: a remove item needs an id or the fields of the row to remove", at=at)
        return Remove(ref, name, (member,), delete_targets=delete, at=at, require_present=True)

    # --- nested objects ----------------------------------------------------------------------

    def _nested(self, fields: Fields, value: Any, at: Path) -> Ident:
        """A related object of a body -> its Ident, after the ops that create or update it."""
        self._count(at)
        where = field_path(at)
        if not isinstance(value, dict):
            raise bad(f"{where}: a related {fields.name} must be given as an object, not {type(value).__name__}", at=at)
        self._check_keys(fields, value, at)
        attributes, ref_id = self._attributes(fields, value, at)
        relationships = self._linkage(fields, value, at)
        if ref_id is not None:
            ident = Ident(fields.rtype.name, ref_id, at=at)
            self.ops.append(Upsert(ident, fields.rtype.name, ("id",), attributes, relationships, at=at))
            return ident
        ident = Ident(fields.rtype.name, lid=self.lid(), at=at)
        self.ops.append(Create(ident, fields.rtype.name, attributes, relationships, at=at))
        return ident

    def _linkage(self, fields: Fields, body: Mapping[str, Any], at: Path) -> dict[str, Linkage]:
        """Relations and foreign-key columns of an object being created (or get_or_create'd)."""
        out: dict[str, Linkage] = {}
        for key, value in body.items():
            kind = fields.kind(key)
            here = (*at, key)
            if kind == "fk":
                rel = fields.fk_columns[key]
                if rel.name in body:
                    raise bad(f"{field_path(here)}: give {rel.name!r} or {key!r}, not both", at=here)
                out[rel.name] = self._fk(fields, key, value, here)
            elif kind == "relationship":
                rel = fields.relationships[key]
                target = self.catalog.target(rel)
                if rel.many:
                    if not isinstance(value, list):
                        hint = ' ("add"/"remove" only in a PATCH of the row itself)' if isinstance(value, dict) else ""
                        raise bad(f"{field_path(here)}: {key!r} is a to-many relation; give a list of objects{hint}", at=here)
                    out[key] = tuple(self._nested(target, v, (*here, i)) for i, v in enumerate(value))
                else:
                    if isinstance(value, list):
                        raise bad(f"{field_path(here)}: {key!r} is a to-one relation; give an object or null, not a list", at=here)
                    out[key] = self._nested(target, value, here) if value is not None else None
        return out

    # --- fields ------------------------------------------------------------------------------

    def _check_keys(self, fields: Fields, body: Mapping[str, Any], at: Path) -> None:
        for key in body:
            if fields.kind(key) is None:
                here = (*at, key)
                message = f"Model does not have field '{key}'" if not at else f"{field_path(at)}: {fields.name} does not have field '{key}'"
                meta = {"validation_errors": {field_path(here): message}} if self.creating else None
                raise bad(message, at=here, code="unknown-field", meta=meta)

    def _attributes(self, fields: Fields, body: Mapping[str, Any], at: Path) -> tuple[dict[str, Any], str | None]:
        attributes: dict[str, Any] = {}
        ref_id: str | None = None
        for key, value in body.items():
            kind = fields.kind(key)
            if kind == "attribute":
                attributes[key] = self._attribute(fields, key, value, (*at, key))
            elif kind == "id":
                ref_id = self._id(fields, value, (*at, key))
        return attributes, ref_id

    def _attribute(self, fields: Fields, name: str, value: Any, at: Path) -> Any:
        try:
            return coerce_attribute(fields.attributes[name], value)
        except ValueProblem as exc:
            raise bad(f"{field_path(at)}: {exc}", at=at) from None

    def _id(self, fields: Fields, value: Any, at: Path) -> str:
        style = fields.rtype.id_style
        canonical = None if isinstance(value, bool) or not isinstance(value, (int, str)) else parse_id(style, str(value))
        if canonical is None:
            raise bad(f"{field_path(at)}: {value!r} is not a valid {style} id for {fields.name}", at=at)
        reason = unaddressable(canonical)
        if reason is not None:
            raise bad(f"{field_path(at)}: {reason}", at=at)
        return canonical

    def _fk(self, fields: Fields, column: str, value: Any, at: Path) -> Ident | None:
        if value is None:
            return None
        target = self.catalog.target(fields.fk_columns[column])
        return Ident(target.rtype.name, self._id(target, value, at), at=at)
