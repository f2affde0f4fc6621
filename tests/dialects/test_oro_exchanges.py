"""Replays dialects/oro/exchanges/*.json through the real Gateway over a fresh SQLite store.

Each file is one scenario: a list of steps run in order.  A step has

- ``request``: ``method``, ``path`` (with the /oro/api prefix and query), optional ``headers``
  (default: ``Accept`` and, with a body, ``Content-Type``, both ``application/vnd.api+json``),
  ``body`` (JSON) or ``raw`` (sent as is);
- ``ops`` (optional): the canonical batch the codec parses the request into (as
  ``relgate.notation.encode`` writes it);
- ``response``: ``status``, optional ``headers`` (each compared exactly) and ``body`` (compared
  exactly; a response with a body must be a valid JSON:API 1.0 document either way);
- ``unchanged`` (optional): every table of the store reads the same after the step;
- ``state`` (optional): ``{GET path: expected "data"}`` read back after the step.

Ids are deterministic on a fresh store, so bodies are compared exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relgate.config import Config
from tests.dialects.jsonapi_support import gateway_client
from tests.dialects.oro_support import EXCHANGES, replay

FILES = sorted(EXCHANGES.glob("*.json"))


def test_the_seed_examples_are_golden_exchanges() -> None:
    """Both seed-004 examples and both connection directions are replayed with exact bodies."""
    steps = {s["name"]: s for p in FILES for s in json.loads(p.read_text(encoding="utf-8"))}
    wanted = ("seed 004 example 1", "seed 004 example 2", "direction 1", "direction 2", "pointing back at the primary")
    for key in wanted:
        found = [s for name, s in steps.items() if key in name and not name.startswith("setup")]
        assert found, f"no exchange step for {key!r}"
        assert all("body" in s["response"] and s["response"]["status"] < 300 for s in found), key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_exchange(path: Path, example_config: Config, sqlite_url: str) -> None:
    steps = json.loads(path.read_text(encoding="utf-8"))
    async with gateway_client(example_config, sqlite_url) as (gw, client):
        for n, step in enumerate(steps):
            await replay(step, gw, client, f"{path.name} step {n} ({step['name']})")
