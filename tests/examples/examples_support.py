"""Loading the middleware examples of examples/ in tests, and comparing answers byte for byte."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def load_example(folder: str, module: str = "app") -> ModuleType:
    """``examples/<folder>/<module>.py`` as a module of its own name (each example has an ``app.py``).

    The folder goes on ``sys.path`` first, as when the example is served from it (``bookshop``
    next to the Starlette example's ``app.py``).  Loaded once per test session.
    """
    name = "example_" + folder.replace("-", "_").replace(".", "_") + "_" + module
    if name in sys.modules:
        return sys.modules[name]
    path = EXAMPLES / folder
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    spec = importlib.util.spec_from_file_location(name, path / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def wire(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client receives: the status, every header in order, the body's bytes."""
    return response.status_code, response.headers.multi_items(), response.content
