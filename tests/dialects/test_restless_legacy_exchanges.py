"""Replays dialects/restless-legacy/exchanges/*.json through the real Gateway over a real SQLite store.

Each file is one scenario on a fresh store: ``{"description", "steps"}``.  A step:

- ``request``: ``method``, ``path`` (with the /legacy/api prefix and the query), optional
  ``headers`` (default: ``Content-Type: application/json`` when there is a body), ``body`` (JSON)
  or ``raw`` (text sent as is);
- ``ops`` (optional): the canonical batch the codec must parse the request into
  (``restless_legacy_support.encode``);
- ``response``: ``status``; ``headers`` -- Content-Type, Location, Link and Allow exactly as
  listed, and none of them when not listed; ``body`` compared exactly, or with
  ``"match": "message-prefix"`` the answer's ``message`` must start with the given one, or with
  ``"match": "message-and-detail"`` the ``message`` must be the given one exactly, beside only a
  ``detail`` member (relgate's explanation) starting with the given one;
- ``note`` / ``real_0.17``: documentation -- why relgate differs from the seed or from real
  Flask-Restless 0.17, and what 0.17 answered when the exchange was recorded against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relgate.config import Config
from relgate.notation import encode
from tests.dialects.restless_legacy_support import EXCHANGES, door, gateway_client, request

FILES = sorted(EXCHANGES.glob("*.json"))
CHECKED_HEADERS = ("content-type", "location", "link", "allow")


def test_there_are_exchanges() -> None:
    names = {p.stem for p in FILES}
    assert {"seed_002_requestformat", "search", "nested", "relations", "bad_input"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_exchange(path: Path, example_config: Config, sqlite_url: str) -> None:
    spec = json.loads(path.read_text(encoding="utf-8"))
    async with gateway_client(example_config, sqlite_url) as (gw, client):
        codec = door(gw)
        for n, step in enumerate(spec["steps"]):
            label = f"{path.name} step {n} ({step['name']})"
            req = step["request"]
            raw = req["raw"].encode() if "raw" in req else (json.dumps(req["body"]).encode() if "body" in req else b"")
            headers = req.get("headers", {"Content-Type": "application/json"} if raw else {})
            if "ops" in step:
                intent = codec.parse(request(req["method"], req["path"], headers=headers, raw=raw))
                assert encode(intent.batch.ops) == step["ops"], f"{label}: canonical ops"
            resp = await client.request(req["method"], req["path"], content=raw, headers=headers)
            expected: dict[str, Any] = step["response"]
            assert resp.status_code == expected["status"], f"{label}: status {resp.status_code}, body {resp.text[:800]}"
            want = {k.lower(): v for k, v in expected.get("headers", {}).items()}
            got = {k: resp.headers[k] for k in CHECKED_HEADERS if k in resp.headers}
            assert got == want, f"{label}: headers"
            if "body" not in expected:
                assert resp.content == b"", f"{label}: no body expected"
                continue
            if got.get("content-type", "").startswith("application/javascript"):
                assert resp.text == expected["body"], f"{label}: JSONP body"
                continue
            body = resp.json()
            if expected.get("match") == "message-prefix":
                assert set(body) == {"message"}, f"{label}: {body}"
                assert body["message"].startswith(expected["body"]["message"]), f"{label}: {body}"
            elif expected.get("match") == "message-and-detail":
                assert set(body) == {"message", "detail"} and body["message"] == expected["body"]["message"], f"{label}: {body}"
                assert body["detail"].startswith(expected["body"]["detail"]), f"{label}: {body}"
            else:
                assert body == expected["body"], f"{label}: body"
