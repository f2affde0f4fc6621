"""The observer in-process: request ids, /healthz, /readyz, /metrics and per-door metrics.

(On a real ``relgate serve`` the same is checked in tests/e2e/test_serve_ops.py.)
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from relgate.app import Gateway
from relgate.config import Config, ConfigError, from_dict
from relgate.health import Health
from relgate.targets import Readiness
from tests.conftest import EXAMPLE

J = {"Content-Type": "application/vnd.api+json"}


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, parsed by prometheus-client's own parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def config_with(example_config: Config, sqlite_url: str, **server: object) -> Config:
    return dataclasses.replace(example_config, store_url=sqlite_url, server=dataclasses.replace(example_config.server, **server))


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://relgate.test") as c:  # type: ignore[arg-type]
        yield c


async def test_healthz_and_readyz_name_the_store(http: httpx.AsyncClient, gateway: Gateway) -> None:
    r = await http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["cache-control"] == "no-store"
    r = await http.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["store"]["ok"] is True
    assert body["checks"]["store"]["detail"] == gateway.store.url
    r = await http.head("/readyz")
    assert r.status_code == 200 and r.content == b""
    r = await http.post("/healthz")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


async def test_readyz_is_503_when_the_store_lost_its_tables(http: httpx.AsyncClient, gateway: Gateway) -> None:
    """A real fault: the database is there but its tables are gone (someone recreated it)."""
    async with gateway.store.engine.begin() as conn:
        await conn.run_sync(gateway.store.tables.metadata.drop_all)
    r = await http.get("/readyz")
    assert r.status_code == 503
    check = r.json()["checks"]["store"]
    assert check["ok"] is False and "no such table" in check["detail"]
    assert (await http.get("/healthz")).status_code == 200  # alive: restarting would not help


async def test_health_under_a_prefix_and_metrics_off(example_config: Config, sqlite_url: str) -> None:
    config = config_with(example_config, sqlite_url, health_prefix="/_relgate", metrics_path="")
    async with Gateway(config) as gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as http:  # type: ignore[arg-type]
        assert (await http.get("/_relgate/healthz")).status_code == 200
        assert (await http.get("/_relgate/readyz")).json()["status"] == "ready"
        assert (await http.get("/healthz")).status_code == 404
        assert (await http.get("/metrics")).status_code == 404


async def test_health_wins_over_a_front_door_at_the_root(example_config: Config, sqlite_url: str) -> None:
    """Answered before any front door is consulted, even one mounted at '/'."""
    data = {
        "routes": [{"prefix": "/", "dialect": "jsonapi"}],
        "types": {"people": {"attributes": {"name": "string"}}},
    }
    config = dataclasses.replace(from_dict(data), store_url=sqlite_url)
    async with Gateway(config) as gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://t") as http:  # type: ignore[arg-type]
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/people")).status_code == 200


class _Slow:
    async def check(self) -> Readiness:
        await asyncio.sleep(60)
        return Readiness(True, "never")


class _Broken:
    async def check(self) -> Readiness:
        raise RuntimeError("boom")


async def test_readiness_bounds_each_check_and_survives_a_raising_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doubles of a future backend target: the protocol's edge cases (a hang, a raise, no check at all)."""
    monkeypatch.setattr("relgate.health.CHECK_TIMEOUT", 0.2)
    health = Health({"slow": _Slow(), "broken": _Broken(), "plain": object()})
    checks = await asyncio.wait_for(health.check_all(), 5)
    assert checks["slow"]["ok"] is False and "no answer within 0.2 s" in checks["slow"]["detail"]
    assert checks["broken"] == {"ok": False, "detail": "RuntimeError: boom", "duration_ms": checks["broken"]["duration_ms"]}
    assert checks["plain"]["ok"] is True


async def test_request_id_is_echoed_when_valid_and_replaced_when_not(http: httpx.AsyncClient) -> None:
    r = await http.get("/jsonapi/people", headers={"X-Request-ID": "nginx-3f2a9c.01"})
    assert r.headers["x-request-id"] == "nginx-3f2a9c.01"
    for bad in ("has space", "x" * 129, 'quote"d', "new\tline"):
        r = await http.get("/jsonapi/people", headers={"X-Request-ID": bad})
        assert r.headers["x-request-id"] != bad
        assert len(r.headers["x-request-id"]) == 32
    a = (await http.get("/jsonapi/people")).headers["x-request-id"]
    b = (await http.get("/nowhere")).headers["x-request-id"]
    assert a != b and len(a) == 32


async def test_metrics_count_requests_by_door_dialect_target_and_status(http: httpx.AsyncClient) -> None:
    before = scrape((await http.get("/metrics")).text)
    created = await http.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": "A"}}}, headers=J)
    assert created.status_code == 201
    assert (await http.get("/jsonapi/people/999999")).status_code == 404
    assert (await http.get("/strapi/api/people")).status_code == 200
    assert (await http.get("/nowhere")).status_code == 404
    r = await http.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    after = scrape(r.text)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    jsonapi = {"route": "/jsonapi", "dialect": "jsonapi", "target": "store"}
    assert delta("relgate_requests_total", **jsonapi, status="201") == 1
    assert delta("relgate_requests_total", **jsonapi, status="404") == 1
    assert delta("relgate_requests_total", route="/strapi/api", dialect="strapi", target="store", status="200") == 1
    assert delta("relgate_requests_total", route="(none)", dialect="", target="", status="404") == 1
    assert delta("relgate_request_duration_seconds_count", **jsonapi) == 2
    assert delta("relgate_request_duration_seconds_bucket", **jsonapi, le="+Inf") == 2
    assert delta("relgate_request_duration_seconds_sum", **jsonapi) > 0
    assert delta("relgate_requests_total", route="/metrics", dialect="", target="", status="200") == 1


async def test_metrics_speak_openmetrics_when_asked(http: httpx.AsyncClient) -> None:
    r = await http.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


async def test_backend_and_planner_recording_api() -> None:
    """What the proxy target and the planner will call, scraped back through the exposition."""
    from relgate import context, metrics

    before = scrape(metrics.exposition(None)[0].decode())
    backend = metrics.BackendMetrics("crm")
    ctx = context.RequestContext("rid-1")
    token = context.enter(ctx)
    try:
        assert context.current_request_id() == "rid-1"
        backend.observe(0.02, status=200)
        backend.observe(0.5, status=503)
        backend.observe(2.0, error="timeout")
    finally:
        context.leave(token)
    assert ctx.backend_requests == 3
    assert context.current_request_id() is None
    metrics.emulated("remove-delete-targets")
    metrics.compensated("crm", ok=False)
    after = scrape(metrics.exposition(None)[0].decode())

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("relgate_backend_requests_total", backend="crm", status="200") == 1
    assert delta("relgate_backend_requests_total", backend="crm", status="503") == 1
    assert delta("relgate_backend_requests_total", backend="crm", status="error") == 1
    assert delta("relgate_backend_errors_total", backend="crm", kind="5xx") == 1
    assert delta("relgate_backend_errors_total", backend="crm", kind="timeout") == 1
    assert delta("relgate_backend_request_duration_seconds_count", backend="crm") == 3
    assert delta("relgate_backend_request_duration_seconds_sum", backend="crm") == pytest.approx(2.52)
    assert delta("relgate_planner_emulations_total", rule="remove-delete-targets") == 1
    assert delta("relgate_planner_compensations_total", backend="crm", outcome="failed") == 1


async def test_request_ids_do_not_leak_between_concurrent_requests(http: httpx.AsyncClient) -> None:
    ids = [f"req-{i}" for i in range(20)]
    responses = await asyncio.gather(*(http.get("/jsonapi/people", headers={"X-Request-ID": i}) for i in ids))
    assert [r.headers["x-request-id"] for r in responses] == ids


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"trusted_proxies": ["10.0.0.0/8", "nginx"]}, "server.trusted_proxies[1]: must be an IP address or network"),
        ({"trusted_proxies": "10.0.0.1"}, "server.trusted_proxies: must be list"),
        ({"health_prefix": "ops"}, "server.health_prefix: must start with '/'"),
        ({"health_prefix": "/jsonapi"}, "server.health_prefix: /jsonapi/healthz lies under the front door /jsonapi"),
        ({"metrics_path": "/strapi/api/metrics"}, "server.metrics_path: /strapi/api/metrics lies under the front door /strapi/api"),
        ({"metrics_path": "metrics"}, 'server.metrics_path: must start with \'/\' and not end with \'/\' (or be "" for off)'),
        ({"shutdown_grace": -1}, "server.shutdown_grace: must be 0 or more seconds"),
        ({"shutdown_grace": "10s"}, "server.shutdown_grace: must be a number of seconds, got str"),
    ],
)
def test_config_checks_the_operational_keys(server: dict, message: str) -> None:
    import tomllib

    data = tomllib.loads(EXAMPLE.read_text())
    data["server"].update(server)
    with pytest.raises(ConfigError) as exc:
        from_dict(data)
    assert len(exc.value.errors) == 1 and message in exc.value.errors[0], exc.value.errors  # once, no follow-on error


def test_config_defaults_and_accepted_values() -> None:
    import tomllib

    data = tomllib.loads(EXAMPLE.read_text())
    default = from_dict(data).server
    assert default.trusted_proxies == ("127.0.0.1", "::1")
    assert (default.health_prefix, default.metrics_path, default.shutdown_grace) == ("", "/metrics", 20.0)
    data["server"].update({"trusted_proxies": ["10.1.2.3/8", "fd00::/8", "192.0.2.7", "*"], "shutdown_grace": 5, "metrics_path": ""})
    server = from_dict(data).server
    assert server.trusted_proxies == ("10.0.0.0/8", "fd00::/8", "192.0.2.7", "*")  # networks in the form uvicorn matches
    assert server.shutdown_grace == 5.0 and server.metrics_path == ""
