"""Property-based robustness: bad input never gets a 500, a foreign error format or a partial write.

The project's standard, made checkable: "Bad input gets a clear error in the caller's dialect,
with the right status and a pointer to the offending member — never a 500, never a traceback,
never a partial write."  For every front door of ``gateway.example.toml`` Hypothesis builds
requests from that door's own URL shapes (real, missing, malformed and oversized ids, unknown
segments), its query-parameter families (with near-valid and random values) and mutations of
valid request documents (wrong JSON types, nulls, huge numbers, nesting near the depth limit,
unicode, duplicate keys, arrays for objects and back, ids and lids mixed, wrong types), plus
random JSON and random bytes, with right and wrong ``Content-Type``/``Accept``.  They go through
the real :class:`~relgate.app.Gateway` over one SQLite store seeded with a few resources of every
type, as raw ASGI calls (so paths, query strings and headers arrive exactly as generated).

For every response: the status is below 500; an error (>= 400) parses in the door's own error
format; a 405 says ``Allow``; and after an error every table holds exactly what it held before.
After a successful write the store is put back to the seed, so every example starts from it.

Reproducible in CI (``derandomize=True``).  A longer exploration by hand, with fresh random
examples, optionally on an empty PostgreSQL database (the store's tables are created there)::

    RELGATE_ROBUSTNESS_EXAMPLES=5000 RELGATE_ROBUSTNESS_RANDOM=1 \
    RELGATE_ROBUSTNESS_STORE_URL=postgresql+asyncpg://postgres@127.0.0.1/scratch \
    .venv/bin/pytest tests/test_robustness.py -q
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relgate.app import Gateway
from relgate.config import Config, load
from relgate.dialects.strapi.docids import DocumentIds
from relgate.model import Batch, Create, Ident
from relgate.schema import Attribute, ResourceType, Schema
from tests.dialects.restless_v1_support import assert_ng_errors
from tests.jsonapi_schema import response_errors
from tests.store_rows import Rows, store_rows

# --- settings ------------------------------------------------------------------------------------

_SCALE = int(os.environ.get("RELGATE_ROBUSTNESS_EXAMPLES", "0"))
_RANDOM = os.environ.get("RELGATE_ROBUSTNESS_RANDOM", "") not in ("", "0")


def _settings(examples: int) -> settings:
    return settings(
        max_examples=_SCALE or examples,
        deadline=None,
        derandomize=not _RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- the seed: a few resources of every type, explicit ids --------------------------------------

U = {n: f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 7)}
SEED_IDS: dict[str, list[str]] = {
    "people": ["1", "2", "3"],
    "articles": ["1", "2", "3"],
    "computers": ["1", "2", "3"],
    "restaurants": ["1", "2"],
    "categories": ["1", "2", "3", "4"],
    "organizations": ["1"],
    "users": ["1"],
    "contactsources": ["web", "phone"],
    "accounts": ["1", "2"],
    "contacts": ["1", "2", "3"],
    "trunks": [U[1], U[2]],
    "dids": [U[3], U[4]],
    "trunk_groups": [U[5]],
}


def _seed_batch() -> Batch:
    def ref(t: str, i: str) -> Ident:
        return Ident(t, i)

    ops = [
        Create(ref("people", "1"), "people", {"name": "Alice", "age": 30, "birth_date": dt.date(1990, 1, 2)}),
        Create(ref("people", "2"), "people", {"name": "Bob", "age": 41, "birth_date": None}),
        Create(ref("people", "3"), "people", {"name": "Carol", "age": None}),
        Create(ref("articles", "1"), "articles", {"title": "One"}, {"author": ref("people", "1")}),
        Create(ref("articles", "2"), "articles", {"title": "Two"}, {"author": ref("people", "1")}),
        Create(ref("articles", "3"), "articles", {"title": "Three"}, {"author": ref("people", "2")}),
        Create(
            ref("computers", "1"),
            "computers",
            {"name": "pc1", "vendor": "Dell", "purchase_time": dt.datetime(2020, 1, 2, 3, 4, 5)},
            {"owner": ref("people", "1")},
        ),
        Create(ref("computers", "2"), "computers", {"name": "pc2", "vendor": "Apple"}, {"owner": ref("people", "1")}),
        Create(ref("computers", "3"), "computers", {"name": "pc3", "vendor": None}),
        *(Create(ref("categories", i), "categories", {"name": f"cat{i}"}) for i in SEED_IDS["categories"]),
        Create(
            ref("restaurants", "1"),
            "restaurants",
            {"name": "R1"},
            {"categories": (ref("categories", "3"), ref("categories", "1"), ref("categories", "2"))},
        ),
        Create(ref("restaurants", "2"), "restaurants", {"name": "R2"}, {"categories": (ref("categories", "4"),)}),
        Create(ref("organizations", "1"), "organizations", {"name": "Org"}),
        Create(ref("users", "1"), "users", {"username": "admin"}),
        Create(ref("contactsources", "web"), "contactsources", {"name": "Web"}),
        Create(ref("contactsources", "phone"), "contactsources", {"name": "Phone"}),
        *(
            Create(
                ref("contacts", i),
                "contacts",
                {"firstName": f"F{i}", "lastName": f"L{i}", "primaryEmail": f"c{i}@example.com"},
                {"source": ref("contactsources", "web"), "organization": ref("organizations", "1")},
            )
            for i in SEED_IDS["contacts"]
        ),
        Create(
            ref("accounts", "1"),
            "accounts",
            {"name": "Acme"},
            {
                "contacts": (ref("contacts", "1"), ref("contacts", "2")),
                "defaultContact": ref("contacts", "1"),
                "organization": ref("organizations", "1"),
                "owner": ref("users", "1"),
            },
        ),
        Create(ref("accounts", "2"), "accounts", {"name": "Globex"}, {"contacts": (ref("contacts", "3"),)}),
        Create(ref("trunks", U[1]), "trunks", {"name": "T1"}),
        Create(ref("trunks", U[2]), "trunks", {"name": "T2"}),
        Create(ref("dids", U[3]), "dids", {"number": "+100"}, {"trunk": ref("trunks", U[1])}),
        Create(ref("dids", U[4]), "dids", {"number": "+200"}),
        Create(ref("trunk_groups", U[5]), "trunk_groups", {"name": "G"}, {"trunks": (ref("trunks", U[1]), ref("trunks", U[2]))}),
    ]
    return Batch(tuple(ops))


# --- the harness: raw ASGI calls, table dumps, restore ------------------------------------------


@dataclasses.dataclass(frozen=True)
class Req:
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 600 else self.body[:600] + b"...(%d bytes)" % len(self.body)
        return f"Req({self.method} {self.path}?{self.query} headers={dict(self.headers)} body={body!r})"


@dataclasses.dataclass(frozen=True)
class Resp:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(self.format(record))


class Harness:
    def __init__(self, config: Config, store_url: str) -> None:
        self.runner = asyncio.Runner()
        self.gw = Gateway(dataclasses.replace(config, store_url=store_url))
        self.tables = {**self.gw.store.tables.by_type, **self.gw.store.tables.joins}
        self.errors = _Errors()
        self.runner.run(self._start())
        self.seed = self.dump()
        assert all(self.seed[t] for t in SEED_IDS), "every type is seeded"

    async def _start(self) -> None:
        await self.gw.startup()
        await self.gw.store.execute(_seed_batch())

    def close(self) -> None:
        self.runner.run(self.gw.shutdown())
        self.runner.close()

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return self.runner.run(self._dump())

    async def _dump(self) -> Rows:
        return await store_rows(self.gw.store)

    def restore(self) -> None:
        self.runner.run(self._restore())

    async def _restore(self) -> None:
        async with self.gw.store.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                await conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            else:  # PostgreSQL (a longer exploration by hand): no foreign-key triggers while restoring
                await conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in self.tables.values():
                await conn.execute(sa.delete(table))
            for name, rows in self.seed.items():
                table = self.tables[name]
                if rows:
                    await conn.execute(sa.insert(table), [dict(zip(table.columns.keys(), r, strict=True)) for r in rows])

    def send(self, req: Req) -> Resp:
        return self.runner.run(self._send(req))

    async def _send(self, req: Req) -> Resp:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": req.method,
            "scheme": "http",
            "path": req.path,
            "raw_path": quote(req.path).encode("ascii"),
            "query_string": req.query.encode("utf-8", "surrogateescape"),  # raw bytes, as a sloppy client may send them
            "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in req.headers],
            "server": ("relgate.test", 80),
            "client": ("127.0.0.1", 5000),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": req.body, "more_body": False}

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.gw(scope, receive, send)
        headers: dict[str, str] = {}
        for k, v in start["headers"]:
            headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        return Resp(start["status"], headers, b"".join(chunks))

    def check(self, door: Door, req: Req) -> None:
        """Send ``req``; every property of the standard must hold for the answer."""
        logger = logging.getLogger("relgate")
        logger.addHandler(self.errors)
        self.errors.seen.clear()
        try:
            resp = self.send(req)
        except Exception as exc:  # out of the ASGI app: the server would drop the connection or answer a bare 500
            raise AssertionError(f"the gateway raised {exc!r} for {req!r}\n{chr(10).join(self.errors.seen)}") from exc
        finally:
            logger.removeHandler(self.errors)
        trace = "\n".join(self.errors.seen)
        label = f"{req!r}\n-> {resp.status} {resp.body[:1500]!r}\n{trace}"
        assert resp.status < 500, label
        assert not self.errors.seen, label
        assert b"Traceback" not in resp.body, label
        if resp.status == 405:
            assert resp.headers.get("allow"), f"405 without Allow: {label}"
        if resp.body and req.method != "HEAD":
            door.check_body(resp, label)
        after = self.dump()
        if resp.status >= 400:
            assert after == self.seed, f"an error response changed the store: {label}\n{_diff(self.seed, after)}"
        if after != self.seed:
            self.restore()


def _diff(before: Mapping[str, list[Any]], after: Mapping[str, list[Any]]) -> str:
    return "\n".join(f"{t}: {before[t]} -> {after[t]}" for t in before if before[t] != after.get(t))


# --- doors: names, error formats ------------------------------------------------------------------

JSONAPI = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'


def _json(resp: Resp, label: str) -> Any:
    try:
        return json.loads(resp.body)
    except ValueError as exc:
        raise AssertionError(f"body is not JSON ({exc}): {label}") from None


@dataclasses.dataclass
class Door:
    prefix: str
    dialect: str
    error_format: str
    schema: Schema
    docids: DocumentIds | None = None
    v4: bool = False

    @property
    def names(self) -> Mapping[str, ResourceType]:
        return self.schema.names_for(self.dialect)

    def name(self, t: str) -> str:
        return self.schema[t].name_in(self.dialect)

    def accepted(self) -> list[str]:
        return sorted(self.schema.accepted_for(self.dialect))

    def check_body(self, resp: Resp, label: str) -> None:
        ctype = resp.headers.get("content-type", "")
        if self.error_format == "legacy" and ctype.startswith("application/javascript"):
            m = re.fullmatch(rb"[A-Za-z_$][\w$.]*\((.*)\)", resp.body, re.S)
            assert m, f"JSONP body: {label}"
            wrapped = json.loads(m.group(1))
            assert set(wrapped) == {"data", "meta"} and wrapped["meta"]["status"] == resp.status, label
            doc = wrapped["data"]
        else:
            doc = _json(resp, label)
        if resp.status < 400:
            return
        if self.error_format in ("jsonapi", "oro"):
            assert ctype.startswith(JSONAPI), f"content-type {ctype}: {label}"
            assert isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"], label
            for e in doc["errors"]:
                assert isinstance(e.get("status"), str) and re.fullmatch(r"[1-5]\d\d", e["status"]), label
            if len({e["status"] for e in doc["errors"]}) == 1 and self.error_format == "jsonapi":
                assert doc["errors"][0]["status"] == str(resp.status), label
            problems = response_errors(doc, "1.1-draft" if self.error_format == "jsonapi" else "1.0")
            assert not problems, f"{problems}: {label}"
        elif self.error_format == "restless":
            assert ctype.startswith(JSONAPI), f"content-type {ctype}: {label}"
            assert_ng_errors(doc, resp.status, label)
            problems = response_errors(doc, "1.0")
            assert not problems, f"{problems}: {label}"
        elif self.error_format == "strapi":
            assert ctype.startswith("application/json"), f"content-type {ctype}: {label}"
            assert isinstance(doc, dict) and set(doc) == {"data", "error"} and doc["data"] is None, label
            err = doc["error"]
            assert err["status"] == resp.status, label
            assert isinstance(err["name"], str) and err["name"].endswith("Error"), label
            assert isinstance(err["message"], str) and err["message"], label
        elif self.error_format == "legacy":
            assert isinstance(doc, dict), label
            if resp.status == 404 and (doc == {} or doc == {"num_deleted": 0}):
                return
            assert isinstance(doc.get("message"), str) and doc["message"], label
            assert set(doc) <= {"message", "validation_errors", "detail"}, label
        else:  # pragma: no cover
            raise AssertionError(self.error_format)


# --- value strategies -------------------------------------------------------------------------------

BIG = [2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 10**25]
WEIRD_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    1e308,
    "",
    " ",
    "0",
    "1",
    "-1",
    "null",
    "true",
    "abc",
    "\u0000",
    "é😀\u202e",
    "x" * 3000,
    *BIG,
]
weird_json = st.recursive(
    st.one_of(st.sampled_from(WEIRD_SCALARS), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
datetimes = st.builds(
    lambda moment, zone: moment.isoformat() + zone,
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["", "Z", "+00:00", "+05:30", "-05:00", "+14:00", "-12:00"]),
)


def valid_value(kind: str) -> st.SearchStrategy[Any]:
    if kind == "string":
        return st.one_of(st.sampled_from(["Alice", "Zed", "pc1", "new", "nul\u0000", "é😀\u202e"]), st.text(max_size=12))
    if kind == "integer":
        return st.one_of(st.integers(-5, 120), st.sampled_from(BIG))
    if kind == "float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(["1990-02-30", "0000-01-01", "99999-01-01"]))
    if kind == "datetime":
        return st.one_of(datetimes, st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2020-01-02"]))
    return weird_json


def attr_value(attr: Attribute) -> st.SearchStrategy[Any]:
    return st.one_of(valid_value(attr.kind), valid_value(attr.kind), weird_json)


def query_value(attr: Attribute | None) -> st.SearchStrategy[str]:
    """A query-string value: near-valid for the attribute, or anything."""
    raw = st.one_of(
        st.sampled_from(
            [
                "",
                "1",
                "0",
                "-1",
                "abc",
                "true",
                "false",
                "null",
                "1,2",
                "a,,b",
                "1.5",
                "%",
                "_",
                "\\",
                "*",
                "[]",
                "{}",
                "1990-01-02",
                "2020-01-02T03:04:05Z",
                "9999-12-31T23:59:59-05:00",
                "9" * 19,
                "9" * 40,
                "é😀",
                "a\u0000b",
                "18446744073709551616",
                "9223372036854775808",
                "-9223372036854775809",
                "1e400",
                "NaN",
            ]
        ),
        st.text(max_size=10),
        st.integers().map(str),
    )
    if attr is None:
        return raw
    return st.one_of(valid_value(attr.kind).map(lambda v: v if isinstance(v, str) else json.dumps(v)), raw)


# --- JSON mutation ----------------------------------------------------------------------------------


class DupKeys:
    """A JSON object written with a repeated key (the parser keeps the last)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def encode(value: Any) -> bytes:
    def enc(v: Any) -> str:
        if isinstance(v, DupKeys):
            return "{" + ",".join(json.dumps(k) + ":" + enc(x) for k, x in v.pairs) + "}"
        if isinstance(v, dict):
            return "{" + ",".join(json.dumps(str(k)) + ":" + enc(x) for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ",".join(enc(x) for x in v) + "]"
        return json.dumps(v)

    return enc(value).encode("utf-8", "surrogatepass")


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*here, i))


def _nest(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"a": leaf}
    return leaf


MUTATIONS = (
    "replace",
    "replace",
    "drop",
    "null",
    "wrap",
    "unwrap",
    "objectify",
    "add_member",
    "dup_key",
    "repeat_item",
    "deepen",
    "id_lid",
    "stringify",
    "numberify",
)


@st.composite
def mutated(draw: st.DrawFn, doc: Any, names: list[str]) -> Any:
    """``doc`` with up to three random mutations."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        parent = None
        node = doc
        for key in path:
            parent, node = node, node[key]
        kind = draw(st.sampled_from(MUTATIONS))
        new: Any = node
        if kind == "replace":
            new = draw(weird_json)
        elif kind == "drop":
            if parent is None:
                new = draw(st.sampled_from([{}, [], None]))
            else:
                del parent[path[-1]]
                continue
        elif kind == "null":
            new = None
        elif kind == "wrap":
            new = [node]
        elif kind == "unwrap":
            if isinstance(node, list) and node:
                new = node[0]
            elif isinstance(node, dict) and node:
                new = next(iter(node.values()))
        elif kind == "objectify":
            new = {str(i): v for i, v in enumerate(node)} if isinstance(node, list) else {"data": node}
        elif kind == "add_member":
            if isinstance(node, dict):
                node[
                    draw(
                        st.sampled_from(
                            [
                                "id",
                                "lid",
                                "type",
                                "meta",
                                "links",
                                "data",
                                "attributes",
                                "relationships",
                                "included",
                                "connect",
                                "set",
                                "position",
                                "q",
                                "x",
                                "__delete__",
                                "add",
                                "remove",
                                "op",
                                "ref",
                            ]
                        )
                    )
                ] = draw(weird_json)
                continue
            new = {"x": node}
        elif kind == "dup_key":
            if isinstance(node, dict) and node:
                pairs = list(node.items())
                key = draw(st.sampled_from([k for k, _ in pairs]))
                pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(weird_json)))
                new = DupKeys(pairs)
        elif kind == "repeat_item":
            if isinstance(node, list) and node:
                new = [*node, copy.deepcopy(node[0])]
        elif kind == "deepen":
            new = _nest(draw(st.integers(26, 34)) - len(path), node, draw(st.booleans()))
        elif kind == "id_lid":
            if isinstance(node, dict):
                if "id" in node:
                    node["lid"] = node.pop("id") if draw(st.booleans()) else str(node["id"])
                elif "lid" in node:
                    node["id"] = node["lid"]
                if "type" in node:
                    node["type"] = draw(st.sampled_from([*names, "nosuch", ""]))
                continue
        elif kind == "stringify":
            new = json.dumps(node) if not isinstance(node, str) else node
        elif kind == "numberify":
            new = int(node) if isinstance(node, str) and node.isascii() and node.isdigit() else draw(st.sampled_from(BIG))
        if parent is None:
            doc = new
        else:
            parent[path[-1]] = new
        if isinstance(new, DupKeys):
            break  # a DupKeys node is opaque to further mutation
    return doc


@st.composite
def body_of(draw: st.DrawFn, valid: st.SearchStrategy[Any], names: list[str]) -> bytes:
    """Mostly a mutation of a valid document; sometimes the valid one, random JSON or bytes."""
    roll = draw(st.integers(0, 99))
    if roll < 20:
        return encode(draw(valid))
    if roll < 80:
        return encode(draw(mutated(draw(valid), names)))
    if roll < 88:
        return encode(draw(weird_json))
    if roll < 96:
        return draw(
            st.one_of(
                st.binary(max_size=40),
                st.sampled_from([b"{", b"[1,]", b"\xff\xfe{}", b'{"data": NaN}', b"\x00", b"[" * 40, b'{"data": "\\ud800"}', b"1" * 400]),
            )
        )
    if roll < 99:
        return b""
    return draw(st.sampled_from([b" " * (1 << 20) + b"{}", b'{"data": "' + b"x" * 600_000 + b'"}']))


# --- ids, names, paths, headers ------------------------------------------------------------------------

MALFORMED_IDS = [
    "abc",
    "-1",
    "1.5",
    "01",
    " 1",
    "1 ",
    "0x10",
    "1e3",
    "null",
    "é😀",
    "%00",
    "a/b",
    "..",
    "9" * 19,
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1" * 300,
    "{{x}}",
]


def missing_id(t: ResourceType) -> str:
    return {"integer": "999", "uuid": "00000000-0000-4000-8000-0000000000ff", "string": "nosuch"}[t.id_style]


def odds(draw: st.DrawFn, percent: int) -> bool:
    """True in about ``percent`` out of 100 draws (Hypothesis still shrinks towards False)."""
    return draw(st.integers(0, 99)) >= 100 - percent


def url_id(draw: st.DrawFn, door: Door, t: ResourceType) -> str:
    """A real id (most of the time), a missing one, or one of the wrong form or size."""
    real = SEED_IDS[t.name]
    ids = door.docids
    if not odds(draw, 30):
        if ids is not None and (not door.v4 or draw(st.booleans())):
            return ids.encode(t.name, draw(st.sampled_from(real)))
        return draw(st.sampled_from(real))
    options: list[st.SearchStrategy[str]] = [st.just(missing_id(t)), st.sampled_from(MALFORMED_IDS), st.text(max_size=8)]
    if ids is not None:
        other = [n for n in SEED_IDS if n != t.name]
        options += [
            st.just(ids.encode(t.name, missing_id(t))),
            st.sampled_from(other).map(lambda o: ids.encode(o, SEED_IDS[o][0])),
            st.sampled_from([ids.encode(t.name, i) for i in real]).map(lambda d: d[:-1] + ("a" if d[-1] != "a" else "b")),
            st.sampled_from(real),
        ]
    return draw(st.one_of(*options))


def canonical_types(door: Door) -> list[str]:
    return sorted(SEED_IDS)


@st.composite
def segments(draw: st.DrawFn, door: Door, shapes: list[str]) -> tuple[str, str, ResourceType]:
    """A path of this door (with its prefix), its shape and type; now and then a part of it is wrong."""
    t = door.schema[draw(st.sampled_from(canonical_types(door)))]
    tname = door.name(t.name)
    if odds(draw, 10):
        tname = draw(st.sampled_from([*door.accepted(), "nosuch", "", "People", "%20"]))
    ident = url_id(draw, door, t)
    rels = sorted(t.relationships)
    rel = draw(st.sampled_from(rels)) if rels else "nosuch"
    if odds(draw, 8) or not rels:
        rel = draw(st.sampled_from(["nosuch", "id", "relationships", "name"]))
    shape = draw(st.sampled_from(shapes))
    parts: list[str]
    if shape == "collection":
        parts = [tname]
    elif shape == "resource":
        parts = [tname, ident]
    elif shape == "related":
        parts = [tname, ident, rel]
    elif shape == "relationship":
        parts = [tname, ident, "links" if odds(draw, 10) else "relationships", rel]
    elif shape == "member":
        target = door.schema[t.relationships[rel].target] if rel in t.relationships else t
        parts = [tname, ident, rel, url_id(draw, door, target)]
    elif shape == "operations":
        parts = ["operations"]
    elif shape == "eval":
        parts = ["eval", tname]
    else:  # random segments
        parts = draw(
            st.lists(
                st.one_of(st.sampled_from([tname, ident, rel, "relationships", "operations", "eval"]), st.text(max_size=6)), max_size=6
            )
        )
    path = "/" + "/".join(parts)
    if odds(draw, 4):
        path += "/"
    return door.prefix + path, shape, t


def header_value(draw: st.DrawFn, good: str | None, bad: list[str | None]) -> str | None:
    if not odds(draw, 15):
        return good
    if odds(draw, 25):
        return draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=30))
    return draw(st.sampled_from(bad))


def headers_of(draw: st.DrawFn, spec: Mapping[str, tuple[str | None, list[str | None]]]) -> tuple[tuple[str, str], ...]:
    """Headers from ``{name: (good value, bad values)}``; ``None`` leaves a header out."""
    out: list[tuple[str, str]] = []
    for name, (good, bad) in spec.items():
        value = header_value(draw, good, bad)
        if value is not None:
            out.append((name, value))
    return tuple(out)


ALL_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]


def method_for(draw: st.DrawFn, allowed: list[str]) -> str:
    """Mostly a method the endpoint serves; sometimes any method."""
    return draw(st.sampled_from(ALL_METHODS if odds(draw, 15) else allowed))


def encode_query(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> str:
    if odds(draw, 7):  # raw: brackets, stray %, non-ASCII bytes as they come
        return draw(st.text(alphabet=st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=30))
    safe = draw(st.sampled_from(["[]", "", "[],:$"]))
    return "&".join(quote(k, safe=safe) + ("" if v is None else "=" + quote(v, safe=safe)) for k, v in pairs)


def random_pairs() -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=2)


# --- JSON:API family (jsonapi, restless, oro): bodies and queries -----------------------------------------


def _fields(draw: st.DrawFn, t: ResourceType, *, rels: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    attrs = {a.name: draw(attr_value(a)) for a in t.attributes.values() if draw(st.booleans())}
    links = {r.name: r for r in t.relationships.values() if rels and draw(st.booleans())}
    return attrs, links


def rio(draw: st.DrawFn, door: Door, target: str, integer_ids: bool = False) -> dict[str, Any]:
    t = door.schema[target]
    ident = draw(st.one_of(st.sampled_from(SEED_IDS[target]), st.just(missing_id(t)), st.sampled_from(MALFORMED_IDS[:4])))
    if integer_ids and ident.isdigit() and draw(st.booleans()):
        return {"type": door.name(target), "id": int(ident)}
    return {"type": door.name(target), "id": ident}


def linkage(draw: st.DrawFn, door: Door, rel: Any, integer_ids: bool = False) -> Any:
    if rel.many:
        return [rio(draw, door, rel.target, integer_ids) for _ in range(draw(st.integers(0, 3)))]
    return draw(st.one_of(st.none(), st.just(None).map(lambda _: rio(draw, door, rel.target, integer_ids))))


@st.composite
def jsonapi_resource_doc(draw: st.DrawFn, door: Door, t: ResourceType, with_id: bool) -> dict[str, Any]:
    integer_ids = door.dialect == "restless"
    attrs, rels = _fields(draw, t)
    data: dict[str, Any] = {"type": door.name(t.name)}
    if with_id:
        data["id"] = draw(st.sampled_from(SEED_IDS[t.name]))
    elif t.id_style != "integer" and draw(st.booleans()):
        data["id"] = draw(st.sampled_from([*SEED_IDS[t.name], "00000000-0000-4000-8000-0000000000aa", "client-id", "é😀 /?#", "a\u0000"]))
    if door.dialect == "jsonapi" and draw(st.integers(0, 3)) == 0:
        data["lid"] = "new"
    if attrs:
        data["attributes"] = attrs
    if rels:
        data["relationships"] = {n: {"data": linkage(draw, door, r, integer_ids)} for n, r in rels.items()}
    doc: dict[str, Any] = {"data": data}
    if door.dialect == "oro" and draw(st.booleans()):
        doc["included"] = [draw(oro_item(door, t)) for _ in range(draw(st.integers(1, 2)))]
    return doc


@st.composite
def oro_item(draw: st.DrawFn, door: Door, primary: ResourceType) -> dict[str, Any]:
    """An Oro ``included`` item, usually connected to the primary or updating a real resource."""
    candidates = sorted({r.target for r in primary.relationships.values()} | {primary.name})
    t = door.schema[draw(st.sampled_from(candidates))]
    flag = draw(
        st.sampled_from([None, None, {"update": True}, {"upsert": True}, {"upsert": ["name"]}, {"upsert": "x"}, {"validate": True}])
    )
    ident = draw(st.sampled_from(SEED_IDS[t.name])) if flag else draw(st.sampled_from(["tmp1", "tmp2", *SEED_IDS[t.name]]))
    attrs, _ = _fields(draw, t, rels=False)
    item: dict[str, Any] = {"type": door.name(t.name), "id": ident}
    if attrs:
        item["attributes"] = attrs
    back = [r for r in t.relationships.values() if r.target == primary.name]
    if back and draw(st.booleans()):
        r = back[0]
        ref = {"type": door.name(primary.name), "id": draw(st.sampled_from([*SEED_IDS[primary.name], "tmp0"]))}
        item["relationships"] = {r.name: {"data": [ref] if r.many else ref}}
    if flag:
        item["meta"] = flag
    return item


@st.composite
def relationship_doc(draw: st.DrawFn, door: Door) -> dict[str, Any]:
    t = door.schema[draw(st.sampled_from(canonical_types(door)))]
    rels = list(t.relationships.values())
    if not rels:
        return {"data": []}
    rel = draw(st.sampled_from(rels))
    return {"data": linkage(draw, door, rel, door.dialect == "restless")}


@st.composite
def atomic_doc(draw: st.DrawFn, door: Door) -> dict[str, Any]:
    ops: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        t = door.schema[draw(st.sampled_from(canonical_types(door)))]
        kind = draw(st.sampled_from(["add", "update", "remove", "add-rel", "update-rel", "remove-rel", "href"]))
        if kind == "add":
            data = draw(jsonapi_resource_doc(door, t, False))["data"]
            data.setdefault("lid", draw(st.sampled_from(["a", "b"])))
            ops.append({"op": "add", "data": data})
        elif kind == "update":
            data = draw(jsonapi_resource_doc(door, t, True))["data"]
            if draw(st.booleans()):
                data.pop("id")
                data["lid"] = draw(st.sampled_from(["a", "b", "zz"]))
            ops.append({"op": "update", "data": data})
        elif kind == "remove":
            ops.append({"op": "remove", "ref": {"type": door.name(t.name), "id": url_id(draw, door, t)}})
        elif kind == "href":
            href = draw(segments(door, ["collection", "resource", "relationship", "related"]))[0]
            href = draw(
                st.sampled_from([href, href[len(door.prefix) :], "http://relgate.test" + href, "https://elsewhere" + href, href + "?x=1"])
            )
            ops.append(
                {"op": draw(st.sampled_from(["add", "update", "remove"])), "href": href, "data": draw(relationship_doc(door))["data"]}
            )
        elif t.relationships:
            rel = draw(st.sampled_from(sorted(t.relationships)))
            ref = {"type": door.name(t.name), "id": draw(st.sampled_from(SEED_IDS[t.name])), "relationship": rel}
            if draw(st.integers(0, 3)) == 0:
                ref = {"type": door.name(t.name), "lid": "a", "relationship": rel}
            op = kind.split("-")[0]
            data = linkage(draw, door, t.relationships[rel])
            if odds(draw, 25):  # name a resource an earlier operation creates
                target = door.name(t.relationships[rel].target)
                data = [{"type": target, "lid": "a"}] if t.relationships[rel].many else {"type": target, "lid": "a"}
            ops.append({"op": op, "ref": ref, "data": data})
    return {"atomic:operations": ops}


JSONAPI_OPS = [
    "eq",
    "ne",
    "lt",
    "le",
    "lte",
    "gt",
    "ge",
    "gte",
    "in",
    "not_in",
    "like",
    "ilike",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "is_null",
    "nosuch",
    "",
]


def rel_walk(draw: st.DrawFn, door: Door, t: ResourceType, most: int = 3) -> tuple[list[str], ResourceType]:
    """Up to ``most`` relationship names followed from ``t`` (any cardinality), and where they lead."""
    steps: list[str] = []
    for _ in range(draw(st.integers(0, most))):
        if not t.relationships:
            break
        rel = t.relationships[draw(st.sampled_from(sorted(t.relationships)))]
        steps.append(rel.name)
        t = door.schema[rel.target]
    return steps, t


def field_path(draw: st.DrawFn, door: Door, t: ResourceType) -> tuple[str, Attribute | None]:
    """An attribute, id, a relationship, or a dotted path through relationships (near-valid or not)."""
    steps, end = rel_walk(draw, door, t, 2)
    choices: list[tuple[str, Attribute | None]] = [(a.name, a) for a in end.attributes.values()]
    choices += [("id", None), ("nosuch", None), *((r, None) for r in end.relationships)]
    last, attr = draw(st.sampled_from(choices))
    return ".".join([*steps, last]), attr


@st.composite
def jsonapi_query(draw: st.DrawFn, door: Door, t: ResourceType) -> str:
    pairs: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 4))):
        family = draw(st.sampled_from(["include", "fields", "sort", "page", "filter", "filter", "random", "objects"]))
        if family == "include":
            paths = [".".join(rel_walk(draw, door, t, 4)[0]) for _ in range(draw(st.integers(0, 3)))]
            if odds(draw, 15):
                paths.append(draw(st.sampled_from(["nosuch", "", "*", "..", "author.", ".author"])))
            pairs.append(("include", ",".join(paths)))
        elif family == "fields":
            target = draw(st.sampled_from([door.name(t.name), *door.accepted(), "nosuch"]))
            names = [*t.attributes, *t.relationships, "id", "nosuch"]
            pairs.append((f"fields[{target}]", ",".join(draw(st.lists(st.sampled_from(names), max_size=3)))))
        elif family == "sort":
            keys = [("-" if draw(st.booleans()) else "") + field_path(draw, door, t)[0] for _ in range(draw(st.integers(0, 2)))]
            pairs.append(("sort", ",".join(keys) if draw(st.integers(0, 5)) else draw(st.sampled_from(["0", "-", ",", "--age"]))))
        elif family == "page":
            member = draw(st.sampled_from(["number", "size", "size", "offset", "limit", "x", ""]))
            pairs.append((f"page[{member}]", draw(query_value(None))))
        elif family == "filter":
            name, attr = field_path(draw, door, t)
            if draw(st.booleans()):
                pairs.append((f"filter[{name}][{draw(st.sampled_from(JSONAPI_OPS))}]", draw(query_value(attr))))
            else:
                pairs.append((f"filter[{name}]", draw(query_value(attr))))
        elif family == "objects":
            pairs.append(("filter[objects]", draw(filter_objects_json(door, t))))
        else:
            pairs += draw(random_pairs())
    return encode_query(draw, pairs)


# --- Flask-Restless filter objects (NG filter[objects], legacy q) ---------------------------------------------

FILTER_OPS = [
    "==",
    "eq",
    "equals",
    "!=",
    "ne",
    "neq",
    ">",
    "gt",
    "<",
    "lt",
    ">=",
    "ge",
    "gte",
    "<=",
    "le",
    "lte",
    "like",
    "ilike",
    "not_like",
    "in",
    "not_in",
    "is_null",
    "is_not_null",
    "has",
    "any",
    "<>",
    "<<",
    "to_tsquery",
    "nosuch",
]


def filter_object(draw: st.DrawFn, door: Door, t: ResourceType, depth: int = 0) -> Any:
    kind = draw(st.sampled_from(["cmp", "cmp", "cmp", "field", "bool", "rel"] if depth < 2 else ["cmp"]))
    columns: list[tuple[str, Attribute | None]] = [(a.name, a) for a in t.attributes.values()] + [("id", None), ("nosuch", None)]
    columns += [(r.storage.column, None) for r in t.relationships.values() if r.storage.kind == "fk_here"]
    if kind == "cmp":
        name, attr = draw(st.sampled_from(columns))
        val = draw(
            st.one_of(
                valid_value(attr.kind) if attr else st.integers(0, 4), weird_json, st.sampled_from(["CURRENT_DATE", "CURRENT_TIMESTAMP"])
            )
        )
        obj = {"name": name, "op": draw(st.sampled_from(FILTER_OPS)), "val": val}
        if draw(st.integers(0, 5)) == 0:
            obj.pop(draw(st.sampled_from(["name", "op", "val"])))
        return obj
    if kind == "field":
        return {
            "name": draw(st.sampled_from(columns))[0],
            "op": draw(st.sampled_from(FILTER_OPS)),
            "field": draw(st.sampled_from(columns))[0],
        }
    if kind == "bool":
        return {
            draw(st.sampled_from(["or", "and", "not", "disjunction"])): [
                filter_object(draw, door, t, depth + 1) for _ in range(draw(st.integers(0, 2)))
            ]
        }
    if not t.relationships:
        return {"name": "nosuch", "op": "any", "val": 1}
    rel = t.relationships[draw(st.sampled_from(sorted(t.relationships)))]
    return {
        "name": rel.name,
        "op": draw(st.sampled_from(["any", "has", "eq"])),
        "val": filter_object(draw, door, door.schema[rel.target], depth + 1),
    }


@st.composite
def filter_objects_json(draw: st.DrawFn, door: Door, t: ResourceType) -> str:
    doc: Any = [filter_object(draw, door, t) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.integers(0, 3)) == 0:
        doc = draw(mutated(doc, []))
    return encode(doc).decode("utf-8", "replace")


@st.composite
def legacy_q(draw: st.DrawFn, door: Door, t: ResourceType) -> Any:
    q: dict[str, Any] = {}
    if draw(st.booleans()):
        q["filters"] = [filter_object(draw, door, t) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.integers(0, 2)) == 0:
        fields = [
            *t.attributes,
            "id",
            "nosuch",
            *(f"{r}__{a}" for r, rel in t.relationships.items() for a in door.schema[rel.target].attributes),
        ]
        q["order_by"] = [{"field": draw(st.sampled_from(fields)), "direction": draw(st.sampled_from(["asc", "desc", "up"]))}]
    for key in ("limit", "offset"):
        if draw(st.integers(0, 3)) == 0:
            q[key] = draw(st.one_of(st.integers(-3, 5), st.sampled_from(BIG), weird_json))
    if draw(st.integers(0, 4)) == 0:
        q["single"] = draw(st.one_of(st.booleans(), weird_json))
    if odds(draw, 25):
        fields = [*t.attributes, "id", "*", "nosuch"]
        q["functions"] = [
            {"name": draw(st.sampled_from(["sum", "avg", "min", "max", "count", "nosuch", "SUM"])), "field": draw(st.sampled_from(fields))}
            for _ in range(draw(st.integers(0, 3)))
        ]
    if draw(st.integers(0, 6)) == 0:
        q[draw(st.sampled_from(["functions", "group_by", "disjunction", "x"]))] = draw(weird_json)
    if draw(st.integers(0, 3)) == 0:
        q = draw(mutated(q, []))
    return q


# --- Restless 0.17 (legacy) bodies and queries ---------------------------------------------------------------


def legacy_related_value(draw: st.DrawFn, door: Door, rel: Any) -> Any:
    target = door.schema[rel.target]

    def item() -> Any:
        if draw(st.booleans()):
            obj: dict[str, Any] = {
                "id": draw(st.one_of(st.sampled_from([int(i) for i in SEED_IDS[rel.target] if i.isdigit()] or [1]), st.just(999)))
            }
            if target.id_style != "integer":
                obj["id"] = draw(st.sampled_from([*SEED_IDS[rel.target], missing_id(target), "é😀 /?#"]))
            if draw(st.integers(0, 3)) == 0:
                obj["__delete__"] = True
            return obj
        return _fields(draw, target, rels=False)[0]

    if rel.many:
        form = draw(st.sampled_from(["list", "list", "add", "remove", "both"]))
        items = [item() for _ in range(draw(st.integers(0, 2)))]
        if form == "list":
            return items
        if form == "add":
            return {"add": items if draw(st.booleans()) else (items[0] if items else {})}
        if form == "remove":
            return {"remove": items}
        return {"add": items, "remove": [item()]}
    return draw(st.one_of(st.none(), st.just(None).map(lambda _: item())))


@st.composite
def legacy_body(draw: st.DrawFn, door: Door, t: ResourceType, bulk: bool) -> Any:
    attrs, rels = _fields(draw, t)
    doc: dict[str, Any] = dict(attrs)
    for name, rel in rels.items():
        doc[name] = legacy_related_value(draw, door, rel)
    for rel in t.relationships.values():
        if rel.storage.kind == "fk_here" and draw(st.integers(0, 3)) == 0:
            doc[rel.storage.column] = draw(st.one_of(st.sampled_from([1, 2, 999]), weird_json))
    if bulk or draw(st.integers(0, 5)) == 0:
        doc["q"] = draw(legacy_q(door, t))
    if draw(st.integers(0, 4)) == 0:
        client_ids = [1, 2, 999] if t.id_style == "integer" else [*SEED_IDS[t.name], "é😀 /?#", "new-id"]
        doc["id"] = draw(st.one_of(st.sampled_from(client_ids), weird_json))
    return doc


@st.composite
def legacy_query(draw: st.DrawFn, door: Door, t: ResourceType) -> str:
    pairs: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 3))):
        family = draw(st.sampled_from(["q", "q", "page", "results_per_page", "callback", "random"]))
        if family == "q":
            pairs.append(
                ("q", encode(draw(legacy_q(door, t))).decode("utf-8", "replace") if draw(st.integers(0, 5)) else draw(query_value(None)))
            )
        elif family in ("page", "results_per_page"):
            pairs.append((family, draw(query_value(None))))
        elif family == "callback":
            pairs.append(("callback", draw(st.sampled_from(["cb", "a.b", "1x", "", "alert(1)", "é"]))))
        else:
            pairs += draw(random_pairs())
    return encode_query(draw, pairs)


# --- Strapi bodies and queries ---------------------------------------------------------------------------------

STRAPI_OPS = [
    "$eq",
    "$eqi",
    "$ne",
    "$nei",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$notIn",
    "$contains",
    "$notContains",
    "$containsi",
    "$notContainsi",
    "$startsWith",
    "$startsWithi",
    "$endsWith",
    "$endsWithi",
    "$null",
    "$notNull",
    "$between",
    "$nosuch",
    "eq",
]


def strapi_ref(draw: st.DrawFn, door: Door, target: str) -> Any:
    ids = door.docids
    assert ids is not None
    t = door.schema[target]
    real = SEED_IDS[target]
    doc_ids = [ids.encode(target, i) for i in real]
    form = draw(st.sampled_from(["doc", "doc", "long", "rowid", "rowlong", "missing", "other", "weird"]))
    if form == "doc":
        return draw(st.sampled_from(doc_ids))
    if form == "long":
        return {"documentId": draw(st.sampled_from(doc_ids))}
    if form in ("rowid", "rowlong"):
        row: Any = draw(st.sampled_from([int(i) if i.isdigit() else i for i in real] + [999, "2"]))
        return row if form == "rowid" else {"id": row}
    if form == "missing":
        return ids.encode(target, missing_id(t))
    if form == "other":
        other = draw(st.sampled_from(sorted(SEED_IDS)))
        return ids.encode(other, SEED_IDS[other][0])
    return draw(weird_json)


def strapi_relation_value(draw: st.DrawFn, door: Door, rel: Any) -> Any:
    def item() -> Any:
        ref = strapi_ref(draw, door, rel.target)
        if draw(st.integers(0, 2)) == 0:
            if not isinstance(ref, dict):
                ref = {"documentId": ref} if isinstance(ref, str) else {"id": ref}
            ref["position"] = draw(
                st.sampled_from([{"start": True}, {"end": True}, {"start": False}, {}, "x"])
                | st.builds(
                    lambda k, a: {k: a},
                    st.sampled_from(["before", "after"]),
                    st.just(None).map(lambda _: strapi_ref(draw, door, rel.target)),
                )
            )
        return ref

    form = draw(st.sampled_from(["single", "list", "connect", "connect", "set", "disconnect", "mixed", "null"]))
    if form == "single":
        return item()
    if form == "list":
        return [item() for _ in range(draw(st.integers(0, 3)))]
    if form == "null":
        return None
    value: dict[str, Any] = {}
    keys = {"connect": ["connect"], "set": ["set"], "disconnect": ["disconnect"], "mixed": ["connect", "disconnect", "set"]}[form]
    for key in keys:
        if draw(st.booleans()) or len(keys) == 1:
            value[key] = [item() for _ in range(draw(st.integers(0, 3)))] if draw(st.integers(0, 4)) else item()
    if draw(st.integers(0, 3)) == 0:
        value["options"] = {"strict": draw(st.one_of(st.booleans(), weird_json))}
    return value


@st.composite
def strapi_body(draw: st.DrawFn, door: Door, t: ResourceType) -> Any:
    attrs, rels = _fields(draw, t)
    data: dict[str, Any] = dict(attrs)
    for name, rel in rels.items():
        data[name] = strapi_relation_value(draw, door, rel)
    if draw(st.integers(0, 6)) == 0:
        data[draw(st.sampled_from(["id", "documentId", "createdAt", "publishedAt", "locale"]))] = draw(weird_json)
    return {"data": data}


def strapi_key(draw: st.DrawFn, door: Door, t: ResourceType, depth: int = 0) -> tuple[str, Attribute | None]:
    """A ``filters`` key path below ``filters``: field, relation, logical operators."""
    kind = draw(st.sampled_from(["attr", "attr", "rel", "logic", "not", "id"] if depth < 2 else ["attr"]))
    if kind == "attr":
        attr = draw(st.sampled_from(list(t.attributes.values()))) if t.attributes else None
        name = attr.name if attr else "nosuch"
        return f"[{name}]" + (f"[{draw(st.sampled_from(STRAPI_OPS))}]" if draw(st.integers(0, 3)) else ""), attr
    if kind == "id":
        return f"[{draw(st.sampled_from(['id', 'documentId']))}][{draw(st.sampled_from(STRAPI_OPS))}]", None
    if kind == "rel" and t.relationships:
        rel = t.relationships[draw(st.sampled_from(sorted(t.relationships)))]
        rest, attr = strapi_key(draw, door, door.schema[rel.target], depth + 1)
        return f"[{rel.name}]" + rest, attr
    if kind == "not":
        rest, attr = strapi_key(draw, door, t, depth + 1)
        return "[$not]" + rest, attr
    rest, attr = strapi_key(draw, door, t, depth + 1)
    return f"[{draw(st.sampled_from(['$or', '$and']))}][{draw(st.sampled_from(['0', '1', 'x', '']))}]" + rest, attr


@st.composite
def strapi_query(draw: st.DrawFn, door: Door, t: ResourceType) -> str:
    pairs: list[tuple[str, str]] = []
    rels = sorted(t.relationships)
    for _ in range(draw(st.integers(0, 4))):
        family = draw(st.sampled_from(["filters", "filters", "populate", "sort", "pagination", "fields", "other", "random"]))
        if family == "filters":
            key, attr = strapi_key(draw, door, t)
            pairs.append(("filters" + key, draw(query_value(attr))))
        elif family == "populate":
            rel = draw(st.sampled_from([*rels, "nosuch", "*"]))
            form = draw(st.sampled_from(["plain", "index", "flag", "nested", "fields", "sort", "filters"]))
            if form == "plain":
                pairs.append(("populate", ",".join(draw(st.lists(st.sampled_from([*rels, "*", "nosuch", "a.b"]), max_size=3)))))
            elif form == "index":
                pairs.append((f"populate[{draw(st.sampled_from(['0', '1', 'x']))}]", rel))
            elif form == "flag":
                pairs.append((f"populate[{rel}]", draw(st.sampled_from(["true", "false", "1", "x", ""]))))
            elif form == "nested":
                pairs.append((f"populate[{rel}][populate]", draw(st.sampled_from(["*", "author", "nosuch", "true"]))))
            else:
                pairs.append((f"populate[{rel}][{form}][0]", draw(st.sampled_from(["name", "title", "name:desc", "nosuch", ""]))))
        elif family == "sort":
            field = draw(st.sampled_from([*t.attributes, "id", "documentId", "nosuch", *(f"{r}.name" for r in rels)]))
            direction = draw(st.sampled_from([":asc", ":desc", "", ":up", ":"]))
            key = draw(st.sampled_from(["sort", "sort[0]", "sort[1]", f"sort[{field}]"]))
            pairs.append((key, field + direction if not key.endswith(f"[{field}]") else direction.strip(":") or "asc"))
        elif family == "pagination":
            member = draw(st.sampled_from(["page", "pageSize", "start", "limit", "withCount", "x"]))
            pairs.append((f"pagination[{member}]", draw(query_value(None))))
        elif family == "fields":
            pairs.append(
                (
                    draw(st.sampled_from(["fields", "fields[0]", "fields[1]", "fields[x][y]"])),
                    draw(st.sampled_from([*t.attributes, "id", "nosuch", ""])),
                )
            )
        elif family == "other":
            pairs.append(
                (
                    draw(
                        st.sampled_from(
                            [
                                "_q",
                                "status",
                                "locale",
                                "filters",
                                "populate[",
                                "filters]]",
                                "a[b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q][r][s][t][u]",
                            ]
                        )
                    ),
                    draw(query_value(None)),
                )
            )
        else:
            pairs += draw(random_pairs())
    return encode_query(draw, pairs)


# --- the doors' request strategies ---------------------------------------------------------------------------------


JSONAPI_METHODS = {
    "collection": ["GET", "POST"],
    "resource": ["GET", "PATCH", "DELETE"],
    "related": ["GET"],
    "relationship": ["GET", "PATCH", "POST", "DELETE"],
    "member": ["GET"],
    "operations": ["POST"],
    "random": ["GET", "POST", "PATCH", "DELETE"],
}


def query_or_not(draw: st.DrawFn, method: str, strategy: st.SearchStrategy[str]) -> str:
    return draw(strategy) if odds(draw, 60 if method in ("GET", "HEAD") else 25) else ""


def body_or_not(draw: st.DrawFn, method: str, strategy: st.SearchStrategy[bytes]) -> bytes:
    return draw(strategy) if method not in ("GET", "HEAD", "OPTIONS") or odds(draw, 5) else b""


@st.composite
def jsonapi_family_request(draw: st.DrawFn, door: Door) -> Req:
    shapes = ["collection", "collection", "resource", "resource", "related", "relationship", "relationship", "random"]
    if door.dialect == "jsonapi":
        shapes += ["operations", "operations", "operations"]
    if door.dialect == "restless":
        shapes += ["member"]
    path, shape, t = draw(segments(door, shapes))
    method = method_for(draw, JSONAPI_METHODS[shape] + (["DELETE"] if door.dialect == "oro" and shape == "collection" else []))
    if shape == "operations":
        valid: st.SearchStrategy[Any] = atomic_doc(door)
    elif shape == "relationship":
        valid = relationship_doc(door)
    else:
        valid = jsonapi_resource_doc(door, t, method != "POST")
    body = body_or_not(draw, method, body_of(valid, door.accepted()))
    query = query_or_not(draw, method, jsonapi_query(door, t))
    good_type = (ATOMIC if shape == "operations" and door.dialect == "jsonapi" else JSONAPI) if body else None
    spec: dict[str, tuple[str | None, list[str | None]]] = {
        "Content-Type": (
            good_type,
            [
                JSONAPI,
                ATOMIC,
                None,
                "application/json",
                f"{JSONAPI}; charset=utf-8",
                f"{JSONAPI}; ext=foo",
                f'{JSONAPI};profile="http://x"',
                "text/plain",
                "APPLICATION/VND.API+JSON",
                ";",
            ],
        ),
        "Accept": (
            draw(st.sampled_from([None, good_type or JSONAPI, "*/*"])),
            [
                ATOMIC,
                JSONAPI,
                "application/json",
                "text/html",
                f"{JSONAPI}; q=0.5",
                f"{JSONAPI};ext=foo",
                f"{JSONAPI}; charset=utf-8, */*",
                ";;,,",
                "*/*;q=0",
            ],
        ),
    }
    if door.dialect == "oro":
        spec["X-Include"] = (None, ["totalCount", "noHateoas", "x", ""])
    return Req(method, path, query, headers_of(draw, spec), body)


STRAPI_METHODS = {"collection": ["GET", "POST"], "resource": ["GET", "PUT", "DELETE"], "related": ["GET"], "random": ["GET", "POST", "PUT"]}


@st.composite
def strapi_request(draw: st.DrawFn, door: Door) -> Req:
    path, shape, t = draw(segments(door, ["collection", "collection", "resource", "resource", "resource", "related", "random"]))
    method = method_for(draw, STRAPI_METHODS[shape])
    body = body_or_not(draw, method, body_of(strapi_body(door, t), []))
    query = query_or_not(draw, method, strapi_query(door, t))
    spec: dict[str, tuple[str | None, list[str | None]]] = {
        "Content-Type": (
            "application/json" if body else None,
            [
                "application/json",
                None,
                "application/json; charset=utf-8",
                "text/plain",
                JSONAPI,
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
            ],
        ),
        "Accept": (draw(st.sampled_from([None, "application/json", "*/*"])), ["text/html", "application/xml", ""]),
        "Strapi-Response-Format": (None, ["v4", "v4", "v5", "v3", ""]),
    }
    return Req(method, path, query, headers_of(draw, spec), body)


LEGACY_METHODS = {
    "collection": ["GET", "POST", "PATCH", "PUT", "DELETE"],
    "resource": ["GET", "PATCH", "PUT", "DELETE"],
    "related": ["GET", "PATCH", "DELETE"],
    "member": ["GET", "DELETE", "PATCH"],
    "eval": ["GET"],
    "random": ["GET", "POST", "PATCH", "DELETE"],
}


@st.composite
def legacy_request(draw: st.DrawFn, door: Door) -> Req:
    path, shape, t = draw(segments(door, ["collection", "collection", "resource", "resource", "related", "member", "eval", "random"]))
    method = method_for(draw, LEGACY_METHODS[shape])
    valid = legacy_body(door, t, bulk=shape == "collection" and method in ("PATCH", "PUT"))
    body = body_or_not(draw, method, body_of(valid, []))
    query = query_or_not(draw, method, legacy_query(door, t))
    spec: dict[str, tuple[str | None, list[str | None]]] = {
        "Content-Type": (
            "application/json" if body else None,
            ["application/json", None, "application/json; charset=utf-8", "text/plain", "application/jsonx", JSONAPI],
        ),
        "Accept": (draw(st.sampled_from([None, "application/json", "*/*"])), ["text/html", "application/xml", ""]),
    }
    return Req(method, path, query, headers_of(draw, spec), body)


@pytest.fixture(scope="module")
def harness(example_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    url = os.environ.get("RELGATE_ROBUSTNESS_STORE_URL") or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('robustness') / 'relgate.db'}"
    h = Harness(example_config, url)
    try:
        yield h
    finally:
        h.close()


def _door(config: Config, prefix: str, error_format: str) -> Door:
    route = next(r for r in config.routes if r.prefix == prefix)
    docids = DocumentIds(config.schema.types) if route.dialect == "strapi" else None
    return Door(prefix, route.dialect, error_format, config.schema, docids, v4=prefix == "/strapi4/api")


_CONFIG = load(Path(__file__).resolve().parent.parent / "gateway.example.toml")
DOORS = {
    "jsonapi": _door(_CONFIG, "/jsonapi", "jsonapi"),
    "restless": _door(_CONFIG, "/restless/api", "restless"),
    "legacy": _door(_CONFIG, "/legacy/api", "legacy"),
    "strapi": _door(_CONFIG, "/strapi/api", "strapi"),
    "strapi4": _door(_CONFIG, "/strapi4/api", "strapi"),
    "oro": _door(_CONFIG, "/oro/api", "oro"),
}
STRATEGIES: dict[str, Callable[[Door], st.SearchStrategy[Req]]] = {
    "jsonapi": jsonapi_family_request,
    "restless": jsonapi_family_request,
    "oro": jsonapi_family_request,
    "legacy": legacy_request,
    "strapi": strapi_request,
    "strapi4": strapi_request,
}


@_settings(examples=600)
@given(req=STRATEGIES["jsonapi"](DOORS["jsonapi"]))
def test_jsonapi_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["jsonapi"], req)


@_settings(examples=400)
@given(req=STRATEGIES["restless"](DOORS["restless"]))
def test_restless_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["restless"], req)


@_settings(examples=550)
@given(req=STRATEGIES["legacy"](DOORS["legacy"]))
def test_restless_legacy_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["legacy"], req)


@_settings(examples=550)
@given(req=STRATEGIES["strapi"](DOORS["strapi"]))
def test_strapi_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["strapi"], req)


@_settings(examples=350)
@given(req=STRATEGIES["strapi4"](DOORS["strapi4"]))
def test_strapi_v4_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["strapi4"], req)


@_settings(examples=500)
@given(req=STRATEGIES["oro"](DOORS["oro"]))
def test_oro_front_door(harness: Harness, req: Req) -> None:
    harness.check(DOORS["oro"], req)
