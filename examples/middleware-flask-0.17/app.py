"""The Flask-Restless 0.17 app of ``examples/flask-restless-0.17`` gains a JSON:API 1.1 door.

That app (loaded from ``../flask-restless-0.17/app.py``, not copied) needs the 2015 stack —
Flask 1.1, SQLAlchemy 1.3 — so relgate runs inside the app's own pinned virtualenv: installed
without its dependencies (``pip install --no-deps``) next to the few it needs on this path
(``requirements.txt``).  A gateway whose routes all go to backends never imports relgate's own
store (the part that needs SQLAlchemy 2), and :func:`relgate.schema.from_sqlalchemy` reads
SQLAlchemy 1.3's models too, so the schema comes from the app's models here as well.

relgate serves JSON:API 1.1 under ``/jsonapi`` and sends each request to 0.17's own API at
``/api`` in the same process (:class:`relgate.wsgi.RelgateMiddleware`, a WSGI app for gunicorn);
every other request reaches the Flask app as it came.

    cd examples/middleware-flask-0.17
    RELGATE_DB=/tmp/r017.db venv/bin/gunicorn app:app
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import relgate
import relgate.wsgi
from relgate.schema import from_sqlalchemy

BACKEND = "legacy"
LEGACY_APP = Path(__file__).resolve().parents[1] / "flask-restless-0.17" / "app.py"


def _load_legacy_app() -> ModuleType:
    """``examples/flask-restless-0.17/app.py`` as a module (it opens ``$RELGATE_DB``, default ./r017.db, and creates its tables)."""
    spec = importlib.util.spec_from_file_location("flask_restless_017_app", LEGACY_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def relgate_config(models_base: Any) -> relgate.Config:
    """relgate's side: the app as backend ``legacy`` and a JSON:API door.

    ``options.defaults`` are the keyword arguments the app passes to ``create_api`` (relgate reads
    what 0.17 allows from them: the methods, ``allow_patch_many``, …).
    """
    return relgate.Config.from_mapping(
        {
            "backends": {
                BACKEND: {
                    "dialect": "restless-legacy",
                    "url": "http://legacy.internal/api",
                    "options": {
                        "defaults": {
                            "methods": ["GET", "POST", "PATCH", "PUT", "DELETE"],
                            "allow_patch_many": True,
                            "allow_delete_many": True,
                            "allow_functions": True,
                        }
                    },
                }
            },
            "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi", "target": BACKEND}],
            "types": from_sqlalchemy(models_base),
        }
    )


legacy = _load_legacy_app()
flask_app = legacy.app
app = relgate.wsgi.RelgateMiddleware(flask_app, config=relgate_config(legacy.db.Model), backend=BACKEND)
