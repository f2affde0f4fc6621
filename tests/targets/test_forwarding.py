"""Headers across the gateway and untouched pass-through, against a recording backend app."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import from_dict
from relgate.targets import Call
from relgate.targets.forwarding import end_to_end, passed_through, translated
from tests.targets.proxy_support import proxy_config


class Recorder:
    """An ASGI backend that records each request (headers, body) and answers a fixed JSON:API person."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests.append({"method": scope["method"], "path": scope["path"], "headers": scope["headers"], "body": body})
        doc = {"data": {"type": "person", "id": "7", "attributes": {"name": "Ann"}}}
        payload = json.dumps(doc).encode() if scope["path"] != "/api/upload" else b"x" * 70_000
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/vnd.api+json"), (b"connection", b"x-secret"), (b"x-secret", b"1"),
            (b"keep-alive", b"timeout=5"), (b"x-backend", b"yes"), (b"content-length", str(len(payload)).encode()),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})

    def header(self, i: int, name: str) -> list[str]:
        return [v.decode() for k, v in self.requests[i]["headers"] if k.decode().lower() == name]


def _gateway(recorder: Recorder, **backend_keys: Any) -> Gateway:
    data = proxy_config("jsonapi", "restless", **backend_keys)
    data["backends"]["backend"]["url"] = "http://backend.test/api"
    return Gateway(from_dict(data), transports={"backend": httpx.ASGITransport(app=recorder)})  # type: ignore[arg-type]


CALLER_HEADERS = {
    "authorization": "Bearer caller-token",
    "cookie": "session=abc",
    "x-request-id": "req-1",
    "connection": "x-hop, keep-alive",
    "x-hop": "must-not-pass",
    "te": "trailers",
    "proxy-authorization": "Basic nope",
    "x-forwarded-for": "10.9.8.7",
}


async def test_translated_request_headers() -> None:
    rec = Recorder()
    gw = _gateway(rec, headers={"X-Api-Key": "k1"})
    transport = httpx.ASGITransport(app=gw, client=("127.0.0.5", 5555))  # type: ignore[arg-type]
    async with gw, httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as c:
        r = await c.get("/jsonapi/people/7", headers=CALLER_HEADERS)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["name"] == "Ann"
    assert rec.requests[0]["path"] == "/api/person/7"  # the backend's own collection name
    assert rec.header(0, "authorization") == ["Bearer caller-token"]
    assert rec.header(0, "cookie") == ["session=abc"]
    assert rec.header(0, "x-request-id") == ["req-1"]
    assert rec.header(0, "x-api-key") == ["k1"]
    assert rec.header(0, "x-forwarded-for") == ["10.9.8.7, 127.0.0.5"]
    assert rec.header(0, "x-forwarded-proto") == ["http"]
    assert rec.header(0, "x-forwarded-host") == ["relgate.test"]
    assert rec.header(0, "accept") == ["application/vnd.api+json"]  # a 1.0 backend: no media type parameters
    for hop in ("x-hop", "te", "proxy-authorization"):
        assert rec.header(0, hop) == []
    # the answer is relgate's own, rendered for the caller: no backend hop-by-hop or private headers
    assert "x-secret" not in r.headers and "keep-alive" not in r.headers


async def test_forwarded_host_is_relgates_decided_origin_not_an_untrusted_host() -> None:
    """A peer outside trusted_proxies cannot make the backend believe in another host or scheme."""
    rec = Recorder()
    gw = _gateway(rec)
    transport = httpx.ASGITransport(app=gw, client=("203.0.113.9", 5555))  # type: ignore[arg-type]
    spoofed = {"host": "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https"}
    async with gw, httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as c:
        r = await c.get("/jsonapi/people/7", headers=spoofed)
        assert r.status_code == 200, r.text
        streamed = await c.get("/jsonapi/elsewhere", headers=spoofed)
    for n in range(len(rec.requests)):
        assert "evil.example" not in rec.header(n, "x-forwarded-host")
        assert rec.header(n, "x-forwarded-proto") == ["http"]
    assert streamed.status_code == 200 and rec.requests[-1]["path"] == "/api/elsewhere"  # the streamed one too


async def test_pass_through_streams_body_and_headers_untouched() -> None:
    rec = Recorder()
    gw = _gateway(rec)
    body = b"--boundary\r\n" + b"z" * 300_000 + b"\r\n--boundary--\r\n"
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        headers = {**CALLER_HEADERS, "content-type": "multipart/form-data; boundary=boundary"}
        r = await c.post("/jsonapi/upload?x=1", content=body, headers=headers)
    assert r.status_code == 200
    assert r.content == b"x" * 70_000  # byte for byte
    assert r.headers["x-backend"] == "yes" and r.headers["content-length"] == "70000"
    assert "x-secret" not in r.headers and "keep-alive" not in r.headers  # named by Connection / hop-by-hop
    sent = rec.requests[0]
    assert sent["path"] == "/api/upload" and sent["body"] == body
    assert rec.header(0, "content-type") == ["multipart/form-data; boundary=boundary"]
    assert rec.header(0, "content-length") == [str(len(body))]
    assert rec.header(0, "authorization") == ["Bearer caller-token"]
    assert rec.header(0, "x-hop") == [] and rec.header(0, "te") == []


def test_end_to_end_drops_what_connection_names() -> None:
    got = end_to_end([("Connection", "close, X-A"), ("X-A", "1"), ("X-B", "2"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c")])
    assert got == [("x-b", "2")]


def test_configured_headers_override_and_repeated_caller_headers_stay() -> None:
    call = Call(headers={"authorization": "Bearer a"}, client="1.2.3.4", scheme="https", host="api.example")
    assert ("authorization", "Bearer b") in translated({}, call, {"Authorization": "Bearer b"})
    out = passed_through([("Accept", "a"), ("Accept", "b"), ("Host", "relgate")], call, {})
    assert [v for k, v in out if k == "accept"] == ["a", "b"]
    assert all(k != "host" for k, _ in out)


@pytest.mark.parametrize("path", ["/jsonapi/people", "/jsonapi/people/7"])
async def test_covered_paths_are_translated_not_streamed(path: str) -> None:
    rec = Recorder()
    gw = _gateway(rec)
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        await c.get(path)
    assert rec.requests[0]["path"].startswith("/api/person")
