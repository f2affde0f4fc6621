"""Helpers shared by the JSON:API tests: requests, gateway clients (canonical ops as JSON: relgate.notation)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from relgate.app import Gateway
from relgate.config import Config, Route
from relgate.model import HttpRequest
from tests.jsonapi_schema import validate_jsonapi_response

ROOT = Path(__file__).resolve().parents[2]
EXCHANGES = ROOT / "dialects" / "jsonapi" / "exchanges"
JSONAPI = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'
PREFIX = "/jsonapi"


def with_policies(config: Config, policies: Mapping[str, Mapping[str, Any]], prefix: str = PREFIX) -> Config:
    """``config`` with relationship policies (``{"type.rel": {"allow_replace": false}}``) on one route."""
    if not policies:
        return config
    routes: list[Route] = []
    for route in config.routes:
        if route.prefix == prefix:
            extra = {tuple(k.split(".", 1)): dict(v) for k, v in policies.items()}
            route = dataclasses.replace(route, policies={**route.policies, **extra})
        routes.append(route)
    return dataclasses.replace(config, routes=tuple(routes))


def with_options(config: Config, options: Mapping[str, Any], prefix: str = PREFIX) -> Config:
    routes = tuple(dataclasses.replace(r, options={**r.options, **options}) if r.prefix == prefix else r for r in config.routes)
    return dataclasses.replace(config, routes=routes)


@asynccontextmanager
async def gateway_client(config: Config, store_url: str) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    async with Gateway(dataclasses.replace(config, store_url=store_url)) as gw:
        transport = httpx.ASGITransport(app=gw)
        hooks = {"response": [validate_jsonapi_response]}
        async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test", event_hooks=hooks) as client:
            yield gw, client


def door(gw: Gateway, prefix: str = PREFIX) -> Any:
    return next(d.dialect for d in gw.doors if d.route.prefix == prefix)


def http_request(
    method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None, raw: bytes | None = None
) -> HttpRequest:
    """A codec-level request for ``path`` (under the /jsonapi prefix, with its query string)."""
    assert path.startswith(PREFIX)
    path, _, query = path[len(PREFIX) :].partition("?")
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    if headers is None:
        headers = {"accept": JSONAPI}
        if data:
            headers["content-type"] = ATOMIC if path.startswith("/operations") else JSONAPI
    return HttpRequest(method, path or "/", query, {k.lower(): v for k, v in headers.items()}, data, PREFIX)


def default_headers(path: str, has_body: bool) -> dict[str, str]:
    headers = {"Accept": JSONAPI}
    if has_body:
        headers["Content-Type"] = ATOMIC if path.startswith(f"{PREFIX}/operations") else JSONAPI
    return headers


def subset(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where ``actual`` does not contain ``expected`` (objects: the expected members; arrays: same length)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '/'}: expected an object, got {actual!r}"]
        out: list[str] = []
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{where}/{k}: missing")
            else:
                out.extend(subset(v, actual[k], f"{where}/{k}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where or '/'}: expected {expected!r}, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for p in subset(e, a, f"{where}/{i}")]
    return [] if expected == actual else [f"{where or '/'}: expected {expected!r}, got {actual!r}"]
