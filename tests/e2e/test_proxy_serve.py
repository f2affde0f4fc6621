"""End to end: ``relgate serve`` as a proxy in front of another ``relgate serve`` (both real uvicorn on 127.0.0.1).

The backend serves the example configuration from its own SQLite file; the proxy's configuration
declares it as ``[backends.ng]`` (dialect ``restless``) and points its ``/jsonapi`` door at it.
A JSON:API relationship request through the proxy changes the backend's data, read back through
the backend's own front door.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import JSONAPI, ROOT, Served, start, stop

H = {"Content-Type": JSONAPI, "Accept": JSONAPI}
NG = "application/vnd.api+json"


def _proxy_toml(backend_url: str) -> str:
    example = (ROOT / "gateway.example.toml").read_text()
    types = example[example.index("[types.people]") :]
    return f"""
[backends.ng]
dialect = "restless"
url = "{backend_url}/restless/api"
timeout = 5
policies = {{ "people.articles" = {{ allow_replace = true, allow_remove = true }} }}

[[routes]]
prefix = "/jsonapi"
dialect = "jsonapi"
target = "ng"

{types}
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Served, Served, Path]]:
    backend_dir, proxy_dir = tmp_path / "backend", tmp_path / "proxy"
    backend_dir.mkdir()
    proxy_dir.mkdir()
    (backend_dir / "gateway.toml").write_text((ROOT / "gateway.example.toml").read_text())
    backend = start(cwd=backend_dir)
    try:
        (proxy_dir / "gateway.toml").write_text(_proxy_toml(backend.url))
        assert tomllib.loads((proxy_dir / "gateway.toml").read_text())["backends"]["ng"]["dialect"] == "restless"
        proxy = start(cwd=proxy_dir)
        try:
            yield backend, proxy, proxy_dir
        finally:
            stop(proxy)
    finally:
        stop(backend)


def test_jsonapi_relationship_request_through_the_proxy_changes_the_backend(pair: tuple[Served, Served, Path]) -> None:
    backend, proxy, proxy_dir = pair
    assert any("ng (restless)" in line for line in proxy.banner), proxy.banner
    assert not (proxy_dir / "relgate.db").exists()  # no route uses the store: it is never opened
    with httpx.Client(base_url=proxy.url + "/jsonapi", headers=H, timeout=10) as http:
        ann = http.post("/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}})
        assert ann.status_code == 201, ann.text
        person = ann.json()["data"]["id"]
        assert ann.headers["location"] == f"/jsonapi/people/{person}"  # relgate's URL, not the backend's
        art = http.post("/articles", json={"data": {"type": "articles", "attributes": {"title": "T"}}})
        assert art.status_code == 201, art.text
        article = art.json()["data"]["id"]
        add = http.post(f"/people/{person}/relationships/articles", json={"data": [{"type": "articles", "id": article}]})
        assert add.status_code == 204, add.text
    # the backend's own door (flask-restless-ng's dialect) sees the change
    direct = httpx.get(f"{backend.url}/restless/api/person/{person}/relationships/articles", headers={"Accept": NG}, timeout=10)
    assert direct.status_code == 200, direct.text
    assert [str(i["id"]) for i in direct.json()["data"]] == [article]
