"""relgate: a gateway between the relationship dialects of REST APIs.

The names most programs need, importable from the package itself (loaded on first use, so
``import relgate`` stays cheap): :class:`Config`, :class:`Gateway` and :class:`RelgateMiddleware`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Config", "Gateway", "RelgateMiddleware"]

_WHERE = {"Config": "relgate.config", "Gateway": "relgate.app", "RelgateMiddleware": "relgate.middleware"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'relgate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
