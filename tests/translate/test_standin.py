"""The offline stand-in for a backend: placeholder ids, assumptions, canned answers, refusals."""

from __future__ import annotations

import json

import pytest

from relgate.config import Backend, from_dict
from relgate.model import (
    Add,
    Cmp,
    Create,
    Get,
    GetLinkage,
    HttpRequest,
    HttpResponse,
    Ident,
    LinkageResult,
    List,
    One,
    Problem,
    ProblemError,
    Query,
    Remove,
    Replace,
    Resource,
    ResourceList,
    Update,
)
from relgate.schema import parse_id
from relgate.translate.httpfile import CannedAnswer
from relgate.translate.standin import Assumptions, Placeholders, StandIn
from tests.targets.proxy_support import EXAMPLE

SCHEMA = from_dict(EXAMPLE).schema
JSONAPI = {"accept": "application/vnd.api+json", "content-type": "application/vnd.api+json"}


@pytest.mark.parametrize("style", ["integer", "uuid", "string"])
def test_placeholder_ids_are_valid_ids_named_by_their_step(style: str) -> None:
    first = Placeholders("")
    token = first.new(style, 2)
    assert parse_id(style, token) == token  # the backend's door and the client half take it
    second = first.new(style, 2)
    assert first.shown(f"/people/{token} and {second}") == "/people/<id of step 2> and <id 2 of step 2>"
    first.begin()
    assert first.labels[first.new(style, 2)] == "<id of step 2>"  # a new request numbers its steps anew


def test_placeholder_ids_never_collide_with_the_inputs() -> None:
    taken = Placeholders("").new("integer", 1)
    fresh = Placeholders(f'{{"id": {taken}}}').new("integer", 1)
    assert fresh != taken


def test_integer_placeholders_in_json_become_their_labels() -> None:
    p = Placeholders("")
    token = p.new("integer", 3)
    assert p.shown_value({"id": int(token), "self": f"/people/{token}", "n": 3, "ok": True}) == {
        "id": "<id of step 3>",
        "self": "/people/<id of step 3>",
        "n": 3,
        "ok": True,
    }


def test_what_the_request_did_not_write_reads_empty_and_what_it_wrote_reads_back() -> None:
    made: list[str] = []
    a = Assumptions(SCHEMA, lambda style: made.append(style) or "900")
    person = Ident("people", "1")
    got, note = a.result(Get(person, Query()))
    assert got == One(Resource("people", "1", {"name": None, "age": None, "birth_date": None}, {"articles": (), "computers": ()}))
    assert "values unknown" in note
    created, note = a.result(Create(None, "articles", {"title": "T"}, {"author": person}))
    assert made == ["integer"] and note == "creates articles 900" and created.item.id == "900"  # type: ignore[union-attr]
    assert a.result(Get(Ident("articles", "900"), Query()))[0] == One(Resource("articles", "900", {"title": "T"}, {"author": person}))
    a.result(Add(person, "articles", (Ident("articles", "900"), Ident("articles", "5"))))
    a.result(Remove(person, "articles", (Ident("articles", "5"),)))
    linkage, note = a.result(GetLinkage(person, "articles"))
    assert linkage == LinkageResult((Ident("articles", "900"),)) and "earlier in this request" in note
    a.result(Replace(person, "articles", ()))
    assert a.result(GetLinkage(person, "articles"))[0] == LinkageResult(())
    a.result(Update(person, {"age": 3}))
    assert a.result(Get(person, Query()))[0].item.attributes["age"] == 3  # type: ignore[union-attr]


def test_a_search_finds_nothing_but_a_look_up_by_id_finds_what_it_names() -> None:
    a = Assumptions(SCHEMA, lambda style: "x")
    assert a.result(List("computers", Query(where=Cmp("name", "eq", "Pi"))))[0] == ResourceList((), 0)
    found, note = a.result(List("computers", Query(where=Cmp("id", "in", (2, 3)))))
    assert [r.id for r in found.items] == ["2", "3"] and "looked up by id" in note  # type: ignore[union-attr]


def test_canned_answers_are_learnt() -> None:
    a = Assumptions(SCHEMA, lambda style: "x")
    person = Ident("people", "1")
    a.learn(GetLinkage(person, "computers"), LinkageResult((Ident("computers", "4"),)))
    assert a.result(GetLinkage(person, "computers"))[0] == LinkageResult((Ident("computers", "4"),))


def _ng(**kw: object) -> StandIn:
    backend = Backend("ng", "restless", "http://ng.test/api", **kw)  # type: ignore[arg-type]
    return StandIn(SCHEMA, backend, Placeholders(""))


def test_the_backend_door_parses_and_renders_in_its_own_dialect() -> None:
    ng = _ng()
    ng.step = 1
    body = json.dumps({"data": {"type": "person", "attributes": {"name": "Ann"}}}).encode()
    answered = ng.answer(HttpRequest("POST", "/person", "", JSONAPI, body))
    assert answered.response.status == 201 and answered.note.startswith("assumed: creates people ")
    doc = json.loads(answered.response.body)
    assert doc["data"]["type"] == "person" and ng.placeholders.labels[doc["data"]["id"]] == "<id of step 1>"
    assert [type(op).__name__ for op in answered.ops] == ["Create"]


def test_a_request_the_backends_dialect_refuses_is_answered_with_its_error_and_said_so() -> None:
    answered = _ng().answer(HttpRequest("POST", "/person", "", JSONAPI, b'{"data": {"type": "nope"}}'))
    assert answered.response.status == 409  # ng: a type mismatch is a conflict
    assert answered.note.startswith("relgate's restless door refuses this request:") and "may differ" in answered.note
    assert answered.ops == ()


def test_canned_answers_match_by_method_and_path_once_each_in_order() -> None:
    ng = _ng()
    one = CannedAnswer("GET", "/person/1/relationships/computers", LinkageResult((Ident("computers", "1"),)), 3, "a.http")
    refusal = CannedAnswer("GET", "http://ng.test/api/person/1?include=computers", ProblemError(Problem(409, "conflict", "C")), 5)
    raw = CannedAnswer("GET", "/person/1/relationships/computers", HttpResponse(200, (), b'{"data": []}'), 7)
    ng.canned = [one, refusal, raw]
    read = HttpRequest("GET", "/person/1/relationships/computers", "", {"accept": JSONAPI["accept"]})
    first = ng.answer(read)
    assert first.note == "canned answer (a.http:3)" and json.loads(first.response.body)["data"] == [{"type": "computer", "id": "1"}]
    second = ng.answer(read)  # the refusal is for another request: the raw answer is next
    assert second.response == raw.answer and second.note == "canned answer (line 7)"
    assert ng.answer(read).note.startswith("assumed: ")  # all used: assumed again
    assert ng.answer(HttpRequest("GET", "/person/1", "include=articles", {"accept": JSONAPI["accept"]})).note.startswith("assumed")
    refused = ng.answer(HttpRequest("GET", "/person/1", "include=computers", {"accept": JSONAPI["accept"]}))  # the query given: only it
    assert refused.response.status == 409 and refused.note == "canned: the backend refuses (line 5)"
    assert ng.unused() == []


def test_previews_of_undos_leave_canned_answers_for_the_real_steps() -> None:
    ng = _ng()
    ng.canned = [CannedAnswer("GET", "/person/1/relationships/computers", LinkageResult(()), 1)]
    ng.preview = True
    assert ng.answer(HttpRequest("GET", "/person/1/relationships/computers", "", {"accept": JSONAPI["accept"]})).note.startswith("assumed")
    assert ng.unused() == ng.canned
