"""A real flask-restless-ng 3.3.0 API over relgate's example schema (gateway.example.toml): its
models and :func:`create_app` (``app.py`` is the app gunicorn serves; ``examples/middleware-flask-ng``
imports the same models and factory).

Collections (= JSON:API types) are the table names ``person``, ``computer``, ``article`` (the
``names.restless`` of gateway.example.toml) plus ``restaurants`` and ``categories``, served at
``/api``.

NG's two relationship flags are per API, not per relationship.  To answer like relgate's own
``/restless/api`` route (policies ``people.articles`` allowed, ``people.computers`` forbidden),
the person API gets a :class:`PerRelation` flag: NG's own checks (``Not allowed to replace a
to-many relationship`` / ``Not allowed to delete from a to-many relationship``, 403) run as
usual, the flag only answers differently for ``computers`` and ``articles``.  ``flags`` =
``on`` / ``off`` sets both flags of the person API plainly instead (NG's own per-API
behaviour, used by dialects/restless/oracle/replay.py).  ``restaurants`` keep NG's defaults.
"""

from __future__ import annotations

from flask import Flask, request
from flask_restless import APIManager
from flask_sqlalchemy import SQLAlchemy


class PerRelation:
    """A flag of NG's person API that is false for the relationships in ``forbidden``.

    NG reads ``allow_to_many_replacement`` / ``allow_delete_from_to_many_relationships`` as a
    truth value while it serves a request: on a relationship URL the relationship is the URL's
    ``relation_name``; in a resource PATCH it is every relationship the body names (NG refuses
    the whole PATCH when one of them may not be replaced).
    """

    def __init__(self, forbidden: set[str]) -> None:
        self.forbidden = forbidden

    def __bool__(self) -> bool:
        relation = (request.view_args or {}).get("relation_name")
        if relation is not None:
            return relation not in self.forbidden
        body = request.get_json(silent=True, force=True)
        data = body.get("data") if isinstance(body, dict) else None
        links = data.get("relationships") if isinstance(data, dict) else None
        return not (isinstance(links, dict) and self.forbidden & set(links))


db = SQLAlchemy()


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


restaurant_categories = db.Table(
    "restaurant_categories",
    db.Column("restaurant_id", db.Integer, db.ForeignKey("restaurants.id"), primary_key=True),
    db.Column("category_id", db.Integer, db.ForeignKey("categories.id"), primary_key=True),
)


class Restaurant(db.Model):  # type: ignore[name-defined]
    __tablename__ = "restaurants"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode)
    categories = db.relationship("Category", secondary=restaurant_categories, backref=db.backref("restaurants"))


class Category(db.Model):  # type: ignore[name-defined]
    __tablename__ = "categories"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.Unicode)


def create_app(database_uri: str, flags: str = "policy") -> Flask:
    """The NG app over ``database_uri`` (its tables created when missing); ``flags``: policy, on or off."""
    app = Flask("app")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db.init_app(app)
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # no SQLite connection survives a fork (gunicorn --preload)
        manager = APIManager(app, session=db.session)
        methods = ["GET", "POST", "PATCH", "DELETE"]
        flag: object = PerRelation({"computers"}) if flags == "policy" else flags == "on"
        manager.create_api(Person, methods=methods, allow_to_many_replacement=flag, allow_delete_from_to_many_relationships=flag)
        for model in (Article, Computer, Restaurant, Category):
            manager.create_api(model, methods=methods)
    return app
