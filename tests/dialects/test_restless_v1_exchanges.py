"""Replays dialects/restless/exchanges/*.json through the real Gateway over a real SQLite store.

Same format as the JSON:API exchanges (``tests/dialects/test_jsonapi_exchanges.py``): each file is
``{"description", "steps"}`` (or a bare list of steps) on a fresh store of the example gateway,
whose ``/restless/api`` route allows replacement and removal on ``people.articles`` only.  A step:

- ``request``: ``method``, ``path`` (with prefix and query; any front door, so a scenario can
  check what another dialect sees), optional ``headers`` (default: Accept, and Content-Type when
  there is a body, both ``application/vnd.api+json``), ``body`` (JSON) or ``raw`` (text as is);
- ``ops`` (optional): the canonical batch the front door's codec must parse the request into
  (``relgate.notation.encode``);
- ``response``: ``status``, optional ``headers`` (each must match exactly), optional ``body``
  compared exactly, or as a subset with ``"match": "subset"``; a 204 must be empty;
- ``state`` (optional): ``{GET path: expected "data"}`` read back after the step.

Every ``restless`` success document must be valid JSON:API 1.0; every error document must have
flask-restless-ng's error object shape (all eight members, ``status`` a string).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relgate.config import Config
from relgate.notation import encode
from tests.dialects.jsonapi_support import door, gateway_client, subset
from tests.dialects.restless_v1_support import (
    EXCHANGES,
    PREFIX,
    assert_ng_errors,
    body_bytes,
    codec_request,
    default_headers,
    prefix_of,
)
from tests.jsonapi_schema import response_errors

FILES = sorted(EXCHANGES.glob("*.json"))


def load(path: Path) -> list[dict[str, Any]]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    return spec if isinstance(spec, list) else spec["steps"]


def test_there_are_exchanges() -> None:
    names = {p.stem for p in FILES}
    assert any("seed" in n for n in names), "no exchange file for seed 000"
    assert len(FILES) >= 4


def test_every_seed_example_is_replayed() -> None:
    """Seed 000 has five requests; each appears (corrected) in the seed scenario."""
    seed = next(p for p in FILES if "seed" in p.stem)
    names = [s["name"] for s in load(seed)]
    for example in (
        "PATCH /api/articles/1/relationships/author",
        "PATCH /api/people/1/relationships/articles",
        "POST /api/person/1/relationships/articles",
        "DELETE /api/person/1/links/articles",
        "DELETE /api/person/1/relationships/articles",
    ):
        assert any(n.startswith(f"seed: {example}") for n in names), example


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_exchange(path: Path, example_config: Config, sqlite_url: str) -> None:
    steps = load(path)
    async with gateway_client(example_config, sqlite_url) as (gw, client):
        for n, step in enumerate(steps):
            label = f"{path.name} step {n} ({step['name']})"
            req = step["request"]
            raw = body_bytes(req)
            headers = req.get("headers", default_headers(bool(raw)))
            prefix = prefix_of(example_config, req["path"].partition("?")[0])
            if "ops" in step:
                intent = door(gw, prefix).parse(codec_request(prefix, req["method"], req["path"], headers, raw))
                assert encode(intent.batch.ops) == step["ops"], f"{label}: canonical ops"
            resp = await client.request(req["method"], req["path"], content=raw, headers=headers)
            expected = step["response"]
            assert resp.status_code == expected["status"], f"{label}: status {resp.status_code}, body {resp.text[:800]}"
            for name, value in expected.get("headers", {}).items():
                assert resp.headers.get(name) == value, f"{label}: header {name} is {resp.headers.get(name)!r}"
            if resp.status_code == 204:
                assert resp.content == b"", label
                assert "body" not in expected, label
            else:
                assert resp.headers["content-type"] == "application/vnd.api+json", label
                doc = resp.json()
                if prefix == PREFIX:
                    if resp.status_code >= 400:
                        assert_ng_errors(doc, resp.status_code, label)
                    else:
                        assert not response_errors(doc, "1.0"), f"{label}: not JSON:API 1.0: {response_errors(doc, '1.0')}"
                if "body" in expected:
                    if expected.get("match") == "subset":
                        problems = subset(expected["body"], doc)
                        assert not problems, f"{label}: {problems}"
                    else:
                        assert doc == expected["body"], f"{label}: body {json.dumps(doc)}"
            for state_path, data in step.get("state", {}).items():
                got = await client.get(state_path, headers={"Accept": "application/vnd.api+json"})
                assert got.status_code == 200, f"{label}: state {state_path}: {got.status_code} {got.text[:300]}"
                assert got.json()["data"] == data, f"{label}: state {state_path}: {json.dumps(got.json()['data'])}"
