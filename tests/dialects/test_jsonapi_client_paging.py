"""The JSON:API client half reads a collection as the caller asked, whatever the backend's paging.

Driven offline (the exchange is sans-IO): canned backend answers, the requests it yields checked.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from relgate.config import Backend
from relgate.dialects.jsonapi.client import JsonApiClient, client
from relgate.model import HttpRequest, HttpResponse, List, Page, ProblemError, Query, ResourceList
from tests.dialects.test_client_encoders import SCHEMA

URL = "http://backend.test/api"


def _client(**options: Any) -> JsonApiClient:
    return client(SCHEMA, Backend("b", "jsonapi", URL, options=options))


def _answer(names: list[str], next_url: str | None = None) -> HttpResponse:
    doc: dict[str, Any] = {"data": [{"type": "people", "id": n, "attributes": {"name": n}} for n in names]}
    if next_url is not None:
        doc["links"] = {"next": next_url}
    return HttpResponse(200, (("content-type", "application/vnd.api+json"),), orjson.dumps(doc))


def _drive(op: List, answer) -> tuple[list[HttpRequest], ResourceList]:
    exchange = _client(max_page_size=2).exchange(op)
    sent = [next(exchange)]
    while True:
        try:
            sent.append(exchange.send(answer(sent[-1], len(sent))))
        except StopIteration as done:
            return sent, done.value


def test_an_unpaged_read_follows_the_backends_next_links() -> None:
    pages = {1: (["a", "b"], URL + "/people?page%5Bnumber%5D=2"), 2: (["c", "d"], "/api/people?page%5Bnumber%5D=3"), 3: (["e"], None)}
    sent, result = _drive(List("people"), lambda request, n: _answer(*pages[n]))
    assert [(r.path, r.query) for r in sent] == [("/people", ""), ("/people", "page%5Bnumber%5D=2"), ("/people", "page%5Bnumber%5D=3")]
    assert [r.id for r in result.items] == ["a", "b", "c", "d", "e"]


def test_a_page_larger_than_the_backends_cap_is_read_as_several_and_cut() -> None:
    rows = [f"p{n}" for n in range(20)]

    def answer(request: HttpRequest, _: int) -> HttpResponse:
        params = dict(p.split("=") for p in request.query.split("&"))
        number, size = int(params["page[number]"]), int(params["page[size]"])
        return _answer(rows[(number - 1) * size : number * size])

    sent, result = _drive(List("people", Query(page=Page(offset=3, limit=5))), answer)
    assert [r.id for r in result.items] == rows[3:8]
    assert len(sent) == 3  # backend pages 2, 3 and 4 of size 2 hold offsets 2..7


def test_a_short_page_ends_the_read() -> None:
    sent, result = _drive(List("people", Query(page=Page(offset=0, limit=10))), lambda request, n: _answer(["a", "b"] if n == 1 else ["c"]))
    assert [r.id for r in result.items] == ["a", "b", "c"] and len(sent) == 2


def test_a_next_link_outside_the_backends_root_is_a_bad_answer() -> None:
    with pytest.raises(ProblemError) as bad:
        _drive(List("people"), lambda request, n: _answer(["a"], "http://elsewhere.test/people?page=2"))
    assert bad.value.problems[0].status == 502
