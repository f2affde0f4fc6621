"""Database errors as relgate's own problems: the driver's text goes to the log, never to the caller.

A batch is one transaction, so a failure the database reports (a lost lock race, a constraint
the store's checks did not foresee, a busy SQLite file) leaves nothing behind; what remains is
answering it with the right status: 409 for a constraint, 400 for a request the database
cannot evaluate, 503 with ``Retry-After`` for contention that a later attempt will get past.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from relgate.model import Op, Problem, ProblemError
from relgate.schema import Schema
from relgate.store.tables import Tables

log = logging.getLogger("relgate.store")

RETRY_AFTER = "1"
"""Seconds a caller is asked to wait after a 503 for contention."""

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure: the whole batch may be retried."""

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_PG_KEY = re.compile(r"Key \(([^)]*)\)=")


def sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_transient(exc: sa.exc.DBAPIError) -> bool:
    """A deadlock or serialization failure on PostgreSQL: retrying the batch may succeed."""
    return sqlstate(exc) in TRANSIENT_SQLSTATES


def unique_columns(exc: sa.exc.DBAPIError) -> tuple[str | None, list[str]]:
    """(table, columns) of the unique constraint a unique violation names, as far as the driver says."""
    text = str(exc.orig)
    m = _SQLITE_UNIQUE.search(text)
    if m:
        pairs = [p.strip().split(".", 1) for p in m.group(1).split(",")]
        return pairs[0][0], [p[-1] for p in pairs]
    cause = exc.orig.__cause__ if exc.orig is not None else None
    table = getattr(cause, "table_name", None)
    detail = getattr(exc.orig, "detail", None) or getattr(cause, "detail", None) or ""
    m = _PG_KEY.search(detail)
    return table, [c.strip().strip('"') for c in m.group(1).split(",")] if m else []


def is_unique_violation(exc: sa.exc.DBAPIError) -> bool:
    return sqlstate(exc) == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def lagging_sequence(exc: sa.exc.DBAPIError, schema: Schema) -> str | None:
    """The integer-id type whose PostgreSQL id sequence handed out an id already taken, if that is the error."""
    if sqlstate(exc) != "23505":
        return None
    table, columns = unique_columns(exc)
    if columns == ["id"] and table in schema.types and schema[table].id_style == "integer":
        return table
    return None


def problem_for(exc: sa.exc.DBAPIError, tables: Tables, op: Op | None) -> ProblemError | None:
    """relgate's answer to a database error, or None when it is not one relgate can explain (a 500)."""
    at = (getattr(op, "at", None) or None) if op is not None else None
    text = str(exc.orig)
    if isinstance(exc, sa.exc.IntegrityError):
        log.warning("store constraint violated: %s", text)
        if is_unique_violation(exc):
            table, columns = unique_columns(exc)
            rtype = table if table in tables.by_type else None
            attrs = [c for c in columns if c != "id"] if rtype else []
            if rtype and len(attrs) == 1:
                return ProblemError(
                    Problem(
                        409, "conflict", "Value already taken", f"Another '{rtype}' already has this {attrs[0]}.", at=at, member=attrs[0]
                    )
                )
            if rtype and columns == ["id"]:
                return ProblemError(Problem(409, "conflict", "Resource already exists", f"A '{rtype}' with this id already exists.", at=at))
        return ProblemError(
            Problem(
                409,
                "conflict",
                "Conflict",
                "The change conflicts with the store's current state (a related resource changed meanwhile); retry it.",
                at=at,
            )
        )
    if is_transient(exc):
        log.warning("store contention, giving up after retries: %s", text)
        return busy()
    if "database is locked" in text or "database table is locked" in text:
        log.warning("store busy: %s", text)
        return busy()
    if any(m in text for m in ("number of query arguments", "too many SQL variables")):
        # a statement's bound values are limited (asyncpg: 32,767), e.g. a search OR-ing 40,000 comparisons
        return ProblemError(
            Problem(400, "invalid", "Request too large", "The request needs more values in one query than the store takes.")
        )
    if "Expression tree is too large" in text or sqlstate(exc) == "54001":
        # SQLite's expression depth limit (1,000), PostgreSQL's stack depth: a filter nested or chained too far
        log.info("store refused a too complex expression: %s", text)
        return ProblemError(
            Problem(400, "invalid", "Filter too complex", "The filter has more terms than the store evaluates in one query.")
        )
    return None


def busy() -> ProblemError:
    return ProblemError(
        Problem(503, "unavailable", "Store busy", "The store is busy with other writes; retry the request shortly."),
        headers={"Retry-After": RETRY_AFTER},
    )
