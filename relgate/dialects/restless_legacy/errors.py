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
    """0.17's ``Unable to decode data`` (malformed JSON body or ``q``), with the reason."""
    return ProblemError(
        Problem(400, "malformed-json", "Bad Request", f"Unable to decode {what}: {detail}", parameter=parameter, meta=_SAID)
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


class ErrorRenderer:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        names = {t: f.name for t, f in catalog.by_type.items() if f.name != t}
        self._names = names
        self._quoted = re.compile("'(" + "|".join(re.escape(t) for t in sorted(names, key=len, reverse=True)) + ")'") if names else None

    def status_and_body(self, error: ProblemError) -> tuple[int, dict[str, Any]]:
        problems = error.problems
        if len(problems) == 1 and self._is_missing_instance(problems[0]):
            return 404, {}
        statuses = {self._status(p) for p in problems}
        status = statuses.pop() if len(statuses) == 1 else (500 if any(s >= 500 for s in statuses) else 400)
        body: dict[str, Any] = {"message": "; ".join(self.message(p) for p in problems)}
        for p in problems:
            if p.meta and "validation_errors" in p.meta:
                body.setdefault("validation_errors", {}).update(p.meta["validation_errors"])
        return status, body

    def _is_missing_instance(self, p: Problem) -> bool:
        return p.status == 404 and not p.at and not (p.meta and p.meta.get(ROUTE))

    def _status(self, p: Problem) -> int:
        if p.status == 409 or (p.status == 404 and p.at):
            return 400
        return p.status

    def message(self, p: Problem) -> str:
        if p.meta and p.meta.get(SAID):
            return p.detail
        text = self.translate(p.detail or p.title)
        if p.status == 409:
            text = f"IntegrityError: {text}"
        where = field_path((*(p.at or ()), p.member) if p.member else p.at)
        if where:
            text = f"{text} (at {where})"
        return text

    def translate(self, text: str) -> str:
        """Canonical type names quoted in a store message -> collection names."""
        if self._quoted is None:
            return text
        return self._quoted.sub(lambda m: f"'{self._names[m.group(1)]}'", text)
