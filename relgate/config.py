"""Reading and checking the gateway configuration (TOML).

:func:`load` returns a :class:`Config` or raises :class:`ConfigError` listing *every* problem
with its key path (``types.people.relationships.articles.inverse: …``), so ``relgate check``
can report them all at once.  The schema's storage layout is derived here too, because it
depends on how relationships pair up with their inverses.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from relgate.auth import AuthScheme, parse_schemes
from relgate.edge import DEFAULT_TRUSTED_PROXIES, public_url_problem
from relgate.envsubst import substitute
from relgate.schema import (
    ATTRIBUTE_KINDS,
    ID_STYLES,
    Attribute,
    Relationship,
    ResourceType,
    Schema,
    Storage,
)
from relgate.suggest import did_you_mean

DEFAULT_STORE_URL = "sqlite+aiosqlite:///relgate.db"
RELATIONSHIP_POLICIES: Mapping[str, type] = {
    "allow_replace": bool,
    "allow_remove": bool,
}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    default_page_size: int = 20
    max_page_size: int = 100
    # Work per request, refused while parsing (before the store is touched); see README.
    max_populate_depth: int = 3
    max_populated_entries: int = 10_000
    max_atomic_operations: int = 1_000
    max_included_resources: int = 500
    max_nested_items: int = 1_000
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call relgate from a browser (CORS); ``["*"]`` for any; none by default."""
    public_url: str = ""
    """The URL callers reach relgate at; absolute URLs (0.17's Location, Link) start with it."""
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    """Peers (IPs, CIDRs, ``"*"``) whose X-Forwarded-* / Host are believed (absolute URLs, ``serve --proxy-headers``)."""
    body_timeout: float = 30.0
    """Seconds a client has to send the whole request body (then 408)."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's line and headers (then 408 and close)."""
    keep_alive_timeout: int = 5
    """Seconds an idle keep-alive connection is kept open."""
    max_connections: int = 1000
    """Open connections at most; requests beyond get 503 (uvicorn's limit_concurrency)."""
    max_header_bytes: int = 16384
    """A request head (line and headers) still incomplete past this many bytes is refused with 400 (relgate/slow_clients.py)."""
    health_prefix: str = ""
    """``/healthz`` and ``/readyz`` answer under this prefix (the root by default)."""
    metrics_path: str = "/metrics"
    """Where Prometheus scrapes; ``""`` turns the endpoint off."""
    shutdown_grace: float = 20.0
    """Seconds in-flight requests get to finish after SIGTERM/SIGINT before they are cancelled."""


def _policy(policies: Mapping[tuple[str, str], Mapping[str, Any]], rel: Relationship, name: str, default: Any) -> Any:
    override = policies.get((rel.owner, rel.name))
    if override is not None and name in override:
        return override[name]
    return rel.policy(name, default)


@dataclass(frozen=True, slots=True)
class Backend:
    """An API relgate forwards to: ``[backends.NAME]``.

    ``url`` is the backend's API root; it stands where the dialect's front-door prefix stands, so
    the dialect's ``/person/1`` is ``GET <url>/person/1``.  ``policies`` say what the backend
    forbids (same keys as a route's); ``options`` are the dialect's own settings.
    """

    name: str
    dialect: str
    url: str
    timeout: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    policies: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    order: str = "backend"
    """Who keeps the order of ordered to-manys the backend cannot order: ``"backend"`` (nobody:
    positional ops are refused) or ``"overlay"`` (relgate, in its store: relgate/planner/overlay.py)."""
    max_emulated_rows: int = 10000
    """The most rows relgate reads to emulate an aggregate or a bulk update/delete on this backend."""

    def policy(self, rel: Relationship, name: str, default: Any = True) -> Any:
        """A relationship policy of this backend (its override, then the schema's)."""
        return _policy(self.policies, rel, name, default)


@dataclass(frozen=True, slots=True)
class Route:
    """A front door: requests under ``prefix`` speak ``dialect`` and go to ``target``.

    ``options`` are the dialect's own settings; ``policies`` override relationship policies
    for this front door only, keyed by ``(type, relationship)``.
    """

    prefix: str
    dialect: str
    target: str = "store"
    options: Mapping[str, Any] = field(default_factory=dict)
    policies: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    auth: str | None = None
    """The ``[auth.NAME]`` scheme callers must satisfy (relgate/auth.py); None: open."""

    def policy(self, rel: Relationship, name: str, default: Any = True) -> Any:
        """A relationship policy as this front door sees it (route override, then schema)."""
        return _policy(self.policies, rel, name, default)


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig
    store_url: str
    routes: tuple[Route, ...]
    schema: Schema
    source: str = ""
    backends: Mapping[str, Backend] = field(default_factory=dict)
    auth: Mapping[str, AuthScheme] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        """The configuration in a TOML file (:class:`ConfigError` lists every problem with its key path)."""
        return load(path)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "") -> Config:
        """The configuration given as plain values (the TOML document's structure), checked the same way."""
        return from_dict(data, source=source)


class ConfigError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class RouteOptionsError(ConfigError, ValueError):
    """A dialect's refusal of its front door's settings, each error keyed from the route table.

    Dialects raise it while building their server half (``options.max_limit: must be …``);
    the configuration check prefixes the route's own key (``routes[2].options.max_limit: …``),
    so ``relgate check`` reports what ``relgate serve`` would refuse.
    """


def store_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a store URL, or None (sqlite/postgresql over the async drivers only)."""
    import sqlalchemy as sa

    from relgate.store import normalize_url

    try:
        parsed = sa.make_url(normalize_url(url))
    except sa.exc.ArgumentError:
        return f"{url!r} is not a database URL; use sqlite:///path or postgresql://user@host/db"
    known = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if known.get(backend) != driver:
        return f"unsupported store URL scheme {parsed.drivername!r}{did_you_mean(backend, known)}; use sqlite:///path or postgresql://user@host/db"
    return None


def load(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read, substitute ``${VAR}`` references (from ``environ``, default the process's) and check a file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read: {exc.strerror or exc}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    data = substitute(data, os.environ if environ is None else environ, lambda key, message: problems.append(f"{key}: {message}"))
    if problems:  # checked alone: an unsubstituted value would only cause follow-on errors
        raise ConfigError(problems)
    return from_dict(data, source=str(path))


def from_dict(data: Mapping[str, Any], *, source: str = "") -> Config:
    checker = _Checker()
    config = checker.config(data, source)
    if checker.errors:
        raise ConfigError(checker.errors)
    assert config is not None
    return config


ORDER_KEEPERS = ("backend", "overlay")
"""Values of ``[backends.NAME] order``."""


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self._route_key: dict[str, str] = {}
        """A route's key (``routes[2]``) by its prefix."""
        self._broken: set[tuple[str, str]] = set()
        """Relationships whose declaration was refused: references to them are not reported again."""

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(key, "must be a table")
            return {}
        return value

    def unknown(self, table: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                expected = ", ".join(sorted(allowed))
                self.error(f"{key}.{name}" if key else name, f"unknown key{did_you_mean(name, allowed)} (expected one of {expected})")

    def typed(self, table: Mapping[str, Any], name: str, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if name not in table:
            return default
        value = table[name]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            label = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(f"{key}.{name}" if key else name, f"must be {label}, got {type(value).__name__}")
            return default
        return value

    # --- sections ---------------------------------------------------------------------------

    def config(self, data: Mapping[str, Any], source: str) -> Config | None:
        self.unknown(data, "", {"server", "store", "backends", "routes", "types", "auth"})
        server = self.server(self.table(data.get("server"), "server"))
        store = self.table(data.get("store"), "store")
        self.unknown(store, "store", {"url"})
        store_url = self.typed(store, "url", "store", str, DEFAULT_STORE_URL)
        # (the default is known good: a configuration without [store] never imports the store's SQLAlchemy)
        url_problem = store_url_problem(store_url) if store_url != DEFAULT_STORE_URL else None
        if url_problem:
            self.error("store.url", url_problem)
        types = self.types(self.table(data.get("types"), "types"))
        schema = Schema(types)
        backends = self.backends(self.table(data.get("backends"), "backends"), schema)
        auth = parse_schemes(self, self.table(data.get("auth"), "auth"))
        routes = self.routes(data.get("routes"), schema, backends, auth)
        if not self.errors:  # a dialect sees only a schema and routes without errors (no follow-on errors)
            self.front_doors(routes, schema, server)
        self.own_paths(server, routes)
        if self.errors:
            return None
        return Config(server=server, store_url=store_url, routes=routes, schema=schema, source=source, backends=backends, auth=auth)

    def backends(self, t: Mapping[str, Any], schema: Schema) -> dict[str, Backend]:
        from relgate.dialects import DIALECTS

        out: dict[str, Backend] = {}
        for name, raw in t.items():
            key = f"backends.{name}"
            if name == "store":
                self.error(key, "'store' names relgate's own store; choose another backend name")
                continue
            b = self.table(raw, key)
            self.unknown(b, key, {"dialect", "url", "timeout", "headers", "options", "policies", "order", "max_emulated_rows"})
            dialect = self.typed(b, "dialect", key, str, "")
            if dialect not in DIALECTS:
                known = ", ".join(sorted(DIALECTS))
                self.error(f"{key}.dialect", f"unknown dialect {dialect!r}{did_you_mean(dialect, DIALECTS)} (known: {known})")
            url = self.typed(b, "url", key, str, "")
            problem = _url_problem(url)
            if problem:
                self.error(f"{key}.url", problem)
            timeout = self.typed(b, "timeout", key, (int, float), 10.0)
            if isinstance(timeout, bool) or timeout <= 0:
                self.error(f"{key}.timeout", "must be a positive number of seconds")
            headers: dict[str, str] = {}
            for hname, value in self.table(b.get("headers"), f"{key}.headers").items():
                if not isinstance(value, str) or not _HEADER_NAME.match(hname) or any(c in value for c in "\r\n\x00"):
                    self.error(f"{key}.headers.{hname}", "must be a header name with a string value (no line breaks)")
                    continue
                headers[hname] = value
            options = dict(self.table(b.get("options"), f"{key}.options"))
            policies = self.route_policies(b.get("policies"), f"{key}.policies", schema)
            order = self.typed(b, "order", key, str, "backend")
            if order not in ORDER_KEEPERS:
                known = ", ".join(repr(o) for o in ORDER_KEEPERS)
                self.error(f"{key}.order", f"must be one of {known}, got {order!r}{did_you_mean(order, ORDER_KEEPERS)}")
            max_rows = self.typed(b, "max_emulated_rows", key, int, 10000)
            if max_rows < 1:
                self.error(f"{key}.max_emulated_rows", "must be a positive number of rows")
            out[name] = Backend(name, dialect, url.rstrip("/"), float(timeout), headers, options, policies, order, max_rows)
        return out

    def route_policies(self, value: Any, key: str, schema: Schema) -> dict[tuple[str, str], Mapping[str, Any]]:
        """``{ "type.relationship" = { allow_replace = false } }`` of a route or a backend."""
        policies: dict[tuple[str, str], Mapping[str, Any]] = {}
        for name, pol in self.table(value, key).items():
            pkey = f"{key}.{name}"
            type_name, _, rel_name = name.partition(".")
            rtype = schema.types.get(type_name)
            if (type_name, rel_name) in self._broken:
                continue  # its declaration is already reported
            if rtype is None or rel_name not in rtype.relationships:
                names = [f"{t.name}.{r}" for t in schema.types.values() for r in t.relationships]
                self.error(pkey, f"must name a relationship as 'type.relationship'{did_you_mean(name, names)}")
                continue
            policies[(type_name, rel_name)] = self.policies(self.table(pol, pkey), pkey)
        return policies

    def server(self, t: Mapping[str, Any]) -> ServerConfig:
        d = ServerConfig()
        self.unknown(t, "server", set(ServerConfig.__slots__))
        special = ("cors_origins", "trusted_proxies", "body_timeout", "header_timeout", "shutdown_grace")  # checked below / in edge()
        scalars = [name for name in ServerConfig.__slots__ if name not in special]
        values: dict[str, Any] = {name: self.typed(t, name, "server", type(getattr(d, name)), getattr(d, name)) for name in scalars}
        origins = self.typed(t, "cors_origins", "server", list, [])
        if not all(isinstance(o, str) and o for o in origins):
            self.error("server.cors_origins", 'must be an array of origins such as "https://app.example.com" (or "*")')
            origins = []
        values["cors_origins"] = tuple(origins)
        self.edge(t, values)
        grace = t.get("shutdown_grace", d.shutdown_grace)
        if isinstance(grace, bool) or not isinstance(grace, int | float):
            self.error("server.shutdown_grace", f"must be a number of seconds, got {type(grace).__name__}")
            grace = d.shutdown_grace
        values["shutdown_grace"] = float(grace)
        if values["shutdown_grace"] < 0:
            self.error("server.shutdown_grace", "must be 0 or more seconds")
        for name in ("health_prefix", "metrics_path"):
            path = values[name]
            if path and (not path.startswith("/") or path.endswith("/") or "?" in path or "#" in path):
                off = ' (or be "" for off)' if name == "metrics_path" else ""
                self.error(f"server.{name}", f"must start with '/' and not end with '/'{off}")
        limits = ("max_populate_depth", "max_populated_entries", "max_atomic_operations", "max_included_resources", "max_nested_items")
        edge = ("keep_alive_timeout", "max_connections")
        for name in ("max_body_bytes", "max_json_depth", "default_page_size", "max_page_size", *limits, *edge):
            if values[name] < 1:
                self.error(f"server.{name}", "must be at least 1")
        if not 0 <= values["port"] <= 65535:
            self.error("server.port", "must be between 0 and 65535")
        return ServerConfig(**values)

    def edge(self, t: Mapping[str, Any], values: dict[str, Any]) -> None:
        """The server keys of relgate's edge (relgate/edge.py): public URL, proxies, timeouts."""
        if values["public_url"] and (problem := public_url_problem(values["public_url"])):
            self.error("server.public_url", problem)
        values["trusted_proxies"] = self.trusted_proxies(t)
        for name in ("body_timeout", "header_timeout"):
            seconds = self.typed(t, name, "server", (int, float), getattr(ServerConfig(), name))
            if isinstance(seconds, bool) or not seconds > 0:
                self.error(f"server.{name}", "must be a positive number of seconds")
            values[name] = float(seconds)
        if values["max_header_bytes"] < 1024:
            self.error("server.max_header_bytes", "must be at least 1024")

    def trusted_proxies(self, t: Mapping[str, Any]) -> tuple[str, ...]:
        import ipaddress

        default = ServerConfig().trusted_proxies
        proxies = self.typed(t, "trusted_proxies", "server", list, list(default))
        out: list[str] = []
        for i, p in enumerate(proxies):
            if p == "*":  # any peer (behind a load balancer whose address changes)
                out.append(p)
                continue
            try:
                # a network is kept in its canonical form (10.0.0.1/8 -> 10.0.0.0/8): uvicorn takes only that
                out.append(str(ipaddress.ip_network(p, strict=False)) if "/" in p else str(ipaddress.ip_address(p)))
            except (TypeError, ValueError):
                self.error(f"server.trusted_proxies[{i}]", f"must be an IP address or network such as 10.0.0.0/8, got {p!r}")
        return tuple(out)

    def own_paths(self, server: ServerConfig, routes: tuple[Route, ...]) -> None:
        """``/healthz``, ``/readyz`` and ``/metrics`` are answered first: one under a front door's prefix would hide its resources."""
        from relgate.health import endpoint_paths

        reported: set[str] = set()
        for name, path in endpoint_paths(server).items():
            key = "server.metrics_path" if name == "metrics" else "server.health_prefix"
            for route in routes:
                if key not in reported and route.prefix != "/" and (path == route.prefix or path.startswith(route.prefix + "/")):
                    self.error(key, f"{path} lies under the front door {route.prefix}; choose a path outside it")
                    reported.add(key)

    def routes(
        self, value: Any, schema: Schema, backends: Mapping[str, Backend], auth: Mapping[str, AuthScheme] | None = None
    ) -> tuple[Route, ...]:
        from relgate.dialects import DIALECTS

        if value is None:
            self.error("routes", "at least one route is required")
            return ()
        if not isinstance(value, list):
            self.error("routes", "must be an array of tables ([[routes]])")
            return ()
        routes: list[Route] = []
        seen: set[str] = set()
        for i, raw in enumerate(value):
            key = f"routes[{i}]"
            t = self.table(raw, key)
            self.unknown(t, key, {"prefix", "dialect", "target", "options", "policies", "auth"})
            prefix = self.typed(t, "prefix", key, str, "")
            if not prefix.startswith("/") or (len(prefix) > 1 and prefix.endswith("/")):
                self.error(f"{key}.prefix", "must start with '/' and not end with '/'")
            elif prefix in seen:
                self.error(f"{key}.prefix", f"duplicate prefix {prefix!r}")
            seen.add(prefix)
            dialect = self.typed(t, "dialect", key, str, "")
            if dialect not in DIALECTS:
                known = ", ".join(sorted(DIALECTS))
                self.error(f"{key}.dialect", f"unknown dialect {dialect!r}{did_you_mean(dialect, DIALECTS)} (known: {known})")
            target = self.typed(t, "target", key, str, "store")
            if target != "store" and target not in backends:
                known = ", ".join(["store", *sorted(backends)])
                self.error(f"{key}.target", f"unknown target {target!r} (known: {known}; a backend is declared as [backends.NAME])")
            options = dict(self.table(t.get("options"), f"{key}.options"))
            policies = self.route_policies(t.get("policies"), f"{key}.policies", schema)
            scheme = self.typed(t, "auth", key, str, None)
            if scheme is not None and scheme not in (auth or {}):
                self.error(f"{key}.auth", f"unknown auth scheme {scheme!r} (define it as [auth.{scheme}])")
            routes.append(Route(prefix=prefix, dialect=dialect, target=target, options=options, policies=policies, auth=scheme))
            self._route_key[prefix] = key
        # Longest prefix first, so /strapi/api wins over /strapi.
        routes.sort(key=lambda r: len(r.prefix), reverse=True)
        return tuple(routes)

    def front_doors(self, routes: tuple[Route, ...], schema: Schema, server: ServerConfig) -> None:
        """Build every route's dialect server half, as ``serve`` does, and report what it refuses."""
        from relgate.dialects import server_factory

        for route in routes:
            key = self._route_key[route.prefix]
            try:
                server_factory(route.dialect)(schema, route, server)
            except ConfigError as exc:
                self.errors.extend(f"{key}.{e}" for e in exc.errors)
            except ValueError as exc:
                self.error(key, str(exc))

    def policies(self, t: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        self.unknown(t, key, set(RELATIONSHIP_POLICIES))
        return {name: self.typed(t, name, key, kind, True) for name, kind in RELATIONSHIP_POLICIES.items() if name in t}

    def types(self, t: Mapping[str, Any]) -> dict[str, ResourceType]:
        if not t:
            self.error("types", "at least one type is required")
        declared: dict[str, dict[str, Any]] = {}
        for name, raw in t.items():
            key = f"types.{name}"
            tt = self.table(raw, key)
            self.unknown(tt, key, {"id", "names", "aliases", "attributes", "relationships"})
            id_style = self.typed(tt, "id", key, str, "integer")
            if id_style not in ID_STYLES:
                self.error(f"{key}.id", f"must be one of {', '.join(ID_STYLES)}{did_you_mean(id_style, ID_STYLES)}")
            names = {
                k: v
                for k, v in self.table(tt.get("names"), f"{key}.names").items()
                if self._dialect_key(k, f"{key}.names") and self._str(v, f"{key}.names.{k}")
            }
            aliases: dict[str, tuple[str, ...]] = {}
            for d, lst in self.table(tt.get("aliases"), f"{key}.aliases").items():
                if not self._dialect_key(d, f"{key}.aliases", every=True):
                    continue
                if isinstance(lst, str):
                    lst = [lst]
                if not isinstance(lst, list) or not all(isinstance(x, str) for x in lst):
                    self.error(f"{key}.aliases.{d}", "must be a string or an array of strings")
                    continue
                aliases[d] = tuple(lst)
            attributes: dict[str, Attribute] = {}
            for aname, araw in self.table(tt.get("attributes"), f"{key}.attributes").items():
                attr = self.attribute(aname, araw, f"{key}.attributes.{aname}")
                if attr is not None:
                    attributes[aname] = attr
            declared[name] = {
                "id": id_style,
                "names": names,
                "aliases": aliases,
                "attributes": attributes,
                "relationships": self.table(tt.get("relationships"), f"{key}.relationships"),
            }
        rels = self.relationships(declared)
        return {
            name: ResourceType(
                name=name,
                id_style=d["id"],
                attributes=d["attributes"],
                relationships=rels.get(name, {}),
                names=d["names"],
                aliases=d["aliases"],
            )
            for name, d in declared.items()
        }

    def _dialect_key(self, name: str, key: str, *, every: bool = False) -> bool:
        """Whether ``name`` is a dialect (or ``"*"``, every dialect, where ``every``), else an error."""
        from relgate.dialects import DIALECTS

        known = {*DIALECTS, "*"} if every else set(DIALECTS)
        if name in known:
            return True
        label = ", ".join(sorted(known))
        self.error(f"{key}.{name}", f"unknown dialect {name!r}{did_you_mean(name, DIALECTS)} (known: {label})")
        return False

    def _str(self, v: Any, key: str) -> bool:
        if not isinstance(v, str):
            self.error(key, "must be a string")
            return False
        return True

    def attribute(self, name: str, raw: Any, key: str) -> Attribute | None:
        if name in ("id", "type", "lid"):
            self.error(key, f"'{name}' is reserved and cannot be an attribute")
            return None
        if isinstance(raw, str):
            raw = {"type": raw}
        t = self.table(raw, key)
        self.unknown(t, key, {"type", "unique", "nullable"})
        kind = self.typed(t, "type", key, str, "string")
        if kind not in ATTRIBUTE_KINDS:
            self.error(f"{key}.type", f"must be one of {', '.join(ATTRIBUTE_KINDS)}{did_you_mean(kind, ATTRIBUTE_KINDS)}")
            return None
        return Attribute(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            unique=self.typed(t, "unique", key, bool, False),
            nullable=self.typed(t, "nullable", key, bool, True),
        )

    def relationships(self, declared: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Relationship]]:
        """Check every relationship, pair it with its inverse and decide its storage."""
        raw: dict[tuple[str, str], dict[str, Any]] = {}
        for owner, d in declared.items():
            for rname, rraw in d["relationships"].items():
                key = f"types.{owner}.relationships.{rname}"
                if rname in d["attributes"] or rname in ("id", "type", "lid"):
                    self.error(key, "a relationship cannot share its name with an attribute, 'id' or 'type'")
                    self._broken.add((owner, rname))
                    continue
                t = self.table(rraw, key)
                self.unknown(t, key, {"type", "many", "inverse", "ordered", "policies"})
                target = self.typed(t, "type", key, str, "")
                if target not in declared:
                    if "type" in t and isinstance(t["type"], str):  # (a missing or mistyped one is reported above)
                        self.error(f"{key}.type", f"unknown type {target!r}{did_you_mean(target, declared)}")
                    elif "type" not in t:
                        self.error(f"{key}.type", "required: the type of the related resources")
                    self._broken.add((owner, rname))
                    continue
                many = self.typed(t, "many", key, bool, False)
                ordered = self.typed(t, "ordered", key, bool, False)
                if ordered and not many:
                    self.error(f"{key}.ordered", "only a to-many relationship can be ordered")
                raw[(owner, rname)] = {
                    "target": target,
                    "many": many,
                    "ordered": ordered and many,
                    "inverse": self.typed(t, "inverse", key, str, None),
                    "policies": self.policies(self.table(t.get("policies"), f"{key}.policies"), f"{key}.policies"),
                    "key": key,
                }
        # Inverses must point back at each other (an inverse may be declared on one side only).
        inverse_of: dict[tuple[str, str], tuple[str, str]] = {}
        for (owner, rname), r in raw.items():
            other = (r["target"], r["inverse"])
            if r["inverse"] is None or other in raw or other in self._broken:
                continue  # (a broken other side is already reported)
            others = [name for (o, name) in raw if o == r["target"]]
            hint = did_you_mean(r["inverse"], others)
            self.error(f"{r['key']}.inverse", f"type {r['target']!r} has no relationship {r['inverse']!r}{hint}")
            self._broken.add((owner, rname))
        for (owner, rname), r in raw.items():
            other = (r["target"], r["inverse"])
            if r["inverse"] is None or (owner, rname) in self._broken or other in self._broken:
                continue
            o = raw[other]
            if o["target"] != owner or (o["inverse"] is not None and o["inverse"] != rname) or other == (owner, rname):
                self.error(f"{r['key']}.inverse", f"{r['target']}.{r['inverse']} does not point back at {owner}.{rname}")
                continue
            inverse_of[(owner, rname)] = other
            inverse_of[other] = (owner, rname)
        out: dict[str, dict[str, Relationship]] = {}
        for (owner, rname), r in raw.items():
            inv = inverse_of.get((owner, rname))
            storage = _storage(owner, rname, r, inv, raw.get(inv) if inv else None)
            out.setdefault(owner, {})[rname] = Relationship(
                name=rname,
                owner=owner,
                target=r["target"],
                many=r["many"],
                inverse=inv[1] if inv else None,
                ordered=r["ordered"],
                policies=r["policies"],
                storage=storage,
            )
        return out


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""An HTTP field name (RFC 9110 token)."""


def _url_problem(url: str) -> str:
    """Why ``url`` cannot be a backend's API root ("" when it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host, e.g. \"http://127.0.0.1:5000/api\""
    if parts.query or parts.fragment:
        return "must not have a query or a fragment"
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "has an invalid port"
    return ""


def _storage(owner: str, rname: str, r: Mapping[str, Any], inv: tuple[str, str] | None, o: Mapping[str, Any] | None) -> Storage:
    """Decide where the rows of ``owner.rname`` live (both sides of a pair agree)."""
    target = r["target"]
    if inv is None or o is None:
        if r["many"]:
            return Storage("join", f"{owner}__{rname}", near="source_id", far="target_id", rank="rank" if r["ordered"] else None)
        return Storage("fk_here", owner, column=f"{rname}_id")
    if not r["many"] and o["many"]:
        # to-one whose inverse is a to-many: the FK is ours; the other side may rank it.
        return Storage("fk_here", owner, column=f"{rname}_id")
    if r["many"] and not o["many"]:
        return Storage("fk_there", target, column=f"{inv[1]}_id", rank=f"{inv[1]}_rank" if r["ordered"] else None)
    # Both to-one or both to-many: the side that sorts first owns the rows.
    first = (owner, rname) <= inv
    if not r["many"]:
        if first:
            return Storage("fk_here", owner, column=f"{rname}_id")
        return Storage("fk_there", target, column=f"{inv[1]}_id")
    table = f"{owner}__{rname}" if first else f"{target}__{inv[1]}"
    near, far = ("source_id", "target_id") if first else ("target_id", "source_id")
    rank = None
    if r["ordered"]:
        rank = "source_rank" if first else "target_rank"
    return Storage("join", table, near=near, far=far, rank=rank)
