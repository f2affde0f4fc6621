"""tests/backends/install.py's bookkeeping (no pip run here), and serve() for scripts on top of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends import install


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELGATE_BACKENDS_DIR", str(tmp_path))
    return tmp_path


def fake_venv(backend: install.Backend, fingerprint: str) -> Path:
    python = install.venv_python(backend)
    python.parent.mkdir(parents=True)
    python.write_text("")
    marker = install.venv_dir(backend).parent / install.MARKER
    marker.write_text(json.dumps({"fingerprint": fingerprint}))
    return marker


def test_every_backend_has_pinned_requirements() -> None:
    for backend in install.BACKENDS.values():
        for path in install.requirement_files(backend.requirements):
            lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith(("#", "-r "))]
            assert lines and all("==" in ln for ln in lines), (backend.name, path)


def test_included_requirements_count_in_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    base = tmp_path / "base" / "requirements.txt"
    base.write_text("Flask==1.1.4\n")
    top = tmp_path / "requirements.txt"
    top.write_text("# the app's pins, and one more\n-r base/requirements.txt\na2wsgi==1.10.10\n")
    assert install.requirement_files(top) == [top, base.resolve()]
    # the 0.17 middleware example's venv is reinstalled when 0.17's own pins change
    example = install.BACKENDS["middleware-flask-0.17"]
    assert install.BACKENDS["flask-restless-0.17"].requirements.resolve() in install.requirement_files(example.requirements)


def test_status_missing_stale_current(cache: Path) -> None:
    backend = install.BACKENDS["flask-restless-0.17"]
    assert install.status(backend) == f"no virtualenv at {cache / 'flask-restless-0.17' / 'venv'}"
    marker = fake_venv(backend, "0" * 64)
    assert install.status(backend) == "examples/flask-restless-0.17/requirements.txt changed since it was installed"
    marker.write_text(json.dumps({"fingerprint": install.fingerprint(backend)}))
    assert install.status(backend) is None
    marker.write_text("not json")
    assert install.status(backend) == f"unreadable marker {marker}"


def test_current_backend_is_not_reinstalled(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backend = install.BACKENDS["drf-jsonapi"]
    fake_venv(backend, install.fingerprint(backend))
    assert install.main(["drf-jsonapi"]) == 0
    assert "drf-jsonapi: current" in capsys.readouterr().out
    assert install.main(["--check", "drf-jsonapi"]) == 0
    assert install.main(["--check", "flask-restless-ng"]) == 1


def test_unknown_backend_name_is_refused(cache: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        install.main(["nosuch"])
    assert exc.value.code == 2


def test_serve_outside_fixtures(tmp_path: Path) -> None:
    """serve() (for scripts) starts its own server with the gunicorn settings asked for and stops it."""
    import httpx

    from tests.backends.python_backends import SPECS, require_installed, serve

    require_installed(SPECS["ng"])
    with serve("ng", tmp_path, threads=2, workers=2) as backend:
        resp = httpx.get(backend.url + "/person", headers={"Accept": "application/vnd.api+json"}, timeout=10)
        assert resp.status_code == 200 and resp.json()["meta"] == {"total": 0}
        log = backend.log_path
    assert log.read_text().count("Booting worker") == 2
    with pytest.raises(httpx.ConnectError):
        httpx.get(backend.url + "/person", timeout=2)


def test_serve_without_install_says_what_to_run(cache: Path) -> None:
    from tests.backends.python_backends import BackendError, serve

    with pytest.raises(BackendError, match=r"run `python tests/backends/install.py drf-jsonapi`"), serve("drf", cache):
        pass
