"""Carrying out canonical write operations on the generated tables.

Relationship rows are written through three storage shapes (see :class:`~relgate.schema.Storage`);
:class:`Link` gives the uniform "owner column, member column, rank column" view of a to-many
so ordering code is written once.  Positional inserts compute one fractional key between the
two neighbours (two indexed look-ups) and write one row, whatever the relationship's size.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fractional_indexing import generate_key_between, generate_n_keys_between
from sqlalchemy.dialects.postgresql import insert as pg_insert

from relgate.model import (
    Add,
    After,
    Before,
    Count,
    Create,
    Delete,
    DeleteWhere,
    End,
    Ident,
    Linkage,
    Position,
    Problem,
    ProblemError,
    Remove,
    Replace,
    SetOne,
    Start,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.ops import distinct
from relgate.ordering import placements
from relgate.schema import Relationship, ResourceType
from relgate.store.session import Session, chunks


@dataclass(frozen=True, slots=True)
class Link:
    """A to-many seen as rows: ``near`` = owner id, ``far`` = member id, optional ``rank``."""

    table: sa.Table
    near: sa.Column
    far: sa.Column
    rank: sa.Column | None
    join: bool

    @classmethod
    def of(cls, sess: Session, rel: Relationship) -> Link:
        st = rel.storage
        table = sess.tables.storage_table(rel)
        if st.kind == "join":
            return cls(table, table.c[st.near], table.c[st.far], table.c[st.rank] if st.rank else None, True)
        return cls(table, table.c[st.column], table.c.id, table.c[st.rank] if st.rank else None, False)


class Writer:
    def __init__(self, sess: Session) -> None:
        self.sess = sess
        self.schema = sess.schema

    # --- resources -----------------------------------------------------------------------------

    async def create(self, op: Create | Upsert) -> tuple[str, Any]:
        rtype = self.schema[op.type]
        table = self.sess.tables.of(rtype.name)
        values = self._attributes(rtype, op.attributes)
        if op.ref is not None and op.ref.id is not None:
            db_id = self.sess.db_id(rtype, op.ref.id)
            if db_id is None:
                raise ProblemError(
                    Problem(
                        400,
                        "invalid",
                        "Invalid id",
                        f"'{op.ref.id}' is not a valid {rtype.id_style} id for '{rtype.name}'.",
                        at=op.ref.at or None,
                    )
                )
            exists = (await self.sess.conn.execute(sa.select(table.c.id).where(table.c.id == db_id))).first()
            if exists is not None:
                raise ProblemError(
                    Problem(
                        409,
                        "conflict",
                        "Resource already exists",
                        f"A resource of type '{rtype.name}' with id '{op.ref.id}' already exists.",
                        at=(*op.ref.at, "id") if op.ref.at else None,
                    )
                )
            values["id"] = db_id
        elif rtype.id_style != "integer":
            values["id"] = str(uuid.uuid4())
        await self._check_unique(rtype, op.attributes, None, op.at)
        to_one, to_many = self._split(rtype, op.relationships)
        for rel, target in to_one:
            if rel.storage.kind == "fk_here":
                values[rel.storage.column] = await self._target_id(target) if target is not None else None
        result = await self.sess.conn.execute(sa.insert(table).values(values).returning(table.c.id))
        db_id = result.scalar_one()
        if "id" in values:
            await self.sess.advance_sequence(rtype, db_id)
        id_ = str(db_id)
        if op.ref is not None and op.ref.lid is not None:
            self.sess.bind_lid(rtype.name, op.ref.lid, id_, op.ref.at)
        for rel, target in to_one:
            if rel.storage.kind == "fk_here":
                await self._after_fk_set(rel, db_id, values.get(rel.storage.column))
            else:
                await self._set_one(rel, db_id, target)
        for rel, targets in to_many:
            await self._replace(rel, db_id, targets)
        return id_, db_id

    async def update(self, op: Update | Upsert, db_id: Any | None = None) -> tuple[str, Any]:
        assert op.ref is not None
        rtype = self.schema[op.ref.type]
        if db_id is None:
            db_id = await self.sess.require(op.ref, lock=True)
        table = self.sess.tables.of(rtype.name)
        values = self._attributes(rtype, op.attributes)
        await self._check_unique(rtype, op.attributes, db_id, op.at)
        if values:
            await self.sess.conn.execute(sa.update(table).where(table.c.id == db_id).values(values))
        to_one, to_many = self._split(rtype, op.relationships)
        for rel, target in to_one:
            await self._set_one(rel, db_id, target)
        for rel, targets in to_many:
            await self._replace(rel, db_id, targets)
        return str(db_id), db_id

    async def upsert(self, op: Upsert) -> tuple[str, Any]:
        rtype = self.schema[op.type]
        table = self.sess.tables.of(rtype.name)
        cond: list[sa.ColumnElement[bool]] = []
        for key in op.keys:
            if key == "id":
                if op.ref is None or op.ref.id is None:
                    raise ProblemError(
                        Problem(400, "invalid", "Upsert needs an id", "An upsert by 'id' needs the resource's id.", at=op.at or None)
                    )
                db = self.sess.db_id(rtype, op.ref.id)
                cond.append(table.c.id == db)
            else:
                if key not in op.attributes:
                    raise ProblemError(
                        Problem(
                            400,
                            "invalid",
                            "Upsert key missing",
                            f"The upsert key '{key}' has no value in the request.",
                            at=op.at or None,
                            member=key,
                        )
                    )
                value = op.attributes[key]
                cond.append(table.c[key].is_(None) if value is None else table.c[key] == value)
        rows = (await self.sess.conn.execute(sa.select(table.c.id).where(*cond).limit(2))).all()
        if len(rows) > 1:
            raise ProblemError(
                Problem(
                    409,
                    "conflict",
                    "Upsert is ambiguous",
                    f"More than one '{rtype.name}' matches the upsert keys {list(op.keys)}.",
                    at=op.at or None,
                )
            )
        if not rows:
            return await self.create(op)
        db_id = rows[0][0]
        if op.ref is not None and op.ref.lid is not None:
            self.sess.bind_lid(rtype.name, op.ref.lid, str(db_id), op.ref.at)
        ref = Ident(rtype.name, str(db_id), at=op.ref.at if op.ref else ())
        return await self.update(Update(ref, op.attributes, op.relationships, at=op.at), db_id)

    async def delete(self, op: Delete) -> None:
        db_id = await self.sess.require(op.ref, lock=True, for_delete=True)
        table = self.sess.tables.of(op.ref.type)
        await self.sess.conn.execute(sa.delete(table).where(table.c.id == db_id))

    async def update_where(self, op: UpdateWhere) -> Count:
        rtype = self.schema[op.type]
        table = self.sess.tables.of(rtype.name)
        values = self._attributes(rtype, op.attributes)
        stmt = sa.update(table).values(values)
        if op.where is not None:
            stmt = stmt.where(self.sess.filters.compile(op.where, rtype, table))
        if any(a in rtype.attributes and rtype.attributes[a].unique for a in values):
            # A unique value set on several rows must fail as a conflict, not as a crash.
            try:
                async with self.sess.conn.begin_nested():
                    result = await self.sess.conn.execute(stmt)
            except sa.exc.IntegrityError:
                raise ProblemError(
                    Problem(
                        409,
                        "conflict",
                        "Unique value",
                        "The bulk update would give several resources the same unique value.",
                        at=op.at or None,
                    )
                ) from None
            return Count(result.rowcount)
        result = await self.sess.conn.execute(stmt)
        return Count(result.rowcount)

    async def delete_where(self, op: DeleteWhere) -> Count:
        rtype = self.schema[op.type]
        table = self.sess.tables.of(rtype.name)
        stmt = sa.delete(table)
        if op.where is not None:
            stmt = stmt.where(self.sess.filters.compile(op.where, rtype, table))
        return Count((await self.sess.conn.execute(stmt)).rowcount)

    # --- relationships -------------------------------------------------------------------------

    async def set_one(self, op: SetOne) -> None:
        rel = self._rel(op.ref, op.relationship, many=False, at=op.at)
        db_id = await self.sess.require(op.ref, lock=True)
        await self._set_one(rel, db_id, op.target)

    async def replace(self, op: Replace) -> None:
        rel = self._rel(op.ref, op.relationship, many=True, at=op.at)
        db_id, _ = await self._lock_owner(op.ref, rel, distinct(op.targets))
        await self._replace(rel, db_id, op.targets)

    async def add(self, op: Add) -> None:
        if op.positions:
            await self._add_placed(op)
            return
        rel = self._rel(op.ref, op.relationship, many=True, at=op.at)
        targets = distinct(op.targets)
        owner, ids = await self._lock_owner(op.ref, rel, targets)
        link = Link.of(self.sess, rel)
        present = await self._present(link, owner, ids)
        if link.rank is None:
            await self._attach(link, rel, owner, [i for i in ids if i not in present], [None] * (len(ids) - len(present)))
            return
        position = op.position
        if position is None:
            new = [i for i in ids if i not in present]
            lo = await self._edge(link, owner, last=True)
            await self._attach(link, rel, owner, new, generate_n_keys_between(lo, None, len(new)) if new else [])
            return
        lo, hi = await self._bounds(link, rel, owner, ids, position)
        keys = generate_n_keys_between(lo, hi, len(ids))
        moved = [(i, k) for i, k in zip(ids, keys, strict=True) if i in present]
        fresh = [(i, k) for i, k in zip(ids, keys, strict=True) if i not in present]
        for member, key in moved:
            await self.sess.conn.execute(sa.update(link.table).where(link.near == owner, link.far == member).values({link.rank.name: key}))
        await self._attach(link, rel, owner, [m for m, _ in fresh], [k for _, k in fresh])

    async def _lock_owner(self, ref: Ident, rel: Relationship, targets: Sequence[Ident]) -> tuple[Any, list[Any]]:
        """Lock the owner of a to-many change (and, when their ranks are computed too, the members).

        When the far side of a join table is ordered, each new member gets a rank in its own
        list, so the members are locked as well: owner and members in one fixed order (see
        :meth:`Session.lock`), never owner first, or writers from both sides would deadlock.
        Returns the owner's and the targets' db ids (404 problems for missing ones).
        """
        if self._other_rank(Link.of(self.sess, rel), rel) is None:
            owner = await self.sess.require(ref, lock=True)
            return owner, await self.sess.require_all(targets)
        owner = await self.sess.require(ref)
        ids = await self.sess.require_all(targets)
        wanted: dict[str, list[Any]] = {rel.target: list(ids)}
        wanted.setdefault(rel.owner, []).append(owner)
        found = await self.sess.lock(wanted)
        if owner not in found[rel.owner]:
            await self.sess.require(ref)  # deleted meanwhile: its 404
        return owner, ids

    async def _add_placed(self, op: Add) -> None:
        """An Add with one position per target: resolve the order (needs the anchors' membership), then place each."""
        rel = self._rel(op.ref, op.relationship, many=True, at=op.at)
        owner = await self.sess.require(op.ref, lock=True)
        target_type = self.schema[rel.target]
        anchors = {p.anchor.key: p.anchor for p in op.positions if isinstance(p, (Before, After))}
        anchor_ids = {k: self.sess.db_id(target_type, self.sess.resolve(a)) if a.type == rel.target else None for k, a in anchors.items()}
        present = await self._present(Link.of(self.sess, rel), owner, [i for i in anchor_ids.values() if i is not None])
        for target, position in placements(op, lambda a: anchor_ids.get(a.key) in present):
            await self.add(Add(op.ref, op.relationship, (target,), position, at=op.at))

    async def remove(self, op: Remove) -> None:
        declared = self.schema[op.ref.type].relationships.get(op.relationship)
        if declared is not None and not declared.many:
            await self._remove_one(declared, op)
            return
        rel = self._rel(op.ref, op.relationship, many=True, at=op.at)
        owner = await self.sess.require(op.ref, lock=True)
        target_type = self.schema[rel.target]
        ids = [i for i in (self.sess.db_id(target_type, self.sess.resolve(t)) for t in distinct(op.targets)) if i is not None]
        link = Link.of(self.sess, rel)
        present = list(await self._present(link, owner, ids))
        if op.require_present:
            self._check_present(op, rel, set(present))
        if not present:
            return
        await self._detach(link, owner, present)
        if op.delete_targets:
            table = self.sess.tables.of(target_type.name)
            for part in chunks(present):
                await self.sess.conn.execute(sa.delete(table).where(table.c.id.in_(part)))

    def _check_present(self, op: Remove, rel: Relationship, present: set[Any]) -> None:
        """Every target must be a member (``Remove.require_present``); one problem per stranger."""
        target_type = self.schema[rel.target]
        problems = []
        for t in op.targets:
            db_id = self.sess.db_id(target_type, self.sess.resolve(t)) if t.type == rel.target else None
            if db_id is None or db_id not in present:
                problems.append(
                    Problem(
                        400,
                        "invalid",
                        "Not a member",
                        f"{t.type} '{t.id or t.lid}' is not related to {op.ref.type} '{op.ref.id or op.ref.lid}' through '{rel.name}'.",
                        at=t.at or None,
                    )
                )
        if problems:
            raise ProblemError(*problems)

    async def _remove_one(self, rel: Relationship, op: Remove) -> None:
        """Remove on a to-one: clear it when it currently names one of the targets."""
        owner = await self.sess.require(op.ref, lock=True)
        target_type = self.schema[rel.target]
        wanted = {self.sess.db_id(target_type, self.sess.resolve(t)) for t in op.targets if t.type == rel.target}
        st = rel.storage
        if st.kind == "fk_here":
            table = self.sess.tables.of(rel.owner)
            current = (await self.sess.conn.execute(sa.select(table.c[st.column]).where(table.c.id == owner))).scalar()
        else:
            members = await self.sess.member_ids(rel, owner)
            current = members[0] if members else None
        if current is not None and current in wanted:
            await self._set_one(rel, owner, None)

    # --- helpers -------------------------------------------------------------------------------

    def _rel(self, ref: Ident, name: str, *, many: bool, at: Any) -> Relationship:
        rtype = self.schema[ref.type]
        rel = rtype.relationships.get(name)
        if rel is None:
            raise ProblemError(
                Problem(404, "not-found", "Relationship not found", f"'{rtype.name}' has no relationship '{name}'.", at=at or None)
            )
        if rel.many != many:
            kind = "to-many" if rel.many else "to-one"
            raise ProblemError(
                Problem(400, "invalid", "Wrong relationship kind", f"'{rtype.name}.{name}' is a {kind} relationship.", at=at or None)
            )
        return rel

    def _attributes(self, rtype: ResourceType, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in attributes.items() if name in rtype.attributes}

    def _split(
        self, rtype: ResourceType, rels: Mapping[str, Linkage]
    ) -> tuple[list[tuple[Relationship, Ident | None]], list[tuple[Relationship, tuple[Ident, ...]]]]:
        to_one: list[tuple[Relationship, Ident | None]] = []
        to_many: list[tuple[Relationship, tuple[Ident, ...]]] = []
        for name, linkage in rels.items():
            rel = rtype.relationships[name]
            if rel.many:
                to_many.append((rel, tuple(linkage or ())))  # type: ignore[arg-type]
            else:
                to_one.append((rel, linkage))  # type: ignore[arg-type]
        return to_one, to_many

    async def _check_unique(self, rtype: ResourceType, attributes: Mapping[str, Any], own_id: Any, at: Any) -> None:
        table = self.sess.tables.of(rtype.name)
        for name, value in attributes.items():
            attr = rtype.attributes.get(name)
            if attr is None or not attr.unique or value is None:
                continue
            stmt = sa.select(table.c.id).where(table.c[name] == value)
            if own_id is not None:
                stmt = stmt.where(table.c.id != own_id)
            if (await self.sess.conn.execute(stmt.limit(1))).first() is not None:
                raise ProblemError(
                    Problem(
                        409,
                        "conflict",
                        "Value already taken",
                        f"Another '{rtype.name}' already has {name} = {value!r}.",
                        at=at or None,
                        member=name,
                    )
                )

    async def _target_id(self, target: Ident) -> Any:
        return (await self.sess.require_all([target]))[0]

    async def _set_one(self, rel: Relationship, owner: Any, target: Ident | None) -> None:
        st = rel.storage
        target_id = await self._target_id(target) if target is not None else None
        if st.kind == "fk_here":
            table = self.sess.tables.of(rel.owner)
            await self.sess.conn.execute(sa.update(table).where(table.c.id == owner).values({st.column: target_id}))
            await self._after_fk_set(rel, owner, target_id)
            return
        # The far side of a one-to-one: the FK lives on the target's table.
        table = self.sess.tables.of(rel.target)
        await self.sess.conn.execute(sa.update(table).where(table.c[st.column] == owner).values({st.column: None}))
        if target_id is not None:
            await self.sess.conn.execute(sa.update(table).where(table.c.id == target_id).values({st.column: owner}))

    async def _after_fk_set(self, rel: Relationship, owner: Any, target_id: Any) -> None:
        """Keep the other side consistent after a to-one FK was written.

        A one-to-one takes the target away from its previous owner; a to-one whose inverse is
        an ordered to-many appends the owner at the end of the target's list.
        """
        if target_id is None or rel.inverse is None:
            return
        inverse = self.schema[rel.target].relationships[rel.inverse]
        table = self.sess.tables.of(rel.owner)
        col = table.c[rel.storage.column]
        if not inverse.many:
            await self.sess.conn.execute(sa.update(table).where(col == target_id, table.c.id != owner).values({col.name: None}))
        elif inverse.storage.rank:
            await self.sess.lock({rel.target: [target_id]})  # its list's last rank must be settled
            link = Link.of(self.sess, inverse)
            last = await self._edge(link, target_id, last=True, exclude=owner)
            await self.sess.conn.execute(
                sa.update(table).where(table.c.id == owner).values({inverse.storage.rank: generate_key_between(last, None)})
            )

    async def _replace(self, rel: Relationship, owner: Any, targets: Sequence[Ident]) -> None:
        targets = distinct(targets)
        ids = await self.sess.require_all(targets)
        link = Link.of(self.sess, rel)
        current = await self.sess.member_ids(rel, owner)
        wanted = set(ids)
        gone = [m for m in current if m not in wanted]
        await self._detach(link, owner, gone)
        present = set(current) & wanted
        if link.rank is None:
            await self._attach(link, rel, owner, [i for i in ids if i not in present], [None] * (len(ids) - len(present)))
            return
        keys = generate_n_keys_between(None, None, len(ids)) if ids else []
        # new keys may equal other members' old ones: clear the old first (ranks are unique per owner)
        for part in chunks(list(present)):
            await self.sess.conn.execute(
                sa.update(link.table).where(link.near == owner, link.far.in_(part)).values({link.rank.name: None})
            )
        for member, key in zip(ids, keys, strict=True):
            if member in present:
                await self.sess.conn.execute(
                    sa.update(link.table).where(link.near == owner, link.far == member).values({link.rank.name: key})
                )
        await self._attach(
            link, rel, owner, [i for i in ids if i not in present], [k for i, k in zip(ids, keys, strict=True) if i not in present]
        )

    async def _detach(self, link: Link, owner: Any, members: Sequence[Any]) -> None:
        """Make ``members`` no longer members of ``owner``'s relationship (join rows go, FKs clear)."""
        for part in chunks(list(members)):
            if link.join:
                await self.sess.conn.execute(sa.delete(link.table).where(link.near == owner, link.far.in_(part)))
                continue
            values = {link.near.name: None}
            if link.rank is not None:
                values[link.rank.name] = None
            await self.sess.conn.execute(sa.update(link.table).where(link.near == owner, link.far.in_(part)).values(values))

    async def _present(self, link: Link, owner: Any, ids: Sequence[Any]) -> set[Any]:
        return await self.sess.present(link.near, link.far, owner, ids)

    async def _attach(self, link: Link, rel: Relationship, owner: Any, members: Sequence[Any], keys: Sequence[str | None]) -> None:
        """Make ``members`` (not yet present) members of ``owner``'s relationship."""
        if not members:
            return
        if link.join:
            other_rank = self._other_rank(link, rel)
            if other_rank is not None:
                await self.sess.lock({rel.target: members})  # each member's own list gets a rank
            rows = []
            for member, key in zip(members, keys, strict=True):
                row: dict[str, Any] = {link.near.name: owner, link.far.name: member}
                if link.rank is not None:
                    row[link.rank.name] = key
                if other_rank is not None:
                    row[other_rank.name] = generate_key_between(
                        await self._edge(Link(link.table, link.far, link.near, other_rank, True), member, last=True), None
                    )
                rows.append(row)
            insert = sa.insert(link.table)
            if self.sess.is_postgres:
                # the same pair added from the other side meanwhile: it is a member, as asked
                insert = pg_insert(link.table).on_conflict_do_nothing(index_elements=["source_id", "target_id"])
            await self.sess.conn.execute(insert, rows)
            return
        # FK on the member's table: this also takes the member away from a previous owner.
        if link.rank is None:
            for part in chunks(list(members)):
                await self.sess.conn.execute(sa.update(link.table).where(link.far.in_(part)).values({link.near.name: owner}))
            return
        for member, key in zip(members, keys, strict=True):
            await self.sess.conn.execute(
                sa.update(link.table).where(link.far == member).values({link.near.name: owner, link.rank.name: key})
            )

    def _other_rank(self, link: Link, rel: Relationship) -> sa.Column | None:
        """The inverse side's rank column in a shared join table, when that side is ordered."""
        if rel.inverse is None:
            return None
        inverse = self.schema[rel.target].relationships[rel.inverse]
        if inverse.storage.rank is None or inverse.storage.rank == rel.storage.rank:
            return None
        return link.table.c[inverse.storage.rank]

    async def _edge(self, link: Link, owner: Any, *, last: bool, exclude: Any = None) -> str | None:
        assert link.rank is not None
        order = link.rank.desc() if last else link.rank.asc()
        stmt = sa.select(link.rank).where(link.near == owner, link.rank.is_not(None))
        if exclude is not None:
            stmt = stmt.where(link.far != exclude)
        return (await self.sess.conn.execute(stmt.order_by(order).limit(1))).scalar()

    async def _bounds(
        self, link: Link, rel: Relationship, owner: Any, ids: Sequence[Any], position: Position
    ) -> tuple[str | None, str | None]:
        """The ranks between which members placed at ``position`` go."""
        assert link.rank is not None
        if isinstance(position, Start):
            return None, await self._edge(link, owner, last=False)
        if isinstance(position, End):
            return await self._edge(link, owner, last=True), None
        anchor = position.anchor
        anchor_id = self.sess.db_id(self.schema[anchor.type], self.sess.resolve(anchor)) if anchor.type == rel.target else None
        if anchor_id is not None and anchor_id in ids:
            raise ProblemError(
                Problem(
                    400, "invalid-position", "Invalid position", "An item cannot be positioned relative to itself.", at=anchor.at or None
                )
            )
        row = None
        if anchor_id is not None:
            row = (await self.sess.conn.execute(sa.select(link.rank).where(link.near == owner, link.far == anchor_id))).first()
        found = row is not None
        rank = row[0] if row is not None else None
        if not found:
            if position.strict:
                raise ProblemError(
                    Problem(
                        400,
                        "invalid-position",
                        "Invalid position",
                        f"The anchor {anchor.type} '{anchor.id or anchor.lid}' is not a member of the relationship.",
                        at=anchor.at or None,
                    )
                )
            return await self._edge(link, owner, last=True), None
        if rank is None:
            # An anchor without a rank (linked before the relationship was ordered): order from the end.
            rank = generate_key_between(await self._edge(link, owner, last=True), None)
            await self.sess.conn.execute(
                sa.update(link.table).where(link.near == owner, link.far == anchor_id).values({link.rank.name: rank})
            )
        if isinstance(position, Before):
            stmt = sa.select(link.rank).where(link.near == owner, link.rank < rank).order_by(link.rank.desc()).limit(1)
            return (await self.sess.conn.execute(stmt)).scalar(), rank
        stmt = sa.select(link.rank).where(link.near == owner, link.rank > rank).order_by(link.rank.asc()).limit(1)
        return rank, (await self.sess.conn.execute(stmt)).scalar()
