"""``relgate translate`` and the live gateway agree on what is sent to the backend.

Each case sends a caller's request through a real proxy :class:`~relgate.app.Gateway` to relgate's
store serving the backend dialect (the rig of tests/targets/proxy_support), recording every
backend request on the proxy's transport; then translates the same request offline with the same
configuration.  The backend requests translate prints must be the ones the remote target sent:
method, URL, body, and every header relgate sets (the HTTP client adds host, content-length,
user-agent, accept-encoding and connection itself).

Where the backend's answers shape later requests (a create's id, a read before an inline PATCH),
translate is given the answers the live backend gave, as raw ``### answer`` blocks; the cases
marked ``assumed`` agree without any answer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from relgate.config import from_dict
from relgate.dialects.strapi.docids import DocumentIds
from relgate.model import HttpResponse
from relgate.translate.httpfile import CannedAnswer, FileRequest
from relgate.translate.run import CALLER_ADDRESS, BackendRequest, Translator
from relgate.translate.standin import Placeholders
from tests.targets.proxy_support import BACKEND_PREFIX, CALLER_PREFIX, backend_config, rig

HTTP_CLIENT_OWN = frozenset({"host", "content-length", "user-agent", "accept-encoding", "connection"})
REQUEST_ID = "agree-1"
JSONAPI = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    response: HttpResponse


class Recording(httpx.AsyncBaseTransport):
    """Delegates to the backend's transport and keeps each request with its answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        headers = tuple((k.lower(), v) for k, v in response.headers.items())
        answer = HttpResponse(response.status_code, headers, content)
        self.sent.append(Sent(request.method, str(request.url), dict(request.headers), body, answer))
        return httpx.Response(response.status_code, headers=response.headers, content=content)


@dataclass
class Live:
    config: Any
    recording: Recording
    client: httpx.AsyncClient
    backend: httpx.AsyncClient


@asynccontextmanager
async def live(sqlite_url: str, caller: str, backend: str, **backend_keys: Any) -> AsyncIterator[Live]:
    """The proxy rig, its transport to the backend recorded."""
    recordings: list[Recording] = []

    def record(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        recordings.append(Recording(transport))
        return recordings[-1]

    async with rig(sqlite_url, caller, backend, wrap=record, **backend_keys) as r:
        yield Live(r.proxy.config, recordings[0], r.client, r.backend_client)


def offline(config: Any, caller: str, request: FileRequest, answers: list[CannedAnswer]) -> list[BackendRequest]:
    translation = Translator(config, CALLER_PREFIX[caller]).translate(request, answers, Placeholders())
    assert translation.mode == "backend", translation.notes
    return [q for step in translation.steps for q in step.requests]


def raw_answers(sent: list[Sent], backend: str) -> list[CannedAnswer]:
    """The live backend's answers as canned raw answers, keyed as translate matches them."""
    out = []
    root = "http://backend.test" + BACKEND_PREFIX[backend]
    for n, s in enumerate(sent, 1):
        assert s.url.startswith(root)
        out.append(CannedAnswer(s.method, s.url[len(root) :], s.response, n, "live"))
    return out


def assert_agree(printed: list[BackendRequest], sent: list[Sent]) -> None:
    assert [(q.method, q.url) for q in printed] == [(s.method, s.url) for s in sent]
    for q, s in zip(printed, sent, strict=True):
        assert q.body == s.body, q.url
        relgate_set = {k: v for k, v in s.headers.items() if k not in HTTP_CLIENT_OWN}
        if relgate_set.get("accept") == "*/*" and not any(k == "accept" for k, _ in q.headers):
            del relgate_set["accept"]  # the HTTP client's default
        shown = {k: s.headers["x-forwarded-for"] if v == CALLER_ADDRESS else v for k, v in q.headers}
        assert shown == relgate_set, q.url


@dataclass(frozen=True)
class Case:
    name: str
    caller: str
    backend: str
    method: str
    path: str
    body: Any
    content_type: str = JSONAPI
    assumed: bool = False
    """Agrees without canned answers: no request depends on what the backend answers."""
    backend_keys: tuple[tuple[str, Any], ...] = ()
    """Keys of the proxy's ``[backends.backend]`` and of the rig (``caller_options``, ``proxy_store``)."""


ZOE = {"type": "people", "lid": "z"}
ARTICLE_1 = {"type": "articles", "id": "1"}
ANN_ARTICLES = {"type": "people", "id": "1", "relationship": "articles"}
CASES = [
    Case(
        "create with linkage (assumed)",
        "jsonapi",
        "restless",
        "POST",
        "/people",
        {"data": {"type": "people", "attributes": {"name": "Zed"}, "relationships": {"articles": {"data": [ARTICLE_1]}}}},
        assumed=True,
    ),
    Case(
        "relationship add (assumed)",
        "jsonapi",
        "restless",
        "POST",
        "/people/1/relationships/articles",
        {"data": [{"type": "articles", "id": "2"}]},
        assumed=True,
    ),
    Case(
        "atomic batch, guarded",
        "jsonapi",
        "restless",
        "POST",
        "/operations",
        {
            "atomic:operations": [
                {"op": "add", "data": {"type": "people", "lid": "z", "attributes": {"name": "Zoe"}}},
                {"op": "add", "ref": ANN_ARTICLES, "data": [{"type": "articles", "id": "3"}]},
                {"op": "update", "data": {"type": "articles", "id": "2", "relationships": {"author": {"data": ZOE}}}},
                {"op": "remove", "ref": ANN_ARTICLES, "data": [ARTICLE_1]},
            ]
        },
        ATOMIC,
    ),
    Case(
        "DIDWW: read, then inline PATCH",
        "jsonapi",
        "didww",
        "POST",
        "/people/1/relationships/computers",
        {"data": [{"type": "computers", "id": "2"}]},
    ),
    Case(
        "Oro included to 0.17",
        "oro",
        "restless-legacy",
        "POST",
        "/accounts",
        {
            "data": {
                "type": "accounts",
                "attributes": {"name": "Cloth"},
                "relationships": {"contacts": {"data": [{"type": "contacts", "id": "c1"}, {"type": "contacts", "id": "c2"}]}},
            },
            "included": [
                {"type": "contacts", "id": "c1", "attributes": {"firstName": "John"}},
                {"type": "contacts", "id": "c2", "attributes": {"firstName": "Nancy"}},
            ],
        },
    ),
    Case(
        "0.17 remove-by-fields (the upsert rule) to JSON:API",
        "restless-legacy",
        "jsonapi",
        "PATCH",
        "/person/1",
        {"articles": {"remove": [{"title": "A"}]}, "name": "Ann B."},
        "application/json",
    ),
    Case(
        "Strapi positional connect, the order kept by relgate's overlay (assumed: none kept yet, as live)",
        "strapi",
        "restless",
        "PUT",
        "/restaurants/1",
        {"data": {"categories": {"connect": [{"id": 3, "position": {"before": 1}}]}}},
        "application/json",
        backend_keys=(
            ("order", "overlay"),
            ("caller_options", {"response_format": "v4"}),
            ("proxy_store", "sqlite+aiosqlite:///{tmp}/overlay.db"),
            ("policies", {"restaurants.categories": {"allow_remove": True}}),
        ),
    ),
]


async def _seed(r: Live) -> None:
    """People 1 (Ann) with articles 1 (A) and 2 (B), article 3 (C), computers 1 and 2, restaurant 1 with
    categories 1 and 2, category 3 — on the backend."""
    root = BACKEND_PREFIX["jsonapi"]
    h = {"content-type": JSONAPI}

    async def post(path: str, doc: dict[str, Any]) -> None:
        resp = await r.backend.post(root + path, json=doc, headers=h)
        assert resp.status_code == 201, resp.text

    await post("/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}})
    for title in ("A", "B", "C"):
        author = {"author": {"data": {"type": "people", "id": "1"}}} if title != "C" else {}
        await post("/articles", {"data": {"type": "articles", "attributes": {"title": title}, "relationships": author}})
    for name in ("pc1", "pc2"):
        await post("/computers", {"data": {"type": "computers", "attributes": {"name": name}}})
    for name in ("one", "two", "three"):
        await post("/categories", {"data": {"type": "categories", "attributes": {"name": name}}})
    linked = {"categories": {"data": [{"type": "categories", "id": "1"}, {"type": "categories", "id": "2"}]}}
    await post("/restaurants", {"data": {"type": "restaurants", "attributes": {"name": "Pizza"}, "relationships": linked}})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_translate_prints_what_the_gateway_sends(sqlite_url: str, tmp_path: Any, case: Case) -> None:
    keys = {k: (v.format(tmp=tmp_path) if isinstance(v, str) else v) for k, v in case.backend_keys}
    async with live(sqlite_url, case.caller, case.backend, **keys) as r:
        await _seed(r)
        r.recording.sent.clear()
        headers = {"content-type": case.content_type, "accept": case.content_type, "x-request-id": REQUEST_ID}
        url = CALLER_PREFIX[case.caller] + case.path
        resp = await r.client.request(case.method, url, content=json.dumps(case.body), headers=headers)
        assert resp.status_code < 400, resp.text
        sent = list(r.recording.sent)
        assert sent, "the gateway sent nothing to the backend"
        request = FileRequest(case.method, "http://relgate.test" + url, list(headers.items()), json.dumps(case.body).encode(), 1)
        answers = [] if case.assumed else raw_answers(sent, case.backend)
        printed = offline(r.config, case.caller, request, answers)
        if case.assumed:  # no answer shaped a request, yet the create's id is the stand-in's own: none appears in what was sent
            assert all("9000000" not in q.url for q in printed)
        assert_agree(printed, sent)


async def test_a_difference_is_caught(sqlite_url: str) -> None:
    """The comparison is not vacuous: translate told a different backend answer prints different requests."""
    case = CASES[3]  # DIDWW: the PATCH carries the linkage read first
    async with live(sqlite_url, case.caller, case.backend) as r:
        await _seed(r)
        r.recording.sent.clear()
        headers = {"content-type": JSONAPI, "accept": JSONAPI, "x-request-id": REQUEST_ID}
        url = CALLER_PREFIX[case.caller] + case.path
        resp = await r.client.request(case.method, url, content=json.dumps(case.body), headers=headers)
        assert resp.status_code < 400, resp.text
        sent = list(r.recording.sent)
    request = FileRequest(case.method, "http://relgate.test" + url, list(headers.items()), json.dumps(case.body).encode(), 1)
    printed = offline(r.config, case.caller, request, [])  # assumed: people/1 has no computers yet — so does the live one
    assert_agree(printed, sent)
    answers = raw_answers(sent, case.backend)
    other = dataclasses.replace(answers[0], answer=_with_computer(answers[0].answer))  # type: ignore[arg-type]
    printed = offline(r.config, case.caller, request, [other, *answers[1:]])
    with pytest.raises(AssertionError):
        assert_agree(printed, sent)


def _with_computer(response: HttpResponse) -> HttpResponse:
    doc = json.loads(response.body)
    doc["data"]["relationships"]["computers"]["data"] = [{"type": "computers", "id": "1"}]
    return dataclasses.replace(response, body=json.dumps(doc).encode())


async def test_a_strapi_backend_with_its_document_ids(sqlite_url: str) -> None:
    """Strapi 5's documentIds are the ids the proxy's callers use; translate takes them as they are."""
    async with live(sqlite_url, "jsonapi", "strapi") as r:
        await _seed(r)
        r.recording.sent.clear()
        ids = DocumentIds(from_dict(backend_config(sqlite_url)).schema.types)
        person, computer = ids.encode("people", "1"), ids.encode("computers", "2")
        headers = {"content-type": JSONAPI, "accept": JSONAPI, "x-request-id": REQUEST_ID}
        url = f"{CALLER_PREFIX['jsonapi']}/people/{person}/relationships/computers"
        body = json.dumps({"data": [{"type": "computers", "id": computer}]})
        resp = await r.client.post(url, content=body, headers=headers)
        assert resp.status_code < 400, resp.text
        sent = list(r.recording.sent)
    assert [s.method for s in sent] == ["GET", "PUT"]  # Strapi: read the relation, then connect what is new
    request = FileRequest("POST", "http://relgate.test" + url, list(headers.items()), body.encode(), 1)
    assert_agree(offline(r.config, "jsonapi", request, raw_answers(sent, "strapi")), sent)
    assert_agree(offline(r.config, "jsonapi", request, []), sent)  # assumed: no computers yet, as live
