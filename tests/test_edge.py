"""The gateway's edge (relgate/edge.py): absolute URLs, bare prefixes, nosniff and Cache-Control.

In-process over httpx's ASGI transport, whose peer address is chosen per test (``client=``):
127.0.0.1 is a trusted forwarder by default, 203.0.113.9 is not.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from relgate.app import Gateway
from relgate.config import Config, ConfigError, from_dict
from relgate.edge import Origins, valid_host

LEGACY = {"content-type": "application/json"}
JSONAPI = {"content-type": "application/vnd.api+json"}
STRANGER = ("203.0.113.9", 40000)


@asynccontextmanager
async def serve(
    config: Config, sqlite_url: str, *, peer: tuple[str, int] = ("127.0.0.1", 123), **server: object
) -> AsyncIterator[httpx.AsyncClient]:
    config = dataclasses.replace(config, store_url=sqlite_url, server=dataclasses.replace(config.server, **server))
    async with Gateway(config) as gw:
        transport = httpx.ASGITransport(app=gw, client=peer)
        async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as client:
            yield client


async def create_person(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    r = await client.post("/legacy/api/person", json={"name": "Ann"}, headers={**LEGACY, **headers})
    assert r.status_code == 201, r.text
    return r


# --- host reflection -----------------------------------------------------------------------------


async def test_a_forwarded_scheme_that_is_not_http_never_reaches_location(example_config: Config, sqlite_url: str) -> None:
    async with serve(example_config, sqlite_url) as client:
        r = await create_person(client, **{"x-forwarded-proto": "javascript", "host": "evil.example"})
    # The peer is trusted (127.0.0.1), so its Host is believed, but not a scheme that is not http(s).
    assert r.headers["location"] == "http://evil.example/legacy/api/person/1"


async def test_an_injected_host_never_reaches_location_or_link(example_config: Config, sqlite_url: str) -> None:
    evil = 'evil.example/>; rel="canonical", <http://evil.example'
    async with serve(example_config, sqlite_url) as client:
        r = await create_person(client, host=evil)
        listing = await client.get("/legacy/api/person", params={"results_per_page": 1}, headers={"host": evil})
    # Not a host[:port]: the address the connection came in on instead (httpx's ASGI server address).
    assert r.headers["location"] == "http://relgate.test/legacy/api/person/1"
    assert "evil" not in listing.headers["link"]
    assert listing.headers["link"].count("rel=") == 1


async def test_an_untrusted_peer_gets_the_listening_address_not_its_host(example_config: Config, sqlite_url: str) -> None:
    async with serve(example_config, sqlite_url, peer=STRANGER) as client:
        r = await create_person(client, **{"host": "evil.example", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example"})
    assert r.headers["location"] == "http://relgate.test/legacy/api/person/1"


async def test_a_trusted_forwarder_sets_scheme_and_host(example_config: Config, sqlite_url: str) -> None:
    proxy = ("10.1.2.3", 5555)
    async with serve(example_config, sqlite_url, peer=proxy, trusted_proxies=("10.0.0.0/8",)) as client:
        forwarded = {"x-forwarded-proto": "https, http", "x-forwarded-host": "api.example.com", "host": "relgate.internal"}
        r = await create_person(client, **forwarded)
    assert r.headers["location"] == "https://api.example.com/legacy/api/person/1"


async def test_the_public_url_wins_over_every_header(example_config: Config, sqlite_url: str) -> None:
    async with serve(example_config, sqlite_url, public_url="https://api.example.com/gw") as client:
        r = await create_person(client, **{"host": "evil.example", "x-forwarded-proto": "javascript"})
        listing = await client.get("/legacy/api/person", params={"results_per_page": 1})
    assert r.headers["location"] == "https://api.example.com/gw/legacy/api/person/1"
    assert listing.headers["link"] == '<https://api.example.com/gw/legacy/api/person?page=1&results_per_page=1>; rel="last"'


def test_origin_rules() -> None:
    origins = Origins("", ("127.0.0.1", "::1"))
    scope = {"scheme": "http", "server": ("::1", 8080), "client": ("203.0.113.9", 1)}
    assert origins.origin(scope, {"host": "evil.example"}) == "http://[::1]:8080"
    assert origins.origin({**scope, "server": ("10.0.0.5", 80)}, {}) == "http://10.0.0.5"
    assert origins.origin({**scope, "server": None}, {}) == ""
    trusted = {**scope, "client": ("::1", 1)}
    assert origins.origin(trusted, {"host": "api.example.com:8443", "x-forwarded-proto": "HTTPS"}) == "https://api.example.com:8443"
    assert origins.origin(trusted, {"host": "a b"}) == "http://[::1]:8080"
    for bad in ("", "evil.example/x", "evil.example>", "user@evil.example", "evil.example:99999999", "-x.example", "a\r\nb"):
        assert not valid_host(bad), bad
    for good in ("localhost", "api.example.com", "127.0.0.1:8080", "[2001:db8::1]:443", "example.com."):
        assert valid_host(good), good


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("public_url", "javascript://evil.example"),
        ("public_url", "https://api.example.com/"),
        ("public_url", "https://api.example.com/?x=1"),
        ("public_url", "https://user@api.example.com"),
        ("trusted_proxies", ["10.0.0.0/33"]),
        ("trusted_proxies", "127.0.0.1"),
        ("body_timeout", 0),
        ("header_timeout", "10"),
    ],
)
def test_edge_keys_are_checked_with_their_key_path(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict({"server": {key: value}, "routes": [{"prefix": "/a", "dialect": "jsonapi"}], "types": {"a": {}}})
    assert any(e.startswith((f"server.{key}:", f"server.{key}[")) for e in err.value.errors), err.value.errors


# --- bare prefixes -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_bare_prefix_is_answered_by_its_door_not_redirected(example_config: Config, sqlite_url: str, method: str) -> None:
    async with serve(example_config, sqlite_url) as client:
        jsonapi = await client.request(method, "/jsonapi", headers={**JSONAPI, "host": "evil.example"}, content=b"{}")
        strapi = await client.request(method, "/strapi/api", headers={"host": "evil.example"})
        legacy = await client.request(method, "/legacy/api", headers={"host": "evil.example"})
    for r in (jsonapi, strapi, legacy):
        assert r.status_code not in (301, 302, 307, 308), r.headers
        assert "location" not in r.headers
    assert jsonapi.status_code == 404 and jsonapi.headers["content-type"].startswith("application/vnd.api+json")
    assert jsonapi.json()["errors"][0]["status"] == str(jsonapi.status_code)
    assert strapi.status_code == 404 and strapi.json()["error"]["status"] == strapi.status_code
    assert legacy.status_code == 404 and "message" in legacy.json()


# --- nosniff and Cache-Control ---------------------------------------------------------------------


async def test_every_answer_says_nosniff_and_how_to_cache(example_config: Config, sqlite_url: str) -> None:
    async with serve(example_config, sqlite_url, cors_origins=("https://app.example.com",)) as client:
        created = await create_person(client)
        read = await client.get("/legacy/api/person/1")
        missing = await client.get("/jsonapi/people/99")
        unrouted = await client.get("/nowhere")
        deleted = await client.delete("/legacy/api/person/1")
        preflight = await client.options(
            "/strapi/api/people", headers={"origin": "https://app.example.com", "access-control-request-method": "PUT"}
        )
    answers = {"created": created, "read": read, "missing": missing, "unrouted": unrouted, "deleted": deleted, "preflight": preflight}
    for name, r in answers.items():
        assert r.headers.get("x-content-type-options") == "nosniff", name
    assert read.status_code == 200 and read.headers["cache-control"] == "no-cache"
    for name in ("created", "missing", "unrouted", "deleted"):
        assert answers[name].headers["cache-control"] == "no-store", name
    assert "cache-control" not in preflight.headers, "CORS preflights are cached by Access-Control-Max-Age"


# --- the body deadline (over a real socket: tests/e2e/test_slow_clients.py) ----------------------------


async def call(gw: Gateway, method: str, path: str, headers: dict[str, str], receive: object) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 5000),
    }
    await gw(scope, receive, send)  # type: ignore[arg-type]
    if not sent:
        return 0, {}, b""
    start, body = sent[0], sent[1]
    return int(start["status"]), {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]  # type: ignore[attr-defined,call-overload,index]


def trickle(first: bytes):  # type: ignore[no-untyped-def]
    """A receive that gives one chunk of the body, then never the rest."""
    import anyio

    given = False

    async def receive() -> dict[str, object]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": first, "more_body": True}
        await anyio.sleep(3600)
        raise AssertionError("unreachable")

    return receive


def whole(body: bytes):  # type: ignore[no-untyped-def]
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/jsonapi/people", JSONAPI),
        ("/strapi/api/people", LEGACY),
        ("/legacy/api/person", LEGACY),
    ],
)
async def test_a_body_not_sent_in_time_is_408_in_the_callers_dialect(
    example_config: Config, sqlite_url: str, path: str, headers: dict[str, str]
) -> None:
    server = dataclasses.replace(example_config.server, body_timeout=0.2)
    async with Gateway(dataclasses.replace(example_config, store_url=sqlite_url, server=server)) as gw:
        status, got, body = await call(gw, "POST", path, {**headers, "content-length": "100"}, trickle(b'{"data": '))
    assert status == 408
    assert got["connection"] == "close" and got["cache-control"] == "no-store"
    doc = json.loads(body)
    if path.startswith("/jsonapi"):
        assert doc["errors"][0]["status"] == "408"
    elif path.startswith("/strapi"):
        assert doc["error"]["status"] == 408 and doc["error"]["name"] == "RequestTimeoutError"
    else:
        assert "not received within 0.2 seconds" in doc["message"]


async def test_a_client_gone_mid_body_is_not_processed(example_config: Config, sqlite_url: str) -> None:
    parts = iter(
        [
            {"type": "http.request", "body": b'{"name": "Ann"}', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, object]:
        return next(parts)

    async with Gateway(dataclasses.replace(example_config, store_url=sqlite_url)) as gw:
        status, _, _ = await call(gw, "POST", "/legacy/api/person", LEGACY, receive)
        listing = await call(gw, "GET", "/legacy/api/person", {}, whole(b""))
    assert status == 0, "nothing is sent to a client that is gone"
    assert json.loads(listing[2])["num_results"] == 0
