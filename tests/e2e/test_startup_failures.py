"""``relgate serve`` that cannot start says why in exactly one line, exits non-zero, no traceback.

Each case runs the real CLI as a subprocess from an empty directory (the packaged example
configuration) and checks stderr, stdout and the exit code.  Nothing may say "listening"
before the store is open.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_HOST, PG_PORT, PG_USER, _require_pg


def serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0", *args], cwd=cwd, capture_output=True, text=True, timeout=90
    )


def assert_one_line(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    lines = done.stderr.splitlines()
    assert done.returncode == code, done
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("relgate: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "listening" not in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("store", "code", "fragments"),
    [
        pytest.param(
            "postgresql://postgres@127.0.0.1:1/relgate", 1, ["cannot open the store", "connection refused by 127.0.0.1:1"], id="unreachable"
        ),
        pytest.param("postgresql://postgres@no-such-host.invalid/relgate", 1, ["unknown host 'no-such-host.invalid'"], id="unknown-host"),
        pytest.param("mysql://root@127.0.0.1/relgate", 2, ["--store: unsupported store URL scheme 'mysql'"], id="scheme"),
        pytest.param("postgresql+psycopg2://u@h/db", 2, ["unsupported store URL scheme 'postgresql+psycopg2'"], id="sync-driver"),
        pytest.param("not a url", 2, ["--store: 'not a url' is not a database URL"], id="not-a-url"),
        pytest.param(
            "sqlite:////nonexistent-dir/relgate.db", 1, ["unable to open database file '/nonexistent-dir/relgate.db'"], id="sqlite-dir"
        ),
    ],
)
def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path, store: str, code: int, fragments: list[str]) -> None:
    assert_one_line(serve("--store", store, cwd=tmp_path), code, *fragments)


@pytest.mark.postgres
def test_a_missing_database_is_one_line(tmp_path: Path) -> None:
    _require_pg()
    done = serve("--store", f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/relgate_no_such_database", cwd=tmp_path)
    assert_one_line(done, 1, 'database "relgate_no_such_database" does not exist')


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "relgate.cli", "serve", "--port", str(port)], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    assert_one_line(done, 1, f"cannot listen on 127.0.0.1:{port}")
    assert not (tmp_path / "relgate.db").exists()  # the store is not touched either


def test_a_config_error_at_serve_time_is_one_line(tmp_path: Path) -> None:
    config = '[[routes]]\nprefix = "/j"\ndialect = "jsonapi"\n[types.people]\nattributes = { name = "strin" }\n'
    (tmp_path / "gateway.toml").write_text(config)
    assert_one_line(serve(cwd=tmp_path), 2, "gateway.toml: types.people.attributes.name.type: must be one of", "(did you mean 'string'?)")


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    assert_one_line(serve("--config", "nope.toml", cwd=tmp_path), 2, "nope.toml: cannot read: No such file or directory")
