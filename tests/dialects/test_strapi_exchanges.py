"""Golden exchanges of the Strapi front door (``dialects/strapi/exchanges/*.json``).

Each file is a list of steps replayed in order through the real Gateway over a fresh SQLite
store (and a fresh PostgreSQL database).  A step has ``name``, ``request`` (``method``, ``path``, ``headers``, ``body``), and
(``raw`` instead of ``body``: the body as text, for malformed JSON), and
optionally ``ops`` (the canonical operations the request parses to, as
:func:`~tests.dialects.strapi_support.describe` writes them), ``response`` (``status``,
``body`` compared exactly, or as a subset with ``"match": "subset"``, ``headers``) and
``state`` (relationship linkage read straight from the store afterwards, in order).
``{{doc:<type>:<id>}}`` in any string stands for that resource's documentId.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relgate.config import Config
from relgate.dialects.strapi import StrapiServer
from relgate.model import Batch, GetLinkage, HttpRequest, Ident
from tests.dialects.strapi_support import describe, gateway, subset, substitute

ROOT = Path(__file__).resolve().parents[2]
EXCHANGES = sorted((ROOT / "dialects" / "strapi" / "exchanges").glob("*.json"))


def test_there_are_exchanges() -> None:
    assert len(EXCHANGES) >= 6


@pytest.mark.parametrize("path", EXCHANGES, ids=[p.stem for p in EXCHANGES])
async def test_exchange(path: Path, example_config: Config, store_url: str) -> None:
    steps = json.loads(path.read_text())
    async with gateway(example_config, store_url) as (gw, client):
        doors = {d.route.prefix: d for d in gw.doors}
        ids = next(d.dialect for d in gw.doors if isinstance(d.dialect, StrapiServer)).ids
        for step in steps:
            await replay(substitute(step, ids), doors, gw, client)


async def replay(step: dict[str, Any], doors: dict[str, Any], gw: Any, client: Any) -> None:
    name = step["name"]
    req = step["request"]
    headers = {k.lower(): v for k, v in req.get("headers", {}).items()}
    body = req["raw"].encode() if "raw" in req else json.dumps(req["body"]).encode() if "body" in req else b""
    if "body" in req or "raw" in req:
        headers.setdefault("content-type", "application/json")
    if "ops" in step:
        prefix = max((p for p in doors if req["path"].startswith(p + "/")), key=len)
        path, _, query = req["path"][len(prefix) :].partition("?")
        intent = doors[prefix].dialect.parse(HttpRequest(req["method"], path, query, headers, body))
        assert [describe(op) for op in intent.batch.ops] == step["ops"], name
    resp = await client.request(req["method"], req["path"], content=body, headers=headers)
    want = step.get("response", {})
    if "status" in want:
        assert resp.status_code == want["status"], f"{name}: {resp.status_code} {resp.text}"
    if "body" in want:
        got = resp.json() if resp.content else None
        if want.get("match") == "subset":
            assert subset(want["body"], got) == [], f"{name}: {resp.text}"
        else:
            assert got == want["body"], name
    for k, v in want.get("headers", {}).items():
        assert resp.headers.get(k) == v, f"{name}: header {k}"
    for check in step.get("state", []):
        type_, id_, rel = check["linkage"]
        (result,) = (await gw.store.execute(Batch((GetLinkage(Ident(type_, id_), rel),)))).results
        linkage = result.linkage
        got_ids: Any = [i.id for i in linkage] if isinstance(linkage, tuple) else (linkage.id if linkage else None)
        assert got_ids == check["equals"], f"{name}: {type_}/{id_}.{rel} is {got_ids}"
