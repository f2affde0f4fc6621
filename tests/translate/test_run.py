"""The translator mirrors the remote target's order: relgate's checks, then the backend's refusals, then the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from relgate.config import load
from relgate.dialects import Intent
from relgate.model import Add, Batch, Ident, Replace
from relgate.translate.httpfile import FileRequest
from relgate.translate.run import Translator

CONFIG = load(Path(__file__).resolve().parents[1] / "planner" / "translate" / "gateway.toml")
REQUEST = FileRequest("POST", "/jsonapi/people/1/relationships/articles", [], b"{}", 1)


def test_a_batch_relgates_checks_refuse_is_refused_before_the_backends_capabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    # No door sends such a batch (each checks lids itself); the gateway's checks hold for any that did.
    translator = Translator(CONFIG, "/jsonapi")
    unbound = Add(Ident("people", lid="nobody"), "computers", (Ident("computers", "1"),))
    forbidden = Replace(Ident("people", "1"), "computers", ())  # ng forbids it: the checks speak first
    monkeypatch.setattr(translator.door.dialect, "parse", lambda request: Intent(Batch((forbidden, unbound))))
    t = translator.translate(REQUEST)
    assert t.mode == "refused" and t.steps == [] and t.answer is not None and t.answer.status == 400
    assert b"nobody" in t.answer.body and b"does not allow" not in t.answer.body
    assert t.notes == ["refused before any backend request: the batch does not hold together (as the store would refuse it)"]


def test_what_the_backend_cannot_do_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    translator = Translator(CONFIG, "/jsonapi")
    monkeypatch.setattr(translator.door.dialect, "parse", lambda request: Intent(Batch((Replace(Ident("people", "1"), "computers", ()),))))
    t = translator.translate(REQUEST)
    assert t.mode == "refused" and t.answer is not None and t.answer.status == 403
    assert t.notes == ["refused before any backend request: the backend 'ng' cannot carry this out as asked"]
