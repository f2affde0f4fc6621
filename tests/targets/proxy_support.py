"""Proxy test rigs: relgate's own store serving dialect B as the backend, a second relgate in front.

The backend is a real relgate :class:`Gateway` on a SQLite file; the proxy reaches it in-process
through :class:`httpx.ASGITransport` (the same transport seam a wrapped app uses), so every
request the client half writes is parsed by the backend dialect's own server half — a request
it would refuse fails the test.  The backend's data is checked through its store directly.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from relgate.app import Gateway
from relgate.config import from_dict
from relgate.dialects.strapi.docids import DocumentIds
from relgate.model import Batch, GetLinkage, Ident, List, Query, Resource

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = tomllib.loads((ROOT / "gateway.example.toml").read_text())

BACKEND_PREFIX: Mapping[str, str] = {
    "jsonapi": "/jsonapi",
    "restless": "/restless/api",
    "restless-legacy": "/legacy/api",
    "strapi": "/strapi/api",
    "oro": "/oro/api",
    "didww": "/didww",
}
"""Where the backend relgate serves each dialect (its API root for the proxy)."""

BACKEND_POLICIES: Mapping[str, Mapping[str, Any]] = {
    "restless": {
        "people.articles": {"allow_replace": True, "allow_remove": True},
        "people.computers": {"allow_replace": False, "allow_remove": False},
    },
}
"""What each backend door forbids, as its route in the example says (the proxy must be told)."""

BACKEND_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "restless-legacy": next(r for r in EXAMPLE["routes"] if r["prefix"] == "/legacy/api")["options"],
}
"""What each backend door allows, as its route in the example says (0.17's create_api settings)."""

STRING_ID_BACKENDS = frozenset({"strapi"})
"""Backends whose ids toward callers are strings of their own (Strapi 5's documentIds)."""

CALLER_PREFIX: Mapping[str, str] = {
    "jsonapi": "/jsonapi",
    "restless": "/restless/api",
    "restless-legacy": "/legacy/api",
    "strapi": "/strapi/api",
    "oro": "/oro/api",
    "didww": "/didww",
}


def backend_config(store_url: str) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data["store"] = {"url": store_url}
    data["routes"].append({"prefix": "/didww", "dialect": "didww"})
    return data


def proxy_config(caller: str, backend: str, *, caller_options: Mapping[str, Any] | None = None, **backend_keys: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data.pop("store", None)
    prefix = CALLER_PREFIX[caller]
    route = next((dict(r) for r in EXAMPLE["routes"] if r["prefix"] == prefix), {"prefix": prefix, "dialect": caller})
    route["target"] = "backend"
    if caller_options is not None:
        route["options"] = dict(caller_options)
    data["routes"] = [route]
    table: dict[str, Any] = {"dialect": backend, "url": f"http://backend.test{BACKEND_PREFIX[backend]}"}
    if backend in BACKEND_POLICIES:
        table["policies"] = copy.deepcopy(BACKEND_POLICIES[backend])
    if backend in BACKEND_OPTIONS:
        table["options"] = copy.deepcopy(BACKEND_OPTIONS[backend])
    table.update(backend_keys)
    if backend in STRING_ID_BACKENDS and table.get("options", {}).get("response_format") != "v4":
        for rtype in data["types"].values():
            rtype["id"] = "string"
    data["backends"] = {"backend": table}
    return data


@asynccontextmanager
async def serving_app(app: Any) -> AsyncIterator[str]:
    """``app`` under a real uvicorn on 127.0.0.1 (ephemeral port) in this event loop; yields its base URL."""
    import asyncio
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Rig:
    """A proxy in front of a relgate backend; ``client`` talks to the proxy."""

    backend: Gateway
    proxy: Gateway
    client: httpx.AsyncClient
    backend_client: httpx.AsyncClient
    ids: DocumentIds | None = None
    """A Strapi 5 backend's documentIds: the ids callers of the proxy see (None: the store's ids)."""

    def row_id(self, type_name: str, id_: str) -> str:
        """The backend store's id of a resource the proxy's callers name ``id_``."""
        if self.ids is None:
            return id_
        decoded = self.ids.decode(id_)
        assert decoded is not None and decoded[0] == type_name, f"{id_!r} is no documentId of {type_name}"
        return decoded[1]

    def caller_id(self, type_name: str, id_: str) -> str:
        """The id the proxy's callers see for the backend store's ``id_``."""
        return id_ if self.ids is None else self.ids.encode(type_name, id_)

    async def members(self, type_name: str, id_: str, rel: str) -> list[str]:
        """The backend's own linkage (through its store), as ids in order (as the proxy's callers see them)."""
        ident = Ident(type_name, self.row_id(type_name, id_))
        (result,) = (await self.backend.store.execute(Batch((GetLinkage(ident, rel),)))).results
        linkage = result.linkage  # type: ignore[union-attr]
        if linkage is None:
            return []
        if isinstance(linkage, Ident):
            return [self.caller_id(linkage.type, linkage.id or "")]
        return [self.caller_id(i.type, i.id or "") for i in linkage]

    async def rows(self, type_name: str) -> list[Resource]:
        """The backend's rows (through its store), their ids as the proxy's callers see them."""
        (result,) = (await self.backend.store.execute(Batch((List(type_name, Query()),)))).results
        items = list(result.items)  # type: ignore[union-attr]
        return items if self.ids is None else [dataclasses.replace(r, id=self.caller_id(r.type, r.id)) for r in items]


@asynccontextmanager
async def rig(
    store_url: str,
    caller: str,
    backend: str,
    *,
    wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
    proxy_store: str | None = None,
    **backend_keys: Any,
) -> AsyncIterator[Rig]:
    """``wrap`` wraps the proxy's transport to the backend (fault injection, request counting);
    ``proxy_store`` is the proxy's own ``[store] url`` (where an order overlay lives)."""
    caller_options = backend_keys.pop("caller_options", None)
    route_options = backend_keys.pop("backend_route_options", None)  # merged into the backend door's own options
    served = backend_config(store_url)
    if route_options:
        door = next(r for r in served["routes"] if r["prefix"] == BACKEND_PREFIX[backend])
        door["options"] = {**door.get("options", {}), **route_options}
    backend_gw = Gateway(from_dict(served))
    transport = httpx.ASGITransport(app=backend_gw)  # type: ignore[arg-type]
    proxy_data = proxy_config(caller, backend, caller_options=caller_options, **backend_keys)
    if proxy_store is not None:
        proxy_data["store"] = {"url": proxy_store}
    config = from_dict(proxy_data)
    proxy = Gateway(config, transports={"backend": wrap(transport) if wrap else transport})
    async with backend_gw, proxy:
        proxy_transport = httpx.ASGITransport(app=proxy)  # type: ignore[arg-type]
        async with (
            httpx.AsyncClient(transport=proxy_transport, base_url="http://relgate.test") as client,
            httpx.AsyncClient(transport=transport, base_url="http://backend.test") as backend_client,
        ):
            ids = _doc_ids(backend_gw, config, backend)
            yield Rig(backend_gw, proxy, client, backend_client, ids)


def _doc_ids(backend_gw: Gateway, config: Any, backend: str) -> DocumentIds | None:
    if backend not in STRING_ID_BACKENDS or config.backends["backend"].options.get("response_format") == "v4":
        return None
    return DocumentIds(backend_gw.config.schema.types)
