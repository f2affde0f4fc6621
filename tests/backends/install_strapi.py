"""Install the real Strapi 5 backend of examples/strapi5 into a cache folder outside the repo.

    python3 tests/backends/install_strapi.py            # idempotent; seconds when warm

The project is copied to ``$RELGATE_BACKENDS_DIR/strapi5`` (default ``~/.cache/relgate/backends/strapi5``)
and its pinned packages are installed there with ``npm ci``.  Two markers keep a warm run cheap:

* the *dependency* marker is a hash of package.json, package-lock.json and the Node version (the
  native SQLite driver is built for one Node ABI): ``npm ci`` runs only when it changes;
* the *project* marker is a hash of every project file: when only a schema or config file changed,
  the files are copied again and the template database is rebuilt, without ``npm ci``.

The template database is made by starting Strapi once on an empty SQLite file, so that its tables,
migrations and the Public role's permissions exist; the test fixture starts each session on a copy
of it (a start on an existing schema is quicker than on an empty file).  Standard library only.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE = ROOT / "examples" / "strapi5"
# Folders of an installed or started project that are never part of its own files.
SKIP_DIRS = {"node_modules", ".tmp", ".cache", ".strapi", "dist", "build"}
# Files that do not change what is installed (a README edit must not rebuild the template).
SKIP_FILES = {"README.md"}
DEPS_MARKER = ".relgate-deps"
FILES_MARKER = ".relgate-files"
TEMPLATE_DB = "template.db"
INSTALL_COMMAND = "python3 tests/backends/install_strapi.py"


def install_dir() -> Path:
    base = os.environ.get("RELGATE_BACKENDS_DIR") or str(Path.home() / ".cache" / "relgate" / "backends")
    return Path(base).expanduser() / "strapi5"


def project_files(source: Path = SOURCE) -> list[Path]:
    """The project's own files, relative to ``source``, sorted (no installs, no data but data/.gitignore)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel_dir = Path(dirpath).relative_to(source)
        for name in filenames:
            rel = rel_dir / name
            if (rel.parts[0] == "data" and name != ".gitignore") or rel.as_posix() in SKIP_FILES:
                continue
            found.append(rel)
    return sorted(found)


@functools.cache
def node_version() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    return out.stdout.strip() or None


def _digest(paths: list[Path], source: Path, extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for rel in paths:
        h.update(b"\0" + rel.as_posix().encode() + b"\0")
        h.update((source / rel).read_bytes())
    return h.hexdigest()


def deps_hash(source: Path = SOURCE) -> str:
    return _digest([Path("package.json"), Path("package-lock.json")], source, f"node {node_version()}")


def files_hash(source: Path = SOURCE) -> str:
    return _digest(project_files(source), source, f"node {node_version()}")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def is_current(dest: Path | None = None) -> bool:
    """Whether the installed copy matches the repo's project files (the fixture checks this)."""
    dest = dest or install_dir()
    return _read(dest / FILES_MARKER) == files_hash() and (dest / "data" / TEMPLATE_DB).is_file()


def strapi_env(dest: Path, db_file: Path, port: int) -> dict[str, str]:
    """The environment for a quiet content-API-only Strapi that calls nobody."""
    env = dict(os.environ)
    env.update(
        NODE_ENV="production",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_FILENAME=str(db_file),
        STRAPI_TELEMETRY_DISABLED="true",
        BROWSER="none",
        TZ="UTC",
    )
    return env


def strapi_command(dest: Path) -> list[str]:
    node = shutil.which("node") or "node"
    return [node, str(dest / "node_modules" / "@strapi" / "strapi" / "bin" / "strapi.js"), "start"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    """Poll ``url`` until it answers 200; False if the process died or the time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    """Stop Strapi's whole process group: SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _native_build_env() -> dict[str, str]:
    """node-gyp settings for better-sqlite3, which is compiled here (its prebuilt binaries are not on npm).

    node-gyp would download Node's headers: point it at the installed Node's own.  ``jobs`` lets
    make compile SQLite and the binding at the same time.
    """
    env = {"npm_config_jobs": os.environ.get("npm_config_jobs", "max")}  # noqa: SIM112 (npm reads lower case)
    node = shutil.which("node")
    if node and "npm_config_nodedir" not in os.environ:
        prefix = Path(node).resolve().parent.parent
        if (prefix / "include" / "node" / "common.gypi").is_file():
            env["npm_config_nodedir"] = str(prefix)
    return env


def _sync_files(dest: Path) -> None:
    """Make dest's project files exactly the repo's, keeping node_modules."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name in ("node_modules", DEPS_MARKER):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SOURCE / rel, target)
    (dest / "data").mkdir(exist_ok=True)


def _npm_ci(dest: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed: the Strapi backend needs Node.js 20+ with npm")
    env = dict(os.environ, STRAPI_TELEMETRY_DISABLED="true", npm_config_update_notifier="false", **_native_build_env())
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(cmd, cwd=dest, env=env, stdin=subprocess.DEVNULL, check=True)


def _make_template(dest: Path, timeout: float = 300) -> None:
    """Start Strapi once on an empty database so that the template has every table and permission."""
    template = dest / "data" / TEMPLATE_DB
    scratch = dest / "data" / "template-build.db"
    scratch.unlink(missing_ok=True)
    port = free_port()
    log_path = dest / "data" / "template-build.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            strapi_command(dest),
            cwd=dest,
            env=strapi_env(dest, scratch, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            ready = wait_ready(f"http://127.0.0.1:{port}/api/restaurants", proc, timeout)
        finally:
            stop(proc)
    if not ready:
        tail = log_path.read_text(errors="replace")[-4000:]
        raise SystemExit(f"Strapi did not start on an empty database; its log ({log_path}):\n{tail}")
    scratch.replace(template)


def install(dest: Path | None = None) -> str:
    """Bring ``dest`` up to date; returns what was done ("up to date", "files", "full")."""
    dest = dest or install_dir()
    if node_version() is None:
        raise SystemExit("node is not installed: the Strapi backend needs Node.js 20+ with npm")
    if is_current(dest) and (dest / "node_modules").is_dir() and _read(dest / DEPS_MARKER) == deps_hash():
        return "up to date"
    (dest / FILES_MARKER).unlink(missing_ok=True)
    _sync_files(dest)
    done = "files"
    if _read(dest / DEPS_MARKER) != deps_hash() or not (dest / "node_modules").is_dir():
        (dest / DEPS_MARKER).unlink(missing_ok=True)
        _npm_ci(dest)
        (dest / DEPS_MARKER).write_text(deps_hash() + "\n")
        done = "full"
    _make_template(dest)
    (dest / FILES_MARKER).write_text(files_hash() + "\n")
    return done


def main() -> int:
    started = time.monotonic()
    dest = install_dir()
    done = install(dest)
    print(f"strapi5 backend in {dest}: {done} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
