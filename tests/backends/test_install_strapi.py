"""The Strapi installer's idempotence keys: which files make a warm run redo work (no npm here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.backends import install_strapi


@pytest.fixture
def project(tmp_path: Path) -> Path:
    src = tmp_path / "strapi5"
    for rel in install_strapi.project_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(install_strapi.SOURCE / rel, src / rel)
    return src


def test_project_files_leave_out_installs_and_data(project: Path) -> None:
    (project / "node_modules" / "x").mkdir(parents=True)
    (project / "node_modules" / "x" / "index.js").write_text("1")
    (project / "data" / "strapi.db").write_bytes(b"db")
    (project / ".strapi").mkdir()
    (project / ".strapi" / "client.js").write_text("1")
    files = {p.as_posix() for p in install_strapi.project_files(project)}
    assert "package-lock.json" in files and "src/index.js" in files and "data/.gitignore" in files
    assert "src/api/restaurant/content-types/restaurant/schema.json" in files
    assert not any(f.startswith(("node_modules/", ".strapi/")) for f in files)
    assert "data/strapi.db" not in files and "README.md" not in files


def test_a_schema_change_changes_the_files_hash_but_not_the_deps_hash(project: Path) -> None:
    files, deps = install_strapi.files_hash(project), install_strapi.deps_hash(project)
    schema = project / "src/api/category/content-types/category/schema.json"
    schema.write_text(schema.read_text().replace('"name"', '"title"'))
    assert install_strapi.files_hash(project) != files
    assert install_strapi.deps_hash(project) == deps


def test_a_lock_change_changes_both_and_a_readme_change_neither(project: Path) -> None:
    files, deps = install_strapi.files_hash(project), install_strapi.deps_hash(project)
    (project / "README.md").write_text("changed")
    assert (install_strapi.files_hash(project), install_strapi.deps_hash(project)) == (files, deps)
    (project / "package-lock.json").write_text((project / "package-lock.json").read_text() + "\n")
    assert install_strapi.files_hash(project) != files
    assert install_strapi.deps_hash(project) != deps


def test_install_dir_follows_relgate_backends_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RELGATE_BACKENDS_DIR", str(tmp_path))
    assert install_strapi.install_dir() == tmp_path / "strapi5"
    monkeypatch.delenv("RELGATE_BACKENDS_DIR")
    assert install_strapi.install_dir() == Path.home() / ".cache" / "relgate" / "backends" / "strapi5"
