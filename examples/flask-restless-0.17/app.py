"""A real Flask-Restless 0.17.0 API over the example schema's people / computers / articles.

Runs in its own virtualenv (shared/reference/flask-restless.md Part B1)::

    python3.11 -m venv venv-r017
    venv-r017/bin/pip install "flask-restless==0.17.0" "Flask==1.1.4" "Werkzeug==1.0.1" \\
        "Jinja2==2.11.3" "MarkupSafe==2.0.1" "itsdangerous==1.1.0" "SQLAlchemy==1.3.24" "Flask-SQLAlchemy==2.5.1"
    venv-r017/bin/python app.py PORT DATABASE_FILE

Binds 127.0.0.1 only; the database file is emptied at start.
"""

import inspect
import sys

if not hasattr(inspect, "getargspec"):  # removed in Python 3.11, used by 0.17's search.py
    inspect.getargspec = inspect.getfullargspec

import flask
import flask_restless
import flask_sqlalchemy

app = flask.Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{sys.argv[2]}"
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


db.drop_all()
db.create_all()
manager = flask_restless.APIManager(app, flask_sqlalchemy_db=db)
options = dict(methods=["GET", "POST", "PATCH", "PUT", "DELETE"], allow_patch_many=True, allow_delete_many=True, allow_functions=True)
for model in (Person, Computer, Article):
    manager.create_api(model, **options)
app.run(host="127.0.0.1", port=int(sys.argv[1]))
