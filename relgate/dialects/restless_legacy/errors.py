"""Errors the 0.17 way: ``{"message": ...}`` bodies, ``{}`` for a missing instance.

Codec problems carry their whole message in ``detail``.  Problems found by the store are
phrased in canonical terms, so they get the offending member's path appended
(``computers[0].name``) and canonical type names replaced by collection names.

Status mapping (0.17 has no 409 and no "related resource missing" 404):

- 404 for the instance named by the URL (``at`` empty) -> 404 ``{}``, as 0.17 answers;
- 404 for a member of the body (``at`` set) -> 400 with a message (a 404 would read as "the
  URL's instance is missing");
- 409 ``conflict`` (unique value, existing id) -> 400 ``{"message": "IntegrityError: ..."}``
  (0.17 names the exception class);
- everything else keeps its status, with ``{"message": ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from relgate.dialects.restless_legacy.fields import Catalog
from relgate.model import Path, Problem, ProblemError

ROUTE = "restless-legacy-route"
"""``Problem.meta`` key marking a 404 for a URL that names no collection, instance URL or relation."""
SAID = "restless-legacy-said"
"""``Problem.meta`` key marking a codec problem whose detail already names the member."""
_SAID = {SAID: True}
REASON = "restless-legacy-reason"
"""``Problem.meta`` key: relgate's explanation of a problem whose ``message`` is 0.17's fixed text,
answered in the body's second member ``detail``."""


def field_path(at: Path | None) -> str:
    """``("computers", 0, "name")`` -> ``computers[0].name``."""
    out = ""
    for part in at or ():
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def bad(
    message: str, *, at: Path | None = None, parameter: str | None = None, code: str = "invalid", meta: Mapping[str, Any] | None = None
) -> ProblemError:
    return ProblemError(Problem(400, code, "Bad Request", message, at=at, parameter=parameter, meta={**(meta or {}), SAID: True}))


def undecodable(detail: str, *, parameter: str | None = None, what: str = "data") -> ProblemError:
    """0.17's ``{"message": "Unable to decode data"}`` exactly (malformed JSON body or ``q``;
    ``search query`` for a bulk DELETE's ``q``), the reason in a second member ``detail``."""
    return ProblemError(
        Problem(400, "malformed-json", "Bad Request", f"Unable to decode {what}", parameter=parameter, meta={SAID: True, REASON: detail})
    )


def bad_query(detail: str, at: Path = ()) -> ProblemError:
    """0.17's ``Unable to construct query``, naming the offending member of ``q``."""
    where = field_path(("q", *at))
    return ProblemError(
        Problem(400, "invalid", "Bad Request", f"Unable to construct query: {detail} (at {where})", parameter="q", meta=_SAID)
    )


def missing() -> ProblemError:
    """The instance named by the URL does not exist: 404 ``{}``."""
    return ProblemError(Problem(404, "not-found", "Not Found"))


def no_route(detail: str) -> ProblemError:
    return ProblemError(Problem(404, "not-found", "Not Found", detail, meta={ROUTE: True, SAID: True}))


def method_not_allowed(method: str, allowed: Iterable[str]) -> ProblemError:
    allow = ", ".join(sorted(allowed))
    return ProblemError(
        Problem(405, "method-not-allowed", "Method Not Allowed", f"The method {method} is not allowed for the requested URL.", meta=_SAID),
        headers={"Allow": allow},
    )


def unsupported_media_type() -> ProblemError:
    return ProblemError(
        Problem(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            'Request must have "Content-Type: application/json" header',
            header="content-type",
        )
    )


# Store phrases that name a type, and which group holds it (the store speaks canonical names).
_TYPE_PHRASES = (
    re.compile(r"\b(?:of type|Another|More than one|for) '(?P<t>[^'.]+)'"),
    re.compile(r"^'(?P<t>[^'.]+)'(?= has no|\.)"),
    re.compile(r"^(?P<t>\S+)(?= '[^']*' is not related to )"),
    re.compile(r"(?<= related to )(?P<t>\S+)(?= ')"),
)
_LOOKED_UP = re.compile(r"^(?P<t>\S+) '(?P<lid>n\d+)' is not related to ")
"""A remove item named by its fields (no id) reaches the store as a lid of this codec."""


class ErrorRenderer:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._names = {t: f.name for t, f in catalog.by_type.items()}

    def status_and_body(self, error: ProblemError, body: Any = None) -> tuple[int, dict[str, Any]]:
        """Status and 0.17 body; ``body`` is the parsed request body, to quote members by their fields."""
        problems = error.problems
        if len(problems) == 1 and self._is_missing_instance(problems[0]):
            return 404, {}
        statuses = {self._status(p) for p in problems}
        status = statuses.pop() if len(statuses) == 1 else (500 if any(s >= 500 for s in statuses) else 400)
        out: dict[str, Any] = {"message": "; ".join(self.message(p, body) for p in problems)}
        reasons = [p.meta[REASON] for p in problems if p.meta and REASON in p.meta]
        if reasons:
            out["detail"] = "; ".join(reasons)
        for p in problems:
            if p.meta and "validation_errors" in p.meta:
                out.setdefault("validation_errors", {}).update(p.meta["validation_errors"])
        return status, out

    def _is_missing_instance(self, p: Problem) -> bool:
        return p.status == 404 and not p.at and not (p.meta and p.meta.get(ROUTE))

    def _status(self, p: Problem) -> int:
        if p.status == 409 or (p.status == 404 and p.at):
            return 400
        return p.status

    def message(self, p: Problem, body: Any = None) -> str:
        if p.meta and p.meta.get(SAID):
            return p.detail
        text = p.detail or p.title
        looked_up = _LOOKED_UP.match(text)
        if looked_up and p.at:
            item = _member(body, p.at)
            if isinstance(item, dict):
                fields = {k: v for k, v in item.items() if k != "__delete__"}
                rest = text[looked_up.end() :]
                text = f"no {self._name(looked_up['t'])} with {_show(fields)} is related to {rest}"
        ambiguous = p.title == "Upsert is ambiguous" and p.at and "remove" in p.at
        if ambiguous:
            # a remove item named by fields that match several rows (0.17 would take the first)
            item = _member(body, p.at or ())
            fields = {k: v for k, v in item.items() if k != "__delete__"} if isinstance(item, dict) else {}
            text = f"several rows match {_show(fields)}; name the one to remove by its id"
        text = self.translate(text)
        if p.status == 409 and not ambiguous:
            text = f"IntegrityError: {text}"
        where = field_path((*(p.at or ()), p.member) if p.member else p.at)
        if where:
            text = f"{text} (at {where})"
        return text

    def translate(self, text: str) -> str:
        """Canonical type names in the store's phrases -> collection names."""
        for phrase in _TYPE_PHRASES:
            text = phrase.sub(lambda m: m.group(0).replace(m["t"], self._name(m["t"])), text)
        return text

    def _name(self, type_name: str) -> str:
        return self._names.get(type_name, type_name)


def _member(body: Any, at: Path) -> Any:
    for part in at:
        found = (isinstance(part, int) and isinstance(body, list) and 0 <= part < len(body)) or (
            isinstance(part, str) and isinstance(body, dict) and part in body
        )
        if not found:
            return None
        body = body[part]
    return body


def _show(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()
