"""The upsert rule, planned offline: the look-up is its own step, so each branch's undo is known."""

from __future__ import annotations

import pytest

from relgate.capabilities import Capabilities
from relgate.config import Backend
from relgate.model import Batch, Cmp, Create, Delete, Ident, List, One, ProblemError, Remove, Resource, ResourceList, Update, Upsert
from relgate.planner import Context, Plan
from tests.dialects.test_client_encoders import SCHEMA

CAPS = Capabilities(filter_ops=frozenset({"eq", "is_null"}))
CONTEXT = Context(SCHEMA, Backend("b", "jsonapi", "http://b.test"), CAPS)
NOPE = Upsert(Ident("articles", lid="x"), "articles", ("title",), {"title": "nope"})
REMOVE = Remove(Ident("people", "1"), "articles", (Ident("articles", lid="x"),), require_present=True)


def test_found_nothing_creates_and_the_undo_deletes_it() -> None:
    plan = Plan(Batch((NOPE, REMOVE)), CONTEXT)
    look = plan.next_step()
    assert look is not None and isinstance(look.op, List) and look.op.query.where == Cmp("title", "eq", "nope") and not look.write
    plan.feed(ResourceList(()))
    create = plan.next_step()
    assert create is not None and isinstance(create.op, Create) and create.write
    plan.feed(One(Resource("articles", "7", {"title": "nope"}, {})), ("POST /articles",))
    read = plan.next_step()  # the remove, guarded: its linkage first (the new row's lid now its id)
    assert read is not None and not read.write and read.op.ref == Ident("people", "1")
    plan.fail(ProblemError())  # say the read found 7 is no member
    undo = plan.next_step()
    assert undo is not None and undo.op == Delete(Ident("articles", "7")) and undo.undoes == create.number
    plan.feed(None, ("DELETE /articles/7",))
    assert plan.next_step() is None
    with pytest.raises(ProblemError):
        plan.outcome()
    assert [r.status for r in plan.log.records] == ["compensated"]


def test_found_one_updates_and_the_undo_restores_it() -> None:
    op = Upsert(Ident("articles", lid="x"), "articles", ("title",), {"title": "one", "body": "new"})
    plan = Plan(Batch((op, REMOVE)), CONTEXT)
    plan.next_step()
    plan.feed(ResourceList((Resource("articles", "3", {"title": "one", "body": "old"}, {}),)))
    update = plan.next_step()
    assert update is not None and update.op == Update(Ident("articles", "3"), {"title": "one", "body": "new"})
    assert update.undo == Update(Ident("articles", "3"), {"title": "one", "body": "old"}, {}, returning=False)
