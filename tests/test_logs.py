"""Log lines in-process: the JSON formatter, the request id on every record, query redaction.

(The lines of a real ``relgate serve`` are parsed in tests/e2e/test_serve_ops.py.)
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import orjson
import pytest

from relgate.app import Gateway
from relgate.logs import RequestIdFilter, json_formatter, redact_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("access_token=abc&page=2", "access_token=[redacted]&page=2"),
        ("api_key=k1&apikey=k2&key=k3", "api_key=[redacted]&apikey=[redacted]&key=[redacted]"),
        ("X-Amz-Signature=s&sig=x&jwt=e.y.J", "X-Amz-Signature=[redacted]&sig=[redacted]&jwt=[redacted]"),
        ("password=hunter2&client_secret=s&session_id=9", "password=[redacted]&client_secret=[redacted]&session_id=[redacted]"),
        ("auth%5Ftoken=t", "auth%5Ftoken=[redacted]"),
        # relationship and field names that merely contain such letters stay readable
        ("filter[author]=ann&include=authors,keywords&sort=-tokenized", "filter[author]=ann&include=authors,keywords&sort=-tokenized"),
        ("filters[title][$eq]=x&populate=*", "filters[title][$eq]=x&populate=*"),
        ("token", "token"),  # no value, nothing to hide
    ],
)
def test_redact_query(query: str, expected: str) -> None:
    assert redact_query(query) == expected


@contextmanager
def captured(name: str) -> Iterator[io.StringIO]:
    """What logger ``name`` writes through the serve-time formatter and filter, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        yield c


async def test_an_unexpected_error_is_one_json_line_with_its_traceback_and_request_id(
    http: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(batch: object, call: object = None) -> None:  # a fault the store cannot be made to raise on purpose
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gateway.store, "execute", broken)
    with captured("relgate") as stream:
        r = await http.get("/jsonapi/people", headers={"X-Request-ID": "trace-me", "Authorization": "Bearer s3cr3t-t0ken"})
    assert r.status_code == 500
    assert "disk on fire" not in r.text  # the caller gets the dialect's 500, not the error
    text = stream.getvalue()
    records = [orjson.loads(line) for line in text.splitlines()]  # every line is one JSON object
    error = next(rec for rec in records if rec["level"] == "ERROR")
    assert error["logger"] == "relgate" and error["request_id"] == "trace-me"
    assert error["traceback"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: disk on fire" in error["traceback"]
    access = next(rec for rec in records if rec["logger"] == "relgate.access")
    assert access["status"] == 500 and access["request_id"] == "trace-me"
    assert "s3cr3t" not in text


async def test_access_line_fields(http: httpx.AsyncClient) -> None:
    with captured("relgate.access") as stream:
        await http.get("/jsonapi/people?page[size]=1&access_token=zzz", headers={"X-Request-ID": "r-1", "Cookie": "session=c00kie"})
        await http.get("/healthz")  # probes are DEBUG: not at the default level
    records = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert len(records) == 1
    (line,) = records
    assert line["message"] == "request" and line["level"] == "INFO"
    assert {k: line[k] for k in ("method", "path", "route", "status", "request_id", "backend_requests")} == {
        "method": "GET",
        "path": "/jsonapi/people",
        "route": "/jsonapi",
        "status": 400,  # JSON:API refuses the unknown parameter; the line is written all the same
        "request_id": "r-1",
        "backend_requests": 0,
    }
    assert line["query"] == "page[size]=1&access_token=[redacted]"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["time"].endswith("+00:00")
    assert "zzz" not in stream.getvalue() and "c00kie" not in stream.getvalue()
