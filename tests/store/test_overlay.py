"""The order overlay's tables (relgate/store/overlay.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fractional_indexing import generate_n_keys_between

from relgate.model import ProblemError
from relgate.planner.overlay import OverlayRead, OverlayWrite, OverlayWritten, undo_of
from relgate.store import Store
from relgate.store.engine import make_engine
from relgate.store.overlay import OrderOverlay

REL = ("restaurants", "categories")


async def _overlay(url: str, backend: str = "ng") -> OrderOverlay:
    overlay = OrderOverlay(make_engine(url), backend)
    await overlay.open()
    return overlay


def _write(owner: str, version: int | None, **changes: object) -> OverlayWrite:
    return OverlayWrite(*REL, owner, version, **changes)  # type: ignore[arg-type]


async def _keys(overlay: OrderOverlay, owner: str, around: tuple[str, ...] | None = None) -> tuple[int, dict[str, str]]:
    state = await overlay.run(OverlayRead(*REL, (owner,), around=around))
    kept = state.of(owner)  # type: ignore[union-attr]
    return kept.version, dict(kept.keys)


async def test_write_read_versions_and_undo(store_url: str) -> None:
    overlay = await _overlay(store_url)
    try:
        assert await _keys(overlay, "1") == (0, {})
        keys = generate_n_keys_between(None, None, 3)
        first = _write("1", 0, set=(("10", keys[0]), ("11", keys[1]), ("12", keys[2])))
        done = await overlay.run(first)
        assert done == OverlayWritten(True, 1, 0, (("10", None), ("11", None), ("12", None)))
        assert await _keys(overlay, "1") == (1, {"10": keys[0], "11": keys[1], "12": keys[2]})
        with pytest.raises(ProblemError) as stale:  # a plan that read version 0 writes after another did
            await overlay.run(_write("1", 0, set=(("13", "a9"),)))
        assert stale.value.status == 409 and "nothing was overwritten" in stale.value.problems[0].detail
        skipped = await overlay.run(_write("1", 0, set=(("13", "a9"),), strict=False))
        assert skipped == OverlayWritten(False, 1, 1)
        move = _write("1", 1, set=(("12", "Zz"),), drop=("10",))
        moved = await overlay.run(move)
        assert moved == OverlayWritten(True, 2, 1, (("10", keys[0]), ("12", keys[2])))
        assert await _keys(overlay, "1") == (2, {"11": keys[1], "12": "Zz"})
        await overlay.run(undo_of(move)(moved))  # type: ignore[operator, arg-type]
        assert await _keys(overlay, "1") == (3, {"10": keys[0], "11": keys[1], "12": keys[2]})
        await overlay.run(_write("1", None, clear=True, set=(("20", "a0"),)))
        assert (await _keys(overlay, "1"))[1] == {"20": "a0"}
        forgot = await overlay.run(_write("1", None, forget=True))
        assert await _keys(overlay, "1") == (0, {})
        await overlay.run(undo_of(_write("1", None, forget=True))(forgot))  # type: ignore[operator, arg-type]
        assert (await _keys(overlay, "1"))[1] == {"20": "a0"}
        assert await overlay.run(_write("2", None, drop=("5",))) == OverlayWritten(False, 0, 0)  # nothing kept: nothing made
        assert await _keys(overlay, "2") == (0, {})
        other = await _overlay(store_url, backend="other")  # each backend's lists are its own
        try:
            assert await _keys(other, "1") == (0, {})
        finally:
            await other.close()
    finally:
        await overlay.close()


async def test_around_reads_the_members_their_neighbours_and_the_ends(sqlite_url: str) -> None:
    overlay = await _overlay(sqlite_url)
    try:
        keys = generate_n_keys_between(None, None, 1000)
        await overlay.run(_write("1", 0, set=tuple((str(i), k) for i, k in enumerate(keys))))
        _, window = await _keys(overlay, "1", around=("500", "42", "nope"))
        assert window == {str(i): keys[i] for i in (0, 41, 42, 43, 499, 500, 501, 999)}
        _, ends = await _keys(overlay, "1", around=())
        assert ends == {"0": keys[0], "999": keys[999]}
    finally:
        await overlay.close()


async def test_concurrent_writers_of_one_version_one_wins(store_url: str) -> None:
    overlay = await _overlay(store_url)
    try:
        await overlay.run(_write("1", 0, set=(("1", "a0"),)))
        writes = [overlay.run(_write("1", 1, set=((str(i), f"a{i}"),))) for i in range(2, 6)]
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert sum(isinstance(r, OverlayWritten) for r in results) == 1
        assert all(isinstance(r, ProblemError) and r.status == 409 for r in results if not isinstance(r, OverlayWritten))
        assert (await _keys(overlay, "1"))[0] == 2
    finally:
        await overlay.close()


async def test_the_stores_schema_check_leaves_the_overlay_tables_alone(sqlite_url: str, example_config, caplog) -> None:
    overlay = await _overlay(sqlite_url)
    await overlay.close()
    store = Store.from_url(sqlite_url, example_config.schema)
    with caplog.at_level(logging.WARNING, logger="relgate.store"):
        await store.open()
    await store.close()
    assert not [r for r in caplog.records if "relgate_order" in r.getMessage()]
