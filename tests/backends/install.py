"""Install the real Python backends of examples/ into their own virtualenvs (stdlib only).

    python tests/backends/install.py [NAME ...]     # all of them without names
    python tests/backends/install.py --check        # exit 1 unless every one is installed and current

Each backend gets ``$RELGATE_BACKENDS_DIR/<name>/venv`` (default ``~/.cache/relgate/backends``,
outside the repository) with its pinned ``requirements.txt``.  A marker file holds a hash of what
was installed (the requirements file and the interpreter's version); a backend whose marker
matches is left alone, so a warm run takes well under a second.  Non-interactive (``CI=true``, no
standard input); a lock file per backend keeps two runs from installing into the same venv.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "installed.json"


@dataclasses.dataclass(frozen=True)
class Backend:
    """A backend of examples/: where it lives, its interpreter and a module proving the install."""

    name: str
    folder: str  # below the repository root
    python: str  # the interpreter's major.minor, chosen explicitly per backend
    why: str  # why that interpreter
    probe: str  # a module the venv must import

    @property
    def app_dir(self) -> Path:
        return ROOT / self.folder

    @property
    def requirements(self) -> Path:
        return self.app_dir / "requirements.txt"


BACKENDS = {
    b.name: b
    for b in (
        Backend(
            "flask-restless-ng",
            "examples/flask-restless-ng",
            "3.11",
            "the version NG 3.3.0 was checked with (reference Part B2); its pins have wheels for it",
            "flask_restless",
        ),
        Backend(
            "flask-restless-0.17",
            "examples/flask-restless-0.17",
            "3.11",
            "reference Part B1: 0.17 runs on Python 3.11 with the pinned 2015-era stack and the "
            "inspect.getargspec shim; newer Pythons are untested with SQLAlchemy 1.3 / Flask 1.1",
            "flask_restless",
        ),
        Backend(
            "middleware-flask-0.17",
            "examples/middleware-flask-0.17",
            "3.11",
            "the 0.17 app's own stack (its requirements.txt includes 0.17's pins) with relgate's middleware "
            "path beside it; relgate itself is put on PYTHONPATH (not installed: the venv is shared by checkouts)",
            "a2wsgi",
        ),
        Backend(
            "drf-jsonapi",
            "examples/drf-jsonapi",
            "3.11",
            "the version djangorestframework-jsonapi 8.1.0 was checked with (reference Part B3)",
            "rest_framework_json_api",
        ),
    )
}


def backends_dir() -> Path:
    return Path(os.environ.get("RELGATE_BACKENDS_DIR") or Path.home() / ".cache" / "relgate" / "backends")


def venv_dir(backend: Backend) -> Path:
    return backends_dir() / backend.name / "venv"


def venv_python(backend: Backend) -> Path:
    return venv_dir(backend) / "bin" / "python"


def requirement_files(path: Path) -> list[Path]:
    """``path`` and every requirements file it includes (``-r other.txt``, relative to it), in order."""
    out = [path]
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("-r", "--requirement"):
            out += requirement_files((path.parent / parts[1]).resolve())
    return out


def fingerprint(backend: Backend) -> str:
    digest = hashlib.sha256()
    for path in requirement_files(backend.requirements):
        digest.update(path.read_bytes())
    digest.update(backend.python.encode())
    return digest.hexdigest()


def status(backend: Backend) -> str | None:
    """None when the backend is installed from its current requirements, else what is missing."""
    marker = venv_dir(backend).parent / MARKER
    if not venv_python(backend).exists() or not marker.exists():
        return f"no virtualenv at {venv_dir(backend)}"
    try:
        recorded = json.loads(marker.read_text())["fingerprint"]
    except (ValueError, KeyError, TypeError):
        return f"unreadable marker {marker}"
    if recorded != fingerprint(backend):
        return f"{backend.requirements.relative_to(ROOT)} changed since it was installed"
    return None


def find_python(version: str) -> str:
    """The interpreter for ``version``: this one when it matches, else ``pythonX.Y`` on PATH."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    found = shutil.which(f"python{version}")
    if found is None:
        raise SystemExit(f"install.py: Python {version} is needed and neither this interpreter nor python{version} on PATH is it")
    return found


def run(cmd: list[str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-30:])
        raise SystemExit(f"install.py: {' '.join(cmd[:3])} ... failed ({done.returncode}); end of {log}:\n{tail}")


def install(backend: Backend) -> str:
    """Install ``backend`` unless it is current; returns what was done."""
    home = venv_dir(backend).parent
    home.mkdir(parents=True, exist_ok=True)
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run installing the same backend: wait for it
        if status(backend) is None:
            return "current"
        started = time.monotonic()
        shutil.rmtree(venv_dir(backend), ignore_errors=True)
        (home / MARKER).unlink(missing_ok=True)
        log = home / "install.log"
        log.write_text("")
        python = find_python(backend.python)
        run([python, "-m", "venv", str(venv_dir(backend))], log)
        pip = [str(venv_python(backend)), "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
        run([*pip, "install", "-r", str(backend.requirements)], log)
        run([str(venv_python(backend)), "-c", f"import {backend.probe}"], log)
        version = subprocess.run(
            [str(venv_python(backend)), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
        ).stdout.strip()
        (home / MARKER).write_text(json.dumps({"fingerprint": fingerprint(backend), "python": version, "app": backend.folder}) + "\n")
        return f"installed in {time.monotonic() - started:.1f}s (Python {version})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BACKENDS))
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when one is missing or stale")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BACKENDS]
    if unknown:
        parser.error(f"unknown backend {', '.join(unknown)} (known: {', '.join(BACKENDS)})")
    chosen = [BACKENDS[n] for n in args.names] or list(BACKENDS.values())
    started = time.monotonic()
    missing = 0
    if args.check:
        for backend in chosen:
            problem = status(backend)
            missing += problem is not None
            print(f"{backend.name}: {problem or 'current'}")
        return 1 if missing else 0
    # The venvs are independent and pip mostly waits on downloads: install them side by side.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        jobs = {pool.submit(install, backend): backend for backend in chosen}
        for job in concurrent.futures.as_completed(jobs):
            print(f"{jobs[job].name}: {job.result()}", flush=True)
    print(f"backends in {backends_dir()}: {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
