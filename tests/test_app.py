"""The ASGI gateway: prefix routing, lifespan, body limits."""

from __future__ import annotations

import dataclasses

import httpx

from relgate.app import Gateway
from relgate.config import Config, ServerConfig


async def test_unknown_prefix_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere/people")
    assert r.status_code == 404
    assert "No front door" in r.json()["error"]


async def test_a_newline_in_the_path_is_answered_by_the_front_door(client: httpx.AsyncClient) -> None:
    # Starlette's Mount pattern does not match across a newline (``%0A`` decodes to one).
    r = await client.get("/jsonapi/people/%0A1")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/vnd.api+json"
    assert r.json()["errors"][0]["status"] == "404"
    r = await client.get("/strapi4/api/people%0A")
    assert r.status_code == 404
    assert r.json()["error"]["name"] == "NotFoundError"


async def test_lifespan_opens_and_closes_the_store(example_config: Config, sqlite_url: str) -> None:
    gw = Gateway(dataclasses.replace(example_config, store_url=sqlite_url))
    sent: list[dict[str, object]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, object]:
        return next(messages)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await gw({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_body_over_the_limit_is_413_even_without_content_length(example_config: Config, sqlite_url: str) -> None:
    config = dataclasses.replace(example_config, store_url=sqlite_url, server=ServerConfig(max_body_bytes=100))
    async with Gateway(config) as gw:
        chunks = [b'{"data": {"type": "people", "attributes": {"name": "', b"x" * 200, b'"}}}']

        async def stream():  # type: ignore[no-untyped-def]
            for c in chunks:
                yield c

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as c:
            r = await c.post("/jsonapi/people", content=stream(), headers={"content-type": "application/vnd.api+json"})
        assert r.status_code == 413
        assert r.json()["errors"][0]["code"] == "too-large"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as c:
            listing = await c.get("/jsonapi/people")
        assert listing.json()["data"] == []


async def test_head_is_get_without_a_body(client: httpx.AsyncClient) -> None:
    await client.post(
        "/jsonapi/people",
        json={"data": {"type": "people", "attributes": {"name": "Ann"}}},
        headers={"content-type": "application/vnd.api+json"},
    )
    get = await client.get("/jsonapi/people/1")
    head = await client.head("/jsonapi/people/1")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]
    assert (await client.head("/jsonapi/people/999")).status_code == 404
    assert (await client.head("/strapi/api/people")).status_code == 200


async def test_cors_preflight_and_headers_when_configured(example_config: Config, sqlite_url: str) -> None:
    server = dataclasses.replace(example_config.server, cors_origins=("https://app.example.com",))
    config = dataclasses.replace(example_config, store_url=sqlite_url, server=server)
    async with Gateway(config) as gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as c:
        pre = await c.options(
            "/strapi/api/people",
            headers={
                "origin": "https://app.example.com",
                "access-control-request-method": "PUT",
                "access-control-request-headers": "content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "PUT" in pre.headers["access-control-allow-methods"]
        got = await c.get("/strapi/api/people", headers={"origin": "https://app.example.com"})
        assert got.headers["access-control-allow-origin"] == "https://app.example.com"
        other = await c.get("/strapi/api/people", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    r = await client.get("/strapi/api/people", headers={"origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_origins_must_be_strings() -> None:
    import pytest

    from relgate.config import ConfigError, from_dict

    with pytest.raises(ConfigError) as err:
        from_dict({"server": {"cors_origins": [1]}, "routes": [{"prefix": "/a", "dialect": "jsonapi"}], "types": {"a": {}}})
    assert any(e.startswith("server.cors_origins") for e in err.value.errors)


def test_header_values_outside_latin1_are_percent_encoded() -> None:
    from relgate.app import _header_value

    assert _header_value("/jsonapi/contactsources/ä") == "/jsonapi/contactsources/ä".encode("latin-1")
    assert _header_value("/x/中文") == b"/x/%E4%B8%AD%E6%96%87"


def test_a_gateway_whose_routes_all_go_to_backends_never_imports_the_store() -> None:
    """Middleware mode inside an app pinned to SQLAlchemy 1.3 (Flask-Restless 0.17) relies on it."""
    import subprocess
    import sys

    code = """
import sys
from relgate.app import Gateway
from relgate.config import from_dict
config = from_dict({"backends": {"app": {"dialect": "jsonapi", "url": "http://app/api"}},
                    "routes": [{"prefix": "/strapi/api", "dialect": "strapi", "target": "app"}],
                    "types": {"people": {"attributes": {"name": "string"}}}})
gateway = Gateway(config)
assert list(gateway.targets) == ["app"], gateway.targets
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic") or m.startswith("relgate.store")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
