"""Bulk update / delete by filter on backends without it (relgate/planner/bulk.py).

(1) the plan offline: list the matches page by page, then one write each, with the undo of each
update the values read in the listing; (2) 0.17 callers' bulk PATCH / DELETE sent to relgate's
store serving JSON:API, checked in the backend's own data; (3) fault injection at every request;
(4) the real flask-restless-ng.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from relgate.model import (
    Batch,
    Cmp,
    Count,
    Delete,
    DeleteWhere,
    Ident,
    List,
    Page,
    Problem,
    ProblemError,
    Resource,
    ResourceList,
    Update,
    UpdateWhere,
)
from relgate.planner import PlanStep
from tests.planner.support import Faulty, context, drive, steps_meta
from tests.targets.proxy_support import rig

API = "/legacy/api"


def _person(id_: str, age: int) -> Resource:
    return Resource("people", id_, {"age": age}, {})


# --- (1) the plan, offline -------------------------------------------------------------------------


def test_update_where_plan_lists_every_page_then_updates_each_with_its_undo() -> None:
    ctx = context("restless")
    young = Cmp("age", "lt", 25)
    first = ResourceList(tuple(_person(str(i), 20) for i in range(1, 101)), 102)
    pages = {0: first, 100: ResourceList((_person("101", 21), _person("102", 22)), 102)}

    def answer(step: PlanStep) -> Any:
        if isinstance(step.op, List):
            return pages[step.op.query.page.offset]  # type: ignore[union-attr]
        return None

    driven = drive(UpdateWhere("people", young, {"age": 99}), ctx, answer)
    reads = [s.op for s in driven.steps if not s.write]
    assert [r.query.page for r in reads] == [Page(0, 100), Page(100, 100)]  # type: ignore[union-attr]
    assert all(r.query.where == young and r.query.fields == {"people": frozenset({"age"})} for r in reads)  # type: ignore[union-attr]
    writes = driven.writes()
    assert len(writes) == 102
    assert writes[-1].op == Update(Ident("people", "102"), {"age": 99}, {}, returning=False)
    assert writes[-1].undo == Update(Ident("people", "102"), {"age": 22}, {}, returning=False)
    assert driven.outcome.results == (Count(102),)


def test_delete_where_plan_deletes_after_the_listing_and_a_failure_reports_them_not_undone() -> None:
    ctx = context("jsonapi")
    rows = ResourceList((_person("1", 1), _person("2", 2), _person("3", 3)), 3)

    def failing(step: PlanStep) -> Any:
        if isinstance(step.op, Delete) and step.op.ref.id == "3":
            raise ProblemError(Problem(502, "bad-gateway", "Bad gateway", "down"))
        return rows if isinstance(step.op, List) else None

    driven = drive(DeleteWhere("people", None), ctx, failing)
    assert [type(s.op).__name__ for s in driven.steps] == ["List", "Delete", "Delete", "Delete"]  # no undo step: none exists
    assert driven.error is not None and driven.error.status == 502
    assert [(m["step"], m["status"]) for m in steps_meta(driven.error)] == [(2, "not-compensated"), (3, "not-compensated"), (4, "failed")]
    assert all(m.get("detail") == "it cannot be undone" for m in steps_meta(driven.error)[:2])


def test_too_many_matches_are_refused_before_any_write() -> None:
    ctx = context("restless", max_emulated_rows=150)
    driven = drive(UpdateWhere("people", None, {"age": 1}), ctx, lambda s: ResourceList((_person("1", 1),), 151))
    assert [type(s.op).__name__ for s in driven.steps] == ["List"]
    assert driven.error is not None and driven.error.status == 400
    problem = driven.error.problems[0]
    assert "max_emulated_rows" in problem.detail and "150" in problem.detail and "151 match" in problem.detail
    assert problem.meta == {"backend": "backend", "max_emulated_rows": 150, "matched": 151}


# --- (2) 0.17 callers against relgate's store serving JSON:API ------------------------------------------


async def _people(r: Any, *ages: int) -> list[str]:
    ids = []
    for i, age in enumerate(ages):
        made = await r.client.post(f"{API}/person", json={"name": f"p{age}-{i}", "age": age})
        assert made.status_code == 201, made.text
        ids.append(str(made.json()["id"]))
    return ids


def _ages(rows: list[Resource]) -> dict[str, Any]:
    return {p.id: p.attributes["age"] for p in rows}


@pytest.mark.parametrize("backend", ["jsonapi", "restless"])
async def test_bulk_patch_and_delete_with_q_on_a_jsonapi_backend(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "restless-legacy", backend) as r:
        await _people(r, 10, 20, 30, 40)
        q = {"filters": [{"name": "age", "op": "lt", "val": 25}]}
        patched = await r.client.patch(f"{API}/person", json={"q": q, "age": 99})
        assert patched.status_code == 200, patched.text
        assert patched.json() == {"num_modified": 2}
        assert sorted(_ages(await r.rows("people")).values()) == [30, 40, 99, 99]
        nothing = await r.client.patch(f"{API}/person", json={"q": {"filters": [{"name": "age", "op": "gt", "val": 500}]}, "age": 1})
        assert nothing.json() == {"num_modified": 0}
        gone = await r.client.delete(f"{API}/person", params={"q": json.dumps({"filters": [{"name": "age", "op": "gt", "val": 35}]})})
        assert gone.status_code == 200, gone.text
        assert gone.json() == {"num_deleted": 3}
        assert sorted(_ages(await r.rows("people")).values()) == [30]
        none_left = await r.client.delete(f"{API}/person", params={"q": json.dumps({"filters": [{"name": "age", "op": "gt", "val": 35}]})})
        assert (none_left.status_code, none_left.json()) == (404, {"num_deleted": 0})  # as 0.17 answers


async def test_a_filter_the_backend_cannot_say_is_refused_and_nothing_is_written(sqlite_url: str) -> None:
    async with rig(sqlite_url, "restless-legacy", "jsonapi", options={"filter": "none"}) as r:
        await _people(r, 10, 20)
        patched = await r.client.patch(f"{API}/person", json={"q": {"filters": [{"name": "age", "op": "lt", "val": 25}]}, "age": 99})
        assert patched.status_code == 400, patched.text
        assert "cannot filter collections" in patched.json()["message"]
        assert sorted(_ages(await r.rows("people")).values()) == [10, 20]


async def test_more_matches_than_max_emulated_rows_is_a_400_naming_the_limit(sqlite_url: str) -> None:
    async with rig(sqlite_url, "restless-legacy", "jsonapi", max_emulated_rows=2) as r:
        await _people(r, 10, 20, 30)
        patched = await r.client.patch(f"{API}/person", json={"q": {"filters": [{"name": "age", "op": "lt", "val": 100}]}, "age": 1})
        assert patched.status_code == 400, patched.text
        assert "max_emulated_rows" in patched.json()["message"] and "at most 2" in patched.json()["message"]
        assert sorted(_ages(await r.rows("people")).values()) == [10, 20, 30]


# --- (3) fault injection: every request of the plan fails once ----------------------------------------


async def test_update_where_undone_whatever_request_fails(sqlite_url: str) -> None:
    faulty: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        faulty.append(Faulty(inner))
        return faulty[0]

    async with rig(sqlite_url, "restless-legacy", "restless", wrap=wrap) as r:
        target = r.proxy.targets["backend"]
        await _people(r, 10, 11, 12)
        before = _ages(await r.rows("people"))
        op = UpdateWhere("people", Cmp("age", "lt", 25), {"age": 99})
        plan_size = 4  # one listing, three PATCHes
        for n in range(1, plan_size + 1):
            faulty[0].arm(n)
            with pytest.raises(ProblemError) as failed:
                await target.execute(Batch((op,)))
            assert failed.value.status == 502
            assert _ages(await r.rows("people")) == before, f"request {n} failed: the backend must be as before"
            report = steps_meta(failed.value)
            # nothing applied before the fault: no report; else each applied update undone, then the failed one
            assert [m["status"] for m in report] == (["compensated"] * (n - 2) + ["failed"] if n > 2 else [])
        faulty[0].arm(None)
        assert (await target.execute(Batch((op,)))).results == (Count(3),)
        assert faulty[0].log == ["GET /restless/api/person"] + [f"PATCH /restless/api/person/{i}" for i in sorted(before)]


async def test_delete_where_reports_applied_deletes_truthfully_whatever_request_fails(sqlite_url: str) -> None:
    faulty: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        faulty.append(Faulty(inner))
        return faulty[0]

    async with rig(sqlite_url, "restless-legacy", "jsonapi", wrap=wrap) as r:
        target = r.proxy.targets["backend"]
        for n in range(1, 5):  # one listing, three DELETEs
            ids = await _people(r, 100 + n, 100 + n, 100 + n)
            op = DeleteWhere("people", Cmp("age", "eq", 100 + n))
            faulty[0].arm(n)
            with pytest.raises(ProblemError) as failed:
                await target.execute(Batch((op,)))
            left = sorted(p.id for p in await r.rows("people") if p.attributes["age"] == 100 + n)
            assert left == ids[max(n - 2, 0) :]  # deletes before the fault are applied …
            report = steps_meta(failed.value)
            deleted = [m for m in report if m["status"] == "not-compensated"]
            assert [m["action"].rsplit("/", 1)[1] for m in deleted] == ids[: max(n - 2, 0)]  # … and reported as such
            assert all(m["detail"] == "it cannot be undone" for m in deleted)


# --- (4) the real flask-restless-ng --------------------------------------------------------------------


async def test_bulk_patch_sent_to_the_real_flask_restless_ng(ng_backend: Any) -> None:
    from tests.targets.test_proxy_real_backends import proxy

    ng_backend.seed("person", {"id": 1, "name": "Ann", "age": 10}, {"id": 2, "name": "Bob", "age": 20}, {"id": 3, "name": "Cy", "age": 30})
    async with proxy(ng_backend, "restless-legacy") as c:
        patched = await c.patch(f"{API}/person", json={"q": {"filters": [{"name": "age", "op": "lt", "val": 25}]}, "age": 99})
        assert patched.status_code == 200, patched.text
        assert patched.json() == {"num_modified": 2}
        assert [(p["id"], p["age"]) for p in ng_backend.rows("person")] == [(1, 99), (2, 99), (3, 30)]
        gone = await c.delete(f"{API}/person", params={"q": json.dumps({"filters": [{"name": "age", "op": "eq", "val": 99}]})})
        assert gone.status_code == 200, gone.text
        assert gone.json() == {"num_deleted": 2}
        assert [p["id"] for p in ng_backend.rows("person")] == [3]
