"""``relgate migrate`` and what ``relgate serve`` says when the store's tables need it (real processes)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.test_cli import relgate

CONFIG = """
[store]
url = "sqlite:///{db}"
[[routes]]
prefix = "/jsonapi"
dialect = "jsonapi"
[types.people]
attributes = {{ name = "string", {extra} }}
"""


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(CONFIG.format(db=tmp_path / "store.db", extra=extra))
    return path


def serve_until_exit(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relgate.cli", "serve", "--config", str(config), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_serve_refuses_a_dropped_attribute_in_one_line_and_migrate_applies_it(tmp_path: Path) -> None:
    config = write(tmp_path, 'age = "integer"')
    assert relgate("migrate", "--config", str(config)).returncode == 0  # creates the tables
    db = sqlite3.connect(tmp_path / "store.db")
    db.execute("INSERT INTO people (name, age) VALUES ('Ann', 3)")
    db.commit()
    write(tmp_path, 'email = "string"')  # age dropped, email added

    done = serve_until_exit(config)
    assert done.returncode != 0
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "people.age" in ln]
    assert len(lines) == 1 and "relgate migrate" in lines[0], done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr

    dry = relgate("migrate", "--config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "people.age" in dry.stdout and "people.email" in dry.stdout
    assert "INSERT INTO" in dry.stdout and "DROP TABLE" in dry.stdout  # the table rebuild, shown as SQL
    assert [r[1] for r in db.execute("PRAGMA table_info(people)")] == ["id", "name", "age"]  # unchanged

    done = relgate("migrate", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "applied" in done.stdout
    assert [r[1] for r in db.execute("PRAGMA table_info(people)")] == ["id", "name", "email"]
    assert db.execute("SELECT name FROM people").fetchall() == [("Ann",)]
    assert "nothing to do" in relgate("migrate", "--config", str(config)).stdout
    db.close()
