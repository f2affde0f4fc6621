"""Route auth over a real ``relgate serve``: tokens from the environment, JWTs, refusals before the body."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.e2e.test_serve import ROOT, Served, start, stop

RW = "e2e-rw-token-0123456789abcdef"
RO = "e2e-ro-token-0123456789abcdef"
SECRET = "e2e-secret-" + "x" * 32
AUTH = """
[auth.api]
tokens = [{ env = "E2E_RW", access = "read-write" }, { env = "E2E_RO", access = "read-only" }]
jwt = { issuer = "https://id.example.com/", audience = "relgate", secret_env = "E2E_SECRET" }
"""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("E2E_RW", RW)
    monkeypatch.setenv("E2E_RO", RO)
    monkeypatch.setenv("E2E_SECRET", SECRET)
    text = (ROOT / "gateway.example.toml").read_text()
    # Every front door but /restless/api requires [auth.api].
    for prefix in ("/jsonapi", "/strapi/api", "/legacy/api"):
        text = text.replace(f'prefix = "{prefix}"\n', f'prefix = "{prefix}"\nauth = "api"\n', 1)
    (tmp_path / "gateway.toml").write_text(AUTH + text)
    s = start(cwd=tmp_path)
    yield s
    stop(s)


def token(**claims: object) -> str:
    now = int(time.time())
    body = {"iss": "https://id.example.com/", "aud": "relgate", "exp": now + 300, "scope": "relgate:write", **claims}
    return jwt.encode(body, SECRET, algorithm="HS256")


def test_tokens_and_jwts_over_http(served: Served) -> None:
    J = {"content-type": "application/vnd.api+json"}
    person = {"data": {"type": "people", "attributes": {"name": "Ann"}}}
    with httpx.Client(base_url=served.url, timeout=10) as http:
        r = http.post("/jsonapi/people", json=person, headers=J)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="relgate"'
        assert r.json()["errors"][0]["status"] == "401"
        r = http.post("/jsonapi/people", json=person, headers={**J, "authorization": f"Bearer {RO}"})
        assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["www-authenticate"]
        r = http.post("/jsonapi/people", json=person, headers={**J, "authorization": f"Bearer {RW}"})
        assert r.status_code == 201, r.text
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
        r = http.get("/jsonapi/people/1", headers={"authorization": f"Bearer {RO}"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"

        r = http.put("/strapi/api/people/1", json={"data": {"age": 3}}, headers={"authorization": f"Bearer {token(scope='read')}"})
        assert r.status_code == 403 and r.json()["error"]["name"] == "ForbiddenError"
        r = http.get("/strapi/api/people", headers={"authorization": f"Bearer {token(exp=int(time.time()) - 60)}"})
        assert r.status_code == 401 and r.json()["error"]["name"] == "UnauthorizedError"
        r = http.get("/strapi/api/people", headers={"authorization": f"Bearer {token()}"})
        assert r.status_code == 200 and r.json()["data"][0]["name"] == "Ann"

        r = http.patch("/legacy/api/person/1", json={"age": 4}, headers={"authorization": f"Bearer {token(aud='other')}"})
        assert r.status_code == 401 and "audience" in r.json()["message"]
        r = http.patch("/legacy/api/person/1", json={"age": 4}, headers={"authorization": f"Bearer {token()}"})
        assert r.status_code == 200 and r.json()["age"] == 4

        r = http.get("/restless/api/person/1", headers={"accept": "application/vnd.api+json"})
        assert r.status_code == 200, "a route without auth stays open"


def test_a_refusal_comes_before_the_body_is_read(served: Served) -> None:
    """An unauthenticated client announcing 100 MB gets its 401 at once, without sending a byte of it."""
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        head = b"POST /jsonapi/people HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.api+json\r\nContent-Length: 100000000\r\n\r\n"
        sock.sendall(head)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b'www-authenticate: bearer realm="relgate"' in answer.lower()
