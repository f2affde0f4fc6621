"""Aggregates (0.17 ``/eval``) on backends without them (relgate/planner/aggregate.py).

(1) the plan offline: a row count is one request; other functions page over the matches, within
``max_emulated_rows``; (2) a 0.17 caller's ``/eval`` sent to relgate's store serving JSON:API, the
answer compared with the store's own ``/eval`` over the same rows (its 0.17 door); past the limit
a 400 naming it; (3) the real flask-restless-ng.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from relgate.model import Aggregate, Aggregates, Cmp, List, Page, Resource, ResourceList
from relgate.planner import PlanStep
from relgate.planner.aggregate import compute
from tests.planner.support import context, drive
from tests.targets.proxy_support import rig

API = "/legacy/api"


def _row(id_: str, **attributes: Any) -> Resource:
    return Resource("people", id_, attributes, {})


def test_a_row_count_is_one_request_of_one_resource() -> None:
    driven = drive(Aggregate("people", (("count", "id"), ("count", "*"))), context("restless"), lambda s: ResourceList((_row("1"),), 42))
    (step,) = driven.steps
    assert isinstance(step.op, List) and step.op.query.page == Page(0, 1) and step.op.query.count
    assert driven.outcome.results == (Aggregates({("count", "id"): 42, ("count", "*"): 42}),)


def test_functions_page_over_the_matches_reading_only_their_fields() -> None:
    rows = [_row(str(i), age=i if i % 10 else None) for i in range(1, 151)]

    def answer(step: PlanStep) -> Any:
        page = step.op.query.page  # type: ignore[union-attr]
        return ResourceList(tuple(rows[page.offset : page.offset + page.limit]), len(rows))

    where = Cmp("name", "ne", "x")
    functions = (("sum", "age"), ("avg", "age"), ("count", "age"), ("max", "age"))
    driven = drive(Aggregate("people", functions, where), context("restless"), answer)
    assert [s.op.query.page for s in driven.steps] == [Page(0, 100), Page(100, 100)]  # type: ignore[union-attr]
    assert all(s.op.query.fields == {"people": frozenset({"age"})} and s.op.query.where == where for s in driven.steps)  # type: ignore[union-attr]
    ages = [i for i in range(1, 151) if i % 10]
    expect = {("sum", "age"): sum(ages), ("avg", "age"): sum(ages) / len(ages), ("count", "age"): len(ages), ("max", "age"): 149}
    assert driven.outcome.results == (Aggregates(expect),)


def test_values_follow_sql_for_nulls_and_nothing() -> None:
    rows = [_row("1", age=None, born=dt.date(1990, 5, 6)), _row("2", age=None, born=dt.date(1980, 1, 1))]
    assert [compute(fn, "age", rows) for fn in ("sum", "avg", "min", "max", "count")] == [None, None, None, None, 0]
    assert (compute("min", "born", rows), compute("count", "id", rows), compute("sum", "id", rows)) == (dt.date(1980, 1, 1), 2, 3)
    assert compute("sum", "age", []) is None and compute("count", "*", []) == 0


def test_past_max_emulated_rows_is_a_400_after_one_request() -> None:
    driven = drive(Aggregate("people", (("sum", "age"),)), context("restless", max_emulated_rows=5), lambda s: ResourceList((), 6))
    assert len(driven.steps) == 1 and driven.error is not None
    problem = driven.error.problems[0]
    assert problem.status == 400 and "max_emulated_rows" in problem.detail and "at most 5" in problem.detail


def test_unknown_function_or_field_is_refused_before_any_request() -> None:
    for functions, code in (((("median", "age"),), "invalid"), ((("sum", "height"),), "unknown-field")):
        driven = drive(Aggregate("people", functions), context("restless"), lambda s: None)
        assert driven.steps == [] and driven.error is not None and driven.error.problems[0].code == code


# --- (2) a 0.17 caller's /eval on a JSON:API backend -------------------------------------------------


FUNCTIONS = [
    {"name": "sum", "field": "age"}, {"name": "avg", "field": "age"}, {"name": "min", "field": "age"},
    {"name": "max", "field": "birth_date"}, {"name": "count", "field": "id"}, {"name": "count", "field": "age"},
]  # fmt: skip


@pytest.mark.parametrize("backend", ["jsonapi", "strapi"])
async def test_eval_on_a_backend_without_it_equals_the_stores_own(sqlite_url: str, backend: str) -> None:
    async with rig(sqlite_url, "restless-legacy", backend) as r:
        for i, (age, born) in enumerate(((31, "1994-05-06"), (None, "1980-01-02"), (45, None), (20, "2001-12-31"))):
            made = await r.client.post(f"{API}/person", json={"name": f"p{i}", "age": age, "birth_date": born})
            assert made.status_code == 201, made.text
        q = {"q": json.dumps({"functions": FUNCTIONS})}
        emulated = await r.client.get(f"{API}/eval/person", params=q)
        assert emulated.status_code == 200, emulated.text
        own = await r.backend_client.get(f"{API}/eval/person", params=q)  # relgate's store computing it itself
        assert own.status_code == 200, own.text
        assert emulated.json() == own.json()
        assert emulated.json()["sum__age"] == 96 and emulated.json()["max__birth_date"] == "Mon, 31 Dec 2001 00:00:00 GMT"


async def test_eval_past_max_emulated_rows_names_the_limit(sqlite_url: str) -> None:
    async with rig(sqlite_url, "restless-legacy", "jsonapi", max_emulated_rows=2) as r:
        for i in range(3):
            await r.client.post(f"{API}/person", json={"name": f"p{i}", "age": i})
        over = await r.client.get(f"{API}/eval/person", params={"q": json.dumps({"functions": [{"name": "sum", "field": "age"}]})})
        assert over.status_code == 400, over.text
        assert "at most 2" in over.json()["message"] and "max_emulated_rows" in over.json()["message"]
        count = await r.client.get(f"{API}/eval/person", params={"q": json.dumps({"functions": [{"name": "count", "field": "id"}]})})
        assert count.status_code == 200 and count.json() == {"count__id": 3}  # a count reads no rows: no limit


async def test_eval_sent_to_the_real_flask_restless_ng(ng_backend: Any) -> None:
    from tests.targets.test_proxy_real_backends import proxy

    ng_backend.seed("person", {"id": 1, "name": "Ann", "age": 31}, {"id": 2, "name": "Bob", "age": 45}, {"id": 3, "name": "Cy"})
    async with proxy(ng_backend, "restless-legacy") as c:
        functions = [{"name": "sum", "field": "age"}, {"name": "avg", "field": "age"}, {"name": "count", "field": "id"}]
        got = await c.get(f"{API}/eval/person", params={"q": json.dumps({"functions": functions})})
        assert got.status_code == 200, got.text
        assert got.json() == {"sum__age": 76, "avg__age": 38.0, "count__id": 3}
