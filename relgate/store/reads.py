"""Carrying out canonical reads: resources with their linkage, pages, includes, aggregates.

Linkage is loaded per relationship for a whole page of resources at once (one query per
relationship, never one per resource), and includes walk the paths level by level the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from relgate.model import (
    Aggregate,
    Aggregates,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    Linkage,
    LinkageResult,
    List,
    One,
    Problem,
    ProblemError,
    Query,
    Resource,
    ResourceList,
)
from relgate.schema import BIGINT_MAX, Relationship, ResourceType
from relgate.store.session import Session, chunks

AGGREGATES = {"sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min, "max": sa.func.max, "count": sa.func.count}


class Reader:
    def __init__(self, sess: Session) -> None:
        self.sess = sess
        self.schema = sess.schema

    async def get(self, op: Get) -> One:
        _, row = await self.sess.require_row(op.ref)  # the row read is the existence check
        rtype = self.schema[op.ref.type]
        items = await self.resources(rtype, [row], op.query)
        included = await self.included(rtype, items, op.query)
        return One(self._strip(items[0], op.query), included)

    async def list(self, op: List) -> ResourceList:
        rtype = self.schema[op.type]
        query = op.query
        if query.where is None and not query.sort and (query.page is None or query.page.limit is not None):
            return await self._plain_page(rtype, query)
        table = self.sess.tables.of(rtype.name)
        return await self._page(rtype, sa.select(table), table, query, default_order=[table.c.id])

    async def _plain_page(self, rtype: ResourceType, query: Query) -> ResourceList:
        """A page of a whole collection in id order (no filter, no sort): the precompiled statements."""
        statements = self.sess.statements
        total = (await self.sess.conn.fetch(statements.count(rtype.name), ()))[0][0] if query.count else None
        page = query.page
        # Bound by the largest BIGINT, as _page: a page past every row is empty, not an overflow in the driver.
        offset = min(max(page.offset, 0), BIGINT_MAX) if page is not None else 0
        limit = min(max(page.limit, 0), BIGINT_MAX) if page is not None and page.limit is not None else BIGINT_MAX
        rows = await self.sess.conn.fetch_rows(statements.page(rtype.name), (limit, offset))
        items = await self.resources(rtype, rows, query)
        included = await self.included(rtype, items, query)
        return ResourceList(tuple(self._strip(i, query) for i in items), total, included)

    async def get_related(self, op: GetRelated) -> One | ResourceList:
        rel = self._rel(op.ref, op.relationship, op)
        owner = await self.sess.require(op.ref)
        target = self.schema[rel.target]
        table = self.sess.tables.of(target.name)
        if not rel.many:
            linkage = await self._linkage(rel, [owner])
            member = linkage.get(owner)
            if member is None:
                return One(None, ())
            rows = await self.sess.rows(target, [member])
            items = await self.resources(target, rows, op.query)
            return One(self._strip(items[0], op.query), await self.included(target, items, op.query))
        st = rel.storage
        if st.kind == "join":
            j = self.sess.tables.joins[st.table]
            stmt = sa.select(table).select_from(table.join(j, j.c[st.far] == table.c.id)).where(j.c[st.near] == owner)
            order = ([j.c[st.rank].asc().nulls_last()] if st.rank else []) + [table.c.id]
        else:
            stmt = sa.select(table).where(table.c[st.column] == owner)
            order = ([table.c[st.rank].asc().nulls_last()] if st.rank else []) + [table.c.id]
        return await self._page(target, stmt, table, op.query, default_order=order)

    async def get_linkage(self, op: GetLinkage) -> LinkageResult:
        rel = self._rel(op.ref, op.relationship, op)
        owner = await self.sess.require(op.ref)
        linkage = (await self._linkage(rel, [owner])).get(owner)
        target = self.schema[rel.target]
        if rel.many:
            value: Linkage = tuple(Ident(target.name, str(m)) for m in (linkage or []))
        else:
            value = Ident(target.name, str(linkage)) if linkage is not None else None
        included: tuple[Resource, ...] = ()
        if op.query.include:
            rtype = self.schema[op.ref.type]
            table = self.sess.tables.of(rtype.name)
            rows = (await self.sess.conn.execute(sa.select(table).where(table.c.id == owner))).mappings().all()
            parents = await self.resources(rtype, rows, Query())
            included = await self.included(rtype, parents, op.query, keep_primary=True)
        return LinkageResult(value, included)

    async def aggregate(self, op: Aggregate) -> Aggregates:
        rtype = self.schema[op.type]
        table = self.sess.tables.of(rtype.name)
        columns = []
        for fn, field in op.functions:
            if fn not in AGGREGATES:
                raise ProblemError(Problem(400, "invalid", "Unknown function", f"Unknown aggregate function '{fn}'.", at=op.at or None))
            if field != "*" and field != "id" and field not in rtype.attributes:
                raise ProblemError(
                    Problem(400, "unknown-field", "Unknown field", f"'{rtype.name}' has no attribute '{field}'.", at=op.at or None)
                )
            col = sa.literal_column("*") if field == "*" else table.c[field]
            columns.append(AGGREGATES[fn](col))
        stmt = sa.select(*columns).select_from(table)
        if op.where is not None:
            stmt = stmt.where(self.sess.filters.compile(op.where, rtype, table))
        row = (await self.sess.conn.execute(stmt)).one()
        return Aggregates({key: _plain(key[0], v) for key, v in zip(op.functions, row, strict=True)})

    # --- building resources ----------------------------------------------------------------------

    async def _page(
        self, rtype: ResourceType, stmt: sa.Select, table: sa.FromClause, query: Query, *, default_order: list[Any]
    ) -> ResourceList:
        if query.where is not None:
            stmt = stmt.where(self.sess.filters.compile(query.where, rtype, table))
        total = None
        if query.count:
            total = (await self.sess.conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery()))).scalar_one()
        order = self.sess.filters.order_by(query.sort, rtype, table) + default_order if query.sort else default_order
        stmt = stmt.order_by(*order)
        if query.page is not None:
            # Bound by the largest BIGINT: a page past every row is empty, not an overflow in the driver.
            if query.page.offset:
                stmt = stmt.offset(min(max(query.page.offset, 0), BIGINT_MAX))
            if query.page.limit is not None:
                stmt = stmt.limit(min(max(query.page.limit, 0), BIGINT_MAX))
        rows = (await self.sess.conn.execute(stmt)).mappings().all()
        items = await self.resources(rtype, rows, query)
        included = await self.included(rtype, items, query)
        return ResourceList(tuple(self._strip(i, query) for i in items), total, included)

    async def resources(
        self, rtype: ResourceType, rows: Sequence[Mapping[str, Any]], query: Query, extra: Iterable[str] = ()
    ) -> list[Resource]:
        """Resources for ``rows`` with the linkage of every relationship they need."""
        wanted = query.fields.get(rtype.name)
        include_heads = {path[0] for path in query.include if path}
        rels = [r for r in rtype.relationships.values() if wanted is None or r.name in wanted or r.name in include_heads or r.name in extra]
        ids = [row["id"] for row in rows]
        linkage: dict[str, dict[Any, Any]] = {}
        for rel in rels:
            linkage[rel.name] = await self._linkage(rel, ids, rows)
        out = []
        for row in rows:
            attributes = {name: row[name] for name in rtype.attributes}
            relationships: dict[str, Linkage] = {}
            for rel in rels:
                target = rel.target
                value = linkage[rel.name].get(row["id"])
                if rel.many:
                    relationships[rel.name] = tuple(Ident(target, str(m)) for m in (value or []))
                else:
                    relationships[rel.name] = Ident(target, str(value)) if value is not None else None
            out.append(Resource(rtype.name, str(row["id"]), attributes, relationships, self.sess.lid_of.get((rtype.name, str(row["id"])))))
        return out

    async def _linkage(
        self, rel: Relationship, owner_ids: Sequence[Any], rows: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[Any, Any]:
        st = rel.storage
        if st.kind == "fk_here":
            if rows is not None:
                return {row["id"]: row[st.column] for row in rows}
            table = self.sess.tables.of(rel.owner)
            out: dict[Any, Any] = {}
            for part in chunks(list(owner_ids)):
                for owner, value in await self.sess.conn.execute(sa.select(table.c.id, table.c[st.column]).where(table.c.id.in_(part))):
                    out[owner] = value
            return out
        many = await self.sess.linkage_many(rel, owner_ids)
        if rel.many:
            return many
        return {owner: members[0] for owner, members in many.items() if members}

    async def included(
        self, rtype: ResourceType, primary: Sequence[Resource], query: Query, *, keep_primary: bool = False
    ) -> tuple[Resource, ...]:
        """Resources reached by the include paths from ``primary``, each once, primary excluded."""
        if not query.include:
            return ()
        seen: set[tuple[str, str]] = set() if keep_primary else {(r.type, r.id) for r in primary}
        out: list[Resource] = []
        tree: dict[str, Any] = {}
        for path in query.include:
            node = tree
            for name in path:
                node = node.setdefault(name, {})
        await self._walk(rtype, list(primary), tree, query, seen, out)
        return tuple(self._strip(r, query) for r in out)

    async def _walk(
        self,
        rtype: ResourceType,
        level: list[Resource],
        tree: Mapping[str, Any],
        query: Query,
        seen: set[tuple[str, str]],
        out: list[Resource],
    ) -> None:
        for name, subtree in tree.items():
            rel = rtype.relationships.get(name)
            if rel is None:
                raise ProblemError(
                    Problem(
                        400, "bad-parameter", "Unknown include path", f"'{rtype.name}' has no relationship '{name}'.", parameter="include"
                    )
                )
            target = self.schema[rel.target]
            ids: list[str] = []
            for r in level:
                value = r.relationships.get(name)
                idents = value if isinstance(value, tuple) else ((value,) if value is not None else ())
                for ident in idents:
                    if ident.id not in ids:
                        ids.append(ident.id)  # type: ignore[arg-type]
            if not ids:
                continue
            db_ids = [self.sess.db_id(target, i) for i in ids]
            rows = await self.sess.rows(target, db_ids)
            order = {i: n for n, i in enumerate(db_ids)}
            rows.sort(key=lambda row: order.get(row["id"], 0))
            resources = await self.resources(target, rows, query, extra=subtree.keys())
            for r in resources:
                if (r.type, r.id) not in seen:
                    seen.add((r.type, r.id))
                    out.append(r)
            if subtree:
                await self._walk(target, resources, subtree, query, seen, out)

    def _strip(self, r: Resource, query: Query) -> Resource:
        wanted = query.fields.get(r.type)
        if wanted is None:
            return r
        return Resource(
            r.type,
            r.id,
            {k: v for k, v in r.attributes.items() if k in wanted},
            {k: v for k, v in r.relationships.items() if k in wanted},
            r.lid,
        )

    def _rel(self, ref: Ident, name: str, op: Any) -> Relationship:
        rtype = self.schema[ref.type]
        rel = rtype.relationships.get(name)
        if rel is None:
            raise ProblemError(
                Problem(404, "not-found", "Relationship not found", f"'{rtype.name}' has no relationship '{name}'.", at=op.at or None)
            )
        return rel


def _plain(fn: str, v: Any) -> Any:
    """Aggregates come back as Decimal on PostgreSQL; JSON wants numbers (avg: always a float)."""
    from decimal import Decimal

    if v is None:
        return None
    if fn == "avg":
        return float(v)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v
