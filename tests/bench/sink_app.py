"""A tiny ASGI backend for the streaming benchmark: POST /sink discards the body, GET /blob?mb=N streams N MiB."""

from __future__ import annotations

from urllib.parse import parse_qs

CHUNK = b"x" * 65536


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"].endswith("/sink"):
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = str(size).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    mb = int(parse_qs(scope["query_string"].decode()).get("mb", ["1"])[0])
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(mb * 16 * 65536).encode())]})
    for _ in range(mb * 16):
        await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
