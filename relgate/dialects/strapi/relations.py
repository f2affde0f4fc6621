"""Relation values in a Strapi request body -> canonical relationship operations.

Forms (reference §1, ``toAssocs`` in ``entity-manager/index.ts``, ``map-relation.ts``):

===============================================  =========================================
``null`` / ``[]``                                 clear (full replacement with nothing)
``"docId"`` / ``2`` / ``{documentId}`` / ``{id}``  full replacement with that one
``[...]``                                         full replacement, in the given order
``{set: [...]}``                                  full replacement; ``connect``/``disconnect``
                                                  beside a truthy ``set`` are ignored
``{connect, disconnect, options: {strict}}``      partial update
===============================================  =========================================

Items are shorthand (a documentId string; a number or numeric string is a row id) or
longhand (``{documentId}`` or ``{id}``, ``connect`` items optionally with ``position``:
``{before: x}``, ``{after: x}``, ``{start: true}``, ``{end: true}``; the default is the end,
so connecting an item already present moves it to the end).  A single value may stand for
an array.  Exact duplicates are dropped; the same item twice with different payloads is a
400; an item both connected and disconnected is connected.

To-many partial updates become positioned :class:`~relgate.model.Add` operations, one per
item in array order, followed by a :class:`~relgate.model.Remove` of what is disconnected
(so an anchor that is being disconnected still stands where it was when the connects are
placed, and the connected item takes its place).  When an item's anchor is an item *later*
in the array, the order Strapi applies depends on whether that anchor is already connected,
which only the store knows: the connects then go as one ``Add`` with per-target
``positions`` (see :meth:`~relgate.model.Add.placements`).  On a to-one the last item wins
and positions are ignored, as Strapi documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.errors import invalid_key, validation, yup_error
from relgate.dialects.wire import dumps
from relgate.model import (
    Add,
    After,
    Before,
    End,
    Get,
    Ident,
    Op,
    Path,
    Position,
    Query,
    Remove,
    Replace,
    SetOne,
    Start,
)
from relgate.ops import distinct
from relgate.schema import Relationship, ResourceType, Schema, parse_id

PARTIAL_KEYS = frozenset({"set", "connect", "disconnect", "options"})


@dataclass(frozen=True, slots=True)
class Connect:
    ident: Ident
    position: Position
    anchor_by_document: bool = False


@dataclass(frozen=True, slots=True)
class RelationWrite:
    """One relation attribute of ``data``, parsed: a full replacement or a partial update."""

    rel: Relationship
    replace: tuple[Ident, ...] | None = None
    connect: tuple[Connect, ...] = ()
    disconnect: tuple[Ident, ...] = ()
    must_exist: tuple[Ident, ...] = ()
    """Documents named by documentId that no write checks (disconnects, anchors, ignored items)."""


def _truthy(value: Any) -> bool:
    """JavaScript truthiness, which decides Strapi's ``if (data.set)`` and position keys."""
    return not (value is None or value is False or value == 0 or value == "")


class RelationParser:
    def __init__(self, schema: Schema, ids: DocumentIds) -> None:
        self.schema = schema
        self.ids = ids

    # --- parsing ------------------------------------------------------------------------------

    def parse(self, rel: Relationship, value: Any, at: Path, *, creating: bool) -> RelationWrite:
        target = self.schema[rel.target]
        if value is None:
            return RelationWrite(rel, replace=())
        if isinstance(value, list):
            return RelationWrite(rel, replace=self._set(value, target, at))
        if not isinstance(value, dict) or "id" in value or "documentId" in value:
            return RelationWrite(rel, replace=self._set([value], target, at, single=True))
        for key in value:
            if key not in PARTIAL_KEYS:
                raise invalid_key(key, f"{rel.name}.{key}")
        strict = self._strict(value.get("options"), rel)
        if creating:
            strict = True  # attachRelations on create ignores options.strict
        connect_raw = self._items(value.get("connect"), (*at, "connect"))
        disconnect_raw = self._items(value.get("disconnect"), (*at, "disconnect"))
        if _truthy(value.get("set")):
            # set wins; connect/disconnect are dropped, but their documentIds are still mapped (and must exist).
            replace = self._set(self._items(value["set"], (*at, "set")), target, (*at, "set"), pre_split=True)
            ignored = [self._ident(raw, target, item_at) for raw, item_at in (*connect_raw, *disconnect_raw)]
            return RelationWrite(rel, replace=replace, must_exist=tuple(i for i, doc in ignored if doc))
        connects = self._connects(connect_raw, target, strict, rel)
        connected = {c.ident.key for c in connects}
        disconnects: list[Ident] = []
        must_exist: list[Ident] = []
        for raw, item_at in disconnect_raw:
            ident, by_doc = self._ident(raw, target, item_at, any_document=True)
            disconnects.append(ident)
            if by_doc and ident.key not in connected:
                must_exist.append(ident)  # a documentId that is not a document is a 400; a row id is a silent no-op
        for c in connects:
            p = c.position
            if isinstance(p, (Before, After)) and c.anchor_by_document and p.anchor.key not in connected:
                must_exist.append(p.anchor)
        return RelationWrite(rel, connect=tuple(connects), disconnect=tuple(disconnects), must_exist=tuple(must_exist))

    def _strict(self, options: Any, rel: Relationship) -> bool:
        if options is None:
            return True
        if not isinstance(options, dict):
            raise invalid_key(rel.name, f"{rel.name}.options", reason="options must be an object")
        for key, v in options.items():
            if key != "strict" or not isinstance(v, bool):
                raise invalid_key(key, f"{rel.name}.options.{key}", reason="the only option is strict, a boolean")
        return options.get("strict", True)

    def _items(self, value: Any, at: Path) -> list[tuple[Any, Path]]:
        """``castArray`` + drop nil + ``uniqWith(isEqual)``: exact duplicates go silently."""
        if value is None:
            return []
        entries = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        seen: set[bytes] = set()
        out: list[tuple[Any, Path]] = []
        for i, raw in entries:
            if raw is None:
                continue
            fingerprint = dumps(raw) if not isinstance(raw, dict) else dumps(dict(sorted(raw.items())))
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            out.append((raw, at if i is None else (*at, i)))
        return out

    def _set(self, value: list[Any], target: ResourceType, at: Path, *, single: bool = False, pre_split: bool = False) -> tuple[Ident, ...]:
        """A full replacement: the given order, duplicates collapsed to the first occurrence."""
        items = value if pre_split else ([(value[0], at)] if single else [(raw, (*at, i)) for i, raw in enumerate(value)])
        out: list[Ident] = []
        seen: set[tuple[str, str, str]] = set()
        for raw, item_at in items:
            if raw is None:
                continue
            ident, _ = self._ident(raw, target, item_at)
            if ident.key not in seen:
                seen.add(ident.key)
                out.append(ident)
        return tuple(out)

    def _connects(self, items: list[tuple[Any, Path]], target: ResourceType, strict: bool, rel: Relationship) -> list[Connect]:
        out: list[Connect] = []
        seen: set[tuple[str, str, str]] = set()
        for raw, item_at in items:
            if isinstance(raw, dict) and "id" not in raw and "documentId" not in raw:
                # the entity validator's relations test (``entity-validator``): "Invalid relations"
                raise yup_error([([], "Invalid relations")])
            ident, by_doc = self._ident(raw, target, item_at)
            if ident.key in seen:
                raise validation(
                    f"The relation with id {_row(ident, target)} is already connected. You cannot connect the same relation twice.",
                    at=item_at,
                )
            seen.add(ident.key)
            raw_position = raw.get("position") if isinstance(raw, dict) else None
            position, anchor_by_doc = self._position(raw_position, ident, by_doc, target, item_at, strict, rel)
            out.append(Connect(ident, position, anchor_by_doc))
        return out

    def _position(
        self, raw: Any, item: Ident, item_by_doc: bool, target: ResourceType, item_at: Path, strict: bool, rel: Relationship
    ) -> tuple[Position, bool]:
        """The canonical position of a connect item, and whether its anchor was named by documentId.

        The anchor is read in the key form of its item, as Strapi 5 maps it (``data-ids.ts``:
        ``{...position, documentId: position.before}`` beside a ``{documentId}`` item): beside a
        ``{documentId}`` it is a documentId, so a number is a documentId that is not found;
        beside an ``{id}`` it is a row id, so a documentId there is a 400.
        """
        if raw is None:
            return End(), False
        if not isinstance(raw, dict):
            raise validation(f'Invalid position for {rel.name}: expected an object like {{"before": id}} or {{"end": true}}', at=item_at)
        side = "before" if _truthy(raw.get("before")) else "after" if _truthy(raw.get("after")) else None
        if side is None:
            return (Start() if _truthy(raw.get("start")) else End()), False
        at = (*item_at, "position", side)
        anchor_raw = raw[side]
        form = "a documentId" if item_by_doc else "an id"
        if isinstance(anchor_raw, bool) or not isinstance(anchor_raw, (str, int)):
            key = "documentId" if item_by_doc else "id"
            raise validation(
                f"Invalid position for {rel.name}: {side} takes {form} (the item it positions is given by {key}), "
                f"not {_json_kind(anchor_raw)}",
                at=at,
            )
        if item_by_doc:
            anchor, by_doc = self._document(str(anchor_raw), target, at, anchor=True), True
        elif isinstance(anchor_raw, str) and not anchor_raw.isdigit():
            raise validation(
                f"Invalid position for {rel.name}: {side} takes an id (the item it positions is given by id), "
                f'not the documentId "{anchor_raw}"',
                at=at,
            )
        else:
            anchor, by_doc = self._row(anchor_raw, target, at), False
        if anchor.key == item.key and rel.many:
            raise validation(
                f"The relation with id {_row(item, target)} cannot be connected {side} itself: "
                "a position needs another relation as anchor.",
                at=at,
            )
        return (Before(anchor, strict) if side == "before" else After(anchor, strict)), by_doc

    def _ident(self, raw: Any, target: ResourceType, at: Path, *, any_document: bool = False) -> tuple[Ident, bool]:
        """The Ident an item names and whether it was named by documentId.

        ``any_document`` (disconnect): a ``documentId`` that is not a string is looked up as
        Strapi 5 does, by its JavaScript string, and so is not found (400).
        """
        if isinstance(raw, dict):
            if "documentId" in raw:
                doc = raw["documentId"]
                if not isinstance(doc, str):
                    if any_document:
                        raise validation(f'Document with id "{_js_string(doc)}", locale "null" not found', at=at, code="not-found")
                    raise validation(f"Invalid documentId at {_dotted(at)}: expected a string", at=at)
                return self._document(doc, target, at, anchor=False), True
            if "id" in raw:
                return self._row(raw["id"], target, at), False
            raise validation(f"Invalid relation at {_dotted(at)}: an object needs a documentId or an id", at=at)
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise validation(f"Invalid relation at {_dotted(at)}: expected a documentId, an id or an object with one", at=at)
        if isinstance(raw, int) or raw.isdigit():
            return self._row(raw, target, at), False  # Strapi's isNumeric: a row id, not a documentId
        return self._document(raw, target, at, anchor=False), True

    def _document(self, doc: str, target: ResourceType, at: Path, *, anchor: bool) -> Ident:
        decoded = self.ids.decode(doc, target.name)
        if decoded is not None and decoded[0] != target.name and anchor:
            raise validation(
                f'The position anchor "{doc}" is a document of {self.schema[decoded[0]].name_in("strapi")}, '
                f"not of {target.name_in('strapi')}: anchors must be relations of the same attribute.",
                at=at,
            )
        if decoded is None or decoded[0] != target.name:
            raise validation(f'Document with id "{doc}", locale "null" not found', at=at, code="not-found")
        return Ident(target.name, decoded[1], at=at)

    def _row(self, raw: Any, target: ResourceType, at: Path) -> Ident:
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise validation(f"Invalid id at {_dotted(at)}: expected a number", at=at)
        text = str(raw)
        if target.id_style == "integer" and parse_id("integer", text) is None:
            raise validation(f"Invalid id at {_dotted(at)}: {raw!r} is not a valid number", at=at)
        return Ident(target.name, text, at=at)

    # --- operations ---------------------------------------------------------------------------

    def ops(self, ref: Ident, write: RelationWrite, at: Path) -> tuple[list[Op], list[Op]]:
        """``(existence checks, writes)`` for one relation attribute."""
        rel = write.rel
        checks = list(write.must_exist)
        writes: list[Op] = []
        if write.replace is not None:
            if rel.many:
                writes.append(Replace(ref, rel.name, write.replace, at=at))
            else:
                writes.append(SetOne(ref, rel.name, write.replace[-1] if write.replace else None, at=at))
                checks.extend(write.replace[:-1])
        else:
            connected = {c.ident.key for c in write.connect}
            disconnect = tuple(d for d in write.disconnect if d.key not in connected)
            if not rel.many:
                if write.connect:
                    writes.append(SetOne(ref, rel.name, write.connect[-1].ident, at=at))
                    checks.extend(c.ident for c in write.connect[:-1])
                elif disconnect:
                    writes.append(Remove(ref, rel.name, disconnect, at=at))
            else:
                writes.extend(self._adds(ref, rel, write.connect, at))
                if disconnect:
                    writes.append(Remove(ref, rel.name, disconnect, at=at))
        return [exists(i) for i in distinct(checks)], writes

    def _adds(self, ref: Ident, rel: Relationship, connects: tuple[Connect, ...], at: Path) -> list[Op]:
        if not connects:
            return []
        index = {c.ident.key: i for i, c in enumerate(connects)}
        anchored = [i for i, c in enumerate(connects) if isinstance(c.position, (Before, After))]
        forward = any(index.get(connects[i].position.anchor.key, -1) > i for i in anchored)  # type: ignore[union-attr]
        # An unordered relationship keeps no positions, and the store places nothing there; the
        # per-target form still has the anchors checked (Strapi orders, so checks, every to-many).
        if forward or (anchored and not rel.ordered):
            targets = tuple(c.ident for c in connects)
            return [Add(ref, rel.name, targets, at=at, positions=tuple(c.position for c in connects))]
        return [Add(ref, rel.name, (c.ident,), c.position, at=c.ident.at) for c in connects]


def exists(ident: Ident) -> Get:
    """A read that fails with not-found (pointing at ``ident``) when the document does not exist."""
    return Get(ident, Query(fields={ident.type: frozenset()}), at=ident.at)



def _row(ident: Ident, target: ResourceType) -> Any:
    """An id as Strapi prints it in messages: a number for integer ids."""
    return int(ident.id) if target.id_style == "integer" and ident.id and ident.id.isdigit() else ident.id


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a fraction"
    return "an array" if isinstance(value, list) else "an object"


def _js_string(value: Any) -> str:
    """``String(value)`` in JavaScript, as Strapi quotes a documentId in its messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return str(value)


def _dotted(at: Path) -> str:
    return ".".join(str(p) for p in at[1:]) if at and at[0] == "data" else ".".join(map(str, at))
