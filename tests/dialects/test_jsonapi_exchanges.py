"""Replays dialects/jsonapi/exchanges/*.json through the real Gateway over a real SQLite store.

Each file is one scenario on a fresh store: a list of steps, or ``{"description", "policies",
"steps"}`` where ``policies`` sets relationship policies on the /jsonapi route.  A step:

- ``request``: ``method``, ``path`` (with prefix and query), optional ``headers`` (default: Accept,
  and Content-Type when there is a body), ``body`` (JSON) or ``raw`` (text sent as is);
- ``ops`` (optional): the canonical batch the codec must parse the request into (see
  ``relgate.notation.encode``);
- ``response``: ``status``, optional ``headers`` (each must match exactly), optional ``body``
  compared exactly, or as a subset with ``"match": "subset"``; a response without ``body`` in the
  step must still be a valid JSON:API document (or empty for 204);
- ``state`` (optional): ``{GET path: expected "data"}`` read back after the step.

Every JSON:API document the gateway answers with is validated against the official schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relgate.config import Config
from relgate.notation import encode
from tests.dialects.jsonapi_support import EXCHANGES, default_headers, door, gateway_client, http_request, subset, with_policies
from tests.jsonapi_schema import assert_response_valid

FILES = sorted(EXCHANGES.glob("*.json"))


def load(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(spec, list):
        return {}, spec
    return spec, spec["steps"]


def test_there_are_exchanges() -> None:
    assert len(FILES) >= 8
    names = {p.stem for p in FILES}
    for seed in ("flask-restless-1.0", "didww", "flask-restless-0.17", "strapi", "oro"):
        assert any(seed in n for n in names), f"no exchange file for the {seed} seed"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_exchange(path: Path, example_config: Config, sqlite_url: str) -> None:
    spec, steps = load(path)
    config = with_policies(example_config, spec.get("policies", {}))
    async with gateway_client(config, sqlite_url) as (gw, client):
        codec = door(gw)
        for n, step in enumerate(steps):
            label = f"{path.name} step {n} ({step['name']})"
            req = step["request"]
            body = req.get("body")
            raw = req["raw"].encode() if "raw" in req else (json.dumps(body).encode() if "body" in req else b"")
            headers = req.get("headers", default_headers(req["path"], bool(raw)))
            if "ops" in step:
                intent = codec.parse(http_request(req["method"], req["path"], headers=headers, raw=raw))
                assert encode(intent.batch.ops) == step["ops"], f"{label}: canonical ops"
            resp = await client.request(req["method"], req["path"], content=raw, headers=headers)
            expected = step["response"]
            assert resp.status_code == expected["status"], f"{label}: status {resp.status_code}, body {resp.text[:800]}"
            assert resp.headers.get("vary") == "Accept", label
            for name, value in expected.get("headers", {}).items():
                assert resp.headers.get(name) == value, f"{label}: header {name}"
            if resp.status_code == 204:
                assert resp.content == b"", label
                assert "body" not in expected, label
            else:
                assert resp.headers["content-type"].startswith("application/vnd.api+json"), label
                doc = resp.json()
                assert_response_valid(doc)
                if "body" in expected:
                    if expected.get("match") == "subset":
                        problems = subset(expected["body"], doc)
                        assert not problems, f"{label}: {problems}"
                    else:
                        assert doc == expected["body"], f"{label}: body"
            for state_path, data in step.get("state", {}).items():
                got = await client.get(state_path, headers={"Accept": "application/vnd.api+json"})
                assert got.status_code == 200, f"{label}: state {state_path}"
                assert got.json()["data"] == data, f"{label}: state {state_path}"
