"""relgate inside an existing WSGI app (Flask with Flask-Restless 0.17 or flask-restless-ng).

``relgate.wsgi.RelgateMiddleware(flask_app, config=…, backend="NAME")`` returns a WSGI app for
gunicorn or any WSGI server.  A request outside relgate's front doors is passed to ``flask_app``
as it came (the same ``environ`` and ``start_response``: no adapter in between).  A request under
a front door runs relgate's ASGI middleware on a2wsgi's event loop, with the Flask app reached
in-process through a2wsgi's WSGI-to-ASGI adapter.

Under an ASGI server, wrap the WSGI app the other way: ``relgate.middleware.RelgateMiddleware(
a2wsgi.WSGIMiddleware(flask_app), config=…, backend=…)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from a2wsgi import ASGIMiddleware, WSGIMiddleware

from relgate.config import Config
from relgate.middleware import RelgateMiddleware as AsgiRelgateMiddleware

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RelgateMiddleware:
    def __init__(self, app: WSGIApp, config: Config | str | Path, backend: str) -> None:
        self.app = app
        self.asgi = AsgiRelgateMiddleware(WSGIMiddleware(app), config=config, backend=backend)  # type: ignore[arg-type]
        self.relgate = ASGIMiddleware(self.asgi)  # type: ignore[arg-type]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.asgi.serves(environ.get("PATH_INFO", "") or "/"):
            return self.relgate(environ, start_response)
        return self.app(environ, start_response)
