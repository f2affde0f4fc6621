"""Content negotiation (JSON:API 1.1 §content-negotiation, 1.0 for strict profiles).

Request ``Content-Type`` -> 415 (required when the request has a body; without one only a JSON:API
media type is checked); ``Accept`` -> 406.
Extensions are negotiated per endpoint: the operations endpoint supports the Atomic extension
and requires it; every other endpoint supports none.  Unknown ``profile`` URIs are ignored, as
the specification requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relgate.dialects.jsonapi.errors import not_acceptable, unsupported_media_type
from relgate.model import HttpRequest

JSONAPI_MEDIA_TYPE = "application/vnd.api+json"
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*;\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*')
_TYPE = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*")
_EMPTY_PARAM = re.compile(r"\s*;\s*(?=;|$)")


@dataclass(frozen=True, slots=True)
class MediaType:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()
    """Parameter names lower-cased, values unquoted, in the order given."""

    @property
    def essence(self) -> str:
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        for k, v in self.params:
            if k == name:
                return v
        return None

    def uris(self, name: str) -> frozenset[str]:
        """The space-separated URI list of ``ext`` or ``profile``."""
        value = self.param(name)
        return frozenset(value.split()) if value else frozenset()


def parse_media_type(text: str) -> MediaType | None:
    """One media type (``type/subtype *(OWS ";" OWS [parameter])``, RFC 9110 §5.6.6), or None when malformed."""
    m = _TYPE.match(text)
    if m is None:
        return None
    params: list[tuple[str, str]] = []
    pos = m.end()
    while pos < len(text):
        empty = _EMPTY_PARAM.match(text, pos)
        if empty is not None:
            pos = empty.end()
            continue
        p = _PARAM.match(text, pos)
        if p is None:
            return None
        value = p.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.append((p.group(1).lower(), value))
        pos = p.end()
    return MediaType(m.group(1).lower(), m.group(2).lower(), tuple(params))


def split_header_list(text: str) -> list[str]:
    """Split a comma-separated header value, keeping commas inside quoted strings."""
    items: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    items.append("".join(buf))
    return [i.strip() for i in items if i.strip()]


def _allowed_params(media: MediaType, mode: str) -> bool:
    """Whether a JSON:API media type's parameters are acceptable under ``mode``."""
    if mode == "none":
        return not media.params
    if mode == "any":
        return True
    return all(k in ("ext", "profile") for k, _ in media.params)


def check_content_type(request: HttpRequest, mode: str, supported_ext: frozenset[str], required_ext: frozenset[str]) -> frozenset[str]:
    """Check the request's Content-Type; returns the extensions it applies.  Raises 415."""
    raw = request.header("content-type")
    expected = content_type(required_ext)
    if raw is None or not raw.strip():
        raise unsupported_media_type(f"A request with a body needs 'Content-Type: {expected}'.")
    media = parse_media_type(raw)
    if media is None or media.essence != JSONAPI_MEDIA_TYPE:
        raise unsupported_media_type(f"Content-Type '{raw}' is not supported; send '{expected}'.")
    if not _allowed_params(media, mode):
        if mode == "none":
            raise unsupported_media_type(f"The JSON:API media type must be sent without parameters, got '{raw}'.")
        extra = ", ".join(k for k, _ in media.params if k not in ("ext", "profile"))
        raise unsupported_media_type(f"The JSON:API media type allows only the 'ext' and 'profile' parameters, got '{extra}'.")
    ext = media.uris("ext")
    unsupported = sorted(ext - supported_ext)
    if unsupported:
        where = "this endpoint" if supported_ext or not required_ext else "this server"
        raise unsupported_media_type(f"Extension {', '.join(repr(u) for u in unsupported)} is not supported at {where}.")
    missing = sorted(required_ext - ext)
    if missing:
        raise unsupported_media_type(f"This endpoint requires the extension {', '.join(repr(u) for u in missing)}: send '{expected}'.")
    return ext


def check_declared_content_type(request: HttpRequest, mode: str, supported_ext: frozenset[str]) -> None:
    """The Content-Type of a request without a document: a JSON:API media type there is checked
    like any other (1.1: a request that "specifies the header Content-Type: application/vnd.api+json"
    with other parameters or an unsupported ``ext`` is 415, with or without a body); another media
    type, or none, says nothing about JSON:API and is ignored."""
    raw = request.header("content-type")
    media = parse_media_type(raw) if raw else None
    if media is not None and media.essence == JSONAPI_MEDIA_TYPE:
        check_content_type(request, mode, supported_ext, frozenset())


def check_accept(request: HttpRequest, mode: str, supported_ext: frozenset[str]) -> None:
    """Check the request's Accept header against what the endpoint can send.  Raises 406."""
    raw = request.header("accept")
    if raw is None or not raw.strip():
        return
    ranges: list[tuple[MediaType, float]] = []
    for item in split_header_list(raw):
        media = parse_media_type(item)
        if media is None:
            continue
        q = 1.0
        kept = []
        for k, v in media.params:
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 1.0
            else:
                kept.append((k, v))
        ranges.append((MediaType(media.type, media.subtype, tuple(kept)), q))
    jsonapi = [(m, q) for m, q in ranges if m.essence == JSONAPI_MEDIA_TYPE]
    if jsonapi:
        usable = [m for m, q in jsonapi if _allowed_params(m, mode)]
        if not usable:
            raise not_acceptable(
                "Every JSON:API media type in Accept carries parameters this server does not allow"
                + (" (it allows none)." if mode == "none" else " (only 'ext' and 'profile' are allowed).")
            )
        usable = [m for m, q in jsonapi if _allowed_params(m, mode) and q > 0]
        if not usable:
            raise not_acceptable(f"The Accept header '{raw}' refuses '{JSONAPI_MEDIA_TYPE}' (q=0).")
        if all(m.param("ext") is not None and m.uris("ext") - supported_ext for m in usable):
            raise not_acceptable("Every JSON:API media type in Accept asks for an extension this endpoint does not support.")
        return
    if any(m.essence in ("*/*", "application/*") and q > 0 for m, q in ranges):
        return
    raise not_acceptable(f"This server answers with '{JSONAPI_MEDIA_TYPE}', which the Accept header '{raw}' does not allow.")


def content_type(ext: frozenset[str]) -> str:
    """The response Content-Type for the applied extensions."""
    if not ext:
        return JSONAPI_MEDIA_TYPE
    return f'{JSONAPI_MEDIA_TYPE};ext="{" ".join(sorted(ext))}"'
