"""Helpers for the restless-legacy tests: canonical ops as JSON, codec requests, gateway clients."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from relgate.app import Gateway
from relgate.config import Config, Route, ServerConfig
from relgate.dialects.restless_legacy import LegacyServer
from relgate.model import HttpRequest

ROOT = Path(__file__).resolve().parents[2]
EXCHANGES = ROOT / "dialects" / "restless-legacy" / "exchanges"
PREFIX = "/legacy/api"
BASE = "http://relgate.test"
JSON = {"Content-Type": "application/json"}


def legacy_route(config: Config) -> Route:
    return next(r for r in config.routes if r.prefix == PREFIX)


def with_options(config: Config, options: Mapping[str, Any]) -> Config:
    """``config`` with the /legacy/api route's options replaced."""
    routes = tuple(dataclasses.replace(r, options=dict(options)) if r.prefix == PREFIX else r for r in config.routes)
    return dataclasses.replace(config, routes=routes)


def codec(config: Config, **kwargs: Any) -> LegacyServer:
    return LegacyServer(config.schema, legacy_route(config), config.server or ServerConfig(), **kwargs)


def request(method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None, raw: bytes | None = None) -> HttpRequest:
    """A codec-level request; ``path`` starts with the /legacy/api prefix and may carry a query."""
    assert path.startswith(PREFIX), path
    path, _, query = path[len(PREFIX) :].partition("?")
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    if headers is None:
        headers = dict(JSON) if data else {}
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered.setdefault("host", "relgate.test")
    return HttpRequest(method, path or "/", query, lowered, data, PREFIX, origin="http://relgate.test")


@asynccontextmanager
async def gateway_client(config: Config, store_url: str) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    async with Gateway(dataclasses.replace(config, store_url=store_url)) as gw:
        transport = httpx.ASGITransport(app=gw)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield gw, client


def door(gw: Gateway) -> LegacyServer:
    return next(d.dialect for d in gw.doors if d.route.prefix == PREFIX)  # type: ignore[return-value]
