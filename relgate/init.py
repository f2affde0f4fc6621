"""``relgate init``: a starting configuration from a schema that already exists.

Two sources: a Strapi project (``src/api/*/content-types/*/schema.json``) or SQLAlchemy models
(``package.module:Base``, through :func:`relgate.schema.from_sqlalchemy`).  The output is a
complete, checked configuration (server, store, front doors, types) written with tomlkit so it
stays readable: attributes and relationships as inline tables, what could not be carried over
as comments at the top.  It must pass ``relgate check`` as written.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from relgate.schema_sqlalchemy import RESERVED, Derived, derive

STRAPI_KINDS: Mapping[str, str] = {
    "string": "string", "text": "string", "richtext": "string", "email": "string", "password": "string",
    "uid": "string", "enumeration": "string", "time": "string", "biginteger": "string",  # Strapi answers bigintegers as strings
    "integer": "integer", "float": "float", "decimal": "float", "boolean": "boolean",
    "date": "date", "datetime": "datetime", "timestamp": "datetime",
    "json": "json", "blocks": "json", "component": "json", "dynamiczone": "json",
}  # fmt: skip
"""Strapi attribute types -> relgate kinds (components are stored whole, as JSON)."""

TO_MANY = {"oneToMany", "manyToMany", "manyWay"}
TO_ONE = {"oneToOne", "manyToOne", "oneWay"}


class InitError(Exception):
    """The source cannot be read; the message is one line."""


# --- Strapi -------------------------------------------------------------------------------------


def from_strapi(project: Path) -> Derived:
    """The types of a Strapi project's content-types (collection types and single types)."""
    files = sorted(project.glob("src/api/*/content-types/*/schema.json"))
    if not files:
        raise InitError(f"{project}: no src/api/*/content-types/*/schema.json (is this a Strapi project?)")
    schemas: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InitError(f"{path}: not readable JSON: {exc}") from None
        uid = f"api::{path.parents[2].name}.{path.parent.name}"
        schemas[uid] = (path, data)
    out = Derived({})
    names: dict[str, tuple[str, str]] = {}  # uid -> (canonical type name, Strapi API name)
    for uid, (_, data) in schemas.items():
        info = data.get("info", {})
        api = info.get("pluralName") if data.get("kind", "collectionType") == "collectionType" else info.get("singularName")
        api = api or uid.rsplit(".", 1)[-1]
        names[uid] = (api.replace("-", "_"), api)
    for uid, (_, data) in schemas.items():
        name, api = names[uid]
        attributes: dict[str, Any] = {}
        relationships: dict[str, Any] = {}
        for attr, spec in (data.get("attributes") or {}).items():
            where = f"{name}.{attr}"
            kind = spec.get("type")
            if attr in RESERVED:
                out.notes.append(f"{where}: '{attr}' is reserved in relgate; left out")
            elif kind == "relation":
                rel = _strapi_relation(spec, names, where, out.notes)
                if rel is not None:
                    relationships[attr] = rel
            elif kind == "media":
                out.notes.append(f"{where}: media (the upload plugin's files) is not carried over")
            elif kind in STRAPI_KINDS:
                extra = {k: True for k in ("unique",) if spec.get(k)}
                if spec.get("required"):
                    extra["nullable"] = False
                attributes[attr] = {"type": STRAPI_KINDS[kind], **extra} if extra else STRAPI_KINDS[kind]
            else:
                out.notes.append(f"{where}: Strapi type {kind!r} is not known; left out")
        if data.get("kind") == "singleType":
            out.notes.append(f"{name}: a Strapi single type; served as a collection")
        entry: dict[str, Any] = {}
        if name != api:
            entry["names"] = {"strapi": api}
        entry["attributes"] = attributes
        if relationships:
            entry["relationships"] = relationships
        out.types[name] = entry
    return out


def _strapi_relation(spec: Mapping[str, Any], names: Mapping[str, tuple[str, str]], where: str, notes: list[str]) -> dict[str, Any] | None:
    relation, target = spec.get("relation"), spec.get("target")
    if target not in names:
        notes.append(f"{where}: its target {target!r} is not a content-type of this project; left out")
        return None
    if relation not in TO_MANY | TO_ONE:
        notes.append(f"{where}: {relation} relations are not carried over")
        return None
    out: dict[str, Any] = {"type": names[target][0]}
    if relation in TO_MANY:
        out["many"] = True
        out["ordered"] = True  # Strapi 5 keeps the order of to-many relations (connect positions)
    inverse = spec.get("inversedBy") or spec.get("mappedBy")
    if inverse and relation not in ("oneWay", "manyWay"):
        out["inverse"] = inverse
    return out


# --- SQLAlchemy ---------------------------------------------------------------------------------


def from_sqlalchemy_ref(ref: str) -> Derived:
    """The types of ``package.module:Base`` (the working directory is importable)."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise InitError(f"{ref!r}: write the models as package.module:Base")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InitError(f"cannot import {module_name}: {exc}") from None
    try:
        source = getattr(module, attr)
    except AttributeError:
        raise InitError(f"{module_name} has no {attr!r}") from None
    try:
        return derive(source)
    except TypeError as exc:
        raise InitError(f"{ref}: {exc}") from None


# --- the configuration --------------------------------------------------------------------------


def render(derived: Derived, *, source: str, routes: list[tuple[str, str]]) -> str:
    """The configuration file: header, server, store, front doors, then the types."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"relgate configuration written by `relgate init` from {source}."))
    doc.add(tomlkit.comment("Check it with `relgate check`, serve it with `relgate serve`; the keys are in the README."))
    for note in derived.notes:
        doc.add(tomlkit.comment(f"not carried over: {note}"))
    doc.add(tomlkit.nl())
    server = tomlkit.table()
    server.add("host", "127.0.0.1")
    server.add("port", 8080)
    doc.add("server", server)
    store = tomlkit.table()
    store.add("url", "sqlite+aiosqlite:///relgate.db")
    store["url"].comment("or postgresql://user@host/db; ${VAR} takes a value from the environment")
    doc.add("store", store)
    doors = tomlkit.aot()
    for prefix, dialect in routes:
        door = tomlkit.table()
        door.add("prefix", prefix)
        door.add("dialect", dialect)
        doors.append(door)
    doc.add("routes", doors)
    types = tomlkit.table(is_super_table=True)
    for name, spec in derived.types.items():
        table = tomlkit.table()
        for key, value in spec.items():
            if key in ("attributes", "relationships", "names"):
                table.add(key, _inline(value))
            else:
                table.add(key, value)
        types.add(name, table)
    doc.add("types", types)
    return tomlkit.dumps(doc)


def _inline(value: Mapping[str, Any]) -> Any:
    table = tomlkit.inline_table()
    for key, item in value.items():
        table.append(key, _inline(item) if isinstance(item, Mapping) else item)
    return table


def main(args: Any) -> int:
    """``relgate init (--from-strapi DIR | --from-sqlalchemy MODULE:BASE) [-o FILE] [--force]``."""
    try:
        if args.from_strapi:
            derived = from_strapi(Path(args.from_strapi))
            source, routes = f"the Strapi project {args.from_strapi}", [("/api", "strapi"), ("/jsonapi", "jsonapi")]
        else:
            derived = from_sqlalchemy_ref(args.from_sqlalchemy)
            source, routes = f"the SQLAlchemy models {args.from_sqlalchemy}", [("/jsonapi", "jsonapi")]
    except InitError as exc:
        print(f"relgate: {exc}", file=sys.stderr)
        return 2
    if not derived.types:
        print(f"relgate: {source} has no types relgate can serve", file=sys.stderr)
        return 2
    text = render(derived, source=source, routes=routes)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.exists() and not args.force:
        print(f"relgate: {out} exists; pass --force to replace it", file=sys.stderr)
        return 2
    out.write_text(text, encoding="utf-8")
    print(f"{out}: {len(derived.types)} types from {source}; check it with: relgate check --config {out}")
    for note in derived.notes:
        print(f"  not carried over: {note}")
    return 0
