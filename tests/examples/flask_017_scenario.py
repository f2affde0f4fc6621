"""Runs INSIDE the Flask-Restless 0.17 venv (Python 3.11, Flask 1.1, SQLAlchemy 1.3): examples/middleware-flask-0.17.

Started by tests/examples/test_middleware_flask_017.py with the checkout on PYTHONPATH and
``RELGATE_DB`` naming a fresh SQLite file: ``python flask_017_scenario.py REPORT.json``.  It
sends the scenario's requests to the example's WSGI app in this process (httpx's WSGI transport,
as a WSGI server calls it), reads 0.17's own data through its Flask-SQLAlchemy session after each
write, and writes what it saw to REPORT.json (0.17 logs its errors on the standard streams); it
asserts nothing (the test does).  Standard library, the example and httpx only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "middleware-flask-0.17"
sys.path.insert(0, str(EXAMPLE))

import app as example  # noqa: E402  (examples/middleware-flask-0.17/app.py)

J = {"content-type": "application/vnd.api+json"}
legacy = example.legacy


def data() -> dict[str, Any]:
    """0.17's own rows, through its session: who wrote which article, who owns which computer."""
    with example.flask_app.app_context():
        legacy.db.session.expire_all()
        return {
            "articles": {a.title: a.author and a.author.name for a in legacy.Article.query.order_by(legacy.Article.id)},
            "computers": {c.name: c.owner and c.owner.name for c in legacy.Computer.query.order_by(legacy.Computer.id)},
            "people": sorted(p.name for p in legacy.Person.query),
        }


def seen(r: httpx.Response, *, db: bool = False) -> dict[str, Any]:
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    out = {"status": r.status_code, "content_type": r.headers.get("content-type"), "body": body}
    if db:
        out["db"] = data()
    return out


def wire(r: httpx.Response) -> list[Any]:
    return [r.status_code, r.headers.multi_items(), r.content.decode("latin-1")]


def main() -> None:
    report: dict[str, Any] = {"versions": {}}
    import flask
    import flask_restless
    import sqlalchemy

    report["versions"] = {"flask": flask.__version__, "flask_restless": flask_restless.__version__, "sqlalchemy": sqlalchemy.__version__}
    report["relgate_store_imported"] = any(m.startswith("relgate.store") for m in sys.modules)
    steps: dict[str, Any] = {}
    with httpx.Client(transport=httpx.WSGITransport(app=example.app), base_url="http://legacy.test") as c:

        def create(t: str, attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> str:
            doc: dict[str, Any] = {"type": t, "attributes": attributes}
            if relationships:
                doc["relationships"] = {k: {"data": v} for k, v in relationships.items()}
            r = c.post(f"/jsonapi/{t}", json={"data": doc}, headers=J)
            steps[f"create {t} {attributes}"] = seen(r)
            return r.json()["data"]["id"] if r.status_code == 201 else ""

        ann, bob = create("person", {"name": "Ann", "age": 40}), create("person", {"name": "Bob"})
        a, b = create("article", {"title": "a"}), create("article", {"title": "b"})
        create("article", {"title": "c"}, {"author": {"type": "person", "id": ann}})
        create("computer", {"name": "alpha"}, {"owner": {"type": "person", "id": ann}})
        steps["created"] = {"db": data()}
        url = f"/jsonapi/person/{ann}/relationships/articles"
        both = [{"type": "article", "id": a}, {"type": "article", "id": b}]
        steps["add"] = seen(c.post(url, json={"data": both}, headers=J), db=True)
        steps["remove"] = seen(c.request("DELETE", url, json={"data": both[1:]}, headers=J), db=True)
        steps["replace"] = seen(c.patch(url, json={"data": both[1:]}, headers=J), db=True)
        author = f"/jsonapi/article/{a}/relationships/author"
        steps["to-one set"] = seen(c.patch(author, json={"data": {"type": "person", "id": bob}}, headers=J), db=True)
        steps["to-one clear"] = seen(c.patch(author, json={"data": None}, headers=J), db=True)
        steps["read include"] = seen(c.get(f"/jsonapi/person/{ann}", params={"include": "articles,computers"}))
        steps["page"] = seen(c.get("/jsonapi/article", params={"sort": "-title", "page[size]": "2", "page[number]": "2"}))
        steps["duplicate"] = seen(
            c.post("/jsonapi/person", json={"data": {"type": "person", "attributes": {"name": "Ann"}}}, headers=J), db=True
        )
        steps["missing"] = seen(c.get("/jsonapi/person/99"))
    report["steps"] = steps

    outside = [
        ("GET", "/api/person", {}),
        ("GET", "/api/person/1", {}),
        ("GET", "/api/person", {"params": {"q": "not json"}}),  # 0.17's own 400
        ("GET", "/api/eval/person", {"params": {"q": '{"functions": [{"name": "count", "field": "id"}]}'}}),
        ("POST", "/api/person", {"content": b"not json", "headers": {"content-type": "application/json"}}),
        ("DELETE", "/api/person/99", {}),
        ("GET", "/nowhere", {}),
        ("GET", "/jsonapix", {}),
    ]
    with (
        httpx.Client(transport=httpx.WSGITransport(app=example.flask_app), base_url="http://legacy.test") as bare,
        httpx.Client(transport=httpx.WSGITransport(app=example.app), base_url="http://legacy.test") as through,
    ):
        report["outside"] = [
            {"request": f"{m} {u}", "bare": wire(bare.request(m, u, **kw)), "wrapped": wire(through.request(m, u, **kw))}
            for m, u, kw in outside
        ]

    with example.flask_app.app_context():  # a real fault last: the table is gone, SQLAlchemy raises inside 0.17
        legacy.db.engine.execute("DROP TABLE article")
    with httpx.Client(transport=httpx.WSGITransport(app=example.app), base_url="http://legacy.test") as c:
        report["fault"] = seen(c.get("/jsonapi/article"))
    Path(sys.argv[1]).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
