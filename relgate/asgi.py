"""``relgate.asgi:app`` for any ASGI server: ``uvicorn relgate.asgi:app``, gunicorn's uvicorn worker, granian.

The gateway is built when the server first asks for ``app`` (not when this module is imported),
from ``RELGATE_CONFIG`` (a file path; default: ``./gateway.toml``, else the example), with
``RELGATE_SERVE_STORE`` overriding ``store.url`` (set by ``relgate serve --store`` for its
workers).  ``create_app`` is the same as a factory (``uvicorn --factory relgate.asgi:create_app``).

Under a foreign server: relgate logs JSON lines at ``RELGATE_LOG_LEVEL`` (default ``info``);
turn the server's own access log off (``--no-access-log``), relgate's replaces it.  With
several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so ``/metrics``
sums every worker; the server must run the ASGI lifespan (it opens and closes the store).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from relgate.app import Gateway


def config_path() -> Path:
    """``$RELGATE_CONFIG``, else the working directory's file, else the example (relgate.configfile's order)."""
    from relgate import configfile

    return configfile.config_path(None)


def create_app() -> Gateway:
    from relgate.configfile import load_checked
    from relgate.logs import configure_if_unset
    from relgate.store import normalize_url

    configure_if_unset(os.environ.get("RELGATE_LOG_LEVEL", "info").lower())
    config = load_checked(config_path())
    store = os.environ.get("RELGATE_SERVE_STORE")
    if store:
        config = dataclasses.replace(config, store_url=normalize_url(store))
    return Gateway(config)


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from relgate.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        for error in exc.errors:
            print(f"relgate: {config_path()}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    globals()["app"] = app
    return app
