"""Scenarios of the golden exchanges (read by record.py): requests only, answers are recorded.

Each ``SPECS[name]`` becomes ``../exchanges/<name>.json``.  A step: ``name``, ``method``,
``path`` (below the prefix, with its query), ``body`` (JSON) or ``raw`` (text) and ``headers``,
``ops`` (pin the canonical batch), ``note`` (why relgate differs from the seed or from 0.17),
``prefix`` (compare only the start of ``message``), ``real`` (False: do not send it to 0.17).
"""

# ruff: noqa: E501, RUF005

import json
import urllib.parse
from typing import Any

SPECS: dict[str, Any] = {}


def q(obj: Any) -> str:
    return urllib.parse.quote(json.dumps(obj, separators=(",", ":")))


Y = {"filters": [{"name": "name", "op": "like", "val": "%y%"}]}
SPECS["seed_002_requestformat"] = {
    "description": "Every example of seed 002 (Flask-Restless 0.x 'Format of requests and responses'), in one scenario, as the real 0.17 answers. Seed fixes (README, 'Seed 002'): responses are the full object, not {\"id\": 1}; the seed's manufacturer/model are the example schema's vendor/name; names are unique; bulk PATCH carries q in the body of PATCH /person and answers 200; the to-one examples use computer.owner (the seed's Person has no to-one 'computer'); removes name members still related; eval uses existing fields and the key avg__age; eval without functions is 204.",
    "steps": [
        {
            "name": "POST a person",
            "method": "POST",
            "path": "/person",
            "body": {"name": "Jeffrey", "age": 24},
            "ops": True,
            "note": 'seed: 201 {"id": 1}; 0.17 answers with the whole object',
        },
        {
            "name": "POST a person with a list of new computers (to-many)",
            "method": "POST",
            "path": "/person",
            "body": {
                "name": "Mary",
                "age": 19,
                "computers": [{"vendor": "Dell", "name": "Inspiron"}, {"vendor": "Apple", "name": "MacBook"}],
            },
            "ops": True,
            "note": "seed: manufacturer/model -> vendor/name, trailing comma dropped, another name (name is unique)",
        },
        {
            "name": "POST with a single new related object (to-one)",
            "method": "POST",
            "path": "/computer",
            "body": {"name": "Inspiron 9300", "vendor": "Dell", "owner": {"name": "Lucy", "age": 30}},
            "ops": True,
            "note": "seed: a Person 'computer' to-one; the example schema's to-one is computer.owner",
        },
        {
            "name": "POST a person with a list of existing computers",
            "method": "POST",
            "path": "/person",
            "body": {"name": "Anna", "age": 50, "computers": [{"id": 1}, {"id": 2}]},
            "ops": True,
            "note": "existing computers are taken from their previous owner (0.17 LIVE)",
        },
        {
            "name": "POST with a single existing related object (to-one)",
            "method": "POST",
            "path": "/computer",
            "body": {"name": "ThinkPad X1", "vendor": "Lenovo", "owner": {"id": 1}},
            "ops": True,
        },
        {"name": "GET the collection", "method": "GET", "path": "/person"},
        {"name": "GET a search", "method": "GET", "path": "/person?q=" + q(Y), "ops": True},
        {"name": "GET one person", "method": "GET", "path": "/person/1", "ops": True},
        {
            "name": "PATCH many: q in the body",
            "method": "PATCH",
            "path": "/person",
            "body": {"age": 1, "q": Y},
            "ops": True,
            "note": "seed: PATCH /api/person/1 with q in the query string and 201; 0.17 reads q from the body of PATCH /api/person and answers 200",
        },
        {"name": "PUT many is PATCH many", "method": "PUT", "path": "/person", "body": {"age": 2, "q": Y}, "ops": True},
        {"name": "PATCH one person's attributes", "method": "PATCH", "path": "/person/1", "body": {"name": "Foobar"}, "ops": True},
        {"name": "PUT one person is PATCH", "method": "PUT", "path": "/person/1", "body": {"age": 25}},
        {
            "name": "add an existing computer",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": {"add": [{"id": 3}]}},
            "ops": True,
        },
        {
            "name": "add a new computer",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": {"add": [{"vendor": "Dell", "name": "Inspiron 2"}]}},
            "ops": True,
            "note": "seed: manufacturer/model -> vendor/name",
        },
        {
            "name": "add a single object (not a list)",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": {"add": {"id": 1}}},
            "ops": True,
            "note": "seed calls it one-to-one, but it is the to-many 'computers' given one object",
        },
        {
            "name": "remove a computer (kept in its table)",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": {"remove": [{"id": 3}]}},
            "ops": True,
        },
        {"name": "the removed computer still exists, without owner", "method": "GET", "path": "/computer/3"},
        {
            "name": "remove and __delete__ a computer",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": {"remove": [{"id": 5, "__delete__": True}]}},
            "ops": True,
            "note": "seed removes id 2 again, which is no longer related (0.17: 500); this removes a member",
        },
        {"name": "the deleted computer is gone", "method": "GET", "path": "/computer/5"},
        {
            "name": "set the to-many to existing and new",
            "method": "PATCH",
            "path": "/person/1",
            "body": {"computers": [{"id": 1}, {"id": 3}, {"vendor": "Lenovo", "name": "ThinkPad"}]},
            "ops": True,
            "note": "seed: manufacturer/model -> vendor/name; members not listed are unlinked, not deleted",
        },
        {"name": "the unlisted computer is unlinked, not deleted", "method": "GET", "path": "/computer/4"},
        {"name": "DELETE a person", "method": "DELETE", "path": "/person/1", "ops": True},
        {"name": "the deleted person is 404 {}", "method": "GET", "path": "/person/1"},
        {
            "name": "error message: undecodable body",
            "method": "POST",
            "path": "/person",
            "raw": '{"name": ',
            "prefix": "Unable to decode data",
            "note": "the message is 0.17's exactly; relgate's reason is in a second member, detail",
        },
        {
            "name": "400 for a field the model does not have (POST)",
            "method": "POST",
            "path": "/person",
            "body": {"name": "X", "height": 180},
            "note": '0.17 py3: {"validation_errors": "Could not determine specific validation errors"}; relgate names the field in message and validation_errors',
        },
        {"name": "400 for a field the model does not have (PATCH)", "method": "PATCH", "path": "/person/2", "body": {"height": 180}},
        {"name": "nothing was written by the refused requests", "method": "GET", "path": "/person"},
        {
            "name": "eval: sum and avg",
            "method": "GET",
            "path": "/eval/person?q=" + q({"functions": [{"name": "sum", "field": "age"}, {"name": "avg", "field": "age"}]}),
            "ops": True,
            "note": "seed: avg of 'height' (no such field) and the key typo avg_height; 0.17 keys are <function>__<field>",
        },
        {
            "name": "eval: no functions is 204",
            "method": "GET",
            "path": "/eval/person?q=" + q({"functions": []}),
            "note": "seed says {} ; 0.17 answers 204 with no body",
        },
        {
            "name": "eval: count of ids",
            "method": "GET",
            "path": "/eval/person?q=" + q({"functions": [{"name": "count", "field": "id"}]}),
            "ops": True,
        },
    ],
}

SETUP = [
    {
        "name": "setup: Jeffrey with two computers",
        "method": "POST",
        "path": "/person",
        "body": {
            "name": "Jeffrey",
            "age": 24,
            "birth_date": "1990-05-06",
            "computers": [
                {"name": "Inspiron", "vendor": "Dell", "purchase_time": "2015-02-17T10:00:00"},
                {"name": "MacBook", "vendor": "Apple", "purchase_time": "2016-03-01T08:30:00"},
            ],
        },
    },
    {
        "name": "setup: Mary with one computer",
        "method": "POST",
        "path": "/person",
        "body": {"name": "Mary", "age": 19, "birth_date": "2000-01-02", "computers": [{"name": "ThinkPad", "vendor": "Lenovo"}]},
    },
    {"name": "setup: Lucy without computers", "method": "POST", "path": "/person", "body": {"name": "Lucy", "age": 42}},
    {"name": "setup: a computer without owner", "method": "POST", "path": "/computer", "body": {"name": "Orphan", "vendor": "Acme"}},
    {"name": "setup: an article by Mary", "method": "POST", "path": "/article", "body": {"title": "On search", "author": {"id": 2}}},
]


def f(*filters, **extra):
    return q({"filters": list(filters), **extra})


def flt(name, op, val=None, field=None):
    d = {"name": name, "op": op}
    if val is not None:
        d["val"] = val
    if field is not None:
        d["field"] = field
    return d


steps = list(SETUP)
for alias in ["==", "eq", "equals", "equal_to"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 19)), "ops": alias == "eq"})
for alias in ["!=", "ne", "neq", "not_equal_to", "does_not_equal"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 19)), "ops": alias == "ne"})
for alias in [">", "gt"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 24))})
for alias in ["<", "lt"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 24))})
for alias in [">=", "ge", "gte", "geq"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 24))})
for alias in ["<=", "le", "lte", "leq"]:
    steps.append({"name": f"operator {alias}", "method": "GET", "path": "/person?q=" + f(flt("age", alias, 24))})
steps += [
    {"name": "operator like", "method": "GET", "path": "/person?q=" + f(flt("name", "like", "%ar%")), "ops": True},
    {"name": "operator ilike", "method": "GET", "path": "/person?q=" + f(flt("name", "ilike", "j%")), "ops": True},
    {"name": "operator in", "method": "GET", "path": "/person?q=" + f(flt("age", "in", [19, 42])), "ops": True},
    {"name": "operator not_in", "method": "GET", "path": "/person?q=" + f(flt("age", "not_in", [19, 42]))},
    {"name": "operator is_null", "method": "GET", "path": "/computer?q=" + f(flt("purchase_time", "is_null")), "ops": True},
    {"name": "operator is_not_null", "method": "GET", "path": "/computer?q=" + f(flt("purchase_time", "is_not_null"))},
    {"name": "a foreign-key column (owner_id)", "method": "GET", "path": "/computer?q=" + f(flt("owner_id", "eq", 1)), "ops": True},
    {"name": "a foreign-key column is_null", "method": "GET", "path": "/computer?q=" + f(flt("owner_id", "is_null"))},
    {"name": "compare two fields", "method": "GET", "path": "/person?q=" + f(flt("age", "gt", field="id")), "ops": True},
    {"name": "a date", "method": "GET", "path": "/person?q=" + f(flt("birth_date", "lt", "1995-01-01"))},
    {
        "name": "a date-time given as a date",
        "method": "GET",
        "path": "/computer?q=" + f(flt("purchase_time", "ge", "2016-01-01")),
        "ops": True,
    },
    {"name": "CURRENT_DATE", "method": "GET", "path": "/person?q=" + f(flt("birth_date", "lt", "CURRENT_DATE"))},
    {"name": "any with relation__field", "method": "GET", "path": "/person?q=" + f(flt("computers__vendor", "any", "Apple")), "ops": True},
    {
        "name": "any with a nested filter",
        "method": "GET",
        "path": "/person?q=" + f(flt("computers", "any", {"name": "vendor", "op": "in", "val": ["Apple", "Lenovo"]})),
        "ops": True,
    },
    {"name": "has with relation__field", "method": "GET", "path": "/computer?q=" + f(flt("owner__name", "has", "Mary")), "ops": True},
    {
        "name": "has with a nested filter",
        "method": "GET",
        "path": "/computer?q=" + f(flt("owner", "has", {"name": "name", "op": "like", "val": "%Jeff%"})),
        "ops": True,
    },
    {
        "name": "has nested in any",
        "method": "GET",
        "path": "/article?q="
        + f(flt("author", "has", {"name": "computers", "op": "any", "val": {"name": "vendor", "op": "eq", "val": "Lenovo"}})),
        "ops": True,
    },
    {
        "name": "or / and nested",
        "method": "GET",
        "path": "/person?q=" + f({"or": [{"and": [flt("name", "like", "%y%"), flt("age", "ge", 20)]}, flt("name", "eq", "Mary")]}),
        "ops": True,
    },
    {"name": "top-level filters are AND-ed", "method": "GET", "path": "/person?q=" + f(flt("age", "gt", 18), flt("name", "like", "%r%"))},
    {
        "name": "order_by desc",
        "method": "GET",
        "path": "/person?q=" + q({"order_by": [{"field": "age", "direction": "desc"}]}),
        "ops": True,
    },
    {
        "name": "order_by through a to-one drops rows without one (INNER JOIN)",
        "method": "GET",
        "path": "/computer?q=" + q({"order_by": [{"field": "owner__name", "direction": "desc"}]}),
        "ops": True,
    },
    {
        "name": "limit and offset: num_results counts after them",
        "method": "GET",
        "path": "/person?q=" + q({"limit": 1, "offset": 1}),
        "ops": True,
    },
    {"name": "limit 0 means no limit", "method": "GET", "path": "/person?q=" + q({"limit": 0})},
    {
        "name": "single: one result is the bare object with Location",
        "method": "GET",
        "path": "/person?q=" + f(flt("name", "eq", "Mary"), single=True),
        "ops": True,
    },
    {"name": "single: no result is 404", "method": "GET", "path": "/person?q=" + f(flt("name", "eq", "Nobody"), single=True)},
    {"name": "single: several results is 400", "method": "GET", "path": "/person?q=" + q({"single": True})},
    {"name": "pagination: page 2 of 2 per page", "method": "GET", "path": "/person?page=2&results_per_page=2", "ops": True},
    {"name": "pagination: first page links next and last", "method": "GET", "path": "/person?results_per_page=1"},
    {"name": "pagination: past the end", "method": "GET", "path": "/person?page=9"},
    {"name": "pagination: results_per_page -1 means the server default", "method": "GET", "path": "/person?results_per_page=-1"},
    {
        "name": "pagination: results_per_page not a number means the server default",
        "method": "GET",
        "path": "/person?results_per_page=lots",
    },
    {
        "name": "pagination with limit/offset",
        "method": "GET",
        "path": "/person?page=2&results_per_page=1&q=" + q({"offset": 1}),
        "ops": True,
    },
    {"name": "no results", "method": "GET", "path": "/person?q=" + f(flt("age", "gt", 100))},
    {"name": "JSONP callback", "method": "GET", "path": "/person?callback=handle&results_per_page=2"},
]
SPECS["search"] = {
    "description": "The q search language of 0.17 on GET /<collection>: every operator and alias, relations, boolean trees, order_by, limit/offset, single, pagination and Link, JSONP.",
    "steps": steps,
}

SPECS["relations"] = {
    "description": "Relation URLs (/<c>/<id>/<relation>[/<relid>]), to-one and to-many writes through the parent's body, bulk DELETE, DELETE of a relation member, HEAD and OPTIONS.",
    "steps": list(SETUP)
    + [
        {
            "name": "GET a to-many relation: a page of related objects, each with its relations",
            "method": "GET",
            "path": "/person/1/computers",
            "ops": True,
        },
        {"name": "GET a to-many relation, paginated", "method": "GET", "path": "/person/1/computers?page=2&results_per_page=1"},
        {"name": "GET an empty to-many relation", "method": "GET", "path": "/person/3/computers"},
        {"name": "GET a to-one relation: the bare related object", "method": "GET", "path": "/computer/1/owner", "ops": True},
        {"name": "GET an empty to-one relation is 404 {}", "method": "GET", "path": "/computer/4/owner"},
        {
            "name": "GET /<c>/<id>/<relation>/<relid>: looked up in the related table",
            "method": "GET",
            "path": "/person/1/computers/2",
            "ops": True,
        },
        {"name": "... not checked for membership (as 0.17)", "method": "GET", "path": "/person/1/computers/3"},
        {"name": "... missing related id is 404 {}", "method": "GET", "path": "/person/1/computers/99"},
        {"name": "... missing parent is 404 {}", "method": "GET", "path": "/person/99/computers/1"},
        {"name": "GET a missing instance is 404 {}", "method": "GET", "path": "/person/99"},
        {"name": "GET a non-numeric id is 404 {}", "method": "GET", "path": "/person/abc"},
        {"name": "set a to-one to an existing object", "method": "PATCH", "path": "/computer/4", "body": {"owner": {"id": 3}}, "ops": True},
        {
            "name": "set a to-one to a new object",
            "method": "PATCH",
            "path": "/computer/4",
            "body": {"owner": {"name": "Zoe", "age": 7}},
            "ops": True,
        },
        {"name": "set a to-one to null", "method": "PATCH", "path": "/computer/4", "body": {"owner": None}, "ops": True},
        {"name": "set a to-one by its foreign-key column", "method": "PATCH", "path": "/computer/4", "body": {"owner_id": 1}, "ops": True},
        {
            "name": "nested object with id and fields updates that object",
            "method": "PATCH",
            "path": "/computer/4",
            "body": {"owner": {"id": 1, "age": 25}},
            "ops": True,
        },
        {
            "name": "add and remove in one PATCH (add first)",
            "method": "PATCH",
            "path": "/person/3",
            "body": {"computers": {"add": [{"id": 4}, {"name": "Pi", "vendor": "RPi"}], "remove": [{"id": 4}]}},
            "ops": True,
        },
        {
            "name": "remove by fields instead of id (0.17 filter_by)",
            "method": "PATCH",
            "path": "/person/3",
            "body": {"computers": {"remove": [{"name": "Pi"}]}},
            "ops": True,
        },
        {
            "name": "the computer removed by fields is kept",
            "method": "GET",
            "path": "/computer?q=" + q({"filters": [{"name": "name", "op": "eq", "val": "Pi"}], "single": True}),
        },
        {"name": "replace a to-many with an empty list", "method": "PATCH", "path": "/person/2", "body": {"computers": []}, "ops": True},
        {"name": "articles of Mary: to-many of another type", "method": "GET", "path": "/person/2/articles"},
        {"name": "DELETE a member of a relation: unlinked, kept", "method": "DELETE", "path": "/person/1/computers/2", "ops": True},
        {"name": "the unlinked computer", "method": "GET", "path": "/computer/2"},
        {"name": "DELETE of a whole relation is refused", "method": "DELETE", "path": "/person/1/computers"},
        {
            "name": "bulk DELETE with q in the query string",
            "method": "DELETE",
            "path": "/computer?q=" + q({"filters": [{"name": "owner_id", "op": "is_null"}]}),
            "ops": True,
        },
        {
            "name": "bulk DELETE matching nothing is 404",
            "method": "DELETE",
            "path": "/computer?q=" + q({"filters": [{"name": "vendor", "op": "eq", "val": "Nobody"}]}),
            "note": '0.17 means 404 here but returns a bare int (500 on the tested stack); relgate answers 404 {"num_deleted": 0}',
        },
        {"name": "what is left", "method": "GET", "path": "/computer"},
        {"name": "DELETE a missing instance is 404 {}", "method": "DELETE", "path": "/person/99"},
        {"name": "HEAD is GET without a body", "method": "HEAD", "path": "/person/1"},
        {"name": "OPTIONS lists the methods", "method": "OPTIONS", "path": "/person", "real": False},
        {"name": "a method not routed is 405 with Allow", "method": "POST", "path": "/person/1", "body": {}, "real": False},
        {
            "name": "eval with dates: Flask's HTTP date format",
            "method": "GET",
            "path": "/eval/person?q=" + q({"functions": [{"name": "max", "field": "birth_date"}, {"name": "min", "field": "age"}]}),
        },
    ],
}

WROTE = "0.17 wrote on several requests above (PATCH of a relation URL renamed person 1, PATCH many with a relation key unlinked every computer, wrong types were stored)"
NOTHING = {"name": "state: unchanged after the refused requests", "method": "GET", "path": "/person", "note": WROTE}
NOTHING_C = {"name": "state: computers unchanged", "method": "GET", "path": "/computer", "note": WROTE}


def bad(name, method, path, body=None, raw=None, headers=None, note=None, prefix=None):
    d = {"name": name, "method": method, "path": path}
    if body is not None:
        d["body"] = body
    if raw is not None:
        d["raw"] = raw
    if headers is not None:
        d["headers"] = headers
    if note:
        d["note"] = note
    if prefix:
        d["prefix"] = prefix
    return d


CRASH = "0.17 crashes with 500 here; relgate answers 400 naming the problem"
SPECS["bad_input"] = {
    "description": 'Bad input: each refused with 400 {"message": ...} naming the member (405/415/404 where 0.17 uses them) and nothing written -- the state is read back after the refusals.',
    "steps": list(SETUP)
    + [
        bad(
            "q is not JSON",
            "GET",
            "/person?q=%7Bnope",
            prefix="Unable to decode data: q is not valid JSON",
            note="relgate appends the reason",
        ),
        bad(
            "q: unknown operator",
            "GET",
            "/person?q=" + f(flt("age", "older_than", 3)),
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad("q: unknown field (with val)", "GET", "/person?q=" + f(flt("height", "gt", 3)), note=CRASH),
        bad(
            "q: unknown field (unary)",
            "GET",
            "/person?q=" + f(flt("height", "is_null")),
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad(
            "q: wrong value type for the operator",
            "GET",
            "/person?q=" + f(flt("age", "gt", "old")),
            note="0.17 answers 200 with no results (SQLite compares anyway)",
        ),
        bad(
            "q: in needs a list", "GET", "/person?q=" + f(flt("age", "in", 19)), note="0.17: 'Unable to construct query' without the reason"
        ),
        bad(
            "q: like on a number", "GET", "/person?q=" + f(flt("age", "like", "1%")), note="0.17 (SQLite) matches as text; relgate refuses"
        ),
        bad("q: missing val", "GET", "/person?q=" + f(flt("age", "eq")), note="0.17: 'Unable to construct query' without the reason"),
        bad(
            "q: has on a to-many",
            "GET",
            "/person?q=" + f(flt("computers", "has", {"name": "id", "op": "gt", "val": 0})),
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad(
            "q: a relation field without has/any",
            "GET",
            "/computer?q=" + f(flt("owner__name", "eq", "Mary")),
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad(
            "q: unknown order_by field",
            "GET",
            "/person?q=" + q({"order_by": [{"field": "height"}]}),
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad(
            "q: disjunction (removed in 0.17)",
            "GET",
            "/person?q=" + q({"disjunction": True, "filters": []}),
            note="0.17 silently ignores it (filters stay AND-ed); relgate refuses",
        ),
        bad(
            "q: group_by", "GET", "/person?q=" + q({"group_by": [{"field": "age"}]}), note="0.17 groups but counts wrongly; relgate refuses"
        ),
        bad("page=abc", "GET", "/person?page=abc", note=CRASH),
        bad("page=0", "GET", "/person?page=0", note="0.17 answers page 0 with no objects; relgate refuses"),
        bad("unknown relation in the URL", "GET", "/person/1/friends", note=CRASH),
        bad("q on a relation URL", "GET", "/person/1/computers?q=%7B%7D", note="0.17 ignores q there; relgate refuses"),
        bad(
            "POST: unknown field",
            "POST",
            "/person",
            {"name": "X", "nickname": "x"},
            note='0.17 py3: {"validation_errors": "Could not determine specific validation errors"}',
        ),
        bad(
            "POST: wrong attribute type",
            "POST",
            "/person",
            {"name": "X", "age": "old"},
            note="0.17 (SQLite) stores the string; relgate refuses",
        ),
        bad("POST: unparsable date", "POST", "/person", {"name": "X", "birth_date": "soon"}, note=CRASH),
        bad("POST: nested object of the wrong type (a number)", "POST", "/person", {"name": "X", "computers": [7]}, note=CRASH),
        bad(
            "POST: nested object with another type's field",
            "POST",
            "/person",
            {"name": "X", "computers": [{"title": "On search"}]},
            note=CRASH,
        ),
        bad("POST: an object for a to-many", "POST", "/person", {"name": "X", "computers": {"name": "c"}}, note=CRASH),
        bad("POST: a list for a to-one", "POST", "/computer", {"name": "X", "owner": [{"id": 1}]}, note=CRASH),
        bad(
            "POST: unique value taken (nested)",
            "POST",
            "/person",
            {"name": "X", "computers": [{"name": "Inspiron"}]},
            note='0.17: {"message": "IntegrityError"} without the field',
        ),
        bad(
            "POST: unique value taken (top level)",
            "POST",
            "/person",
            {"name": "Mary"},
            note='0.17: {"message": "IntegrityError"} without the field',
        ),
        bad(
            "POST: existing client id",
            "POST",
            "/person",
            {"id": 1, "name": "Again"},
            note='0.17: {"message": "IntegrityError"} without the field',
        ),
        bad("POST: body not an object", "POST", "/person", [1, 2], note=CRASH),
        bad(
            "POST: no Content-Type",
            "POST",
            "/person",
            raw='{"name": "X"}',
            headers={},
            note="0.17 crashes (None.startswith); its own test expects this 415",
        ),
        bad("POST: not JSON Content-Type", "POST", "/person", raw='{"name": "X"}', headers={"Content-Type": "text/plain"}),
        bad(
            "POST: empty body",
            "POST",
            "/person",
            raw="",
            headers={"Content-Type": "application/json"},
            prefix="Unable to decode data",
            note="relgate appends the reason",
        ),
        bad("PATCH: unknown field", "PATCH", "/person/1", {"nickname": "x"}),
        bad("PATCH: wrong attribute type", "PATCH", "/person/1", {"age": "old"}, note="0.17 (SQLite) stores the string; relgate refuses"),
        bad(
            "PATCH: add on a to-one",
            "PATCH",
            "/computer/1",
            {"owner": {"add": [{"id": 2}]}},
            note="0.17 falls back to setting the to-one; relgate refuses add/remove on a to-one",
        ),
        bad("PATCH: remove on a to-one", "PATCH", "/computer/1", {"owner": {"remove": [{"id": 1}]}}, note=CRASH),
        bad("PATCH: remove of an object that is not related", "PATCH", "/person/1", {"computers": {"remove": [{"id": 3}]}}, note=CRASH),
        bad("PATCH: remove of an id that does not exist", "PATCH", "/person/1", {"computers": {"remove": [{"id": 99}]}}, note=CRASH),
        bad("PATCH: remove by fields matching nothing", "PATCH", "/person/1", {"computers": {"remove": [{"name": "Nothing"}]}}, note=CRASH),
        bad(
            "PATCH: remove by fields matching several rows",
            "PATCH",
            "/person/3",
            {"computers": {"remove": [{"purchase_time": None}]}},
            note="0.17 takes the first match (then 500: not related); relgate refuses the ambiguity",
        ),
        bad(
            "PATCH: a later remove fails: the whole PATCH is refused",
            "PATCH",
            "/person/1",
            {"name": "Renamed", "computers": {"add": [{"name": "New one"}], "remove": [{"id": 1}, {"id": 3, "__delete__": True}]}},
            note=CRASH,
        ),
        bad("PATCH: an object without add/remove for a to-many", "PATCH", "/person/1", {"computers": {"id": 3}}, note=CRASH),
        bad("PATCH: nested object of the wrong type", "PATCH", "/person/1", {"computers": ["Inspiron"]}, note=CRASH),
        bad("PATCH: nested object with an unknown field", "PATCH", "/person/1", {"computers": [{"id": 1, "colour": "red"}]}, note=CRASH),
        bad(
            "PATCH: a relation URL",
            "PATCH",
            "/person/1/computers",
            {"name": "ViaRelUrl"},
            note="0.17 applies it to person 1 itself; relgate refuses",
        ),
        bad(
            "PATCH many: q in the query string",
            "PATCH",
            "/person?q=" + q({"filters": []}),
            {"age": 1},
            note="0.17 ignores it and updates every row; relgate refuses",
        ),
        bad(
            "PATCH many: relation key",
            "PATCH",
            "/person",
            {"computers": [], "q": {}},
            note="0.17 applies it to every row and reports 0; relgate refuses",
        ),
        bad(
            "PATCH many: bad q",
            "PATCH",
            "/person",
            {"age": 1, "q": {"filters": [flt("height", "gt", 1)]}},
            note="0.17: 'Unable to construct query' without the reason",
        ),
        bad(
            "PATCH many: unique value on several rows",
            "PATCH",
            "/person",
            {"name": "Same", "q": {}},
            note='0.17: {"message": "IntegrityError"} without the reason',
        ),
        bad("DELETE many: bad q", "DELETE", "/person?q=%7Bnope", prefix="Unable to decode search query", note="relgate's reason is in detail"),
        bad("DELETE a member that is not related", "DELETE", "/person/1/computers/3", note=CRASH),
        bad("DELETE a member of a to-one relation", "DELETE", "/computer/1/owner/1", note=CRASH),
        bad("eval without q", "GET", "/eval/person"),
        bad(
            "eval: unknown function",
            "GET",
            "/eval/person?q=" + q({"functions": [{"name": "median", "field": "age"}]}),
            note="0.17 passes any name to SQL (message 'No such function \"nction: median\"'); relgate evaluates sum, avg, min, max, count",
        ),
        bad(
            "eval: unknown field",
            "GET",
            "/eval/person?q=" + q({"functions": [{"name": "sum", "field": "height"}]}),
            note="relgate appends where",
        ),
        bad(
            "eval: sum of text",
            "GET",
            "/eval/person?q=" + q({"functions": [{"name": "sum", "field": "name"}]}),
            note="0.17 (SQLite) sums text as 0.0; relgate refuses",
        ),
        NOTHING,
        NOTHING_C,
    ],
}

SPECS["nested"] = {
    "description": "Nested bodies become one canonical batch: new objects are created first (lids n0, n1, ...) and linked by lid; objects with an id are get_or_create'd (updated, or created with that id); deeper nesting recurses; a failure anywhere writes nothing.",
    "steps": list(SETUP)
    + [
        {
            "name": "two levels: a computer whose new owner brings existing and new computers",
            "method": "POST",
            "path": "/computer",
            "body": {"name": "Nested", "vendor": "X", "owner": {"name": "Nora", "age": 33, "computers": [{"id": 4}, {"name": "Nested 2"}]}},
            "ops": True,
        },
        {"name": "Nora now owns Orphan and Nested 2; the new computer points at her", "method": "GET", "path": "/person/4"},
        {
            "name": "an existing nested object gets the body's fields; its own relation list replaces",
            "method": "PATCH",
            "path": "/person/1",
            "body": {
                "computers": [{"id": 1, "vendor": "Dell Inc."}, {"id": 2}],
                "articles": [{"id": 1, "title": "On search, revised", "author": {"id": 1}}],
            },
            "ops": True,
        },
        {
            "name": "an id that does not exist is created with that id (0.17 get_or_create)",
            "method": "PATCH",
            "path": "/person/3",
            "body": {"computers": {"add": [{"id": 50, "name": "Fifty"}]}},
            "ops": True,
        },
        {"name": "computer 50", "method": "GET", "path": "/computer/50"},
        {
            "name": "a failing nested create writes nothing: unique name in the second object",
            "method": "POST",
            "path": "/person",
            "body": {"name": "Rollback", "computers": [{"name": "Fresh"}, {"name": "Inspiron"}]},
            "note": '0.17: {"message": "IntegrityError"} without the field',
        },
        {
            "name": "... no Rollback person",
            "method": "GET",
            "path": "/person?q=" + q({"filters": [{"name": "name", "op": "eq", "val": "Rollback"}]}),
        },
        {
            "name": "... no Fresh computer",
            "method": "GET",
            "path": "/computer?q=" + q({"filters": [{"name": "name", "op": "eq", "val": "Fresh"}]}),
        },
        {
            "name": "a failing remove undoes the add before it",
            "method": "PATCH",
            "path": "/person/3",
            "body": {"age": 99, "computers": {"add": [{"name": "Temp"}], "remove": [{"id": 1}]}},
            "note": "0.17 crashes with 500 (remove of a non-member) after adding Temp; relgate answers 400 and writes nothing",
        },
        {"name": "... Lucy unchanged, no Temp", "method": "GET", "path": "/person/3"},
        {"name": "a client id in POST", "method": "POST", "path": "/person", "body": {"id": 77, "name": "Seventy-seven"}, "ops": True},
        {
            "name": "PUT replacing the to-many with a new object and another person's computer",
            "method": "PUT",
            "path": "/person/77",
            "body": {"computers": [{"name": "Moved", "vendor": "Y"}, {"id": 3}]},
            "ops": True,
        },
        {"name": "Mary lost ThinkPad to 77", "method": "GET", "path": "/person/2"},
    ],
}
