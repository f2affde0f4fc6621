"""The flask-restless-ng app of ``examples/flask-restless-ng`` gains a JSON:API 1.1 door and a Strapi 5 door.

Same models, same ``create_app`` (imported from ``../flask-restless-ng/ng_api.py``, not copied).
relgate reads the schema from those models (:func:`relgate.schema.from_sqlalchemy`), serves
JSON:API 1.1 under ``/jsonapi`` and Strapi 5 under ``/strapi/api``, and sends each request to
the Flask app's own NG API at ``/api`` in-process; every other request (``/api`` itself) reaches
the Flask app as it came.  Two ways to serve it:

- a WSGI server (gunicorn): :func:`wsgi` wraps the Flask app in :class:`relgate.wsgi.RelgateMiddleware`;
- an ASGI server (uvicorn): :func:`asgi` wraps a2wsgi's adapter around the Flask app in
  :class:`relgate.RelgateMiddleware`.

    cd examples/middleware-flask-ng
    RELGATE_DB=/tmp/ng.db gunicorn 'app:wsgi()'             # WSGI
    RELGATE_DB=/tmp/ng.db uvicorn --factory app:asgi        # ASGI
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flask-restless-ng"))

from a2wsgi import WSGIMiddleware
from flask import Flask
from ng_api import create_app, db

import relgate
import relgate.wsgi
from relgate.schema import from_sqlalchemy

BACKEND = "ng"


def relgate_config() -> relgate.Config:
    """relgate's side: the Flask app as backend ``ng`` (NG's dialect at /api) and two front doors.

    ``policies`` say what NG allows beyond its defaults: ``ng_api`` lets ``person.articles`` be
    replaced and removed from (its ``PerRelation`` flag); every other to-many keeps NG's default,
    which forbids both — relgate refuses those with 403 before sending anything.
    """
    return relgate.Config.from_mapping(
        {
            "backends": {
                BACKEND: {
                    "dialect": "restless",
                    "url": "http://ng.internal/api",
                    "policies": {"person.articles": {"allow_replace": True, "allow_remove": True}},
                }
            },
            "routes": [
                {"prefix": "/jsonapi", "dialect": "jsonapi", "target": BACKEND},
                {"prefix": "/strapi/api", "dialect": "strapi", "target": BACKEND},
            ],
            "types": from_sqlalchemy(db.Model),
        }
    )


def flask_app(database: str | None = None) -> Flask:
    """NG's Flask app over the SQLite file ``database`` (default ``$RELGATE_DB``, else ./ng.db)."""
    path = os.path.abspath(database or os.environ.get("RELGATE_DB", "ng.db"))
    return create_app(f"sqlite:///{path}")


def with_doors_wsgi(app: Flask) -> relgate.wsgi.RelgateMiddleware:
    """``app`` with relgate's doors, as a WSGI app."""
    return relgate.wsgi.RelgateMiddleware(app, config=relgate_config(), backend=BACKEND)


def with_doors_asgi(app: Flask) -> Any:
    """``app`` with relgate's doors, as an ASGI app (the Flask app reached through a2wsgi)."""
    return relgate.RelgateMiddleware(WSGIMiddleware(app), config=relgate_config(), backend=BACKEND)  # type: ignore[arg-type]


def wsgi(database: str | None = None) -> relgate.wsgi.RelgateMiddleware:
    """For gunicorn: ``gunicorn 'app:wsgi()'``."""
    return with_doors_wsgi(flask_app(database))


def asgi(database: str | None = None) -> Any:
    """For uvicorn: ``uvicorn --factory app:asgi``."""
    return with_doors_asgi(flask_app(database))
