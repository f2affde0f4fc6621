"""A bookshop's own JSON:API 1.1, written by hand over SQLAlchemy 2 and Starlette (no relgate in it).

The app a team already runs: three types (``authors``, ``books``, ``genres``; a book has one
author and many genres), served at ``/api`` with the parts of JSON:API its clients use —
fetching resources, collections (``filter[field]`` / ``filter[field][op]`` with one-hop dotted
paths, ``sort``, ``page[number]``/``page[size]`` with ``meta.total``), related resources,
``include`` and ``fields[type]``, creating, updating and deleting resources, and the
relationship URLs (``GET``/``PATCH``/``POST``/``DELETE …/relationships/<name>``).  Errors are
JSON:API error objects with a ``source.pointer`` (or ``parameter``) where one applies; an
exception nobody expected (the database gone) is left to Starlette (a plain 500).

``app.py`` in this folder mounts relgate's Strapi door in front of it with one
``app.add_middleware`` call; this module knows nothing about that.

    create_app("sqlite:////tmp/bookshop.db")   # the tables are created when missing
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, RelationshipProperty, Session, mapped_column, relationship, with_parent
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

MEDIA = "application/vnd.api+json"
API = "/api"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Base(DeclarativeBase):
    pass


book_genres = sa.Table(
    "book_genres",
    Base.metadata,
    sa.Column("book_id", sa.ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("genre_id", sa.ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True),
)


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    born: Mapped[dt.date | None]
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    year: Mapped[int | None]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authors.id"))
    author: Mapped[Author | None] = relationship(back_populates="books")
    genres: Mapped[list[Genre]] = relationship(secondary=book_genres, back_populates="books", order_by="Genre.id")


class Genre(Base):
    __tablename__ = "genres"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    books: Mapped[list[Book]] = relationship(secondary=book_genres, back_populates="genres", order_by="Book.id")


# --- the JSON:API ----------------------------------------------------------------------------------


class ApiError(Exception):
    """One JSON:API error object (and its status)."""

    def __init__(self, status: int, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.source = {"pointer": pointer} if pointer is not None else {"parameter": parameter} if parameter is not None else None

    def document(self) -> dict[str, Any]:
        err: dict[str, Any] = {"status": str(self.status), "title": self.title, "detail": self.detail}
        if self.source:
            err["source"] = self.source
        return {"jsonapi": {"version": "1.1"}, "errors": [err]}


class Kind:
    """A resource type: a mapped class, its attributes (plain columns) and its relationships."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.model = mapper.class_
        self.name = str(mapper.local_table.name)
        backing = {c for rel in mapper.relationships for c, _ in rel.local_remote_pairs or () if rel.secondary is None}
        self.attributes: dict[str, sa.Column[Any]] = {
            p.key: p.columns[0] for p in mapper.column_attrs if not p.columns[0].primary_key and p.columns[0] not in backing
        }
        self.relationships: dict[str, RelationshipProperty[Any]] = {r.key: r for r in mapper.relationships}


class JsonApi:
    """The endpoints over one declarative base's models (a type per table)."""

    def __init__(self, base: type[DeclarativeBase], engine: sa.Engine) -> None:
        self.engine = engine
        self.kinds = {k.name: k for k in (Kind(m) for m in base.registry.mappers)}
        self.by_model = {k.model: k for k in self.kinds.values()}

    def routes(self) -> list[Route]:
        every = ["GET", "POST", "PATCH", "DELETE"]
        return [
            Route(API + "/{type}", self.endpoint, methods=every),
            Route(API + "/{type}/{id}", self.endpoint, methods=every),
            Route(API + "/{type}/{id}/relationships/{rel}", self.relationship_endpoint, methods=every),
            Route(API + "/{type}/{id}/{rel}", self.endpoint, methods=every),
        ]

    async def endpoint(self, request: Request, *, relationships_url: bool = False) -> Response:
        body = await request.body()
        try:
            status, doc, headers = await run_in_threadpool(self.handle, request, body, relationships_url)
        except ApiError as exc:
            return Response(orjson.dumps(exc.document()), exc.status, media_type=MEDIA)
        content = b"" if doc is None else orjson.dumps(doc)
        return Response(content, status, headers=headers, media_type=None if doc is None else MEDIA)

    async def relationship_endpoint(self, request: Request) -> Response:
        return await self.endpoint(request, relationships_url=True)

    # --- dispatch ----------------------------------------------------------------------------

    def handle(self, request: Request, body: bytes, relationships_url: bool) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        p = request.path_params
        kind = self.kinds.get(p["type"])
        if kind is None:
            raise ApiError(404, "Not Found", f"There is no resource type '{p['type']}'.")
        method, params = request.method, request.query_params
        doc = self._body(request, body) if method in ("POST", "PATCH") or (method == "DELETE" and body) else None
        with Session(self.engine) as session, session.begin():
            if "id" not in p:
                if method == "GET":
                    return 200, self.collection(session, kind, sa.select(kind.model), params, f"{API}/{kind.name}"), {}
                if method == "POST":
                    return self.create(session, kind, doc, params)
                raise ApiError(405, "Method Not Allowed", f"{method} is not allowed on a collection.")
            obj = self._find(session, kind, p["id"])
            if "rel" not in p:
                if method == "GET":
                    return 200, self.one(session, kind, obj, params), {}
                if method == "PATCH":
                    self.update(session, kind, obj, doc)
                    return 200, self.one(session, kind, obj, params), {}
                if method == "DELETE":
                    session.delete(obj)
                    return 204, None, {}
                raise ApiError(405, "Method Not Allowed", f"{method} is not allowed on a resource.")
            rel = kind.relationships.get(p["rel"])
            if rel is None:
                raise ApiError(404, "Not Found", f"'{kind.name}' has no relationship '{p['rel']}'.")
            if relationships_url:
                return self.relationship(session, kind, obj, rel, method, doc)
            if method != "GET":
                raise ApiError(405, "Method Not Allowed", f"{method} is not allowed on a related resource URL.")
            return 200, self.related(session, obj, rel, params), {}

    def _body(self, request: Request, body: bytes) -> Any:
        media = request.headers.get("content-type", "")
        kind, _, rest = media.partition(";")
        if kind.strip() != MEDIA or any(not part.strip().startswith(("ext=", "profile=")) for part in rest.split(";") if part.strip()):
            raise ApiError(415, "Unsupported Media Type", f"Send request documents as {MEDIA}.")
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ApiError(400, "Bad Request", "The request body is not valid JSON.") from None
        if not isinstance(doc, dict) or "data" not in doc:
            raise ApiError(400, "Bad Request", "A request document needs a top-level 'data' member.", pointer="")
        return doc

    def _find(self, session: Session, kind: Kind, id_: str) -> Any:
        obj = session.get(kind.model, int(id_)) if id_.isdigit() else None
        if obj is None:
            raise ApiError(404, "Not Found", f"There is no '{kind.name}' with id '{id_}'.")
        return obj

    # --- reads -------------------------------------------------------------------------------

    def one(self, session: Session, kind: Kind, obj: Any, params: Mapping[str, str]) -> dict[str, Any]:
        fields = self._fields(params)
        return {
            "jsonapi": {"version": "1.1"},
            "data": self.resource(kind, obj, fields),
            "included": self._included(kind, [obj], params, fields),
            "links": {"self": f"{API}/{kind.name}/{obj.id}"},
        }

    def collection(self, session: Session, kind: Kind, query: sa.Select[Any], params: Mapping[str, str], self_link: str) -> dict[str, Any]:
        fields = self._fields(params)
        for key, value in params.items():
            if key.startswith("filter["):
                query = query.where(self._filter(kind, key, value))
        total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        for key in (k for k in params.get("sort", "").split(",") if k):
            name = key.removeprefix("-")
            column = kind.model.id if name == "id" else getattr(kind.model, name) if name in kind.attributes else None
            if column is None:
                raise ApiError(400, "Bad Request", f"'{kind.name}' cannot be sorted by '{name}'.", parameter="sort")
            query = query.order_by(column.desc() if key.startswith("-") else column.asc())
        number, size = self._int(params, "page[number]", 1), self._int(params, "page[size]", DEFAULT_PAGE_SIZE)
        if size > MAX_PAGE_SIZE:
            raise ApiError(400, "Bad Request", f"page[size] is at most {MAX_PAGE_SIZE}.", parameter="page[size]")
        items = list(session.scalars(query.order_by(kind.model.id).offset((number - 1) * size).limit(size)))
        return {
            "jsonapi": {"version": "1.1"},
            "data": [self.resource(kind, o, fields) for o in items],
            "included": self._included(kind, items, params, fields),
            "meta": {"total": total},
            "links": {"self": self_link},
        }

    def related(self, session: Session, obj: Any, rel: RelationshipProperty[Any], params: Mapping[str, str]) -> dict[str, Any]:
        target = self.by_model[rel.mapper.class_]
        owner = self.by_model[type(obj)]
        if rel.uselist:
            query = sa.select(target.model).where(with_parent(obj, getattr(type(obj), rel.key)))
            return self.collection(session, target, query, params, f"{API}/{owner.name}/{obj.id}/{rel.key}")
        value = getattr(obj, rel.key)
        fields = self._fields(params)
        return {
            "jsonapi": {"version": "1.1"},
            "data": None if value is None else self.resource(target, value, fields),
            "included": [] if value is None else self._included(target, [value], params, fields),
        }

    def resource(self, kind: Kind, obj: Any, fields: Mapping[str, set[str]] | None = None) -> dict[str, Any]:
        wanted = (fields or {}).get(kind.name)
        attributes = {n: _wire(getattr(obj, n)) for n in kind.attributes if wanted is None or n in wanted}
        relationships = {
            name: {
                "data": self._linkage(rel, getattr(obj, name)),
                "links": {"self": f"{API}/{kind.name}/{obj.id}/relationships/{name}", "related": f"{API}/{kind.name}/{obj.id}/{name}"},
            }
            for name, rel in kind.relationships.items()
            if wanted is None or name in wanted
        }
        return {"type": kind.name, "id": str(obj.id), "attributes": attributes, "relationships": relationships,
                "links": {"self": f"{API}/{kind.name}/{obj.id}"}}  # fmt: skip

    def _linkage(self, rel: RelationshipProperty[Any], value: Any) -> Any:
        name = self.by_model[rel.mapper.class_].name
        if rel.uselist:
            return [{"type": name, "id": str(o.id)} for o in value]
        return None if value is None else {"type": name, "id": str(value.id)}

    def _included(self, kind: Kind, primary: list[Any], params: Mapping[str, str], fields: Mapping[str, set[str]]) -> list[dict[str, Any]]:
        seen = {(kind.name, o.id) for o in primary}
        out: list[dict[str, Any]] = []
        for path in (p for p in params.get("include", "").split(",") if p):
            level, objects = kind, list(primary)
            for name in path.split("."):
                rel = level.relationships.get(name)
                if rel is None:
                    raise ApiError(400, "Bad Request", f"'{level.name}' has no relationship '{name}' to include.", parameter="include")
                level = self.by_model[rel.mapper.class_]
                objects = [m for o in objects for m in _members(rel, getattr(o, name))]
                for o in objects:
                    if (level.name, o.id) not in seen:
                        seen.add((level.name, o.id))
                        out.append(self.resource(level, o, fields))
        return out

    def _fields(self, params: Mapping[str, str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for key, value in params.items():
            m = re.fullmatch(r"fields\[([^\]]+)\]", key)
            if m:
                out[m.group(1)] = {n for n in value.split(",") if n}
        return out

    def _int(self, params: Mapping[str, str], key: str, default: int) -> int:
        value = params.get(key)
        if value is None:
            return default
        if not value.isdigit() or int(value) < 1:
            raise ApiError(400, "Bad Request", f"{key} must be a positive integer.", parameter=key)
        return int(value)

    def _filter(self, kind: Kind, key: str, value: str) -> sa.ColumnElement[bool]:
        m = re.fullmatch(r"filter\[([^\]]+)\](?:\[([^\]]+)\])?", key)
        if m is None:
            raise ApiError(400, "Bad Request", f"'{key}' is not a filter this API reads.", parameter=key)
        path, op = m.group(1).split("."), m.group(2) or "eq"
        if len(path) == 1:
            return _compare(kind, path[0], op, value, key)
        rel = kind.relationships.get(path[0])
        if rel is None or len(path) != 2:
            raise ApiError(400, "Bad Request", f"'{m.group(1)}' is not a field of '{kind.name}' this API filters on.", parameter=key)
        inner = _compare(self.by_model[rel.mapper.class_], path[1], op, value, key)
        attr = getattr(kind.model, rel.key)
        return attr.any(inner) if rel.uselist else attr.has(inner)

    # --- writes ------------------------------------------------------------------------------

    def create(self, session: Session, kind: Kind, doc: Any, params: Mapping[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        data = self._data(kind, doc)
        if "id" in data:
            raise ApiError(403, "Forbidden", "This API assigns ids itself.", pointer="/data/id")
        obj = kind.model()
        self._apply(session, kind, obj, data, creating=True)
        session.add(obj)
        self._flush(session, kind)
        return 201, self.one(session, kind, obj, params), {"location": f"{API}/{kind.name}/{obj.id}"}

    def update(self, session: Session, kind: Kind, obj: Any, doc: Any) -> None:
        data = self._data(kind, doc)
        if str(data.get("id")) != str(obj.id):
            raise ApiError(409, "Conflict", "The document's id is not the URL's.", pointer="/data/id")
        self._apply(session, kind, obj, data, creating=False)
        self._flush(session, kind)

    def relationship(
        self, session: Session, kind: Kind, obj: Any, rel: RelationshipProperty[Any], method: str, doc: Any
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        if method == "GET":
            return 200, {"jsonapi": {"version": "1.1"}, "data": self._linkage(rel, getattr(obj, rel.key))}, {}
        if doc is None:
            raise ApiError(400, "Bad Request", "A relationship write needs a document with 'data'.")
        targets = self._targets(session, rel, doc["data"], "/data")
        if method == "PATCH":
            setattr(obj, rel.key, targets)
        elif not rel.uselist:
            raise ApiError(403, "Forbidden", f"'{rel.key}' is a to-one: PATCH it.")
        elif method == "POST":
            current = getattr(obj, rel.key)
            current.extend(t for t in targets if t not in current)
        elif method == "DELETE":
            current = getattr(obj, rel.key)
            for t in targets:
                if t in current:
                    current.remove(t)
        self._flush(session, kind)
        return 204, None, {}

    def _data(self, kind: Kind, doc: Any) -> Mapping[str, Any]:
        data = doc["data"]
        if not isinstance(data, dict):
            raise ApiError(400, "Bad Request", "'data' must be a resource object.", pointer="/data")
        if data.get("type") != kind.name:
            raise ApiError(409, "Conflict", f"This URL takes '{kind.name}' resources.", pointer="/data/type")
        return data

    def _apply(self, session: Session, kind: Kind, obj: Any, data: Mapping[str, Any], *, creating: bool) -> None:
        attributes = data.get("attributes") or {}
        for name, value in attributes.items():
            column = kind.attributes.get(name)
            if column is None:
                raise ApiError(400, "Bad Request", f"'{kind.name}' has no attribute '{name}'.", pointer=f"/data/attributes/{name}")
            setattr(obj, name, _value(column, value, f"/data/attributes/{name}"))
        for name, column in kind.attributes.items():
            missing = creating and name not in attributes
            if not column.nullable and (missing or (name in attributes and attributes[name] is None)):
                at = "/data/attributes" if missing else f"/data/attributes/{name}"
                raise ApiError(422, "Unprocessable Content", f"'{name}' is required.", pointer=at)
        for name, member in (data.get("relationships") or {}).items():
            rel = kind.relationships.get(name)
            if rel is None:
                raise ApiError(400, "Bad Request", f"'{kind.name}' has no relationship '{name}'.", pointer=f"/data/relationships/{name}")
            if not isinstance(member, dict) or "data" not in member:
                raise ApiError(400, "Bad Request", "A relationship needs 'data'.", pointer=f"/data/relationships/{name}")
            setattr(obj, name, self._targets(session, rel, member["data"], f"/data/relationships/{name}/data"))

    def _targets(self, session: Session, rel: RelationshipProperty[Any], data: Any, pointer: str) -> Any:
        target = self.by_model[rel.mapper.class_]
        if rel.uselist != isinstance(data, list) or (data is None and rel.uselist):
            shape = "an array of identifiers" if rel.uselist else "one identifier or null"
            raise ApiError(400, "Bad Request", f"'{rel.key}' takes {shape}.", pointer=pointer)
        found = []
        for i, ident in enumerate(data if isinstance(data, list) else [] if data is None else [data]):
            at = f"{pointer}/{i}" if rel.uselist else pointer
            if not isinstance(ident, dict) or ident.get("type") != target.name or not isinstance(ident.get("id"), str):
                raise ApiError(409 if isinstance(ident, dict) and "type" in ident else 400, "Bad Request",
                               f"Expected a '{target.name}' resource identifier.", pointer=at)  # fmt: skip
            found.append(self._find_at(session, target, ident["id"], at))
        return found if rel.uselist else (found[0] if found else None)

    def _find_at(self, session: Session, kind: Kind, id_: str, pointer: str) -> Any:
        try:
            return self._find(session, kind, id_)
        except ApiError as exc:
            raise ApiError(404, "Not Found", exc.detail, pointer=pointer) from None

    def _flush(self, session: Session, kind: Kind) -> None:
        try:
            session.flush()
        except sa.exc.IntegrityError as exc:
            m = re.search(r"UNIQUE constraint failed: \w+\.(\w+)", str(exc.orig))
            pointer = f"/data/attributes/{m.group(1)}" if m else "/data"
            detail = "Another resource already has this value." if m else "The write breaks a constraint."
            raise ApiError(409, "Conflict", detail, pointer=pointer) from None


def _members(rel: RelationshipProperty[Any], value: Any) -> Iterable[Any]:
    return value if rel.uselist else ([] if value is None else [value])


def _compare(kind: Kind, name: str, op: str, raw: str, key: str) -> sa.ColumnElement[bool]:
    column = kind.model.id if name == "id" else getattr(kind.model, name) if name in kind.attributes else None
    if column is None:
        raise ApiError(400, "Bad Request", f"'{kind.name}' has no field '{name}' to filter on.", parameter=key)
    col = kind.model.__table__.c[name] if name != "id" else kind.model.__table__.c.id

    def value(text: str) -> Any:
        return _value(col, _parsed(col, text, key), None, parameter=key)

    if op == "is_null":
        return column.is_(None) if raw == "true" else column.is_not(None)
    if op in ("in", "not_in"):
        values = [value(v) for v in raw.split(",")]
        return column.in_(values) if op == "in" else column.not_in(values)
    ops = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
    if op in ops:
        return getattr(column, ops[op])(value(raw))
    if op in ("contains", "startswith", "endswith") and isinstance(col.type, sa.String):
        return getattr(column, op)(raw, autoescape=True)
    raise ApiError(400, "Bad Request", f"This API has no filter operator '{op}' for '{name}'.", parameter=key)


def _parsed(column: sa.Column[Any], text: str, key: str) -> Any:
    if isinstance(column.type, sa.Integer):
        if not re.fullmatch(r"-?\d+", text):
            raise ApiError(400, "Bad Request", f"'{text}' is not an integer.", parameter=key)
        return int(text)
    return text


def _value(column: sa.Column[Any], value: Any, pointer: str | None, *, parameter: str | None = None) -> Any:
    """A JSON value for ``column`` as Python, or a 400 naming where it was."""

    def bad(what: str) -> ApiError:
        return ApiError(400, "Bad Request", f"Expected {what}, got {orjson.dumps(value).decode()}.", pointer=pointer, parameter=parameter)

    if value is None:
        return None
    if isinstance(column.type, sa.Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
        return value
    if isinstance(column.type, sa.Date):
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise bad("a date (YYYY-MM-DD)") from None
    if not isinstance(value, str):
        raise bad("a string")
    return value


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def create_app(database_url: str) -> Starlette:
    """The bookshop: its JSON:API at ``/api`` and a ``/health`` of its own."""
    engine = sa.create_engine(database_url, connect_args={"check_same_thread": False} if database_url.startswith("sqlite") else {})

    @sa.event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_conn: Any, _record: Any) -> None:
        if database_url.startswith("sqlite"):
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

    Base.metadata.create_all(engine)
    api = JsonApi(Base, engine)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    routes = [Route("/health", lambda request: PlainTextResponse("ok")), *api.routes()]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = engine
    return app
