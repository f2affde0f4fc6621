# ruff: noqa: E501  (a table of whole configuration lines)
"""Broken configurations: ``relgate check`` and ``relgate serve`` refuse them with the same lines.

Each case is the example configuration with one mistake.  ``check`` runs in-process; ``serve``
runs as a real subprocess and must print exactly the same error lines (one per error, no
traceback, nothing about listening) and exit non-zero.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relgate import cli
from tests.conftest import EXAMPLE

BASE = """
[server]
port = 8080
[store]
url = "sqlite+aiosqlite:///relgate.db"

[[routes]]
prefix = "/jsonapi"
dialect = "jsonapi"

[[routes]]
prefix = "/strapi/api"
dialect = "strapi"
options = { response_format = "v5", default_limit = 25, max_limit = 100 }

[[routes]]
prefix = "/strapi4/api"
dialect = "strapi"
options = { response_format = "v4" }

[[routes]]
prefix = "/oro/api"
dialect = "oro"

[[routes]]
prefix = "/legacy/api"
dialect = "restless-legacy"
[routes.options]
results_per_page = 10

[[routes]]
prefix = "/restless/api"
dialect = "restless"
[routes.policies]
"people.computers" = { allow_replace = false }

[types.people]
names = { restless = "person", restless-legacy = "person" }
aliases = { jsonapi = ["person"] }
attributes = { name = "string" }
[types.people.relationships]
articles = { type = "articles", many = true, inverse = "author" }
computers = { type = "computers", many = true, inverse = "owner" }

[types.articles]
attributes = { title = "string" }
relationships = { author = { type = "people", inverse = "articles" } }

[types.computers]
attributes = { name = "string" }
relationships = { owner = { type = "people", inverse = "computers" } }

[types.dids]
id = "uuid"
relationships = { trunk = { type = "trunks" } }

[types.trunks]
id = "uuid"
"""


def edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


CASES: list[tuple[str, str, str]] = [
    # (id, configuration, the error line's key path and message)
    ("strapi option typo", edit("default_limit = 25, max_limit = 100", "default_limit = 25, max_limt = 100"),
     "routes[1].options.max_limt: unknown option (did you mean 'max_limit'?)"),
    ("strapi response_format v3", edit('options = { response_format = "v4" }', 'options = { response_format = "v3" }'),
     "routes[2].options.response_format: must be 'v5' or 'v4', not 'v3'"),
    ("legacy option typo", edit("results_per_page = 10", "results_per_pag = 10"),
     "routes[4].options.results_per_pag: unknown key (did you mean 'results_per_page'?)"),
    ("jsonapi option type", edit('prefix = "/jsonapi"\ndialect = "jsonapi"', 'prefix = "/jsonapi"\ndialect = "jsonapi"\noptions = { lid = "yes" }'),
     "routes[0].options.lid: must be bool, got str"),
    ("restless original option", edit('prefix = "/restless/api"\ndialect = "restless"', 'prefix = "/restless/api"\ndialect = "restless"\noptions = { allow_to_many_replacement = 1 }'),
     "routes[5].options.allow_to_many_replacement: must be bool, got int"),
    ("names dialect typo", edit('names = { restless = "person", restless-legacy = "person" }', 'names = { restles = "person", restless-legacy = "person" }'),
     "types.people.names.restles: unknown dialect 'restles' (did you mean 'restless'?)"),
    ("aliases dialect typo", edit('aliases = { jsonapi = ["person"] }', 'aliases = { jsonap = ["person"] }'),
     "types.people.aliases.jsonap: unknown dialect 'jsonap' (did you mean 'jsonapi'?)"),
    ("route dialect typo", edit('dialect = "oro"', 'dialect = "orro"'), "routes[3].dialect: unknown dialect 'orro' (did you mean 'oro'?)"),
    ("top-level key typo", BASE + "\n[sever]\nport = 1\n", "sever: unknown key (did you mean 'server'?)"),
    ("relationship type typo", edit('relationships = { trunk = { type = "trunks" } }', 'relationships = { trunk = { type = "trunk" } }'),
     "types.dids.relationships.trunk.type: unknown type 'trunk' (did you mean 'trunks'?)"),
    ("inverse typo", edit('articles = { type = "articles", many = true, inverse = "author" }', 'articles = { type = "articles", many = true, inverse = "auther" }'),
     "types.people.relationships.articles.inverse: type 'articles' has no relationship 'auther' (did you mean 'author'?)"),
    ("route policy typo", edit('"people.computers" = {', '"people.computer" = {'),
     "routes[5].policies.people.computer: must name a relationship as 'type.relationship' (did you mean 'people.computers'?)"),
    # one mistake, one line: the broken relationship is not reported again by its inverse or a route policy
    ("no follow-on errors", edit('computers = { type = "computers", many = true, inverse = "owner" }', 'computers = { type = "computer", many = true, inverse = "owner" }'),
     "types.people.relationships.computers.type: unknown type 'computer' (did you mean 'computers'?)"),
    ("unset variable", edit('url = "sqlite+aiosqlite:///relgate.db"', 'url = "${RELGATE_TEST_UNSET_URL}"'),
     "store.url: environment variable RELGATE_TEST_UNSET_URL is not set"),
    ("unsupported scheme", edit('url = "sqlite+aiosqlite:///relgate.db"', 'url = "mysql://root@localhost/db"'),
     "store.url: unsupported store URL scheme 'mysql'"),
    ("toml syntax", BASE + "\n[server\n", "not valid TOML"),
    ("backend option type", BASE + '\n[backends.crm]\ndialect = "jsonapi"\nurl = "http://127.0.0.1:9/api"\noptions = { lid = "yes" }\n',
     "backends.crm.options.lid: must be bool, got str"),
    ("backend dialect typo", BASE + '\n[backends.crm]\ndialect = "jsonap"\nurl = "http://127.0.0.1:9/api"\n',
     "backends.crm.dialect: unknown dialect 'jsonap' (did you mean 'jsonapi'?)"),
    ("backend order typo", BASE + '\n[backends.crm]\ndialect = "restless"\nurl = "http://127.0.0.1:9/api"\norder = "overlai"\n',
     "backends.crm.order: must be one of 'backend', 'overlay', got 'overlai' (did you mean 'overlay'?)"),
]  # fmt: skip


@pytest.mark.parametrize(("config", "expected"), [pytest.param(c, e, id=i) for i, c, e in CASES])
def test_check_and_serve_refuse_with_the_same_line(
    tmp_path: Path, config: str, expected: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RELGATE_TEST_UNSET_URL", raising=False)
    path = tmp_path / "gateway.toml"
    path.write_text(config)
    assert cli.main(["check", "--config", str(path)]) == 1
    captured = capsys.readouterr()
    checked = captured.err.splitlines()
    assert checked[-1] == f"relgate: {path}: 1 error(s)", captured.err
    assert checked[:-1] == [f"relgate: {path}: {checked[0].split(': ', 2)[2]}"]
    assert expected in checked[0]

    env = {k: v for k, v in os.environ.items() if k not in ("RELGATE_TEST_UNSET_URL", "RELGATE_CONFIG")}
    served = subprocess.run(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0", "--config", str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert served.returncode == 2
    assert served.stderr.splitlines() == checked[:-1]  # the same line, and nothing else (no traceback)
    assert "listening" not in served.stdout
    assert not (tmp_path / "relgate.db").exists()  # refused before the store is touched


def test_check_lists_every_independent_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = edit('dialect = "oro"', 'dialect = "orro"').replace("results_per_page = 10", "results_per_page = -1")
    path = tmp_path / "gateway.toml"
    path.write_text(broken.replace("[server]", "[server]\nhots = 1"))
    assert cli.main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "server.hots: unknown key (did you mean 'host'?)" in err
    assert "routes[3].dialect: unknown dialect 'orro'" in err
    # front doors are built only once the rest is right, so a dialect never sees a broken schema
    assert "results_per_page" not in err
    assert err.splitlines()[-1].endswith(": 2 error(s)")


def test_a_variable_fills_the_store_url_and_a_default_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(edit('url = "sqlite+aiosqlite:///relgate.db"', 'url = "sqlite:///${RELGATE_TEST_DIR}/${RELGATE_TEST_FILE:-store.db}"'))
    monkeypatch.setenv("RELGATE_TEST_DIR", str(tmp_path))
    monkeypatch.delenv("RELGATE_TEST_FILE", raising=False)
    from relgate.config import load

    assert load(path).store_url == f"sqlite:///{tmp_path}/store.db"
    monkeypatch.setenv("RELGATE_TEST_FILE", "other.db")
    assert load(path).store_url == f"sqlite:///{tmp_path}/other.db"
    assert cli.main(["check", "--config", str(path)]) == 0


def test_the_example_passes_check() -> None:
    assert cli.main(["check", "--config", str(EXAMPLE)]) == 0


def test_relgate_config_names_the_file_for_check_and_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(edit('dialect = "oro"', 'dialect = "orro"'))
    monkeypatch.setenv("RELGATE_CONFIG", str(path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check"]) == 1
    assert f"relgate: {path}: routes[3].dialect" in capsys.readouterr().err
    served = subprocess.run(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "RELGATE_CONFIG": str(path)},
    )  # fmt: skip
    assert served.returncode == 2 and served.stderr.startswith(f"relgate: {path}: routes[3].dialect"), served.stderr
    # --config still wins over the variable
    assert cli.main(["check", "--config", str(EXAMPLE)]) == 0
