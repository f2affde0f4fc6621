"""A real Flask-Restless 0.17.0 API over relgate's example schema (gateway.example.toml).

Collections are the table names ``person``, ``computer``, ``article`` (the ``names.restless-legacy``
of gateway.example.toml) under ``/api``, each with methods GET, POST, PATCH, PUT, DELETE and
``allow_patch_many``, ``allow_delete_many``, ``allow_functions`` (``/api/eval/<c>``): the options of
relgate's own ``/legacy/api`` route.  0.17 needs its own virtualenv with the old Flask stack
(requirements.txt, shared/reference/flask-restless.md Part B1) and the ``inspect.getargspec`` shim
below.

Production (what the tests run), database file from ``RELGATE_DB`` (tables created when missing)::

    RELGATE_DB=/tmp/r017.db gunicorn --bind 127.0.0.1:5017 app:app

By hand or for dialects/restless-legacy/recorder/record.py, with Flask's development server and an
emptied database file: ``python app.py PORT DATABASE_FILE``.
"""

import inspect
import os
import sys

if not hasattr(inspect, "getargspec"):  # removed in Python 3.11, used by 0.17's search.py
    inspect.getargspec = inspect.getfullargspec

import flask
import flask_restless
import flask_sqlalchemy

MAIN = __name__ == "__main__"
if MAIN:
    os.environ["RELGATE_DB"] = sys.argv[2]

app = flask.Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.abspath(os.environ.get("RELGATE_DB", "r017.db"))
app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
db = flask_sqlalchemy.SQLAlchemy(app)


class Person(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode, unique=True)
    age = db.Column(db.Integer)
    birth_date = db.Column(db.Date)
    computers = db.relationship("Computer", backref=db.backref("owner"))
    articles = db.relationship("Article", backref=db.backref("author"))


class Computer(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode, unique=True)
    vendor = db.Column(db.Unicode)
    owner_id = db.Column(db.Integer, db.ForeignKey("person.id"))
    purchase_time = db.Column(db.DateTime)


class Article(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.Unicode)
    author_id = db.Column(db.Integer, db.ForeignKey("person.id"))


if MAIN:
    db.drop_all()
db.create_all()
db.engine.dispose()  # no SQLite connection survives a fork (gunicorn --preload)
manager = flask_restless.APIManager(app, flask_sqlalchemy_db=db)
options = dict(methods=["GET", "POST", "PATCH", "PUT", "DELETE"], allow_patch_many=True, allow_delete_many=True, allow_functions=True)
for model in (Person, Computer, Article):
    manager.create_api(model, **options)

if MAIN:
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
