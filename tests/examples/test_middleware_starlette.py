"""examples/middleware-starlette: a Starlette app's own JSON:API gains a Strapi 5 door (``add_middleware``).

The proxy matrix's scenario in Strapi's own shapes — create with relationships, read with
``populate``, set and clear a to-one, ``connect``/``disconnect``/``set`` on a to-many, filters,
sort and pages — under a real uvicorn, each write checked in the bookshop's own database through
its SQLAlchemy session.  Then: the bookshop's own errors in Strapi's format, a real fault in the
app (its table gone) as a Strapi 500 without a traceback, and every request outside the door
answered byte for byte as the bare bookshop answers it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from relgate.dialects.strapi.docids import DocumentIds
from tests.examples.examples_support import load_example, wire
from tests.targets.proxy_support import serving_app

example = load_example("middleware-starlette")
bookshop = load_example("middleware-starlette", "bookshop")
API = "/strapi/api"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "bookshop.db"


def _book(app: Any, doc: str) -> dict[str, Any]:
    """A book as the bookshop's own database has it (its author and genres by name)."""
    ids = DocumentIds(example.relgate_config().schema.types)
    kind, id_ = ids.decode(doc) or ("", "")
    assert kind == "books"
    with Session(app.state.engine) as s:
        book = s.get(bookshop.Book, int(id_))
        assert book is not None
        return {"title": book.title, "author": book.author and book.author.name, "genres": [g.name for g in book.genres]}


async def _created(c: httpx.AsyncClient, plural: str, data: dict[str, Any], **params: str) -> dict[str, Any]:
    r = await c.post(f"{API}/{plural}", json={"data": data}, params=params)
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def test_strapi_door_scenario_checks_the_bookshops_own_data(database: Path) -> None:
    app = example.create(str(database))
    async with serving_app(app) as base, httpx.AsyncClient(base_url=base) as c:
        le_guin = (await _created(c, "authors", {"name": "Le Guin", "born": "1929-10-21"}))["documentId"]
        butler = (await _created(c, "authors", {"name": "Butler"}))["documentId"]
        sf, fantasy, essay = [(await _created(c, "genres", {"name": n}))["documentId"] for n in ("sf", "fantasy", "essay")]
        made = await _created(
            c,
            "books",
            {"title": "Earthsea", "year": 1968, "author": {"connect": [le_guin]}, "genres": {"connect": [sf, fantasy]}},
            populate="*",
        )
        book = made["documentId"]
        assert made["author"]["name"] == "Le Guin" and [g["name"] for g in made["genres"]] == ["sf", "fantasy"]
        assert _book(app, book) == {"title": "Earthsea", "author": "Le Guin", "genres": ["sf", "fantasy"]}

        async def put(data: dict[str, Any]) -> dict[str, Any]:
            r = await c.put(f"{API}/books/{book}", json={"data": data}, params={"populate": "*"})
            assert r.status_code == 200, r.text
            return r.json()["data"]

        assert (await put({"author": butler}))["author"]["name"] == "Butler"  # to-one set (shorthand)
        assert _book(app, book)["author"] == "Butler"
        assert (await put({"author": None}))["author"] is None  # to-one cleared
        assert _book(app, book)["author"] is None
        await put({"author": {"set": [le_guin]}, "genres": {"connect": [essay]}})  # to-one set, to-many add
        assert _book(app, book) == {"title": "Earthsea", "author": "Le Guin", "genres": ["sf", "fantasy", "essay"]}
        assert [g["name"] for g in (await put({"genres": {"disconnect": [sf]}}))["genres"]] == ["fantasy", "essay"]  # remove
        assert _book(app, book)["genres"] == ["fantasy", "essay"]
        await put({"genres": {"set": [sf]}})  # replace
        assert _book(app, book)["genres"] == ["sf"]

        for title, year in (("Kindred", 1979), ("Dawn", 1987), ("Lathe", 1971)):
            await _created(c, "books", {"title": title, "year": year, "author": butler})
        params = {"filters[author][name][$eq]": "Butler", "sort": "year:desc", "pagination[page]": "1", "pagination[pageSize]": "2"}
        page = await c.get(f"{API}/books", params=params)
        assert page.status_code == 200, page.text
        assert [b["title"] for b in page.json()["data"]] == ["Dawn", "Kindred"]
        assert page.json()["meta"]["pagination"]["total"] == 3
        author = await c.get(f"{API}/authors/{le_guin}", params={"populate[books][populate]": "genres"})
        assert author.status_code == 200, author.text
        assert [(b["title"], [g["name"] for g in b["genres"]]) for b in author.json()["data"]["books"]] == [("Earthsea", ["sf"])]

        gone = await c.delete(f"{API}/books/{book}")
        assert gone.status_code == 204, gone.text
        with Session(app.state.engine) as s:
            assert s.scalars(sa.select(bookshop.Book.title).order_by(bookshop.Book.id)).all() == ["Kindred", "Dawn", "Lathe"]
            assert s.scalar(sa.select(sa.func.count()).select_from(bookshop.book_genres)) == 0


async def test_the_bookshops_errors_reach_the_caller_in_strapis_format(database: Path) -> None:
    app = example.create(str(database))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test") as c:
        await _created(c, "authors", {"name": "Le Guin"})
        again = await c.post(f"{API}/authors", json={"data": {"name": "Le Guin"}})  # the bookshop's 409 (unique name)
        assert again.status_code == 400, again.text
        error = again.json()["error"]
        assert error["name"] == "ValidationError" and error["details"]["errors"][0]["path"] == ["name"]
        # an operator relgate can send but the bookshop does not read: the bookshop's own 400 and words
        unread = await c.get(f"{API}/authors", params={"filters[name][$containsi]": "guin"})
        assert unread.status_code == 400, unread.text
        assert unread.json()["error"]["message"] == "This API has no filter operator 'icontains' for 'name'."
        missing = await c.get(f"{API}/authors/{DocumentIds(example.relgate_config().schema.types).encode('authors', '99')}")
        assert missing.status_code == 404, missing.text
        assert missing.json() == {"data": None, "error": {"status": 404, "name": "NotFoundError", "message": "Not Found", "details": {}}}
    with Session(app.state.engine) as s:
        assert s.scalars(sa.select(bookshop.Author.name)).all() == ["Le Guin"]


async def test_an_exception_in_the_bookshop_is_a_strapi_500_without_traceback(database: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = example.create(str(database))
    with app.state.engine.begin() as conn:  # a real fault: the table is gone, SQLAlchemy raises inside the app
        conn.execute(sa.text("DROP TABLE book_genres"))
        conn.execute(sa.text("DROP TABLE genres"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test") as c:
        r = await c.get(f"{API}/genres")
    assert r.status_code == 500
    assert r.json() == {"data": None, "error": {"status": 500, "name": "InternalServerError", "message": "Internal Server Error"}}
    assert "no such table" in caplog.text  # logged, with the app's exception, on the server side only


async def test_requests_outside_the_door_are_byte_identical_to_the_bare_bookshop(database: Path) -> None:
    wrapped = example.create(str(database))
    bare = bookshop.create_app(f"sqlite:///{database}")  # the same database, no relgate
    j = {"content-type": "application/vnd.api+json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://shop.test") as c:
        await c.post("/api/authors", json={"data": {"type": "authors", "attributes": {"name": "Le Guin"}}}, headers=j)
        doc = {
            "data": {
                "type": "books",
                "attributes": {"title": "Earthsea"},
                "relationships": {"author": {"data": {"type": "authors", "id": "1"}}},
            }
        }
        assert (await c.post("/api/books", json=doc, headers=j)).status_code == 201
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/health", {}),
        ("GET", "/api/books", {"params": {"include": "author", "sort": "-title"}}),
        ("GET", "/api/books/1/relationships/genres", {}),
        ("GET", "/api/books/99", {}),
        ("GET", "/nowhere", {}),
        ("GET", "/strapi", {}),  # not under the door's prefix (/strapi/api)
        ("POST", "/api/books", {"content": b"{not json", "headers": j}),
        ("PATCH", "/api/books/1", {"content": b"{}", "headers": {"content-type": "text/plain"}}),
        ("DELETE", "/api/books", {}),
    ]
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://shop.test") as plain,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://shop.test") as through,
    ):
        for method, path, kw in requests:
            want = await plain.request(method, path, **kw)
            got = await through.request(method, path, **kw)
            assert wire(got) == wire(want), (method, path)
