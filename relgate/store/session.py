"""A batch's view of the database: id conversion, lid resolution, existence checks, linkage.

One :class:`Session` lives for one batch inside one transaction.  It is shared by the write
and read halves of the store, which keeps both free of connection plumbing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from relgate.model import Ident, Problem, ProblemError
from relgate.ops import resolve
from relgate.schema import Relationship, ResourceType, Schema, parse_id
from relgate.store.compiled import Row, padded
from relgate.store.connection import BatchConnection
from relgate.store.filters import FilterCompiler
from relgate.store.tables import Tables

CHUNK = 900
"""Largest IN list sent in one statement (well under SQLite's bound-parameter limit)."""


ADVANCE_SEQUENCE = sa.text(
    "SELECT setval(s.seq, :value) FROM (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq) AS s"
    " WHERE :value > COALESCE(pg_sequence_last_value(s.seq), 0)"
)
"""Move an id sequence to ``value`` unless it is already there or beyond."""


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class Session:
    def __init__(self, conn: BatchConnection, schema: Schema, tables: Tables, filters: FilterCompiler) -> None:
        self.conn = conn
        self.statements = conn.statements
        self.schema = schema
        self.tables = tables
        self.filters = filters
        self.lids: dict[tuple[str, str], str] = {}
        self.lid_of: dict[tuple[str, str], str] = {}
        self.is_postgres = conn.dialect.name == "postgresql"

    # --- ids ---------------------------------------------------------------------------------

    def db_id(self, rtype: ResourceType, id_: str) -> Any:
        """The column value for a string id, or None when it cannot be one (so: not found)."""
        canonical = parse_id(rtype.id_style, id_)
        if canonical is None:
            return None
        return int(canonical) if rtype.id_style == "integer" else canonical

    def bind_lid(self, type_name: str, lid: str, id_: str, at: Any = ()) -> None:
        if (type_name, lid) in self.lids:
            raise ProblemError(
                Problem(400, "invalid", "Duplicate local id", f"The lid '{lid}' of type '{type_name}' is defined twice.", at=at or None)
            )
        self.lids[(type_name, lid)] = id_
        self.lid_of[(type_name, id_)] = lid

    def resolve(self, ident: Ident) -> str:
        """The server id an Ident names (a lid is looked up among this batch's creations)."""
        return resolve(ident, self.lids).id or ""

    async def advance_sequence(self, rtype: ResourceType, db_id: Any) -> None:
        """After an explicit integer id on PostgreSQL: move the id sequence past it.

        Otherwise a later ordinary create draws that id from the sequence and fails on the
        primary key.  ``setval`` is not transactional: a batch that rolls back leaves a gap.
        """
        if self.is_postgres and rtype.id_style == "integer":
            await self.conn.execute(ADVANCE_SEQUENCE, {"table": quoted(rtype.name), "value": db_id})

    def resolve_db(self, ident: Ident) -> Any:
        return self.db_id(self.schema[ident.type], self.resolve(ident))

    # --- existence -----------------------------------------------------------------------------

    async def require(self, ident: Ident, *, lock: bool = False, for_delete: bool = False) -> Any:
        """The db id of an existing resource, or a 404 problem pointing at ``ident``.

        ``lock`` takes the row's write lock on PostgreSQL (``for_delete``: the full ``FOR UPDATE``).
        """
        db_id = self.resolve_db(ident)
        if db_id is not None:
            # FOR NO KEY UPDATE (key_share): a join-row insert's foreign-key check (FOR KEY SHARE) on this row
            # does not wait for it, so writers from the other side of a pair cannot close a cycle.
            mode = ("update" if for_delete else "key_share") if lock and self.is_postgres else ""
            if await self.conn.fetch(self.statements.existing(ident.type, mode), (db_id,)):
                return db_id
        raise ProblemError(_not_found(ident, self.resolve(ident)))

    async def require_row(self, ident: Ident) -> tuple[Any, Row]:
        """The db id and the row (every column) of an existing resource, or the 404 problem of :meth:`require`."""
        db_id = self.resolve_db(ident)
        if db_id is not None:
            rows = await self.conn.fetch_rows(self.statements.row_by_id(ident.type), (db_id,))
            if rows:
                return db_id, rows[0]
        raise ProblemError(_not_found(ident, self.resolve(ident)))

    async def row(self, rtype: ResourceType, db_id: Any) -> Row | None:
        rows = await self.conn.fetch_rows(self.statements.row_by_id(rtype.name), (db_id,))
        return rows[0] if rows else None

    async def rows(self, rtype: ResourceType, db_ids: Sequence[Any]) -> list[Row]:
        """The rows of these ids that exist, in no particular order (each once)."""
        wanted = list(dict.fromkeys(i for i in db_ids if i is not None))
        out: list[Row] = []
        for part in chunks(wanted):
            out.extend(await self.conn.fetch_rows(self.statements.rows_by_ids(rtype.name, len(padded(part))), padded(part)))
        return out

    async def lock(self, rows: Mapping[str, Iterable[Any]]) -> dict[str, set[Any]]:
        """Lock rows (type name -> db ids) on PostgreSQL, always in one order: by type name, then id.

        Used where a write computes a rank of rows other than the batch's own owner (the far
        side of an ordered pair), so two writers coming from either side queue rather than
        deadlock.  Returns the ids found per type; SQLite serialises writers and locks nothing.
        """
        found: dict[str, set[Any]] = {}
        for type_name in sorted(rows):
            ids = sorted({i for i in rows[type_name] if i is not None})
            if not self.is_postgres:
                found[type_name] = set(ids)
                continue
            table = self.tables.of(type_name)
            got: set[Any] = set()
            for part in chunks(ids):
                stmt = sa.select(table.c.id).where(table.c.id.in_(part)).order_by(table.c.id).with_for_update(key_share=True)
                got.update(r[0] for r in await self.conn.execute(stmt))
            found[type_name] = got
        return found

    async def require_all(self, idents: Sequence[Ident]) -> list[Any]:
        """Db ids of ``idents`` (all of one type or not), one 404 problem per missing one."""
        out: list[Any] = [None] * len(idents)
        by_type: dict[str, list[int]] = {}
        for i, ident in enumerate(idents):
            by_type.setdefault(ident.type, []).append(i)
        problems: list[Problem] = []
        for type_name, positions in by_type.items():
            wanted = {i: self.resolve_db(idents[i]) for i in positions}
            candidates = list({v for v in wanted.values() if v is not None})
            found: set[Any] = set()
            for part in chunks(candidates):
                values = padded(part)
                found.update(r[0] for r in await self.conn.fetch(self.statements.existing_many(type_name, len(values)), values))
            for i, db_id in wanted.items():
                if db_id is None or db_id not in found:
                    problems.append(_not_found(idents[i], self.resolve(idents[i])))
                out[i] = db_id
        if problems:
            raise ProblemError(*problems)
        return out

    # --- linkage -------------------------------------------------------------------------------

    async def present(self, near: sa.Column[Any], far: sa.Column[Any], owner: Any, ids: Sequence[Any]) -> set[Any]:
        """Which of ``ids`` are linked to ``owner`` (``far`` values of the rows whose ``near`` is ``owner``)."""
        found: set[Any] = set()
        for part in chunks(list(ids)):
            values = padded(part)
            found.update(r[0] for r in await self.conn.fetch(self.statements.present(near, far, len(values)), (owner, *values)))
        return found

    def str_id(self, value: Any) -> str:
        return str(value)

    async def member_ids(self, rel: Relationship, owner_db_id: Any) -> list[Any]:
        """Db ids of a to-many's members, in relationship order (rank, then id)."""
        got = await self.linkage_many(rel, [owner_db_id])
        return got.get(owner_db_id, [])

    async def linkage_many(self, rel: Relationship, owner_ids: Sequence[Any]) -> dict[Any, list[Any]]:
        """Members of a to-many (or a far-side to-one) for several owners at once."""
        out: dict[Any, list[Any]] = {}
        for part in chunks(list(dict.fromkeys(owner_ids))):
            values = padded(part)
            for owner, member in await self.conn.fetch(self.statements.linkage(rel, len(values)), values):
                out.setdefault(owner, []).append(member)
        return out


def _not_found(ident: Ident, id_: str) -> Problem:
    return Problem(404, "not-found", "Resource not found", f"No resource of type '{ident.type}' with id '{id_}'.", at=ident.at or None)
