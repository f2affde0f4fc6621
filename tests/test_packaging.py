"""The wheel: what it carries, and ``relgate serve`` from an empty directory after installing it.

The wheel is built from a copy of the project's own files (no build isolation: setuptools comes
from the test extra, so no download), installed with pip into a fresh virtual environment,
and served from an empty working directory: the example configuration must come from inside
the installed package.  The fresh environment takes relgate's dependencies from the test
environment (a ``.pth`` line) so the test does not download them again; relgate itself must
be the installed wheel, which the served configuration path proves.
"""

from __future__ import annotations

import re
import shutil
import signal
import site
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "gateway.example.toml"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "relgate", src / "relgate", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("relgate-*.whl")
    return built


def test_the_wheel_carries_the_example_the_license_and_py_typed(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert zf.read("relgate/gateway.example.toml") == (ROOT / "gateway.example.toml").read_bytes()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "relgate/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta
    assert "Classifier: Programming Language :: Python :: 3.13" in meta
    assert "Classifier: Typing :: Typed" in meta
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_serves_from_an_empty_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    done = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    fresh_site = Path(subprocess.check_output([str(py), "-c", purelib], text=True).strip())
    (fresh_site / "relgate_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    checked = subprocess.run([str(env_dir / "bin" / "relgate"), "check"], cwd=empty, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(str(fresh_site / "relgate" / "gateway.example.toml")), checked.stdout

    proc = subprocess.Popen(
        [str(env_dir / "bin" / "relgate"), "serve", "--port", "0", "--log-level", "warning"],
        cwd=empty, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+) \(config (\S+),", first)
        assert m, first + proc.stdout.read()
        assert Path(m.group(2)) == fresh_site / "relgate" / "gateway.example.toml"
        for _ in range(100):
            try:
                r = httpx.get(m.group(1) + "/jsonapi/people", headers={"Accept": "application/vnd.api+json"}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert r.status_code == 200 and r.json()["data"] == []
        assert (empty / "relgate.db").is_file()  # the data lives in the working directory
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
