"""Acceptance: real JavaScript clients from the npm registry against a real ``relgate serve``.

``tests/clients/`` pins the clients (package.json + package-lock.json; ``npm ci --prefix
tests/clients`` installs them, as ``.ci/run`` does): ``@strapi/client`` against ``/strapi/api``,
and the JSON:API clients kitsu, devour-client and Orbit (``@orbit/jsonapi``) against ``/jsonapi``.
Each ``tests/clients/<client>.mjs`` drives its client through its scenarios against a fresh
server over a fresh SQLite file and prints what the client exposed as JSON; the assertions are
here.  Without Node.js or the installed clients the tests skip with the reason, except under
``CI=true``, where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import start, stop

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "clients"
PACKAGES = ("@strapi/client", "kitsu", "devour-client", "@orbit/jsonapi")
IN_CI = os.environ.get("CI", "").lower() == "true"
JSONAPI = "application/vnd.api+json"
Result = dict[str, Any]


def _missing() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "Node.js is not installed (the JavaScript client tests need node >= 20.18.2)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL).stdout.strip()
    m = re.match(r"v(\d+)\.(\d+)", version)
    if m is None or (int(m.group(1)), int(m.group(2))) < (20, 18):
        return f"node {version or '?'} is too old for @strapi/client (needs >= 20.18.2)"
    absent = [p for p in PACKAGES if not (CLIENTS / "node_modules" / p / "package.json").is_file()]
    if absent:
        return f"tests/clients/node_modules lacks {', '.join(absent)}: run `npm ci --prefix tests/clients`"
    return None


@pytest.fixture(scope="module")
def run_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Result]]:
    """``run_client(name)``: a fresh ``relgate serve`` (example config, new SQLite file), the
    client script run against it once; the parsed JSON result is cached for the module."""
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    cache: dict[str, Result] = {}

    def run(name: str) -> Result:
        if name not in cache:
            workdir = tmp_path_factory.mktemp(name)
            shutil.copy(ROOT / "gateway.example.toml", workdir / "gateway.example.toml")
            served = start(cwd=workdir)
            try:
                proc = subprocess.run(
                    ["node", str(CLIENTS / f"{name}.mjs"), served.url],
                    cwd=CLIENTS,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    stdin=subprocess.DEVNULL,
                )
            finally:
                stop(served)
            if proc.returncode != 0:
                pytest.fail(f"{name}.mjs exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout[-2000:]}", pytrace=False)
            cache[name] = json.loads(proc.stdout)
        return cache[name]

    yield run


def failed(outcome: Result) -> Result:
    """The error of an attempt the client was expected to fail."""
    assert outcome["ok"] is False, f"expected the client to raise, it got {outcome.get('value')!r}"
    return outcome["error"]


# --- @strapi/client against /strapi/api ----------------------------------------------------------


@pytest.fixture(scope="module")
def strapi(run_client: Callable[[str], Result]) -> Result:
    return run_client("strapi")


def names(*letters: str) -> list[str]:
    return [f"strapi-{x}" for x in letters]


def test_strapi_create_find_one_and_populate(strapi: Result) -> None:
    created = strapi["create"]
    assert {"id", "documentId", "name", "categories"} <= set(created["keys"])
    assert created["documentIdLength"] == 24
    assert (created["name"], created["categories"]) == ("strapi-R1", names("A", "B"))
    assert strapi["findOne"] == {"name": "strapi-R1", "categories": names("A", "B"), "meta": {}}


@pytest.mark.parametrize(
    ("step", "order"),
    [
        ("connectPositions", "DCABE"),  # C before A, D at the start, E after B
        ("moveToEnd", "CABED"),
        ("disconnect", "CBED"),
        ("connectAndDisconnect", "CABD"),  # A after C, E out
        ("set", "EC"),
        ("shorthand", "BA"),
        ("forwardAnchor", "DCBA"),  # C after D, D (not yet connected) at the start: D first
        ("nonStrict", "DCAB"),  # B before E, E not connected: B to the end
    ],
)
def test_strapi_relation_writes_give_the_documented_order(strapi: Result, step: str, order: str) -> None:
    got = strapi["relations"][step]
    assert got["response"] == names(*order), "order in the PUT response"
    assert got["stored"] == names(*order), "order read back with findOne + populate"


def test_strapi_relation_errors_are_400_validation_errors_and_write_nothing(strapi: Result) -> None:
    errors = strapi["relationErrors"]
    for case, message in [
        ("strictAnchor", "needs to be connected first"),
        ("unknownAnchor", "not found"),
        ("unknownDocument", "not found"),
        ("circular", "circular reference"),
    ]:
        err = failed(errors[case])
        assert (err["name"], err["status"]) == ("HTTPBadRequestError", 400), case
        assert err["body"]["data"] is None
        assert err["body"]["error"]["status"] == 400
        assert err["body"]["error"]["name"] == "ValidationError", case
        assert message in err["body"]["error"]["message"], (case, err["body"])
    assert strapi["afterRelationErrors"] == names(*"DCAB")


def test_strapi_find_filters_sort_fields_and_pagination(strapi: Result) -> None:
    page = strapi["findPage"]
    assert page["names"] == names("R4", "R3", "R2")
    assert all(set(k) == {"id", "documentId", "name"} for k in page["keys"]), "fields: ['name'] keeps only name and the ids"
    assert page["pagination"] == {"page": 1, "pageSize": 3, "pageCount": 2, "total": 4}
    assert strapi["findOffset"] == {"names": names("R2", "R3"), "pagination": {"start": 1, "limit": 2}}
    assert strapi["filterThroughRelation"] == names("R3")
    assert strapi["filterOr"] == names("R2", "R4")
    assert strapi["populateInverse"] == names("R3")
    assert strapi["filterIn"] == names("R4", "R2"), "status/locale are accepted (and ignored)"
    assert strapi["page2"] == {"names": names("R4"), "pagination": {"page": 2, "pageSize": 3, "pageCount": 2, "total": 4}}
    assert strapi["deepPopulate"] == [{"name": "strapi-E", "restaurants": names("R3")}]


def test_strapi_create_with_positioned_connects(strapi: Result) -> None:
    # A; B before A; C at the start
    assert strapi["createWithPositions"] == names("C", "B", "A")


def test_strapi_same_client_on_a_strapi_4_front_door(strapi: Result) -> None:
    v4 = strapi["v4Route"]
    assert (v4["name"], v4["categories"], v4["rowIdOfA"]) == ("strapi-R3", names("E"), "number")
    assert v4["updated"] == {"name": "strapi-R3-v4", "categories": names("E", "A")}, "connect by row id appends"
    assert (v4["deleted"], v4["afterDelete"]) == ("undefined", 404)


def test_strapi_to_one_relations(strapi: Result) -> None:
    assert strapi["toOne"] == {
        "created": "strapi-Ann",
        "connect": "strapi-Bob",
        "disconnectOther": "strapi-Bob",  # disconnecting a document that is not the current one changes nothing
        "disconnectCurrent": None,
        "set": "strapi-Ann",
        "inverse": ["strapi-article"],
    }


def test_strapi_update_and_delete(strapi: Result) -> None:
    assert strapi["updateAttribute"] == {"name": "strapi-R1-renamed", "documentId": True}
    assert strapi["delete"]["resolved"] == "undefined", "delete() resolves to void on a 204"
    err = failed(strapi["delete"]["after"])
    assert (err["name"], err["status"], err["body"]["error"]["name"]) == ("HTTPNotFoundError", 404, "NotFoundError")


@pytest.mark.parametrize(
    ("case", "cls", "status", "name"),
    [
        ("notFound", "HTTPNotFoundError", 404, "NotFoundError"),
        ("updateMissing", "HTTPNotFoundError", 404, "NotFoundError"),
        ("deleteMissing", "HTTPNotFoundError", 404, "NotFoundError"),
        ("unknownAttribute", "HTTPBadRequestError", 400, "ValidationError"),
        ("wrongType", "HTTPBadRequestError", 400, "ValidationError"),
        ("unique", "HTTPBadRequestError", 400, "ValidationError"),
        ("badPage", "HTTPBadRequestError", 400, "PaginationError"),
        ("unknownCollection", "HTTPNotFoundError", 404, "NotFoundError"),
    ],
)
def test_strapi_errors_surface_as_the_client_maps_them(strapi: Result, case: str, cls: str, status: int, name: str) -> None:
    err = failed(strapi["errors"][case])
    assert (err["name"], err["status"]) == (cls, status)
    assert err["contentType"].startswith("application/json")
    assert err["body"]["data"] is None
    assert (err["body"]["error"]["status"], err["body"]["error"]["name"]) == (status, name)


def test_strapi_error_details(strapi: Result) -> None:
    assert failed(strapi["errors"]["unknownAttribute"])["body"]["error"]["details"] == {"key": "stars"}
    for case, path in [("wrongType", ["age"]), ("unique", ["name"])]:
        details = failed(strapi["errors"][case])["body"]["error"]["details"]
        assert [e["path"] for e in details["errors"]] == [path], case


def test_strapi_v4_response_format_by_header(strapi: Result) -> None:
    v4 = strapi["v4Header"]
    assert set(v4["keys"]) == {"id", "documentId", "attributes"}
    assert (v4["name"], v4["restaurants"]) == ("strapi-E", ["strapi-R3-v4"]), "renamed through /strapi4/api just before"


# --- kitsu against /jsonapi ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kitsu(run_client: Callable[[str], Result]) -> Result:
    return run_client("kitsu")


def jsonapi_error(outcome: Result, status: int) -> dict[str, Any]:
    """The first JSON:API error object of a failed kitsu call, checked for status and media type."""
    err = failed(outcome)
    assert err["status"] == status, err
    assert err["contentType"] == JSONAPI
    assert err["errors"] and all(e["status"] == str(status) for e in err["errors"])
    return err["errors"][0]


def test_kitsu_create_and_read(kitsu: Result) -> None:
    ids = kitsu["ids"]
    assert kitsu["create"] == {"status": 201, "type": "people", "name": "kitsu-Ann", "age": 33, "location": f"/jsonapi/people/{ids['ann']}"}
    assert kitsu["createWithToOne"] == {"statuses": [201] * 3, "ownerIds": [ids["ann"]] * 3}
    assert kitsu["include"]["name"] == "kitsu-Ann"
    assert sorted(kitsu["include"]["computers"]) == ["kitsu-alpha", "kitsu-beta", "kitsu-gamma"]
    sparse = kitsu["sparseSortPage"]
    assert sparse["names"] == ["kitsu-gamma", "kitsu-alpha"]  # vendor Acme, sorted by -name
    assert sparse["keys"] == [["id", "links", "name", "type"]] * 2, "fields[computers]=name: no vendor, no owner"
    assert (sparse["total"], sparse["hasNext"]) == (2, False)
    assert kitsu["page2"] == {"names": ["kitsu-gamma"], "hasPrev": True, "hasNext": False}
    assert kitsu["filterOperator"] == ["kitsu-Bob"]
    assert kitsu["related"] == ["kitsu-gamma"]
    nested = kitsu["nestedInclude"]
    assert (nested["title"], nested["author"], nested["computers"]) == ("kitsu-nested", "kitsu-Bob", ["kitsu-gamma"])
    assert nested["authorKeys"] == ["computers", "id", "links", "name", "type"], "fields[people]=name,computers: no age, no articles"


def test_kitsu_updates_inline(kitsu: Result) -> None:
    ids = kitsu["ids"]
    assert kitsu["updateAttribute"] == {"status": 200, "vendor": "Acme", "name": "kitsu-beta"}
    assert kitsu["updateToOne"] == {"status": 200, "owner": ids["bob"]}
    assert kitsu["clearToOne"] == {"status": 200, "owner": None}
    assert kitsu["afterInlineToOne"] == [ids["computers"][1]]
    assert kitsu["updateToManyInline"] == {"status": 200, "categories": ["kitsu-c3", "kitsu-c1", "kitsu-c2"]}


def test_kitsu_relationship_endpoints(kitsu: Result) -> None:
    c, cats = kitsu["ids"]["computers"], kitsu["ids"]["categories"]
    rel = kitsu["relationshipEndpoints"]
    assert (rel["addStatus"], rel["removeStatus"], rel["replaceStatus"]) == (204, 204, 204)
    assert sorted(rel["afterAdd"]) == sorted([c[0], c[2]])
    assert rel["afterRemove"] == [c[2]]
    assert rel["afterReplace"] == [cats[2], cats[0]], "an ordered to-many keeps the PATCHed order"
    assert kitsu["toOneEndpoint"] == {"setStatus": 204, "author": "kitsu-Ann", "unsetStatus": 204, "after": None}


def test_kitsu_delete_and_errors(kitsu: Result) -> None:
    assert kitsu["delete"]["status"] == 204
    assert jsonapi_error(kitsu["delete"]["after"], 404)["code"] == "not-found"
    errors = kitsu["errors"]
    assert jsonapi_error(errors["notFound"], 404)["code"] == "not-found"
    assert jsonapi_error(errors["unknownAttribute"], 400)["source"] == {"pointer": "/data/attributes/shoeSize"}
    assert jsonapi_error(errors["duplicateName"], 409)["source"] == {"pointer": "/data/attributes/name"}
    assert jsonapi_error(errors["missingTarget"], 404)["source"] == {"pointer": "/data/0"}
    assert jsonapi_error(errors["badInclude"], 400)["source"] == {"parameter": "include"}
    # kitsu guesses 'owners' for an untyped 'owner': relgate refuses a wrong type, at its pointer
    guessed = jsonapi_error(errors["guessedType"], 409)
    assert (guessed["code"], guessed["source"]) == ("type-mismatch", {"pointer": "/data/relationships/owner/data/type"})


# --- devour-client against /jsonapi -----------------------------------------------------------------


@pytest.fixture(scope="module")
def devour(run_client: Callable[[str], Result]) -> Result:
    return run_client("devour")


def test_devour_create_read_update(devour: Result) -> None:
    assert devour["create"] == {"type": "people", "name": "devour-Ann", "age": 33}
    assert devour["createWithToOne"] == ["devour-Ann"] * 3, "singular 'person' linkage (an alias) with include=owner"
    assert sorted(devour["include"]["computers"]) == ["devour-alpha", "devour-beta", "devour-gamma"]
    assert devour["sparseSortPage"] == {"names": ["devour-gamma", "devour-alpha"], "vendors": [None, None], "total": 2}
    assert devour["page2"] == {"names": ["devour-gamma"], "hasPrev": True, "hasNext": False}
    assert devour["updateAttribute"] == {"vendor": "Acme", "name": "devour-beta"}
    assert devour["updateToOne"] == "devour-Bob"
    assert devour["clearToOne"] is None
    assert devour["updateToManyInline"] == ["devour-c3", "devour-c1", "devour-c2"]


def test_devour_relationship_endpoints(devour: Result) -> None:
    rel = devour["relationshipEndpoints"]
    assert rel["afterAdd"] == ["devour-alpha", "devour-gamma"]
    assert rel["typelessRemove"] == "ok", "devour's destroy([{id}]) sends identifiers without type"
    assert rel["afterRemove"] == ["devour-gamma"]
    assert rel["afterReplace"] == ["devour-c3", "devour-c1"]
    assert rel["afterTypedRemove"] == []
    assert devour["toOneEndpoint"] == {"author": "devour-Ann", "after": None}


def test_devour_delete_and_errors_keyed_by_pointer(devour: Result) -> None:
    assert devour["delete"]["data"] is None
    # devour keys errors by the last pointer segment, or by index when there is no pointer
    gone = {"status": "404", "code": "not-found", "title": "Resource not found", "pointer": None}
    assert failed(devour["delete"]["after"]) == {"0": gone}
    errors = devour["errors"]
    assert failed(errors["notFound"])["0"]["status"] == "404"
    assert failed(errors["duplicateName"])["name"] == {
        "status": "409",
        "code": "conflict",
        "title": "Value already taken",
        "pointer": "/data/attributes/name",
    }
    missing = failed(errors["missingTarget"])["data"]
    assert (missing["status"], missing["pointer"]) == ("404", "/data/relationships/owner/data")
    assert failed(errors["badSort"])["0"]["status"] == "400"


# --- Orbit (@orbit/jsonapi) against /jsonapi ---------------------------------------------------------


@pytest.fixture(scope="module")
def orbit(run_client: Callable[[str], Result]) -> Result:
    return run_client("orbit")


def test_orbit_client_generated_ids_and_queries(orbit: Result) -> None:
    assert orbit["clientIds"]["returned"] == orbit["clientIds"]["sent"]
    assert orbit["clientIds"]["names"] == ["orbit-T1", "orbit-T2", "orbit-T3"]
    t1 = orbit["clientIds"]["sent"][0]
    created = orbit["createWithToOne"]
    assert (created["returned"], created["trunk"]) == (created["sent"], t1)
    assert sorted(orbit["createWithToMany"]) == ["orbit-T1", "orbit-T2"]
    assert orbit["findRecord"] == {"number": "+15550001", "trunk": t1}
    assert orbit["sort"] == ["orbit-T3", "orbit-T2", "orbit-T1"]
    assert orbit["page"] == ["orbit-T3"], "page[number]=2&page[size]=2 through Orbit's fetch settings"
    assert orbit["filter"] == ["orbit-T2"]
    assert orbit["findRelatedRecord"] == "orbit-T1"
    assert orbit["filterByRelatedRecord"] == ["+15550001"], "filter[trunk]=<id>"


def test_orbit_transforms(orbit: Result) -> None:
    assert orbit["replaceAttribute"] == "orbit-T3b"
    assert orbit["replaceRelatedRecord"] == {"replaced": "orbit-T2", "cleared": None}
    steps = {k: sorted(v) for k, v in orbit["toMany"].items()}
    assert steps == {
        "add": ["orbit-T1", "orbit-T2", "orbit-T3b"],
        "remove": ["orbit-T2", "orbit-T3b"],
        "replace": ["orbit-T1", "orbit-T2", "orbit-T3b"],
        "clear": [],
    }
    assert failed(orbit["removeRecord"])["name"] == "RecordNotFoundException"


def test_orbit_errors(orbit: Result) -> None:
    dup = failed(orbit["errors"]["duplicateClientId"])
    assert (dup["name"], dup["status"]) == ("ClientError", 409)
    assert dup["errors"][0]["source"] == {"pointer": "/data/id"}
    # Orbit resolves a 404 answer to a write; the write must not have happened
    assert orbit["errors"]["missingTarget"]["ok"] is True
    assert orbit["afterMissingTarget"] is None
    paging = failed(orbit["errors"]["offsetPaging"])
    assert (paging["name"], paging["status"]) == ("ClientError", 400)
    assert sorted(e["source"]["parameter"] for e in paging["errors"]) == ["page[limit]", "page[offset]"]


def test_orbit_server_generated_ids_through_a_key_map(orbit: Result) -> None:
    keys = orbit["serverIds"]
    assert keys["personRemoteId"].isdigit() and keys["articleRemoteId"].isdigit()
    assert keys["authorOfArticle"] == keys["personRemoteId"]
    assert keys["articlesOfPerson"] == ["orbit-article"]
