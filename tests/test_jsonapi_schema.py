"""The schema hook the test clients use really rejects invalid JSON:API documents."""

from __future__ import annotations

import httpx
import pytest

from tests.jsonapi_schema import check_jsonapi_response

JSONAPI = {"content-type": "application/vnd.api+json"}


def response(path: str, body: bytes, headers: dict[str, str] = JSONAPI) -> httpx.Response:
    return httpx.Response(200, headers=headers, content=body, request=httpx.Request("GET", f"http://t{path}"))


def test_valid_document_passes() -> None:
    check_jsonapi_response(response("/jsonapi/people/1", b'{"data": {"type": "people", "id": "1", "attributes": {"name": "A"}}}'))


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"type": "people", "id": 1}}',  # ids are strings
        b'{"data": null, "errors": [{"status": "404"}]}',  # data and errors never together
        b'{"included": []}',  # included needs data
        b'{"errors": [{"status": 404}]}',  # status is a string
    ],
)
def test_invalid_documents_fail(body: bytes) -> None:
    with pytest.raises(AssertionError):
        check_jsonapi_response(response("/jsonapi/people/1", body))


def test_other_front_doors_and_media_types_are_left_alone() -> None:
    check_jsonapi_response(response("/strapi/api/people", b'{"data": {"id": 1}}'))
    check_jsonapi_response(response("/jsonapi/people", b"not json", {"content-type": "text/plain"}))


@pytest.mark.parametrize(
    "body",
    [
        b'{"errors": [{"id": null, "links": null, "status": "400", "code": null, "detail": "x", "source": null, "meta": null}]}',
        b'{"errors": [{"status": 400}]}',
        b'{"data": {"type": "person", "id": 1}, "jsonapi": {"version": "1.0"}}',
    ],
)
def test_restless_documents_are_held_to_json_api_1_0(body: bytes) -> None:
    """NG's all-members-null error objects are not JSON:API: the hook refuses them on /restless/api."""
    with pytest.raises(AssertionError):
        check_jsonapi_response(response("/restless/api/person/1", body))


def test_a_valid_restless_document_passes() -> None:
    body = b'{"errors": [{"status": "404", "detail": "x"}], "jsonapi": {"version": "1.0"}}'
    check_jsonapi_response(response("/restless/api/person/1", body))
