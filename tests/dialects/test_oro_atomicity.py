"""A request with ``included`` is all-or-nothing: an item failing in the store after earlier
items were written leaves every table exactly as before (SQLite and PostgreSQL).

Each case fails at a different point of the batch — the write of a middle item, a related
resource it names, a unique value, an ambiguous upsert, the linkage written after all
creations — and is then sent again, corrected, to show the same request does write.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from relgate.config import Config
from tests.dialects.jsonapi_support import gateway_client
from tests.dialects.oro_support import JSONAPI, assert_oro_document, snapshot

HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}


def account_with_contacts(middle: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "type": "accounts",
            "attributes": {"name": "All or nothing"},
            "relationships": {"contacts": {"data": [{"type": "contacts", "id": "first"}, {"type": "contacts", "id": middle["id"]}]}},
        },
        "included": [{"type": "contacts", "id": "first", "attributes": {"firstName": "First"}}, middle],
    }


CASES: dict[str, tuple[str, str, dict[str, Any], int, str, Any]] = {
    # name: (method, path, failing body, status, pointer, fix(body) -> corrected body)
    "update of a missing contact": (
        "POST",
        "/oro/api/accounts",
        account_with_contacts({"meta": {"update": True}, "type": "contacts", "id": "404", "attributes": {"firstName": "Ghost"}}),
        400,
        "/included/1",
        lambda b: b["included"][1].update(id="2") or b["data"]["relationships"]["contacts"]["data"][1].update(id="2"),
    ),
    "a missing organization named by the second item": (
        "POST",
        "/oro/api/accounts",
        account_with_contacts(
            {"type": "contacts", "id": "second", "relationships": {"organization": {"data": {"type": "organizations", "id": "77"}}}}
        ),
        400,
        "/included/1/relationships/organization/data",
        lambda b: b["included"][1]["relationships"]["organization"]["data"].update(id="1"),
    ),
    "an ambiguous upsert of the second item": (
        "POST",
        "/oro/api/accounts",
        account_with_contacts({"meta": {"upsert": ["lastName"]}, "type": "contacts", "id": "second", "attributes": {"lastName": "Twin"}}),
        409,
        "/included/1",
        lambda b: b["included"][1]["attributes"].update(lastName="Single"),
    ),
    "a missing member in linkage written after the creations": (
        "PATCH",
        "/oro/api/accounts/1",
        {
            "data": {
                "type": "accounts",
                "id": "1",
                "attributes": {"name": "Renamed"},
                "relationships": {"contacts": {"data": [{"type": "contacts", "id": "new"}, {"type": "contacts", "id": "999"}]}},
            },
            "included": [{"type": "contacts", "id": "new", "attributes": {"firstName": "New"}}],
        },
        400,
        "/data/relationships/contacts/data",
        lambda b: b["data"]["relationships"]["contacts"]["data"][1].update(id="1"),
    ),
    "a taken unique name of the second computer": (
        "POST",
        "/oro/api/people",
        {
            "data": {
                "type": "people",
                "attributes": {"name": "Carol"},
                "relationships": {"computers": {"data": [{"type": "computers", "id": "c1"}, {"type": "computers", "id": "c2"}]}},
            },
            "included": [
                {"type": "computers", "id": "c1", "attributes": {"name": "laptop"}},
                {"type": "computers", "id": "c2", "attributes": {"name": "mac"}},
            ],
        },
        409,
        "/included/1/attributes/name",
        lambda b: b["included"][1]["attributes"].update(name="desktop"),
    ),
}

SETUP = [
    ("/oro/api/organizations", {"data": {"type": "organizations", "attributes": {"name": "Acme"}}}),
    ("/oro/api/accounts", {"data": {"type": "accounts", "attributes": {"name": "Existing"}}}),
    ("/oro/api/contacts", {"data": {"type": "contacts", "attributes": {"firstName": "A", "lastName": "Twin"}}}),
    ("/oro/api/contacts", {"data": {"type": "contacts", "attributes": {"firstName": "B", "lastName": "Twin"}}}),
    ("/oro/api/people", {"data": {"type": "people", "attributes": {"name": "Alice"}}}),
    ("/oro/api/computers", {"data": {"type": "computers", "attributes": {"name": "mac"}}}),
]


@pytest.mark.parametrize("case", list(CASES))
async def test_failing_item_leaves_every_table_as_before(case: str, example_config: Config, store_url: str) -> None:
    method, path, body, status, pointer, fix = CASES[case]
    async with gateway_client(example_config, store_url) as (gw, client):
        for setup_path, setup_body in SETUP:
            r = await client.post(setup_path, content=json.dumps(setup_body), headers=HEADERS)
            assert r.status_code == 201, r.text
        before = await snapshot(gw)
        assert before["contacts"] and before["accounts"], "the setup wrote nothing"

        r = await client.request(method, path, content=json.dumps(body), headers=HEADERS)
        assert r.status_code == status, r.text
        doc = r.json()
        assert_oro_document(doc)
        assert [e["source"]["pointer"] for e in doc["errors"]] == [pointer], r.text
        assert await snapshot(gw) == before, "a failed request changed the store"

        fixed = copy.deepcopy(body)
        fix(fixed)
        r = await client.request(method, path, content=json.dumps(fixed), headers=HEADERS)
        assert r.status_code in (200, 201), r.text
        assert_oro_document(r.json())
        assert await snapshot(gw) != before, "the corrected request wrote nothing"
