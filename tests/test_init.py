"""``relgate init`` and :func:`relgate.schema.from_sqlalchemy`: starting configurations that pass ``check``."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from relgate import cli
from relgate.app import Gateway
from relgate.config import load
from relgate.schema import from_sqlalchemy
from relgate.schema_sqlalchemy import derive
from tests.sqlalchemy_models import Base

ROOT = Path(__file__).resolve().parent.parent
STRAPI_PROJECT = ROOT / "tests" / "data" / "strapi-project"


def test_from_sqlalchemy_derives_tables_kinds_uniques_and_relationships() -> None:
    types = from_sqlalchemy(Base)
    assert set(types) == {"people", "articles", "tags", "profiles"}  # readings: a composite key
    assert types["people"]["attributes"] == {
        "name": {"type": "string", "unique": True, "nullable": False},
        "age": "integer",
        "birth_date": "date",
        "score": "float",
        "active": "boolean",  # NOT NULL with a default: relgate applies none, so it stays nullable
        "settings": "json",
    }
    assert "id" not in types["people"]  # integer ids are the default
    assert types["people"]["relationships"] == {
        "articles": {"type": "articles", "many": True, "inverse": "author"},
        "profile": {"type": "profiles", "inverse": "person"},  # one-to-one: to-one on both sides
    }
    # the foreign-key column behind a relationship is the relationship, not an attribute
    assert types["articles"]["attributes"] == {"title": "string", "published": "datetime"}
    assert types["articles"]["relationships"] == {
        "author": {"type": "people", "inverse": "articles"},
        "tags": {"type": "tags", "many": True, "inverse": "articles"},
    }
    assert types["tags"] == {"id": "string", "attributes": {"label": "string"},
                             "relationships": {"articles": {"type": "articles", "many": True, "inverse": "tags"}}}  # fmt: skip
    assert types["profiles"]["id"] == "uuid"
    assert types["profiles"]["relationships"] == {"person": {"type": "people", "inverse": "profile"}}
    assert derive(Base).notes == [
        "readings: its primary key is not one column; left out",
        "profiles.type: 'type' is reserved in relgate; left out",
    ]
    assert from_sqlalchemy(Base.registry) == types


def test_from_sqlalchemy_on_a_metadata_reads_foreign_keys_and_association_tables() -> None:
    types = from_sqlalchemy(Base.metadata)
    assert types["articles"]["relationships"] == {
        "author": {"type": "people"},
        "tags": {"type": "tags", "many": True, "inverse": "articles"},
    }
    assert types["tags"]["relationships"] == {"articles": {"type": "articles", "many": True, "inverse": "tags"}}
    assert "article_tags" not in types


def test_from_sqlalchemy_refuses_other_values() -> None:
    with pytest.raises(TypeError, match="declarative base"):
        from_sqlalchemy(sa.Table("t", sa.MetaData()))


def init(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "relgate.cli", "init", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("source", [["--from-sqlalchemy", "tests.sqlalchemy_models:Base"], ["--from-strapi", str(STRAPI_PROJECT)]])
def test_init_writes_a_configuration_that_passes_check(tmp_path: Path, source: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the models module, importable from the working directory
    done = init(tmp_path, *source)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "gateway.toml"
    assert done.stdout.startswith(f"gateway.toml: {len(tomllib.loads(written.read_text())['types'])} types")
    assert cli.main(["check", "--config", str(written)]) == 0, capsys.readouterr().err
    again = init(tmp_path, *source)
    assert again.returncode == 2 and again.stderr == "relgate: gateway.toml exists; pass --force to replace it\n"
    assert init(tmp_path, *source, "--force").returncode == 0


def test_init_from_strapi_keeps_names_kinds_and_relations(tmp_path: Path) -> None:
    done = init(tmp_path, "--from-strapi", str(STRAPI_PROJECT), "-o", "-")
    assert done.returncode == 0, done.stderr
    config = tomllib.loads(done.stdout)
    assert [(r["prefix"], r["dialect"]) for r in config["routes"]] == [("/api", "strapi"), ("/jsonapi", "jsonapi")]
    types = config["types"]
    assert set(types) == {"restaurants", "categories", "chefs", "trunk_groups", "homepage"}
    assert types["trunk_groups"]["names"] == {"strapi": "trunk-groups"}
    r = types["restaurants"]
    assert r["attributes"]["name"] == {"type": "string", "unique": True, "nullable": False}
    assert (r["attributes"]["description"], r["attributes"]["address"], r["attributes"]["price"]) == ("json", "json", "float")
    assert r["relationships"] == {
        "categories": {"type": "categories", "many": True, "ordered": True, "inverse": "restaurants"},
        "chef": {"type": "chefs", "inverse": "restaurant"},
        "groups": {"type": "trunk_groups", "many": True, "ordered": True},
    }
    assert types["categories"]["relationships"]["restaurants"]["inverse"] == "categories"
    notes = ("restaurants.cover: media", "restaurants.owner: its target 'plugin::users-permissions.user'", "homepage: a Strapi single type")
    for note in notes:
        assert f"# not carried over: {note}" in done.stdout


async def test_a_strapi_init_config_serves_the_relations_it_declares(tmp_path: Path) -> None:
    done = init(tmp_path, "--from-strapi", str(STRAPI_PROJECT))
    assert done.returncode == 0, done.stderr
    config = dataclasses.replace(load(tmp_path / "gateway.toml"), store_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    async with Gateway(config) as app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:  # type: ignore[arg-type]
        cats = [(await http.post("/api/categories", json={"data": {"name": n}})).json()["data"]["documentId"] for n in ("a", "b")]
        r = await http.post("/api/restaurants", json={"data": {"name": "R", "categories": {"connect": [cats[1], cats[0]]}}})
        assert r.status_code == 201, r.text
        doc = r.json()["data"]["documentId"]
        r = await http.get(f"/api/restaurants/{doc}", params={"populate": "categories"})
        assert [c["name"] for c in r.json()["data"]["categories"]] == ["b", "a"]  # ordered, as Strapi keeps it
        r = await http.get("/jsonapi/categories/1/relationships/restaurants", headers={"Accept": "application/vnd.api+json"})
        assert r.json()["data"] == [{"type": "restaurants", "id": "1"}]  # the inverse


def test_init_errors_are_one_line(tmp_path: Path) -> None:
    for args, message in [
        (["--from-strapi", str(tmp_path)], "no src/api/*/content-types/*/schema.json"),
        (["--from-sqlalchemy", "no_such_module:Base"], "cannot import no_such_module"),
        (["--from-sqlalchemy", "tests.sqlalchemy_models"], "write the models as package.module:Base"),
        (["--from-sqlalchemy", "json:dumps"], "expected a declarative base"),
    ]:
        done = init(tmp_path, *args)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and message in done.stderr, (args, done.stderr)
