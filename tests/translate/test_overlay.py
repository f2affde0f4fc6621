"""The offline order overlay: the store's rules on an in-memory copy, canned ORDER answers."""

from __future__ import annotations

import pytest

from relgate.model import ProblemError
from relgate.planner.overlay import Keys, OverlayRead, OverlayState, OverlayWrite, OverlayWritten
from relgate.translate.httpfile import HttpFileError, parse
from relgate.translate.overlay import OfflineOverlay

READ = OverlayRead("restaurants", "categories", ("1",))


def write(version: int | None, **kw: object) -> OverlayWrite:
    return OverlayWrite("restaurants", "categories", "1", version, **kw)  # type: ignore[arg-type]


def test_a_list_starts_as_not_kept_and_a_write_starts_it() -> None:
    o = OfflineOverlay()
    state, note = o.run(READ)
    assert state == OverlayState({"1": Keys()}) and note == "assumed: relgate keeps no order for restaurants/1.categories yet"
    assert o.run(write(0, drop=("2",)))[0] == OverlayWritten(False, 0, 0)  # nothing kept, nothing to keep
    written, note = o.run(write(0, set=(("2", "a0"), ("1", "a1"))))
    assert written == OverlayWritten(True, 1, 0, (("2", None), ("1", None))) and note.endswith("written (version 1)")
    assert o.run(READ)[0] == OverlayState({"1": Keys(1, {"2": "a0", "1": "a1"})})


def test_a_strict_write_on_a_stale_version_is_a_conflict_and_a_lenient_one_is_skipped() -> None:
    o = OfflineOverlay()
    o.run(write(0, set=(("1", "a0"),)))
    with pytest.raises(ProblemError) as caught:
        o.run(write(0, set=(("2", "a1"),)))
    assert caught.value.status == 409
    assert o.run(write(0, set=(("2", "a1"),), strict=False))[0] == OverlayWritten(False, 1, 1)


def test_clear_and_forget_report_the_keys_they_replaced() -> None:
    o = OfflineOverlay()
    o.run(write(0, set=(("1", "a0"), ("2", "a1"))))
    assert o.run(write(1, clear=True, set=(("3", "a0"),)))[0] == OverlayWritten(True, 2, 1, (("1", "a0"), ("2", "a1"), ("3", None)))
    assert o.run(write(2, forget=True))[0] == OverlayWritten(True, 0, 2, (("3", "a0"),))
    assert o.run(READ)[0] == OverlayState({"1": Keys()})


def test_a_canned_order_is_the_kept_list() -> None:
    http = parse('GET /x\n### answer ORDER restaurants/1/categories\n["3", 1]\n')
    o = OfflineOverlay(http.requests[0].answers)
    state, note = o.run(READ)
    keys = state.of("1")  # type: ignore[union-attr]
    assert keys.version == 1 and sorted(keys.keys, key=keys.keys.__getitem__) == ["3", "1"] and note.startswith("canned answer (line 2)")
    assert o.unused() == []
    with pytest.raises(HttpFileError, match="line 3: an ORDER answer is a JSON array of member ids"):
        parse('GET /x\n### answer ORDER restaurants/1/categories\n{"3": 1}\n')
