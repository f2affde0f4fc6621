"""The flask-restless-ng 3.3.0 app gunicorn serves: :func:`ng_api.create_app` over a SQLite file.

The models, the API and its relationship flags are in ``ng_api.py``.  The database is the SQLite
file named by ``RELGATE_DB`` (default ``ng.db`` in the working directory), its tables created when
missing; ``RELGATE_NG_FLAGS`` = ``policy`` (default), ``on`` or ``off`` (see ``ng_api``).

Production (what the tests run)::

    RELGATE_DB=/tmp/ng.db gunicorn --bind 127.0.0.1:5101 app:app

By hand, with Flask's development server: ``python app.py PORT [policy|on|off]``.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and len(sys.argv) > 2:
    os.environ["RELGATE_NG_FLAGS"] = sys.argv[2]

from ng_api import create_app

app = create_app("sqlite:///" + os.path.abspath(os.environ.get("RELGATE_DB", "ng.db")), os.environ.get("RELGATE_NG_FLAGS", "policy"))

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
