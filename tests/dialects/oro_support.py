"""Helpers of the Oro tests: requests through the gateway, table snapshots, exchange steps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from relgate.app import Gateway
from relgate.model import HttpRequest
from relgate.notation import encode
from tests.dialects.jsonapi_support import subset
from tests.jsonapi_schema import response_errors
from tests.store_rows import Rows, store_rows

ROOT = Path(__file__).resolve().parents[2]
EXCHANGES = ROOT / "dialects" / "oro" / "exchanges"
PREFIX = "/oro/api"
JSONAPI = "application/vnd.api+json"


def default_headers(has_body: bool) -> dict[str, str]:
    headers = {"Accept": JSONAPI}
    if has_body:
        headers["Content-Type"] = JSONAPI
    return headers


def door(gw: Gateway) -> Any:
    return next(d.dialect for d in gw.doors if d.route.prefix == PREFIX)


def codec_request(method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpRequest:
    assert path.startswith(PREFIX + "/"), path
    path, _, query = path[len(PREFIX) :].partition("?")
    return HttpRequest(method, path, query, {k.lower(): v for k, v in headers.items()}, body, PREFIX)


async def snapshot(gw: Gateway) -> Rows:
    """Every row of every table of the store."""
    return await store_rows(gw.store)


def assert_oro_document(doc: Any) -> None:
    """Oro speaks JSON:API 1.0: every document it answers with must be valid against that schema."""
    problems = response_errors(doc, "1.0")
    assert not problems, f"not a valid JSON:API 1.0 document: {problems}\n{json.dumps(doc)[:2000]}"


async def replay(step: Mapping[str, Any], gw: Gateway, client: httpx.AsyncClient, label: str) -> httpx.Response:
    """Send one exchange step and check everything it states (see test_oro_exchanges)."""
    req = step["request"]
    raw = req["raw"].encode() if "raw" in req else (json.dumps(req["body"]).encode() if "body" in req else b"")
    headers = req.get("headers", default_headers(bool(raw)))
    if "ops" in step:
        intent = door(gw).parse(codec_request(req["method"], req["path"], headers, raw))
        assert encode(intent.batch.ops) == step["ops"], f"{label}: canonical ops"
    before = await snapshot(gw) if step.get("unchanged") else None
    resp = await client.request(req["method"], req["path"], content=raw, headers=headers)
    expected = step["response"]
    assert resp.status_code == expected["status"], f"{label}: status {resp.status_code}, body {resp.text[:800]}"
    for name, value in expected.get("headers", {}).items():
        assert resp.headers.get(name) == value, f"{label}: header {name} is {resp.headers.get(name)!r}"
    if resp.content:
        assert resp.headers["content-type"] == JSONAPI, label
        doc = resp.json()
        assert_oro_document(doc)
        if "body" in expected:
            if expected.get("match") == "subset":
                problems = subset(expected["body"], doc)
                assert not problems, f"{label}: {problems}"
            else:
                assert doc == expected["body"], f"{label}: body {json.dumps(doc)}"
    else:
        assert "body" not in expected, f"{label}: expected a body"
    if before is not None:
        assert await snapshot(gw) == before, f"{label}: the store changed"
    for path, data in step.get("state", {}).items():
        got = await client.get(path, headers={"Accept": JSONAPI})
        assert got.status_code == 200, f"{label}: state {path}: {got.text[:400]}"
        assert got.json()["data"] == data, f"{label}: state {path}: {got.text[:800]}"
    return resp
