"""Reading every resource a filter matches, page by page, up to the backend's ``max_emulated_rows``.

Shared by the emulations that need the whole matching set (bulk updates and deletes, aggregates).
The filter goes to the backend in its own filter language — the client half writes it, or refuses
(400 naming what it cannot say) before the first request, so nothing is written when a filter
cannot be expressed.  Past ``max_emulated_rows`` the caller gets a 400 naming the limit, before
any write: relgate does not page a whole large collection through itself.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from relgate.model import Filter, List, Page, Path, Problem, ProblemError, Query, Resource, ResourceList, Result
from relgate.planner.context import Context
from relgate.planner.steps import PlanStep

PAGE = 100
"""Resources asked for per backend request (client halves cut it to the backend's own maximum)."""


def matching(
    type_name: str,
    where: Filter | None,
    context: Context,
    *,
    what: str,
    at: Path = (),
    fields: Mapping[str, frozenset[str]] | None = None,
    purpose: str = "list what the filter matches",
) -> Generator[PlanStep, Result, list[Resource]]:
    """Every resource of ``type_name`` matching ``where`` (each once, in the backend's order).

    ``what`` completes "the backend cannot …" in the problem for too many rows.  Pages go on until
    the backend's total is reached, or (a backend that does not count) an empty page.
    """
    limit = context.backend.max_emulated_rows
    rows: dict[str, Resource] = {}
    offset = 0
    while True:
        query = Query(where=where, page=Page(offset, PAGE), fields=dict(fields or {}), count=True)
        page = yield PlanStep(List(type_name, query, at=at), -1, purpose, write=False)
        assert isinstance(page, ResourceList), "a List step answers a ResourceList"
        if page.total is not None and page.total > limit:
            raise too_many(context, what, page.total, at)
        for r in page.items:
            rows.setdefault(r.id, r)
        if len(rows) > limit:
            raise too_many(context, what, None, at)
        offset += len(page.items)
        if not page.items or (page.total is not None and offset >= page.total):
            return list(rows.values())


def too_many(context: Context, what: str, found: int | None, at: Path) -> ProblemError:
    limit = context.backend.max_emulated_rows
    count = f"{found} match" if found is not None else f"more than {limit} match"
    detail = (
        f"The backend '{context.name}' cannot {what} itself, and relgate emulates it over at most "
        f"{limit} resources (max_emulated_rows of backend '{context.name}'); {count}."
    )
    meta = {"backend": context.name, "max_emulated_rows": limit, **({"matched": found} if found is not None else {})}
    return ProblemError(Problem(400, "unsupported", "Too many resources to emulate", detail, at=at or None, meta=meta))
