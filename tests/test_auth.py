"""Access control per front door (relgate/auth.py): API tokens and JWTs, every refusal in three dialects.

In-process over httpx's ASGI transport; tests/e2e/test_auth_serve.py drives the same over a
real ``relgate serve``.  Keys are made per session: an HS256 secret and an RSA key pair (PEM
and JWKS files).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from relgate.app import Gateway
from relgate.auth import Guard, parse_schemes
from relgate.config import Config, ConfigError, from_dict
from tests.conftest import EXAMPLE

RW = "rw-token-0123456789abcdef"
RO = "ro-token-0123456789abcdef"
SECRET = "s" * 40
ISSUER = "https://id.example.com/"
AUDIENCE = "relgate-api"
ENV = {"T_RW": RW, "T_RO": RO, "T_SECRET": SECRET}


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_files(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> dict[str, Path]:
    public = rsa_key.public_key()
    pem = tmp_path / "jwt.pem"
    pem.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    return {"pem": pem, "jwks": jwks}


def auth_table(key_files: dict[str, Path]) -> dict[str, Any]:
    return {
        "tokens": [{"env": "T_RW", "access": "read-write"}, {"env": "T_RO", "access": "read-only"}],
        "jwt": {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "secret_env": "T_SECRET",
            "jwks_file": str(key_files["jwks"]),
            "write_scope": "relgate:write",
        },
    }


def guarded(key_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Config:
    """The example with every front door behind ``[auth.api]``."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    data = tomllib.loads(EXAMPLE.read_text())
    data["auth"] = {"api": {**auth_table(key_files), **extra}}
    for route in data["routes"]:
        route["auth"] = "api"
    return from_dict(data)


@asynccontextmanager
async def client_for(config: Config, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        Gateway(dataclasses.replace(config, store_url=sqlite_url)) as gw,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as client,
    ):
        yield client


def hs(claims: dict[str, Any] | None = None, *, secret: str = SECRET, drop: tuple[str, ...] = ()) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 300, "iat": now, "sub": "ann", "scope": "relgate:write", **(claims or {})}
    for name in drop:
        body.pop(name)
    return jwt.encode(body, secret, algorithm="HS256")


def rs(key: rsa.RSAPrivateKey, claims: dict[str, Any] | None = None, *, kid: str = "k1") -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": [AUDIENCE, "other"], "exp": now + 300, "scp": ["relgate:write"], **(claims or {})}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


# One write per dialect: (path, body, content type); the body is never read when auth refuses.
WRITES: dict[str, tuple[str, Any, str]] = {
    "jsonapi": ("/jsonapi/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
    "strapi": ("/strapi/api/people", {"data": {"name": "Ann"}}, "application/json"),
    "restless-legacy": ("/legacy/api/person", {"name": "Ann"}, "application/json"),
    "oro": ("/oro/api/people", {"data": {"type": "people", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
    "restless": ("/restless/api/person", {"data": {"type": "person", "attributes": {"name": "Ann"}}}, "application/vnd.api+json"),
}
READS = {"jsonapi": "/jsonapi/people", "strapi": "/strapi/api/people", "restless-legacy": "/legacy/api/person"}
DIALECTS = ("jsonapi", "strapi", "restless-legacy")


def error_of(dialect: str, r: httpx.Response) -> str:
    """The status inside the body and the message, checking the dialect's own error shape."""
    doc = r.json()
    if dialect in ("jsonapi", "restless", "oro"):
        assert r.headers["content-type"].startswith("application/vnd.api+json")
        assert doc["errors"][0]["status"] == str(r.status_code)
        return doc["errors"][0]["detail"]
    if dialect == "strapi":
        assert doc["data"] is None
        assert doc["error"]["status"] == r.status_code
        assert doc["error"]["name"] == {401: "UnauthorizedError", 403: "ForbiddenError"}[r.status_code]
        return doc["error"]["message"]
    assert set(doc) == {"message"}
    return doc["message"]


def refusals(key: rsa.RSAPrivateKey) -> list[tuple[str, str | None, int, str, str]]:
    """(case, Authorization, status, WWW-Authenticate must contain, detail must contain)."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [
        ("missing", None, 401, 'Bearer realm="relgate"', "Missing credentials"),
        ("basic scheme", "Basic dXNlcjpwYXNz", 401, 'Bearer realm="relgate"', "only 'Authorization: Bearer"),
        ("malformed", "Bearer a b\"c", 401, 'error="invalid_token"', "malformed"),
        ("empty bearer", "Bearer ", 401, 'error="invalid_token"', "malformed"),
        ("wrong token", "Bearer not-the-token-0123456789", 401, 'error="invalid_token"', "not valid"),
        ("expired", f"Bearer {hs({'exp': int(time.time()) - 3600})}", 401, 'error="invalid_token"', "expired"),
        ("wrong issuer", f"Bearer {hs({'iss': 'https://evil.example/'})}", 401, 'error="invalid_token"', "issuer"),
        ("wrong audience", f"Bearer {hs({'aud': 'someone-else'})}", 401, 'error="invalid_token"', "audience"),
        ("no exp", f"Bearer {hs(drop=('exp',))}", 401, 'error="invalid_token"', "'exp'"),
        ("wrong secret", f"Bearer {hs(secret='x' * 40)}", 401, 'error="invalid_token"', "signature"),
        ("wrong rsa key", f"Bearer {rs(other)}", 401, 'error="invalid_token"', "signature"),
        ("unknown kid", f"Bearer {rs(key, kid='k9')}", 401, 'error="invalid_token"', "key id"),
        ("alg none", "Bearer " + _unsigned(), 401, 'error="invalid_token"', "algorithm"),
        ("read-only token on a write", f"Bearer {RO}", 403, 'error="insufficient_scope"', "read-only"),
        ("jwt without the write scope", f"Bearer {hs({'scope': 'relgate:read'})}", 403, 'scope="relgate:write"', "relgate:write"),
    ]


def _unsigned() -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300, "scope": "relgate:write"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_every_refusal_in_the_callers_dialect(
    dialect: str, key_files: dict[str, Path], rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    path, body, content_type = WRITES[dialect]
    async with client_for(guarded(key_files, monkeypatch), sqlite_url) as client:
        for case, authorization, status, challenge, detail in refusals(rsa_key):
            headers = {"content-type": content_type, **({"authorization": authorization} if authorization else {})}
            r = await client.post(path, json=body, headers=headers)
            assert r.status_code == status, f"{case}: {r.status_code} {r.text}"
            assert challenge in r.headers["www-authenticate"], f"{case}: {r.headers.get('www-authenticate')}"
            assert r.headers["www-authenticate"].startswith("Bearer "), case
            message = error_of(dialect, r)
            if dialect == "strapi" and status == 403:
                assert message == "Forbidden", case  # Strapi's ForbiddenError says no more; the challenge does
            else:
                assert detail in message, f"{case}: {r.text}"
            assert r.headers["cache-control"] == "no-store", case
        # Nothing was written by any refused request.
        listing = await client.get(READS[dialect], headers={"authorization": f"Bearer {RO}"})
    assert listing.status_code == 200
    assert "Ann" not in listing.text


@pytest.mark.parametrize("dialect", WRITES)
async def test_valid_credentials_pass_in_every_dialect(
    dialect: str, key_files: dict[str, Path], rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    path, body, content_type = WRITES[dialect]
    async with client_for(guarded(key_files, monkeypatch), sqlite_url) as client:
        for n, token in enumerate((RW, hs(), rs(rsa_key))):
            named = json.loads(json.dumps(body).replace("Ann", f"Ann{n}"))
            r = await client.post(path, json=named, headers={"content-type": content_type, "authorization": f"Bearer {token}"})
            assert r.status_code in (200, 201), f"{dialect} token {n}: {r.status_code} {r.text}"
        for token in (RO, RW, hs({"scope": ""}), rs(rsa_key, {"scp": []})):
            r = await client.get(path, headers={"authorization": f"bearer {token}"})  # the scheme is case-insensitive
            assert r.status_code == 200, r.text
        assert (await client.get(path)).status_code == 401


async def test_a_refusal_does_not_read_the_body(key_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    config = dataclasses.replace(guarded(key_files, monkeypatch), store_url=sqlite_url)
    received: list[str] = []

    async def receive() -> dict[str, Any]:
        received.append("body")
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/jsonapi/people", "root_path": "", "query_string": b"", "headers": []}
    async with Gateway(config) as gw:
        await gw(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 401
    assert received == []


async def test_anonymous_reads_and_read_scope(key_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    config = guarded(key_files, monkeypatch, anonymous_reads=True)
    async with client_for(config, sqlite_url) as client:
        assert (await client.get("/strapi/api/people")).status_code == 200
        assert (await client.post("/strapi/api/people", json={"data": {"name": "A"}})).status_code == 401
        bad = await client.get("/strapi/api/people", headers={"authorization": "Bearer not-the-token-0123456789"})
        assert bad.status_code == 401, "a presented token is checked even where reads are open"
    table = auth_table(key_files)
    table["jwt"]["read_scope"] = "relgate:read"
    guard = Guard(parse_schemes(_Strict(), {"api": table}, ENV)["api"])
    guard.check("GET", f"Bearer {hs({'scope': 'relgate:read'})}")
    guard.check("GET", f"Bearer {RO}")  # API tokens are not scoped beyond read-only / read-write
    with pytest.raises(Exception) as err:
        guard.check("GET", f"Bearer {hs({'scope': 'relgate:write'})}")
    assert err.value.status == 403  # type: ignore[attr-defined]


async def test_routes_without_auth_stay_open(key_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    data = tomllib.loads(EXAMPLE.read_text())
    data["auth"] = {"api": auth_table(key_files)}
    next(r for r in data["routes"] if r["prefix"] == "/jsonapi")["auth"] = "api"
    async with client_for(from_dict(data), sqlite_url) as client:
        assert (await client.get("/jsonapi/people")).status_code == 401
        assert (await client.get("/strapi/api/people")).status_code == 200
        r = await client.get("/strapi/api/people", headers={"authorization": "Bearer whatever"})
        assert r.status_code == 200, "an open door ignores Authorization (a proxy passes it on)"


# --- configuration ----------------------------------------------------------------------------------


class _Strict:
    """A checker that fails the test on the first error (for building schemes directly)."""

    def error(self, key: str, message: str) -> None:
        raise AssertionError(f"{key}: {message}")

    def table(self, value: Any, key: str) -> Any:
        return value or {}

    def unknown(self, table: Any, key: str, allowed: set[str]) -> None:
        assert set(table) <= allowed, set(table) - allowed

    def typed(self, table: Any, name: str, key: str, kind: Any, default: Any) -> Any:
        return table.get(name, default)


def config_errors(auth: dict[str, Any], routes_auth: str | None = "api", env: dict[str, str] | None = None) -> list[str]:
    route: dict[str, Any] = {"prefix": "/a", "dialect": "jsonapi"}
    if routes_auth:
        route["auth"] = routes_auth
    with pytest.MonkeyPatch.context() as mp:
        for name, value in (ENV if env is None else env).items():
            mp.setenv(name, value)
        try:
            from_dict({"auth": auth, "routes": [route], "types": {"a": {}}})
        except ConfigError as exc:
            return exc.errors
    return []


@pytest.mark.parametrize(
    ("auth", "route_auth", "env", "expected"),
    [
        ({"api": {"tokens": [{"env": "T_RW"}]}}, "nope", None, "routes[0].auth: unknown auth scheme 'nope'"),
        ({"api": {"tokens": [{"env": "T_MISSING"}]}}, "api", None, "auth.api.tokens[0].env: environment variable T_MISSING is not set"),
        ({"api": {"tokens": [{"env": "T_SHORT"}]}}, "api", {"T_SHORT": "abc"}, "auth.api.tokens[0].env: T_SHORT must hold at least 16"),
        ({"api": {"tokens": [{"env": "T_RW", "access": "admin"}]}}, "api", None, "auth.api.tokens[0].access: must be one of"),
        ({"api": {"tokens": [{"env": "T_RW", "role": "x"}]}}, "api", None, "auth.api.tokens[0].role: unknown key"),
        ({"api": {}}, "api", None, "auth.api: needs tokens, jwt or both"),
        ({"api": {"jwt": {"audience": "a", "secret_env": "T_SECRET"}}}, "api", None, "auth.api.jwt.issuer: is required"),
        ({"api": {"jwt": {"issuer": "i", "secret_env": "T_SECRET"}}}, "api", None, "auth.api.jwt.audience: is required"),
        (
            {"api": {"jwt": {"issuer": "i", "audience": "a", "secret_env": "T_RW"}}},
            "api",
            None,
            "auth.api.jwt.secret_env: T_RW must hold at least 32 bytes",
        ),
        ({"api": {"jwt": {"issuer": "i", "audience": "a"}}}, "api", None, "auth.api.jwt: needs a key"),
        (
            {"api": {"jwt": {"issuer": "i", "audience": "a", "secret_env": "T_SECRET", "algorithms": ["RS256"]}}},
            "api",
            None,
            "auth.api.jwt.algorithms[0]: RS256 needs public_key_file",
        ),
        (
            {"api": {"jwt": {"issuer": "i", "audience": "a", "public_key_file": "/nonexistent.pem"}}},
            "api",
            None,
            "auth.api.jwt.public_key_file: cannot read",
        ),
        (
            {"api": {"jwt": {"issuer": "i", "audience": "a", "public_key_env": "T_RW"}}},
            "api",
            None,
            "auth.api.jwt.public_key_env: is not a PEM public key",
        ),
        (
            {"api": {"jwt": {"issuer": "i", "audience": "a", "secret_env": "T_SECRET", "write_scope": "a b"}}},
            "api",
            None,
            "auth.api.jwt.write_scope",
        ),
    ],
)
def test_auth_config_errors_have_key_paths(auth: dict[str, Any], route_auth: str, env: dict[str, str] | None, expected: str) -> None:
    errors = config_errors(auth, route_auth, {**ENV, **(env or {})})
    assert any(e.startswith(expected) for e in errors), errors


def test_a_jwks_file_that_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "jwks.json"
    bad.write_text('{"keys": "no"}')
    errors = config_errors({"api": {"jwt": {"issuer": "i", "audience": "a", "jwks_file": str(bad)}}})
    assert any(e.startswith("auth.api.jwt.jwks_file: is not a usable JWKS") for e in errors), errors


def test_a_pem_public_key_verifies_rs256(key_files: dict[str, Path], rsa_key: rsa.RSAPrivateKey) -> None:
    table = {"jwt": {"issuer": ISSUER, "audience": AUDIENCE, "public_key_file": str(key_files["pem"])}}
    guard = Guard(parse_schemes(_Strict(), {"api": table}, ENV)["api"])
    guard.check("POST", f"Bearer {rs(rsa_key, kid='any')}")  # one PEM key: the kid does not matter
    with pytest.raises(Exception) as err:  # HS256 is not configured for this scheme
        guard.check("POST", f"Bearer {hs()}")
    assert err.value.status == 401  # type: ignore[attr-defined]


def test_the_example_has_no_auth_and_no_route_requires_it(example_config: Config) -> None:
    assert example_config.auth == {}
    assert all(r.auth is None for r in example_config.routes)


# --- proxy routes ------------------------------------------------------------------------------------


class _Backend:
    """An ASGI backend that records each request and answers one JSON:API person (no Cache-Control)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.requests.append({"path": scope["path"], "headers": {k.decode(): v.decode() for k, v in scope["headers"]}})
        payload = json.dumps({"data": {"type": "person", "id": "7", "attributes": {"name": "Ann"}}}).encode()
        headers = [(b"content-type", b"application/vnd.api+json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


@pytest.mark.parametrize("path", ["/jsonapi/people/7", "/jsonapi/upload"], ids=["translated", "pass-through"])
async def test_a_proxy_route_with_auth_guards_translation_and_pass_through(
    path: str, key_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.targets.proxy_support import proxy_config

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    data = proxy_config("jsonapi", "restless")
    data["backends"]["backend"]["url"] = "http://backend.test/api"
    data["auth"] = {"api": auth_table(key_files)}
    data["routes"][0]["auth"] = "api"
    backend = _Backend()
    gw = Gateway(from_dict(data), transports={"backend": httpx.ASGITransport(app=backend)})  # type: ignore[arg-type]
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as client:  # type: ignore[arg-type]
        refused = await client.get(path)
        assert refused.status_code == 401 and refused.json()["errors"][0]["status"] == "401"
        assert backend.requests == [], "a refused request never reaches the backend"
        ok = await client.get(path, headers={"authorization": f"Bearer {RO}"})
    assert ok.status_code == 200, ok.text
    assert backend.requests[0]["headers"]["authorization"] == f"Bearer {RO}", "credentials pass to the backend unchanged"
    assert ok.headers["x-content-type-options"] == "nosniff"
    if path.endswith("upload"):
        assert "cache-control" not in ok.headers, "a backend's answer streamed through keeps its own caching"
