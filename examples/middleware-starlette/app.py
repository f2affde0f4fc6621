"""The bookshop of ``bookshop.py`` gains a Strapi 5 door: one ``app.add_middleware`` call.

relgate reads the schema from the bookshop's own SQLAlchemy models (``from_sqlalchemy``), serves
Strapi 5's content API under ``/strapi/api`` and sends each request to the bookshop's JSON:API at
``/api`` in-process (no socket, no second server).  Everything else — ``/api`` itself,
``/health`` — reaches the bookshop untouched.

    cd examples/middleware-starlette
    RELGATE_DB=/tmp/bookshop.db ../../.venv/bin/uvicorn --factory app:create --port 8000
"""

from __future__ import annotations

import os

from bookshop import Base, create_app
from starlette.applications import Starlette

import relgate
from relgate.schema import from_sqlalchemy


def relgate_config() -> relgate.Config:
    """relgate's side: the bookshop as backend ``bookshop`` (JSON:API at /api) and one Strapi door."""
    return relgate.Config.from_mapping(
        {
            "backends": {"bookshop": {"dialect": "jsonapi", "url": "http://bookshop.internal/api"}},
            "routes": [{"prefix": "/strapi/api", "dialect": "strapi", "target": "bookshop"}],
            "types": from_sqlalchemy(Base),
        }
    )


def create(database: str | None = None) -> Starlette:
    """The bookshop over the SQLite file ``database`` (default: ``$RELGATE_DB``, else ./bookshop.db), with the door."""
    path = os.path.abspath(database or os.environ.get("RELGATE_DB", "bookshop.db"))
    app = create_app(f"sqlite:///{path}")
    app.add_middleware(relgate.RelgateMiddleware, config=relgate_config(), backend="bookshop")
    return app
