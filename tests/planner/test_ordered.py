"""The order overlay end to end: ordered relationships on backends without positions (``order = "overlay"``).

(1) plans offline (relgate/planner/ordered_writes.py, ordered_reads.py): a positional Add reads the
overlay around its members, adds on the backend, records the keys; a list the overlay does not
hold yet is reconciled first; Replace / Remove; an invalid position refused before any write; a
conflicting overlay write undoes the backend's add; reads put linkage in overlay order;
(2) Strapi positional connects sent to relgate's store serving flask-restless-ng's and JSON:API's
dialects, read back in order (Strapi populate, linkage, a related page); members changed behind
relgate's back; a concurrent change → 409 with the backend undone; (3) fault injection at every
request of a connect plan; (4) the real flask-restless-ng (the headline).
"""

from __future__ import annotations

from typing import Any

import pytest

from relgate.model import (
    Add,
    After,
    Batch,
    Before,
    End,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    LinkageResult,
    One,
    Page,
    Problem,
    ProblemError,
    Query,
    Remove,
    Replace,
    Resource,
    Start,
)
from relgate.planner import PlanStep
from relgate.planner.overlay import Keys, OverlayRead, OverlayState, OverlayWrite, OverlayWritten
from tests.planner.support import Faulty, context, drive, steps_meta
from tests.targets.proxy_support import rig

R = Ident("restaurants", "1")
API = "/strapi/api"


def c(i: int | str) -> Ident:
    return Ident("categories", str(i))


def overlay_ctx(backend: str = "restless") -> Any:
    return context(backend, order="overlay")


def _answers(kept: Keys, backend_members: tuple[Ident, ...] = (), overlay_fails: ProblemError | None = None) -> Any:
    def answer(step: PlanStep) -> Any:
        op = step.op
        if isinstance(op, OverlayRead):
            if op.around is None:
                return OverlayState({"1": kept})
            return OverlayState({"1": Keys(kept.version, {m: k for m, k in kept.keys.items()})})
        if isinstance(op, OverlayWrite):
            if overlay_fails is not None and step.undoes is None:
                raise overlay_fails
            return OverlayWritten(True, (op.version or 0) + 1, op.version or 0, tuple((m, kept.keys.get(m)) for m, _ in op.set))
        if isinstance(op, GetLinkage):
            return LinkageResult(backend_members)
        return None

    return answer


# --- (1) plans offline -----------------------------------------------------------------------------


def test_positional_add_on_a_kept_list_is_one_backend_request_between_two_overlay_steps() -> None:
    kept = Keys(4, {"1": "a0", "2": "a1", "3": "a2"})
    op = Add(R, "categories", (c(9),), Before(c(2)))
    driven = drive(op, overlay_ctx(), _answers(kept))
    read, add, record = driven.steps
    assert read.op == OverlayRead("restaurants", "categories", ("1",), around=("9", "2")) and not read.write
    assert add.op == Add(R, "categories", (c(9),)) and add.target == "backend"
    assert add.undo == Remove(R, "categories", (c(9),))  # only the member that was new
    assert isinstance(record.op, OverlayWrite) and record.target == "overlay" and record.op.version == 4
    ((member, key),) = record.op.set
    assert member == "9" and "a0" < key < "a1"
    assert driven.outcome.results == (None,)


def test_a_list_the_overlay_does_not_hold_is_reconciled_with_the_backend_first() -> None:
    op = Add(R, "categories", (c(9),), After(c(2)))
    driven = drive(op, overlay_ctx(), _answers(Keys(), backend_members=(c(1), c(2), c(3))))
    assert [type(s.op).__name__ for s in driven.steps] == ["OverlayRead", "GetLinkage", "OverlayRead", "Add", "OverlayWrite"]
    record = driven.steps[-1].op
    assert record.version == 0  # starts the list
    order = [m for m, _ in sorted(record.set, key=lambda mk: mk[1])]
    assert order == ["1", "2", "9", "3"]  # every member keyed in the backend's order, 9 after 2


def test_an_anchor_the_kept_list_does_not_know_reconciles_too() -> None:
    kept = Keys(2, {"1": "a0"})
    driven = drive(Add(R, "categories", (c(9),), Before(c(7))), overlay_ctx(), _answers(kept, backend_members=(c(1), c(7))))
    assert [type(s.op).__name__ for s in driven.steps] == ["OverlayRead", "GetLinkage", "OverlayRead", "Add", "OverlayWrite"]
    order = dict(driven.steps[-1].op.set)
    assert order["7"] > "a0" and "a0" < order["9"] < order["7"]


def test_a_strict_anchor_that_is_no_member_is_refused_before_any_write() -> None:
    driven = drive(Add(R, "categories", (c(9),), Before(c(7))), overlay_ctx(), _answers(Keys(1, {"1": "a0"}), backend_members=(c(1),)))
    assert all(not s.write for s in driven.steps)
    assert driven.error is not None and driven.error.problems[0].code == "invalid-position"


def test_a_conflicting_overlay_write_undoes_the_backend_add() -> None:
    conflict = ProblemError(Problem(409, "conflict", "Concurrent change", "changed"))
    driven = drive(Add(R, "categories", (c(9),), Start()), overlay_ctx(), _answers(Keys(1, {"1": "a0"}), overlay_fails=conflict))
    kinds = [(type(s.op).__name__, s.undoes) for s in driven.steps]
    assert kinds == [("OverlayRead", None), ("Add", None), ("OverlayWrite", None), ("Remove", 2)]
    assert driven.steps[-1].op == Remove(R, "categories", (c(9),))
    assert driven.error is not None and driven.error.status == 409
    assert [m["status"] for m in steps_meta(driven.error)] == ["compensated", "failed"]


def test_replace_and_remove_change_membership_then_the_overlay() -> None:
    replace = drive(Replace(R, "categories", (c(3), c(1))), overlay_ctx("jsonapi"), _answers(Keys(1, {"1": "a0"}), (c(1), c(2))))
    assert [type(s.op).__name__ for s in replace.steps] == ["GetLinkage", "Replace", "OverlayWrite"]
    assert replace.steps[1].undo == Replace(R, "categories", (c(1), c(2)))  # the linkage read before it
    record = replace.steps[2].op
    assert record.clear and record.version is None and [m for m, _ in sorted(record.set, key=lambda x: x[1])] == ["3", "1"]
    remove = drive(Remove(R, "categories", (c(1),)), overlay_ctx("jsonapi"), _answers(Keys(1, {"1": "a0"}), (c(1), c(2))))
    assert [type(s.op).__name__ for s in remove.steps] == ["GetLinkage", "Remove", "OverlayWrite"]
    assert remove.steps[2].op.drop == ("1",)


def test_reads_come_back_in_overlay_order_and_teach_it_unknown_members() -> None:
    kept = Keys(3, {"1": "a2", "2": "a0", "8": "a1"})  # 8: no longer a member
    entry = Resource("restaurants", "1", {"name": "R"}, {"categories": (c(1), c(2), c(5))})

    def answer(step: PlanStep) -> Any:
        if isinstance(step.op, Get):
            return One(entry)
        return _answers(kept)(step)

    driven = drive(Get(R, Query()), overlay_ctx(), answer)
    assert [type(s.op).__name__ for s in driven.steps] == ["Get", "OverlayRead", "OverlayWrite"]
    fix = driven.steps[2].op
    assert not fix.strict and [m for m, _ in fix.set] == ["5"] and fix.drop == ("8",)
    (one,) = driven.outcome.results
    assert [i.id for i in one.item.relationships["categories"]] == ["2", "1", "5"]


# --- (2) Strapi callers against relgate's store serving the backend dialect ---------------------------


async def _restaurant(r: Any, *names: str) -> tuple[str, list[str]]:
    made = await r.client.post(f"{API}/restaurants", json={"data": {"name": "R"}})
    assert made.status_code == 201, made.text
    cats = []
    for n in names:
        m = await r.client.post(f"{API}/categories", json={"data": {"name": n}})
        assert m.status_code == 201, m.text
        cats.append(m.json()["data"]["documentId"])
    return made.json()["data"]["documentId"], cats


async def _connect(r: Any, doc: str, *items: dict) -> Any:
    return await r.client.put(f"{API}/restaurants/{doc}", json={"data": {"categories": {"connect": list(items)}}})


async def _names(r: Any, doc: str) -> list[str]:
    got = await r.client.get(f"{API}/restaurants/{doc}", params={"populate": "categories"})
    assert got.status_code == 200, got.text
    return [x["name"] for x in got.json()["data"]["categories"]]


@pytest.mark.parametrize("backend", ["restless", "jsonapi"])
async def test_strapi_positional_connects_read_back_in_order(sqlite_url: str, tmp_path: Any, backend: str) -> None:
    async with rig(sqlite_url, "strapi", backend, order="overlay", proxy_store=f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}") as r:
        doc, cats = await _restaurant(r, "soup", "fish", "cake", "tea")
        first = await _connect(r, doc, {"documentId": cats[0]}, {"documentId": cats[1], "position": {"start": True}})
        assert first.status_code == 200, first.text
        assert await _names(r, doc) == ["fish", "soup"]
        second = await _connect(
            r, doc, {"documentId": cats[2], "position": {"before": cats[0]}}, {"documentId": cats[3], "position": {"after": cats[1]}}
        )
        assert second.status_code == 200, second.text
        assert await _names(r, doc) == ["fish", "tea", "cake", "soup"]
        moved = await _connect(r, doc, {"documentId": cats[0], "position": {"start": True}})
        assert moved.status_code == 200, moved.text
        assert await _names(r, doc) == ["soup", "fish", "tea", "cake"]
        assert sorted(await r.members("restaurants", "1", "categories")) == ["1", "2", "3", "4"]  # membership on the backend
        target = r.proxy.targets["backend"]
        (linkage,) = (await target.execute(Batch((GetLinkage(R, "categories"),)))).results
        assert [i.id for i in linkage.linkage] == ["1", "2", "4", "3"]
        (page,) = (await target.execute(Batch((GetRelated(R, "categories", Query(page=Page(1, 2), count=True)),)))).results
        assert ([m.attributes["name"] for m in page.items], page.total) == (["fish", "tea"], 4)
        refused = await _connect(r, doc, {"documentId": cats[1], "position": {"before": "nosuchdocument00000000000"}})
        assert refused.status_code in (400, 404), refused.text
        assert await _names(r, doc) == ["soup", "fish", "tea", "cake"]


async def test_members_changed_behind_relgates_back(sqlite_url: str, tmp_path: Any) -> None:
    async with rig(sqlite_url, "strapi", "jsonapi", order="overlay", proxy_store=f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}") as r:
        doc, cats = await _restaurant(r, "soup", "fish", "cake")
        await _connect(r, doc, {"documentId": cats[0]}, {"documentId": cats[1], "position": {"start": True}})
        assert await _names(r, doc) == ["fish", "soup"]
        direct = {"content-type": "application/vnd.api+json"}
        url = "/jsonapi/restaurants/1/relationships/categories"
        added = await r.backend_client.post(url, json={"data": [{"type": "categories", "id": "3"}]}, headers=direct)
        assert added.status_code == 204, added.text
        removed = await r.backend_client.request("DELETE", url, json={"data": [{"type": "categories", "id": "2"}]}, headers=direct)
        assert removed.status_code == 204, removed.text
        assert await _names(r, doc) == ["soup", "cake"]  # fish gone; cake, unknown to the overlay, last
        overlay = r.proxy.targets["backend"].overlay
        kept = (await overlay.run(OverlayRead("restaurants", "categories", ("1",)))).of("1")
        assert sorted(kept.keys) == ["1", "3"]  # the read taught the overlay cake and dropped fish
        await _connect(r, doc, {"documentId": cats[1], "position": {"end": True}})
        assert await _names(r, doc) == ["soup", "cake", "fish"]


async def test_without_the_overlay_a_positional_connect_names_the_missing_capability(sqlite_url: str) -> None:
    async with rig(sqlite_url, "strapi", "restless") as r:
        doc, cats = await _restaurant(r, "soup", "fish")
        await _connect(r, doc, {"documentId": cats[0]})
        refused = await _connect(r, doc, {"documentId": cats[1], "position": {"before": cats[0]}})
        assert refused.status_code == 400, refused.text
        assert "place members at a position in 'restaurants.categories'" in refused.json()["error"]["message"]
        assert await r.members("restaurants", "1", "categories") == ["1"]


async def test_a_concurrent_change_of_the_order_is_409_and_the_backend_add_is_undone(sqlite_url: str, tmp_path: Any) -> None:
    async with rig(sqlite_url, "strapi", "jsonapi", order="overlay", proxy_store=f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}") as r:
        doc, cats = await _restaurant(r, "soup", "fish", "cake")
        await _connect(r, doc, {"documentId": cats[0]}, {"documentId": cats[1]})
        overlay = r.proxy.targets["backend"].overlay
        real_run = overlay.run

        async def racing(op: Any) -> Any:
            if isinstance(op, OverlayWrite) and op.set and op.set[0][0] == "3":  # another request moves fish first
                await real_run(OverlayWrite("restaurants", "categories", "1", None, set=(("2", "Zz"),)))  # "Zz" < "a0"
            return await real_run(op)

        overlay.run = racing
        try:
            raced = await _connect(r, doc, {"documentId": cats[2], "position": {"after": cats[0]}})
        finally:
            overlay.run = real_run
        assert raced.status_code == 409, raced.text
        assert "nothing was overwritten" in raced.json()["error"]["message"]
        assert sorted(await r.members("restaurants", "1", "categories")) == ["1", "2"]  # cake's add undone
        assert await _names(r, doc) == ["fish", "soup"]  # the other request's order stands


# --- (3) fault injection: every request of a connect plan fails once -----------------------------------


async def test_a_connect_plan_leaves_backend_and_overlay_as_before_whatever_request_fails(sqlite_url: str, tmp_path: Any) -> None:
    faulty: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        faulty.append(Faulty(inner))
        return faulty[0]

    store = f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}"
    async with rig(sqlite_url, "strapi", "jsonapi", order="overlay", proxy_store=store, wrap=wrap) as r:
        overlay = r.proxy.targets["backend"].overlay
        doc, cats = await _restaurant(r, "soup", "fish", "cake")
        await _connect(r, doc, {"documentId": cats[0]})  # a kept list: soup
        connect = ({"documentId": cats[1], "position": {"start": True}}, {"documentId": cats[2], "position": {"after": cats[0]}})
        faulty[0].arm(None)
        assert (await _connect(r, doc, *connect)).status_code == 200
        # exists check, the two adds, the answer's read (the overlay steps send nothing)
        add = "POST /jsonapi/restaurants/1/relationships/categories"
        assert faulty[0].log == ["GET /jsonapi/restaurants/1", "GET /jsonapi/categories/1", add, add, "GET /jsonapi/restaurants/1"]
        for n in range(1, len(faulty[0].log) + 1):
            reset = await r.client.put(f"{API}/restaurants/{doc}", json={"data": {"categories": {"set": [cats[0]]}}})
            assert reset.status_code == 200, reset.text
            before = (sorted(await r.members("restaurants", "1", "categories")), await _names(r, doc))
            kept = (await overlay.run(OverlayRead("restaurants", "categories", ("1",)))).of("1").keys
            faulty[0].arm(n)
            failed = await _connect(r, doc, *connect)
            assert failed.status_code == 502, failed.text
            faulty[0].arm(None)
            assert (sorted(await r.members("restaurants", "1", "categories")), await _names(r, doc)) == before, f"request {n}"
            assert (await overlay.run(OverlayRead("restaurants", "categories", ("1",)))).of("1").keys == kept, f"request {n}"


async def test_an_undo_the_backend_refuses_is_reported_as_not_compensated(sqlite_url: str, tmp_path: Any) -> None:
    """flask-restless-ng's restaurants refuse removals: the add of a failed plan stays, and the report says so."""
    faulty: list[Faulty] = []

    def wrap(inner: Any) -> Faulty:
        faulty.append(Faulty(inner))
        return faulty[0]

    store = f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}"
    async with rig(sqlite_url, "jsonapi", "restless", order="overlay", proxy_store=store, wrap=wrap) as r:
        target = r.proxy.targets["backend"]
        for n in ("R",):
            await r.client.post("/jsonapi/restaurants", json={"data": {"type": "restaurants", "attributes": {"name": n}}},
                                headers={"content-type": "application/vnd.api+json"})  # fmt: skip
        for n in ("soup", "fish"):
            await r.client.post("/jsonapi/categories", json={"data": {"type": "categories", "attributes": {"name": n}}},
                                headers={"content-type": "application/vnd.api+json"})  # fmt: skip
        batch = Batch((Add(R, "categories", (c(1),), End()), Add(R, "categories", (c(2),), Start())))
        faulty[0].arm(3)  # the sync read, the first add, then the second add fails
        with pytest.raises(ProblemError) as failed:
            await target.execute(batch)
        report = steps_meta(failed.value)
        statuses = [(m["purpose"].split(" ")[0], m["status"]) for m in report]
        assert statuses == [("add", "not-compensated"), ("record", "compensated"), ("add", "failed")]
        assert "403" in report[0]["detail"] or "not allow" in report[0]["detail"].lower()
        assert await r.members("restaurants", "1", "categories") == ["1"]  # what the report says is still applied


# --- (4) the real flask-restless-ng ------------------------------------------------------------------


async def test_strapi_positional_connects_sent_to_the_real_flask_restless_ng(ng_backend: Any, tmp_path: Any) -> None:
    import httpx

    from relgate.app import Gateway
    from relgate.config import from_dict
    from tests.targets.proxy_support import proxy_config

    ng_backend.seed("restaurants", {"id": 1, "name": "R"})
    ng_backend.seed("categories", *({"id": i, "name": n} for i, n in enumerate(("soup", "fish", "cake", "tea"), start=1)))
    data = proxy_config("strapi", "restless")
    data["store"] = {"url": f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}"}
    data["backends"]["backend"].update(url=ng_backend.url, order="overlay", policies={"restaurants.categories": {"allow_remove": False}})
    gw = Gateway(from_dict(data))
    async with gw, httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://relgate.test") as client:  # type: ignore[arg-type]
        listed = await client.get(f"{API}/categories", params={"sort": "name"})
        doc_of = {x["name"]: x["documentId"] for x in listed.json()["data"]}
        rdoc = (await client.get(f"{API}/restaurants")).json()["data"][0]["documentId"]

        async def connect(*items: dict) -> None:
            put = await client.put(f"{API}/restaurants/{rdoc}", json={"data": {"categories": {"connect": list(items)}}})
            assert put.status_code == 200, put.text

        async def names() -> list[str]:
            got = await client.get(f"{API}/restaurants/{rdoc}", params={"populate": "categories"})
            assert got.status_code == 200, got.text
            return [x["name"] for x in got.json()["data"]["categories"]]

        await connect({"documentId": doc_of["soup"]}, {"documentId": doc_of["fish"], "position": {"start": True}})
        await connect(
            {"documentId": doc_of["cake"], "position": {"before": doc_of["soup"]}},
            {"documentId": doc_of["tea"], "position": {"after": doc_of["fish"]}},
        )
        assert await names() == ["fish", "tea", "cake", "soup"]
        await connect({"documentId": doc_of["soup"], "position": {"start": True}})
        assert await names() == ["soup", "fish", "tea", "cake"]
    rows = sorted(row["category_id"] for row in ng_backend.rows("restaurant_categories", order_by="category_id"))
    assert rows == [1, 2, 3, 4]  # ng holds the membership; the order is relgate's


async def test_create_and_replace_with_ordered_linkage_keep_their_order_in_the_overlay(sqlite_url: str, tmp_path: Any) -> None:
    """A JSON:API caller; the backend's own order is changed behind relgate's back: relgate's answer keeps the overlay's."""
    j = {"content-type": "application/vnd.api+json", "accept": "application/vnd.api+json"}
    async with rig(sqlite_url, "jsonapi", "jsonapi", order="overlay", proxy_store=f"sqlite+aiosqlite:///{tmp_path / 'proxy.db'}") as r:
        for n in ("soup", "fish", "cake"):
            made = await r.client.post("/jsonapi/categories", json={"data": {"type": "categories", "attributes": {"name": n}}}, headers=j)
            assert made.status_code == 201, made.text
        linkage = [{"type": "categories", "id": i} for i in ("3", "1", "2")]
        doc = {"data": {"type": "restaurants", "attributes": {"name": "R"}, "relationships": {"categories": {"data": linkage}}}}
        made = await r.client.post("/jsonapi/restaurants", json=doc, headers=j)
        assert made.status_code == 201, made.text
        assert [i["id"] for i in made.json()["data"]["relationships"]["categories"]["data"]] == ["3", "1", "2"]
        url = "/jsonapi/restaurants/1/relationships/categories"
        shuffled = await r.backend_client.patch(url, json={"data": linkage[::-1]}, headers=j)  # behind relgate's back
        assert shuffled.status_code == 204, shuffled.text
        assert [i["id"] for i in (await r.client.get(url)).json()["data"]] == ["3", "1", "2"]
        replaced = await r.client.patch(url, json={"data": [linkage[2], linkage[0]]}, headers=j)
        assert replaced.status_code == 204, replaced.text
        assert [i["id"] for i in (await r.client.get(url)).json()["data"]] == ["2", "3"]
        assert sorted(await r.members("restaurants", "1", "categories")) == ["2", "3"]
        included = await r.client.get("/jsonapi/restaurants/1", params={"include": "categories"})
        assert [i["id"] for i in included.json()["data"]["relationships"]["categories"]["data"]] == ["2", "3"]
