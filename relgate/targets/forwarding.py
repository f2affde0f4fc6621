"""Which headers cross the gateway, both ways (RFC 9110 §7.6: intermediaries).

Hop-by-hop fields (``Connection`` and every field it names, ``Keep-Alive``, ``TE``,
``Trailer``, ``Transfer-Encoding``, ``Upgrade``, ``Proxy-*``) describe one connection and are
never forwarded; ``Content-Length`` is the sender's to compute for the body it actually sends.
Toward a backend relgate adds ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` and the backend's
configured ``headers``; a translated request carries the caller's credentials (``Authorization``,
``Cookie``) and request id unchanged, but not its other headers (they describe the caller's
dialect, not the backend's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from relgate.targets import Call

HOP_BY_HOP = frozenset({"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection"})
FRAMING = frozenset({"content-length"})
PASSED_ON_TRANSLATION = ("authorization", "cookie", "x-request-id", "accept-language")
"""Caller headers a translated request takes along unchanged."""


def end_to_end(headers: Iterable[tuple[str, str]], *, keep_length: bool = False) -> list[tuple[str, str]]:
    """``headers`` without hop-by-hop fields (nor ``Content-Length`` unless ``keep_length``)."""
    pairs = [(k.lower(), v) for k, v in headers]
    named = {t.strip().lower() for k, v in pairs if k == "connection" for t in v.split(",") if t.strip()}
    drop = HOP_BY_HOP | named | (frozenset() if keep_length else FRAMING)
    return [(k, v) for k, v in pairs if k not in drop and not k.startswith("proxy-")]


def forwarded(call: Call) -> list[tuple[str, str]]:
    """``X-Forwarded-For`` (appended to what a proxy in front already said), ``-Proto``, ``-Host``, ``X-Request-ID``.

    The request id is the one relgate logged the request under, so the backend's lines join ours
    (a caller's id relgate refused as unsafe is not passed on).
    """
    out: list[tuple[str, str]] = [("x-request-id", call.request_id)] if call.request_id else []
    if call.client:
        prior = call.headers.get("x-forwarded-for")
        out.append(("x-forwarded-for", f"{prior}, {call.client}" if prior else call.client))
    out.append(("x-forwarded-proto", call.scheme))
    if call.host:
        out.append(("x-forwarded-host", call.host))
    return out


def translated(codec_headers: Mapping[str, str], call: Call, configured: Mapping[str, str]) -> list[tuple[str, str]]:
    """Headers of a request the client half wrote: its own, the caller's credentials, forwarding, config."""
    out = list(codec_headers.items())
    out += [(name, call.headers[name]) for name in PASSED_ON_TRANSLATION if name in call.headers]
    out += forwarded(call)
    out += [(k.lower(), v) for k, v in configured.items()]
    return _last_wins(out)


def passed_through(caller: Iterable[tuple[str, str]], call: Call, configured: Mapping[str, str]) -> list[tuple[str, str]]:
    """Headers of a request streamed to the backend untouched: the caller's end-to-end ones and ours.

    The caller's ``Content-Length`` stays (the body is forwarded byte for byte); ``Host`` becomes
    the backend's (the HTTP client sets it); repeated caller fields stay repeated.
    """
    ours = forwarded(call) + [(k.lower(), v) for k, v in configured.items()]
    replaced = {"host"} | {k for k, _ in ours}
    return [(k, v) for k, v in end_to_end(caller, keep_length=True) if k not in replaced] + ours


def _last_wins(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One value per name (a configured header overrides the caller's and the codec's)."""
    merged: dict[str, str] = {}
    for k, v in pairs:
        merged[k] = v
    return list(merged.items())
