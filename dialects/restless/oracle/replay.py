"""Replay relgate's ``restless`` exchanges against real flask-restless-ng and compare statuses.

Not part of relgate's tests (it needs flask-restless-ng, which relgate does not depend on)::

    /tmp/venv-ng/bin/python replay.py ../exchanges/03-resources-and-errors.json on

Starts a fresh ``examples/flask-restless-ng/app.py`` server on a free port (the person API's two flags on|off),
replays every ``/restless/api`` step with the prefix mapped to NG's ``/api`` (other front doors'
steps are skipped), and prints relgate's expected status next to NG's, with NG's error details.
When a step expects a list of resources (``"data": [{"id": ...}, ...]``), NG's ids are compared too.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PREFIX = "/restless/api"
JSONAPI = "application/vnd.api+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(port: int, request: dict) -> tuple[int, str]:
    url = f"http://127.0.0.1:{port}/api" + request["path"][len(PREFIX) :]
    url = url.replace("[", "%5B").replace("]", "%5D")
    body = request["raw"].encode() if "raw" in request else (json.dumps(request["body"]).encode() if "body" in request else None)
    headers = request.get("headers", {"Accept": JSONAPI, **({"Content-Type": JSONAPI} if body else {})})
    req = urllib.request.Request(url, data=body, method=request["method"], headers=headers)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def details(text: str) -> str:
    try:
        return "; ".join(str(e.get("detail"))[:90] for e in json.loads(text)["errors"])
    except (ValueError, KeyError, TypeError):
        lines = text.strip().splitlines()
        return f"HTML {lines[-1][:60]}" if lines else ""


def expected_ids(step: dict) -> list[str] | None:
    data = step["response"].get("body", {}).get("data")
    if not isinstance(data, list) or not all(isinstance(d, dict) and "id" in d for d in data):
        return None
    return [d["id"] for d in data]


def ng_ids(text: str) -> list[str] | None:
    try:
        data = json.loads(text)["data"]
    except (ValueError, KeyError, TypeError):
        return None
    return [d.get("id") for d in data] if isinstance(data, list) else None


def main(path: str, flags: str) -> int:
    port = free_port()
    app = Path(__file__).resolve().parents[3] / "examples" / "flask-restless-ng" / "app.py"
    db = Path(tempfile.mkdtemp()) / "ng.db"  # a fresh database per replay
    env = {**os.environ, "RELGATE_DB": str(db)}
    proc = subprocess.Popen([sys.executable, str(app), str(port), flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/person", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        steps = spec["steps"] if isinstance(spec, dict) else spec
        same = differ = 0
        for step in steps:
            if not step["request"]["path"].startswith(PREFIX):
                print(f"skip (other front door)  {step['name'][:90]}")
                continue
            status, text = call(port, step["request"])
            want = step["response"]["status"]
            ok = status == want
            ids = expected_ids(step)
            if ok and ids is not None:
                got = ng_ids(text)
                ok = got == ids
                if not ok:
                    print(f"     ids: relgate {ids} ng {got}")
            same += ok
            differ += not ok
            note = f"  [ng: {details(text)}]" if status >= 400 else ""
            print(f"{'same' if ok else 'DIFF'} relgate {want} ng {status}  {step['name'][:90]}{note}")
        print(f"== {Path(path).name} flags={flags}: {same} same, {differ} different")
        return 0
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
