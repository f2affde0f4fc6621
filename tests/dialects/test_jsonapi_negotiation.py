"""Content negotiation rules (JSON:API 1.1 §content-negotiation; 1.0 for the strict mode)."""

from __future__ import annotations

import pytest

from relgate.dialects.jsonapi.negotiation import check_accept, check_content_type, content_type, parse_media_type, split_header_list
from relgate.dialects.jsonapi.profile import ATOMIC_EXT
from relgate.model import HttpRequest, ProblemError

J = "application/vnd.api+json"
ATOMIC = frozenset({ATOMIC_EXT})
NONE: frozenset[str] = frozenset()


def req(**headers: str) -> HttpRequest:
    return HttpRequest("POST", "/x", headers={k.replace("_", "-"): v for k, v in headers.items()}, body=b"{}")


def test_parse_media_type() -> None:
    m = parse_media_type('Application/VND.API+JSON ; EXT="https://a.test/x https://b.test/y";profile=https://p.test')
    assert m is not None
    assert m.essence == J
    assert m.uris("ext") == frozenset({"https://a.test/x", "https://b.test/y"})
    assert m.param("profile") == "https://p.test"
    assert parse_media_type("not a media type") is None
    assert parse_media_type(f"{J}; ext") is None
    assert parse_media_type(f'{J};ext="a\\"b"').param("ext") == 'a"b'  # type: ignore[union-attr]
    # RFC 9110 §5.6.6: parameters = *( OWS ";" OWS [ parameter ] ) -- an empty parameter is no parameter.
    assert parse_media_type(f"{J};") == parse_media_type(J)
    assert parse_media_type(f'{J} ; ;ext="https://a.test/x"; ').uris("ext") == frozenset({"https://a.test/x"})  # type: ignore[union-attr]


def test_split_header_list_keeps_commas_inside_quotes() -> None:
    assert split_header_list('a/b;x="1,2", c/d , ,e/f') == ['a/b;x="1,2"', "c/d", "e/f"]


@pytest.mark.parametrize(
    ("value", "mode", "supported", "required", "ext"),
    [
        (J, "ext-profile", NONE, NONE, NONE),
        (f'{J}; profile="https://example.com/unknown-profile"', "ext-profile", NONE, NONE, NONE),
        (f'{J};ext="{ATOMIC_EXT}"', "ext-profile", ATOMIC, ATOMIC, ATOMIC),
        (f'{J}; ext="{ATOMIC_EXT}"', "ext-profile", ATOMIC, ATOMIC, ATOMIC),
        (f"{J}; charset=utf-8", "any", NONE, NONE, NONE),
        (f"{J};", "ext-profile", NONE, NONE, NONE),
    ],
)
def test_content_type_accepted(value: str, mode: str, supported: frozenset[str], required: frozenset[str], ext: frozenset[str]) -> None:
    assert check_content_type(req(content_type=value), mode, supported, required) == ext


@pytest.mark.parametrize(
    ("headers", "mode", "supported", "required", "fragment"),
    [
        ({}, "ext-profile", NONE, NONE, "needs 'Content-Type"),
        ({"content_type": "application/json"}, "ext-profile", NONE, NONE, "is not supported"),
        ({"content_type": f"{J}; charset=utf-8"}, "ext-profile", NONE, NONE, "only the 'ext' and 'profile'"),
        ({"content_type": f'{J};ext="https://example.com/bulk"'}, "ext-profile", NONE, NONE, "not supported"),
        ({"content_type": f'{J};ext="{ATOMIC_EXT}"'}, "ext-profile", NONE, NONE, "not supported at this endpoint"),
        ({"content_type": J}, "ext-profile", ATOMIC, ATOMIC, "requires the extension"),
        ({"content_type": f'{J};ext="{ATOMIC_EXT} https://example.com/bulk"'}, "ext-profile", ATOMIC, ATOMIC, "bulk"),
        ({"content_type": f'{J};profile="https://p.test"'}, "none", NONE, NONE, "without parameters"),
        ({"content_type": f'{J};ext="https://example.com/bulk"'}, "any", NONE, NONE, "not supported"),
    ],
)
def test_content_type_415(headers: dict[str, str], mode: str, supported: frozenset[str], required: frozenset[str], fragment: str) -> None:
    with pytest.raises(ProblemError) as exc:
        check_content_type(req(**headers), mode, supported, required)
    (p,) = exc.value.problems
    assert (p.status, p.code, p.header) == (415, "unsupported-media-type", "Content-Type")
    assert fragment in p.detail


@pytest.mark.parametrize(
    ("accept", "mode", "supported"),
    [
        ("", "ext-profile", NONE),
        ("*/*", "ext-profile", NONE),
        ("application/*", "ext-profile", NONE),
        (J, "ext-profile", NONE),
        (f"{J}; charset=utf-8, {J}", "ext-profile", NONE),  # the parameterised instance is ignored
        (f'{J}; profile="https://p.test"', "ext-profile", NONE),
        (f'{J};ext="https://example.com/bulk", {J}', "ext-profile", NONE),  # not every instance asks for it
        (f'{J};ext="{ATOMIC_EXT}"', "ext-profile", ATOMIC),
        (f"text/html, {J};q=0.5", "ext-profile", NONE),
        (f"{J}; charset=utf-8", "any", NONE),
    ],
)
def test_accept_ok(accept: str, mode: str, supported: frozenset[str]) -> None:
    check_accept(req(accept=accept), mode, supported)


@pytest.mark.parametrize(
    ("accept", "mode", "supported"),
    [
        (f"{J}; charset=utf-8", "ext-profile", NONE),
        (f"{J}; charset=utf-8, */*", "ext-profile", NONE),  # 1.1: every JSON:API instance modified -> 406
        (f'{J};ext="https://example.com/bulk"', "ext-profile", NONE),
        (f'{J};ext="{ATOMIC_EXT}"', "ext-profile", NONE),  # atomic is only supported at /operations
        (f'{J};ext="https://example.com/bulk", {J};ext="{ATOMIC_EXT} https://example.com/x"', "ext-profile", ATOMIC),
        ("text/html", "ext-profile", NONE),
        ("application/json", "ext-profile", NONE),
        (f"{J};q=0, */*", "ext-profile", NONE),
        (f'{J};profile="https://p.test"', "none", NONE),  # 1.0: any parameter
    ],
)
def test_accept_406(accept: str, mode: str, supported: frozenset[str]) -> None:
    with pytest.raises(ProblemError) as exc:
        check_accept(req(accept=accept), mode, supported)
    (p,) = exc.value.problems
    assert (p.status, p.code, p.header) == (406, "not-acceptable", "Accept")


def test_response_content_type() -> None:
    assert content_type(NONE) == J
    assert content_type(ATOMIC) == f'{J};ext="{ATOMIC_EXT}"'
