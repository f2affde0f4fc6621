"""The .http text form: requests, variables, comments, canned answers, and what is not one."""

from __future__ import annotations

import pytest

from relgate.model import HttpResponse, Ident, LinkageResult, One, Outcome, ProblemError
from relgate.translate.httpfile import HttpFileError, parse, parse_answers

TWO = """\
# a comment
// another
@host = http://localhost:8080
@type = application/vnd.api+json

### first
POST {{host}}/jsonapi/people HTTP/1.1
Content-Type: {{type}}
# a comment among the headers
Accept: {{type}}

{"data": {"type": "people",
          "attributes": {"name": "Ann"}}}


###
https://example.test/jsonapi/people?page[size]=2
"""


def test_requests_with_variables_comments_and_bodies() -> None:
    http = parse(TWO)
    first, second = http.requests
    assert (first.method, first.url, first.title, first.line) == ("POST", "http://localhost:8080/jsonapi/people", "first", 7)
    assert first.headers == [("Content-Type", "application/vnd.api+json"), ("Accept", "application/vnd.api+json")]
    assert first.body == b'{"data": {"type": "people",\n          "attributes": {"name": "Ann"}}}'  # trailing blank lines dropped
    assert (second.method, second.url, second.headers, second.body) == ("GET", "https://example.test/jsonapi/people?page[size]=2", [], b"")


def test_answers_belong_to_the_request_before_them_and_before_any_to_all() -> None:
    text = """\
### answer GET /people/1/relationships/computers
{"@": "LinkageResult", "linkage": ["computers/1"]}

###
POST /jsonapi/people/1/relationships/computers
Content-Type: application/vnd.api+json

{"data": []}

### answer PATCH /person/1
{"@": "Problem", "status": 409, "code": "conflict", "title": "Conflict"}

### answer GET /person/1
HTTP/1.1 200 OK
Content-Type: application/vnd.api+json

{"data": {"type": "person", "id": "1"}}

### answer POST /person
{"@": "Outcome", "results": [{"@": "One", "item": null}]}
"""
    http = parse(text, "f.http")
    assert [a.target for a in http.answers] == ["/people/1/relationships/computers"]
    assert http.answers[0].answer == LinkageResult((Ident("computers", "1"),))
    (request,) = http.requests
    conflict, raw, outcome = request.answers
    assert isinstance(conflict.answer, ProblemError) and conflict.answer.status == 409 and conflict.where == "f.http:10"
    assert raw.answer == HttpResponse(200, (("content-type", "application/vnd.api+json"),), b'{"data": {"type": "person", "id": "1"}}')
    assert outcome.answer == Outcome((One(None),))


def test_an_answers_file_holds_only_answers() -> None:
    answers = parse_answers('@id = 1\n### answer GET /person/{{id}}\n{"@": "One", "item": null}\n', "a.txt")
    assert [(a.method, a.target, a.answer) for a in answers] == [("GET", "/person/1", One(None))]
    with pytest.raises(HttpFileError, match="line 1: an answers file holds only"):
        parse_answers("GET /jsonapi/people\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: no request found"),
        ("# only a comment\n", "no request found"),
        ("POST /x\nContent-Type application/json\n\n{}", "line 2: not a header line"),
        ("post /x\n", "line 1: not a request line"),
        ("GET /x/{{nope}}\n", "line 1: unknown variable {{nope}}"),
        ("GET /x\n### answer GET\n{}", "line 2: an answer block is titled 'answer METHOD PATH'"),
        ("GET /x\n### answer GET /x\n", "line 2: the answer block is empty"),
        ("GET /x\n### answer GET /x\n{\n  nope\n}", "line 4: the answer is neither JSON notation nor an HTTP answer"),
        ('GET /x\n### answer GET /x\n{"@": "Delete", "ref": "people/1"}', "line 3: the answer is not canonical notation: $: a Delete"),
    ],
)
def test_what_is_not_a_request_is_named_by_line(text: str, message: str) -> None:
    with pytest.raises(HttpFileError) as caught:
        parse(text)
    assert message in str(caught.value)
