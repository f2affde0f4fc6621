"""Slow and greedy clients against a real ``relgate serve``, over raw sockets with short deadlines.

The server runs with ``body_timeout`` and ``header_timeout`` of 1.5 s and ``max_connections = 3``;
every socket here has its own timeout, so no test can hang.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import ROOT, Served, start, stop

LIMITS = {"body_timeout": "1.5", "header_timeout": "1.5", "keep_alive_timeout": "5", "max_connections": "3"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    text = (ROOT / "gateway.example.toml").read_text()
    for key, value in LIMITS.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        assert n == 1, key
    (tmp_path / "gateway.toml").write_text(text)
    s = start(cwd=tmp_path)
    yield s
    stop(s)


def connect(served: Served) -> socket.socket:
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (the socket's timeout bounds the wait)."""
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except ConnectionResetError:
        # The server closed while a byte of ours was in flight: TCP resets, and may drop the 408 with it.
        return out or b"<reset>"
    return out


def trickle(sock: socket.socket, data: bytes, *, every: float, until: float) -> bool:
    """Send ``data`` a byte at a time; False as soon as the server has closed or answered."""
    for byte in data:
        if time.monotonic() > until:
            return True
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return False
        sock.settimeout(every)
        try:
            if sock.recv(1, socket.MSG_PEEK):
                return False
        except TimeoutError:
            continue
        except OSError:
            return False
        return False  # recv gave b"": closed
    return True


@pytest.mark.parametrize(
    ("path", "content_type", "dialect"),
    [("/jsonapi/people", "application/vnd.api+json", "jsonapi"), ("/strapi/api/people", "application/json", "strapi")],
)
def test_a_body_at_one_byte_a_second_gets_408_and_the_connection_closes(served: Served, path: str, content_type: str, dialect: str) -> None:
    body = json.dumps({"data": {"type": "people", "attributes": {"name": "Slow"}}}).encode()
    with connect(served) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        started = time.monotonic()
        trickle(sock, body, every=1.0, until=started + 8)
        sock.settimeout(5)
        answer = read_all(sock)
        elapsed = time.monotonic() - started
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer[:300]
    assert b"connection: close" in head.lower()
    assert elapsed < 6, f"the deadline is 1.5 s, the answer took {elapsed:.1f} s"
    doc = json.loads(payload)
    if dialect == "strapi":
        assert doc["error"]["status"] == 408 and doc["error"]["name"] == "RequestTimeoutError"
    else:
        assert doc["errors"][0]["status"] == "408"
    listing = httpx.get(served.url + "/jsonapi/people", headers={"accept": "application/vnd.api+json"}, timeout=5)
    assert listing.json()["data"] == [], "nothing was written"


def test_a_head_at_one_byte_every_half_second_gets_408_and_the_connection_closes(served: Served) -> None:
    with connect(served) as sock:
        started = time.monotonic()
        still_open = trickle(sock, b"GET /jsonapi/people HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100, every=0.5, until=started + 8)
        sock.settimeout(5)
        answer = read_all(sock)
        elapsed = time.monotonic() - started
    assert not still_open, "the server must end a head that never completes"
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b"<reset>", answer[:300]
    assert elapsed < 6, elapsed


def test_an_idle_connection_is_closed_without_a_word(served: Served) -> None:
    with connect(served) as sock:
        started = time.monotonic()
        sock.settimeout(8)
        assert read_all(sock) == b""
    assert time.monotonic() - started < 6


def test_connections_beyond_the_cap_get_503(served: Served) -> None:
    idle = [connect(served) for _ in range(3)]
    try:
        time.sleep(0.2)
        r = httpx.get(served.url + "/jsonapi/people", headers={"accept": "application/vnd.api+json"}, timeout=5)
        assert r.status_code == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.3)
    r = httpx.get(served.url + "/jsonapi/people", headers={"accept": "application/vnd.api+json"}, timeout=5)
    assert r.status_code == 200


def test_over_http_no_host_reflection_and_no_redirect_at_a_bare_prefix(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=5) as http:
        r = http.post(
            "/legacy/api/person",
            json={"name": "Ann"},
            headers={"host": 'evil.example/>; rel="x"', "x-forwarded-proto": "javascript"},
        )
        assert r.status_code == 201
        assert r.headers["location"] == served.url + "/legacy/api/person/1", "the listening address, not Host"
        bare = http.post("/jsonapi", content=b"{}", headers={"host": "evil.example", "content-type": "application/vnd.api+json"})
        assert bare.status_code == 404 and "location" not in bare.headers
        assert bare.headers["x-content-type-options"] == "nosniff"


def read_response(sock: socket.socket) -> bytes:
    """One whole response (by its content-length) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_the_head_deadline_restarts_after_each_answer_on_a_kept_alive_connection(served: Served) -> None:
    get = b"GET /jsonapi/people HTTP/1.1\r\nHost: x\r\nAccept: application/vnd.api+json\r\n\r\n"
    with connect(served) as sock:
        for _ in range(3):  # quick requests, 1 s apart (under the 1.5 s deadline): all answered
            sock.sendall(get)
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(1.0)
        started = time.monotonic()
        still_open = trickle(sock, get, every=0.5, until=started + 8)
        sock.settimeout(5)
        answer = read_all(sock)
    assert not still_open
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b"<reset>", answer[:200]


def test_a_head_growing_past_max_header_bytes_gets_400_and_a_large_head_within_it_is_served(served: Served) -> None:
    start = b"GET /jsonapi/people HTTP/1.1\r\nHost: x\r\nAccept: application/vnd.api+json\r\nX-Pad: "
    with connect(served) as sock:  # 12 KiB of head (the example's limit is 16 KiB): answered
        sock.sendall(start + b"a" * 12 * 1024 + b"\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
    with connect(served) as sock:  # a head still incomplete after 20 KiB, sent in pieces
        sent = 0
        try:
            for piece in range(10):
                sock.sendall((start if piece == 0 else b"") + b"a" * 2048)
                sent += 2048
                time.sleep(0.01)
        except OSError:  # the server answered and closed while pieces were still coming
            pass
        sock.settimeout(5)
        answer = read_all(sock)
    assert sent > 16 * 1024 - 2048, "the server must not refuse a head before it passes the limit"
    assert answer.startswith(b"HTTP/1.1 400 ") or answer == b"<reset>", answer[:200]


def test_a_body_still_arriving_after_an_early_413_is_read_and_the_connection_serves_the_next_request(served: Served) -> None:
    """The rest of a refused body is not mistaken for a too large head (nginx sends it all, then reuses the connection)."""
    body = b"x" * 1_500_000  # over the example's 1 MiB: refused from its Content-Length, before it is read
    post = b"POST /jsonapi/people HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.api+json\r\n"
    get = b"GET /jsonapi/people HTTP/1.1\r\nHost: x\r\nAccept: application/vnd.api+json\r\n\r\n"
    with connect(served) as sock:
        sock.sendall(post + b"Content-Length: %d\r\n\r\n" % len(body))
        assert read_response(sock).startswith(b"HTTP/1.1 413 ")
        sock.sendall(body)
        sock.sendall(get)
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
