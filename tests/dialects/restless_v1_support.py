"""Helpers for the Flask-Restless 1.0 (``restless``) tests; the JSON:API ones are reused."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from relgate.config import Config
from relgate.model import HttpRequest

ROOT = Path(__file__).resolve().parents[2]
EXCHANGES = ROOT / "dialects" / "restless" / "exchanges"
JSONAPI = "application/vnd.api+json"
PREFIX = "/restless/api"
ERROR_MEMBERS = frozenset({"id", "links", "status", "code", "title", "detail", "source", "meta"})
"""The members of flask-restless-ng's ``error()`` objects (NG sends every one, unused ones ``null``;
relgate leaves those out, as JSON:API 1.0 does not allow ``null`` there)."""


def prefix_of(config: Config, path: str) -> str:
    """The route prefix serving ``path`` (longest match, as the gateway routes)."""
    for route in config.routes:  # sorted longest prefix first by the config loader
        if path == route.prefix or path.startswith(route.prefix + "/"):
            return route.prefix
    raise AssertionError(f"no route serves {path}")


def codec_request(prefix: str, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> HttpRequest:
    """The codec-level request for a full gateway ``path`` (with its query string)."""
    rest, _, query = path[len(prefix) :].partition("?")
    return HttpRequest(method, rest or "/", query, {k.lower(): v for k, v in headers.items()}, raw, prefix)


def default_headers(has_body: bool) -> dict[str, str]:
    headers = {"Accept": JSONAPI}
    if has_body:
        headers["Content-Type"] = JSONAPI
    return headers


def body_bytes(request: Mapping[str, Any]) -> bytes:
    if "raw" in request:
        return str(request["raw"]).encode()
    if "body" in request:
        return json.dumps(request["body"]).encode()
    return b""


def assert_ng_errors(doc: Any, status: int, label: str) -> None:
    """``doc`` is an error document in flask-restless-ng's shape, without NG's ``null`` members."""
    assert isinstance(doc, dict) and set(doc) == {"jsonapi", "errors"}, f"{label}: {doc}"
    assert doc["jsonapi"] == {"version": "1.0"}, label
    assert doc["errors"], label
    for obj in doc["errors"]:
        assert set(obj) <= ERROR_MEMBERS, f"{label}: members {sorted(obj)}"
        assert None not in obj.values(), f"{label}: a member is null: {obj}"
        assert isinstance(obj["status"], str) and obj["detail"], label
    if len(doc["errors"]) == 1:
        assert doc["errors"][0]["status"] == str(status), label
