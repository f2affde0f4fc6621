"""``relgate check``: every configuration error reported with its key path, non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relgate.cli import main
from tests.conftest import EXAMPLE

BAD = """
[server]
port = "eighty"
[[routes]]
prefix = "jsonapi"
dialect = "soap"
[types.people]
id = "int"
attributes = { name = "text", id = "string" }
[types.people.relationships]
pets = { type = "animals", many = true }
friends = { type = "people", many = true, inverse = "nobody" }
best = { type = "people", ordered = true }
"""


def relgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "relgate.cli", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_check_accepts_the_example() -> None:
    done = relgate("check", "--config", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout


def test_check_reports_every_error_with_its_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    done = relgate("check", "--config", str(bad))
    assert done.returncode == 1
    for expected in (
        "server.port: must be int",
        "routes[0].prefix: must start with '/'",
        "routes[0].dialect: unknown dialect 'soap'",
        "types.people.id: must be one of integer, uuid, string",
        "types.people.attributes.name.type: must be one of",
        "types.people.attributes.id: 'id' is reserved",
        "types.people.relationships.pets.type: unknown type 'animals'",
        "types.people.relationships.friends.inverse: type 'people' has no relationship 'nobody'",
        "types.people.relationships.best.ordered: only a to-many relationship can be ordered",
    ):
        assert expected in done.stderr, f"missing {expected!r} in:\n{done.stderr}"


def test_check_reports_toml_syntax_errors(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[server\nport = 1")
    done = relgate("check", "--config", str(bad))
    assert done.returncode == 1
    assert "not valid TOML" in done.stderr


def test_check_finds_gateway_toml_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text(EXAMPLE.read_text().replace('prefix = "/jsonapi"', 'prefix = "/api"'))
    done = relgate("check", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "gateway.toml: OK" in done.stdout


def test_check_validates_backend_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = EXAMPLE.read_text()
    types = example[example.index("[types.people]") :]
    config = tmp_path / "proxy.toml"
    config.write_text(
        '[backends.b]\ndialect = "jsonapi"\nurl = "http://127.0.0.1:9/api"\noptions = { page = "cursor" }\n'
        '[[routes]]\nprefix = "/jsonapi"\ndialect = "jsonapi"\ntarget = "b"\n' + types
    )
    assert main(["check", "--config", str(config)]) == 1
    assert "backends.b: option 'page' must be 'number' or 'offset'" in capsys.readouterr().err
