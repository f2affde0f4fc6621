"""The order overlay's tables: the order relgate keeps for a backend's relationships that have none.

Two tables in the ``[store]`` database, beside (never inside) the schema's own tables:

- ``relgate_order_lists`` — one row per (backend, owner type, owner id, relationship) whose
  order relgate keeps, with a ``version`` bumped by every write (optimistic concurrency: a write
  names the version its plan read, see :mod:`relgate.planner.overlay`);
- ``relgate_order_keys`` — one row per member: its fractional index key (``rank``, compared
  byte-wise as the store's rank columns are), indexed per list for the neighbour look-ups.

:meth:`OrderOverlay.run` carries out the planner's :class:`~relgate.planner.overlay.OverlayRead`
and :class:`~relgate.planner.overlay.OverlayWrite`, each in one transaction.  A read ``around``
some members costs a few indexed look-ups whatever the list's length, so a positional insert at
100,000 members costs what it costs at ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from relgate.model import Problem, ProblemError
from relgate.planner.overlay import Keys, OverlayRead, OverlayState, OverlayWrite, OverlayWritten
from relgate.store.engine import READ_ONLY
from relgate.store.migrate import OWN_TABLES
from relgate.store.session import chunks
from relgate.store.tables import RANK_TYPE

LISTS = "relgate_order_lists"
KEYS = "relgate_order_keys"
assert {LISTS, KEYS} == OWN_TABLES  # the store's schema check leaves them alone, without a warning

_metadata = sa.MetaData()
_LIST_PK = ("backend", "owner_type", "owner_id", "relationship")
lists = sa.Table(
    LISTS,
    _metadata,
    sa.Column("backend", sa.String(255), primary_key=True),
    sa.Column("owner_type", sa.String(255), primary_key=True),
    sa.Column("owner_id", sa.String(255), primary_key=True),
    sa.Column("relationship", sa.String(255), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
keys = sa.Table(
    KEYS,
    _metadata,
    sa.Column("backend", sa.String(255), primary_key=True),
    sa.Column("owner_type", sa.String(255), primary_key=True),
    sa.Column("owner_id", sa.String(255), primary_key=True),
    sa.Column("relationship", sa.String(255), primary_key=True),
    sa.Column("member_id", sa.String(255), primary_key=True),
    sa.Column("rank", RANK_TYPE, nullable=False),
    sa.Index("ix_relgate_order_keys_rank", "backend", "owner_type", "owner_id", "relationship", "rank"),
)


class OrderOverlay:
    """The overlay of one backend (its name scopes every row)."""

    def __init__(self, engine: AsyncEngine, backend: str) -> None:
        self.engine = engine
        self.backend = backend

    async def open(self) -> None:
        """Create the two tables when missing (they are relgate's own, never migrated by hand)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_metadata.create_all, checkfirst=True)

    async def close(self) -> None:
        await self.engine.dispose()

    async def run(self, op: OverlayRead | OverlayWrite) -> OverlayState | OverlayWritten:
        if isinstance(op, OverlayRead):
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**{READ_ONLY: True})
                async with conn.begin():
                    return await self._read(conn, op)
        try:
            async with self.engine.begin() as conn:
                return await self._write(conn, op)
        except sa.exc.IntegrityError:  # another write started this list between our read and write
            raise _conflict(op) from None
        except sa.exc.DBAPIError as exc:
            detail = "relgate could not record the order it keeps for this relationship (its store failed)."
            raise ProblemError(
                Problem(503, "unavailable", "Store unavailable", detail, meta={"overlay": str(exc.orig or exc)[:200]})
            ) from None

    # --- reads ---------------------------------------------------------------------------------

    def _list(self, op: OverlayRead | OverlayWrite, owner: str) -> list[Any]:
        return [lists.c.backend == self.backend, lists.c.owner_type == op.owner_type, lists.c.owner_id == owner,
                lists.c.relationship == op.relationship]  # fmt: skip

    def _keys(self, op: OverlayRead | OverlayWrite, owner: str) -> list[Any]:
        return [keys.c.backend == self.backend, keys.c.owner_type == op.owner_type, keys.c.owner_id == owner,
                keys.c.relationship == op.relationship]  # fmt: skip

    async def _read(self, conn: AsyncConnection, op: OverlayRead) -> OverlayState:
        out: dict[str, Keys] = {}
        versions: dict[str, int] = {}
        for part in chunks(list(op.owners)):
            stmt = sa.select(lists.c.owner_id, lists.c.version).where(
                lists.c.backend == self.backend, lists.c.owner_type == op.owner_type,
                lists.c.relationship == op.relationship, lists.c.owner_id.in_(part),
            )  # fmt: skip
            versions.update({row.owner_id: row.version for row in await conn.execute(stmt)})
        for owner in op.owners:
            version = versions.get(owner, 0)
            if not version:
                out[owner] = Keys()
                continue
            if op.around is None:
                rows = await conn.execute(sa.select(keys.c.member_id, keys.c.rank).where(*self._keys(op, owner)))
                out[owner] = Keys(version, {r.member_id: r.rank for r in rows})
            else:
                out[owner] = Keys(version, await self._around(conn, op, owner, op.around))
        return OverlayState(out)

    async def _around(self, conn: AsyncConnection, op: OverlayRead, owner: str, members: Sequence[str]) -> dict[str, str]:
        """The keys of ``members``, each one's neighbours, and the first and last key (indexed look-ups)."""
        where = self._keys(op, owner)
        found: dict[str, str] = {}
        for part in chunks(list(members)):
            stmt = sa.select(keys.c.member_id, keys.c.rank).where(*where, keys.c.member_id.in_(part))
            found.update({r.member_id: r.rank for r in await conn.execute(stmt)})
        out = dict(found)
        pick = sa.select(keys.c.member_id, keys.c.rank).where(*where)
        probes = [pick.order_by(keys.c.rank.asc()).limit(1), pick.order_by(keys.c.rank.desc()).limit(1)]
        for rank in found.values():
            probes.append(pick.where(keys.c.rank < rank).order_by(keys.c.rank.desc()).limit(1))
            probes.append(pick.where(keys.c.rank > rank).order_by(keys.c.rank.asc()).limit(1))
        for part in chunks(probes, 200):  # one statement: each probe an indexed look-up of one row
            union = sa.union_all(*(sa.select(p.subquery()) for p in part))
            out.update({row[0]: row[1] for row in await conn.execute(union)})
        return out

    # --- writes --------------------------------------------------------------------------------

    async def _write(self, conn: AsyncConnection, op: OverlayWrite) -> OverlayWritten:
        stmt = sa.select(lists.c.version).where(*self._list(op, op.owner)).with_for_update()  # PostgreSQL: writers of a list queue
        version = (await conn.execute(stmt)).scalar() or 0
        if op.version is not None and version != op.version:
            if op.strict:
                raise _conflict(op)
            return OverlayWritten(False, version, version)
        if version == 0 and not op.set:  # nothing kept for this list, nothing to keep: no list row either
            return OverlayWritten(False, 0, 0)
        where = self._keys(op, op.owner)
        touched = [m for m, _ in op.set] + list(op.drop)
        if op.clear or op.forget:
            rows = await conn.execute(sa.select(keys.c.member_id, keys.c.rank).where(*where))
            before: dict[str, str | None] = {r.member_id: r.rank for r in rows}
            await conn.execute(sa.delete(keys).where(*where))
        else:
            before = {}
            for part in chunks(touched):
                rows = await conn.execute(sa.select(keys.c.member_id, keys.c.rank).where(*where, keys.c.member_id.in_(part)))
                before.update({r.member_id: r.rank for r in rows})
            for part in chunks(touched):
                await conn.execute(sa.delete(keys).where(*where, keys.c.member_id.in_(part)))
        previous = tuple((m, before.get(m)) for m in dict.fromkeys([*before, *touched]))
        if op.forget:
            await conn.execute(sa.delete(lists).where(*self._list(op, op.owner)))
            return OverlayWritten(True, 0, version, previous)
        if op.set:
            base = {"backend": self.backend, "owner_type": op.owner_type, "owner_id": op.owner, "relationship": op.relationship}
            rows_in = [{**base, "member_id": m, "rank": k} for m, k in op.set]
            for part in chunks(rows_in, 400):
                await conn.execute(sa.insert(keys), list(part))
        if version == 0:
            await conn.execute(sa.insert(lists).values(backend=self.backend, owner_type=op.owner_type, owner_id=op.owner,
                                                        relationship=op.relationship, version=1))  # fmt: skip
        else:
            await conn.execute(sa.update(lists).where(*self._list(op, op.owner)).values(version=version + 1))
        return OverlayWritten(True, version + 1, version, previous)


def _conflict(op: OverlayWrite) -> ProblemError:
    detail = (
        f"The order of '{op.owner_type}.{op.relationship}' of {op.owner_type} '{op.owner}' changed while this request ran; "
        "nothing was overwritten, try again."
    )
    return ProblemError(Problem(409, "conflict", "Concurrent change", detail, at=op.at or None))
