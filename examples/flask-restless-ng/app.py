"""A flask-restless-ng 3.3.0 backend with relgate's example people/articles/computers.

Not part of relgate or its tests: run it in its own virtualenv to check the real system
(see dialects/restless/README.md, "Checked against the real system")::

    python3.11 -m venv /tmp/venv-ng && /tmp/venv-ng/bin/pip install flask-restless-ng==3.3.0 flask-sqlalchemy
    /tmp/venv-ng/bin/python app.py 5101 on    # PORT, and the person API's two flags on|off

Collection names (= types) are the table names: person, article, computer.
"""

from __future__ import annotations

import sys

from flask import Flask
from flask_restless import APIManager
from flask_sqlalchemy import SQLAlchemy

port, flags = int(sys.argv[1]), sys.argv[2] == "on"
app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
db = SQLAlchemy(app)


class Person(db.Model):  # type: ignore[name-defined]
    __tablename__ = "person"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode, unique=True)
    age = db.Column(db.Integer)
    birth_date = db.Column(db.Date)


class Article(db.Model):  # type: ignore[name-defined]
    __tablename__ = "article"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.Unicode)
    author_id = db.Column(db.Integer, db.ForeignKey("person.id"))
    author = db.relationship(Person, backref=db.backref("articles"))


class Computer(db.Model):  # type: ignore[name-defined]
    __tablename__ = "computer"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode, unique=True)
    vendor = db.Column(db.Unicode)
    purchase_time = db.Column(db.DateTime)
    owner_id = db.Column(db.Integer, db.ForeignKey("person.id"))
    owner = db.relationship(Person, backref=db.backref("computers"))


with app.app_context():
    db.create_all()
    manager = APIManager(app, session=db.session)
    methods = ["GET", "POST", "PATCH", "DELETE"]
    manager.create_api(Person, methods=methods, allow_to_many_replacement=flags, allow_delete_from_to_many_relationships=flags)
    manager.create_api(Article, methods=methods)
    manager.create_api(Computer, methods=methods)

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=port)
