"""Record the golden exchanges: each scenario on relgate (fresh SQLite) and on a real 0.17 server.

    .venv/bin/python dialects/restless-legacy/recorder/record.py --zero17-python /path/to/venv-r017/bin/python [scenario ...]

relgate's answer becomes the step's ``response``; 0.17's answer (a fresh server and database per
scenario, started and stopped here) is recorded in ``real_0.17`` -- ``"same"`` when status, body
and ``Location`` agree.  A difference without a ``note`` in the scenario is reported, so every
deviation is explained.  Without ``--zero17-python`` nothing is sent to 0.17 and ``real_0.17``
is left out.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from scenarios import SPECS  # noqa: E402

from relgate.app import Gateway  # noqa: E402
from relgate.config import load  # noqa: E402
from tests.dialects.jsonapi_support import encode  # noqa: E402
from tests.dialects.restless_legacy_support import codec  # noqa: E402
from tests.dialects.restless_legacy_support import request as codec_request  # noqa: E402

OUT = HERE.parent / "exchanges"
ZERO17_APP = ROOT / "examples" / "flask-restless-0.17" / "app.py"
PORT = 5017
REAL = f"http://127.0.0.1:{PORT}"
KEEP = ("content-type", "location", "link", "allow")


class Zero17:
    """A 0.17 server this script starts and stops (by its own pid)."""

    def __init__(self, python: str, db: Path) -> None:
        self.proc = subprocess.Popen(
            [python, str(ZERO17_APP), str(PORT), str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(50):
            try:
                httpx.get(f"{REAL}/api/person", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the 0.17 server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def parse(resp: httpx.Response, local: bool) -> Any:
    if not resp.content:
        return None
    text = resp.text if local else resp.text.replace(f"{REAL}/api", "http://relgate.test/legacy/api")
    if resp.headers.get("content-type", "").startswith("application/javascript"):
        i = text.index("(")
        return {"jsonp": text[:i], "inner": json.loads(text[i + 1 : -1])}
    try:
        return json.loads(text)
    except ValueError:
        return "<html>"


async def run(name: str, spec: dict[str, Any], python: str | None, tmp: Path) -> list[str]:
    db = tmp / f"{name}.db"
    config = dataclasses.replace(load(ROOT / "gateway.example.toml"), store_url=f"sqlite+aiosqlite:///{db}")
    parser = codec(config)
    server = Zero17(python, tmp / f"{name}-017.db") if python else None
    problems: list[str] = []
    steps = []
    try:
        async with Gateway(config) as gw:
            transport = httpx.ASGITransport(app=gw)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as rg,
                httpx.AsyncClient(base_url=REAL) as real,
            ):
                for st in spec["steps"]:
                    req: dict[str, Any] = {"method": st["method"], "path": "/legacy/api" + st["path"]}
                    if "body" in st:
                        raw = json.dumps(st["body"]).encode()
                        req["body"] = st["body"]
                    elif "raw" in st:
                        raw = st["raw"].encode()
                        req["raw"] = st["raw"]
                    else:
                        raw = b""
                    headers = st.get("headers")
                    if headers is None:
                        headers = {"Content-Type": "application/json"} if raw else {}
                    else:
                        req["headers"] = headers
                    step: dict[str, Any] = {"name": st["name"]}
                    if st.get("note"):
                        step["note"] = st["note"]
                    step["request"] = req
                    if st.get("ops"):
                        step["ops"] = encode(parser.parse(codec_request(req["method"], req["path"], headers=headers, raw=raw)).batch.ops)
                    r = await rg.request(req["method"], req["path"], content=raw, headers=headers)
                    resp: dict[str, Any] = {"status": r.status_code}
                    resp["headers"] = {("Content-Type" if k == "content-type" else k.title()): r.headers[k] for k in KEEP if k in r.headers}
                    if r.content:
                        body: Any = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
                        if st.get("prefix"):
                            assert body["message"].startswith(st["prefix"]), (st["name"], body)
                            resp["match"] = "message-prefix"
                            body = {"message": st["prefix"]}
                        resp["body"] = body
                    step["response"] = resp
                    if server is not None and st.get("real", True):
                        a = await real.request(st["method"], "/api" + st["path"], content=raw, headers=headers)
                        location = (
                            a.headers.get("location", "").split(",")[0].strip().replace(f"{REAL}/api", "http://relgate.test/legacy/api")
                        )
                        same = (
                            a.status_code == r.status_code
                            and parse(a, False) == parse(r, True)
                            and location == r.headers.get("location", "")
                        )
                        step["real_0.17"] = "same" if same else f"{a.status_code} {json.dumps(parse(a, False))[:300]}"
                        if not same and not st.get("note"):
                            problems.append(f"{name}: {st['name']}: differs from 0.17 without a note")
                    steps.append(step)
    finally:
        if server is not None:
            server.stop()
    (OUT / f"{name}.json").write_text(json.dumps({"description": spec["description"], "steps": steps}, indent=2, ensure_ascii=False) + "\n")
    print(f"{name}: {len(steps)} steps")
    return problems


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--zero17-python", help="python of a virtualenv with flask-restless 0.17.0 (Part B1)")
    args.add_argument("scenarios", nargs="*")
    ns = args.parse_args()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ns.scenarios or list(SPECS):
            problems += asyncio.run(run(name, SPECS[name], ns.zero17_python, Path(tmp)))
    for p in problems:
        print("UNEXPLAINED", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
