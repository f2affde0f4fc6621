"""JSON:API Atomic Operations (https://jsonapi.org/ext/atomic) -> one atomic canonical Batch.

``POST /operations`` with ``Content-Type: application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"``
and a document ``{"atomic:operations": [...]}``.  Each operation object has ``op`` (``add``,
``update``, ``remove``), at most one of ``ref`` (``type`` + ``id``|``lid`` [+ ``relationship``])
and ``href`` (a URL of this front door), and ``data``:

=========  ==========================  ===========================================
op         target                      canonical
=========  ==========================  ===========================================
add        none / collection href      Create (``data``: resource object, may define a ``lid``)
add        relationship (to-many)      Add (members not yet present)
update     none / resource             Update (``data``: resource object; to-many = replacement)
update     relationship                SetOne (to-one) / Replace (to-many; policy may 403)
remove     resource                    Delete
remove     relationship (to-many)      Remove (members present; policy may 403)
=========  ==========================  ===========================================

A ``lid`` can be used only after the operation that defines it (else 400 ``unknown-lid``) and
defined once (else 400).  Every problem points into ``/atomic:operations/N/...``.  The result
document has one result per operation (``{"data": resource}`` for resource add/update, ``{}``
otherwise); when no operation has data the answer is 204.  Either every operation takes effect
or none does: the batch is executed in one store transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from relgate.dialects.jsonapi.documents import LidScope
from relgate.dialects.jsonapi.errors import Issues, invalid, too_many
from relgate.model import Delete, Get, Ident, One, Op, Outcome, Path, Problem, ProblemError, Query
from relgate.schema import Relationship, ResourceType

if TYPE_CHECKING:
    from relgate.dialects.jsonapi.server import JsonApiServer

OPERATIONS = "atomic:operations"
RESULTS = "atomic:results"
OP_NAMES = ("add", "update", "remove")


@dataclass(frozen=True, slots=True)
class AtomicPlan:
    """The batch of an atomic request and, per operation, which op's result is its ``data``."""

    ops: tuple[Op, ...]
    results: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Target:
    kind: Literal["none", "collection", "resource", "relationship"]
    type: ResourceType | None = None
    ref: Ident | None = None
    rel: Relationship | None = None


NO_TARGET = Target("none")


class AtomicParser:
    def __init__(self, server: JsonApiServer) -> None:
        self.server = server
        self.reader = server.reader
        self.writes = server.writes
        self.router = server.router

    def parse(self, doc: Mapping[str, Any], root: str, host: str | None = None) -> AtomicPlan:
        """The plan of an atomic request document (``root``/``host`` resolve absolute hrefs)."""
        issues = Issues()
        for member in ("data", "included", RESULTS, "errors"):
            if member in doc:
                issues.add(invalid((member,), f"An Atomic Operations request must not contain '{member}'."))
        if OPERATIONS not in doc:
            issues.add(invalid((), f"An Atomic Operations request needs '{OPERATIONS}'."))
            issues.raise_if_any()
        operations = doc[OPERATIONS]
        if not isinstance(operations, list) or not operations:
            issues.add(invalid((OPERATIONS,), f"'{OPERATIONS}' must be a non-empty array of operation objects."))
            issues.raise_if_any()
        limit = self.server.limits.max_atomic_operations
        if len(operations) > limit:
            # Refused before any operation is read: each costs the store work in one transaction.
            raise ProblemError(too_many(413, (OPERATIONS, limit), "operations", limit, len(operations), "server.max_atomic_operations"))
        lids = LidScope()
        ops: list[Op] = []
        results: list[int | None] = []
        for n, operation in enumerate(operations):
            results.append(self._operation(operation, (OPERATIONS, n), ops, lids, issues, (root, host)))
        issues.raise_if_any()
        return AtomicPlan(tuple(ops), tuple(results))

    # --- one operation -------------------------------------------------------------------------

    def _operation(self, obj: Any, at: Path, ops: list[Op], lids: LidScope, issues: Issues, where: tuple[str, str | None]) -> int | None:
        if not isinstance(obj, Mapping):
            issues.add(invalid(at, "An operation must be an object with 'op'."))
            return None
        name = obj.get("op")
        if name not in OP_NAMES:
            where = (*at, "op") if "op" in obj else at
            issues.add(invalid(where, f"'op' must be one of {', '.join(OP_NAMES)}, got {name!r}.", "Unknown operation"))
            return None
        if "ref" in obj and "href" in obj:
            issues.add(invalid(at, "An operation targets with either 'ref' or 'href', not both."))
            return None
        if "ref" in obj:
            target = self._ref(obj["ref"], (*at, "ref"), lids, issues)
        elif "href" in obj:
            target = self._href(obj["href"], (*at, "href"), issues, where)
        else:
            target = NO_TARGET
        if target is None:
            return None
        data_at = (*at, "data")
        if target.kind == "relationship":
            return self._relationship_op(name, obj, at, target, ops, lids, issues)
        if name == "add":
            if target.kind not in ("none", "collection"):
                issues.add(invalid(at, "'add' creates a resource (no target, or the href of a collection) or adds relationship members."))
                return None
            data = self._data(obj, at, issues)
            if data is None:
                return None
            res = self.reader.resource(data, data_at, issues, rule="create", expected=target.type, lids=lids)
            if res is None:
                return None
            plan = self.writes.create(res)
            first = len(ops)
            ops.extend(plan.ops)
            if len(plan.ops) > 1:
                assert plan.ref is not None
                ops.append(Get(plan.ref, Query()))
                return len(ops) - 1
            return first
        if name == "update":
            if target.kind == "collection":
                issues.add(invalid(at, "'update' targets a resource or a relationship, not a collection."))
                return None
            data = self._data(obj, at, issues)
            if data is None:
                return None
            expected_id = target.ref.id if target.ref is not None else None
            res = self.reader.resource(data, data_at, issues, rule="update", expected=target.type, lids=lids, expected_id=expected_id)
            if res is None:
                return None
            if target.ref is not None and res.ref is not None and res.ref.key != target.ref.key:
                issues.add(
                    Problem(
                        409,
                        "id-mismatch",
                        "Id does not match",
                        "The resource object does not identify the resource 'ref' names.",
                        at=data_at,
                    )
                )
                return None
            ref = res.ref
            if ref is None:
                return None
            ops.append(self.writes.update(res, ref, issues))
            return len(ops) - 1
        # remove
        if target.kind != "resource" or target.ref is None:
            issues.add(invalid(at, "'remove' needs a 'ref' or 'href' naming a resource or a relationship."))
            return None
        if obj.get("data") is not None:
            issues.add(invalid(data_at, "Removing a resource takes no 'data'."))
            return None
        ops.append(Delete(target.ref, at=at))
        return None

    def _relationship_op(
        self, name: str, obj: Mapping[str, Any], at: Path, target: Target, ops: list[Op], lids: LidScope, issues: Issues
    ) -> None:
        rel, ref = target.rel, target.ref
        assert rel is not None and ref is not None
        if name in ("add", "remove") and not rel.many:
            issues.add(self.writes.to_one_forbidden(rel, at, f"'{name}'"))
            return None
        if name == "remove" and not self.writes.may_remove(rel):
            issues.add(self.writes.remove_forbidden(rel, at))
            return None
        if "data" not in obj:
            issues.add(invalid(at, f"'{name}' on a relationship needs 'data'."))
            return None
        data_at = (*at, "data")
        if rel.many and not isinstance(obj["data"], list):
            issues.add(invalid(data_at, f"'{rel.name}' is a to-many relationship: 'data' must be an array of resource identifier objects."))
            return None
        linkage = self.reader.linkage(obj["data"], rel, data_at, issues, lids=lids)
        if name == "update":
            op = self.writes.set_linkage(ref, rel, linkage, data_at, issues)
        elif name == "add":
            op = self.writes.add_members(ref, rel, linkage, data_at)
        else:
            op = self.writes.remove_members(ref, rel, linkage, data_at)
        if op is not None:
            ops.append(op)
        return None

    def _data(self, obj: Mapping[str, Any], at: Path, issues: Issues) -> Mapping[str, Any] | None:
        if "data" not in obj:
            issues.add(invalid(at, f"'{obj['op']}' of a resource needs 'data' with a resource object."))
            return None
        data = obj["data"]
        if not isinstance(data, Mapping):
            issues.add(invalid((*at, "data"), "'data' must be a resource object."))
            return None
        return data

    # --- targets -------------------------------------------------------------------------------

    def _ref(self, raw: Any, at: Path, lids: LidScope, issues: Issues) -> Target | None:
        if not isinstance(raw, Mapping):
            issues.add(invalid(at, "'ref' must be an object with 'type' and 'id' or 'lid'."))
            return None
        if "type" not in raw:
            issues.add(invalid(at, "'ref' needs a 'type'."))
            return None
        rtype = self.reader.resolve_type(raw["type"], (*at, "type"), None, issues)
        if rtype is None:
            return None
        if ("id" in raw) == ("lid" in raw):
            issues.add(invalid(at, "'ref' needs exactly one of 'id' and 'lid'."))
            return None
        if "id" in raw:
            id_ = self.reader.id_value(raw["id"], (*at, "id"), rtype, issues, linkage=False)
            if id_ is None:
                return None
            ref = Ident(rtype.name, id_, at=at)
        else:
            probe = self.reader.identifier({"type": raw["type"], "lid": raw["lid"]}, at, issues, expected=rtype, lids=lids)
            if probe is None:
                return None
            ref = probe
        if "relationship" not in raw:
            return Target("resource", rtype, ref)
        rel_name = raw["relationship"]
        rel = rtype.relationships.get(rel_name) if isinstance(rel_name, str) else None
        if rel is None:
            issues.add(
                Problem(
                    404,
                    "not-found",
                    "Relationship not found",
                    f"'{raw['type']}' has no relationship {rel_name!r}.",
                    at=(*at, "relationship"),
                )
            )
            return None
        return Target("relationship", rtype, ref, rel)

    def _href(self, raw: Any, at: Path, issues: Issues, where: tuple[str, str | None]) -> Target | None:
        if not isinstance(raw, str) or not raw:
            issues.add(invalid(at, "'href' must be a non-empty URL string."))
            return None
        path = _front_door_path(raw, where[0], where[1], self.server.route.prefix)
        if path is None:
            issues.add(invalid(at, f"'{raw}' is not a URL of this API."))
            return None
        try:
            ep = self.router.match(path)
        except ProblemError as exc:
            problem = exc.problems[0]
            issues.add(Problem(problem.status, problem.code, problem.title, problem.detail, at=at))
            return None
        if ep.kind == "collection":
            return Target("collection", ep.type)
        if ep.kind == "resource":
            return Target("resource", ep.type, Ident(ep.type.name, ep.id, at=at))  # type: ignore[union-attr,arg-type]
        if ep.kind == "relationship":
            return Target("relationship", ep.type, Ident(ep.type.name, ep.id, at=at), ep.relationship)  # type: ignore[union-attr,arg-type]
        issues.add(invalid(at, f"'{raw}' is not a collection, resource or relationship URL."))
        return None


def _front_door_path(href: str, root: str, host: str | None, prefix: str) -> str | None:
    """``href`` as a path relative to the front door, or None when it is not one of its URLs.

    Relative hrefs may be given with or without the front door's prefix (``/people/1`` and
    ``/jsonapi/people/1``); an absolute URL must name this server (the root's, else the
    request's ``Host``) and lie under the prefix.
    """
    parts = urlsplit(href)
    if parts.query or parts.fragment:
        return None
    path = parts.path
    base = urlsplit(root)
    prefix = base.path.rstrip("/") or prefix
    if parts.scheme or parts.netloc:
        expected = base.netloc or host
        if expected is not None and parts.netloc.lower() != expected.lower():
            return None
        if not (path == prefix or path.startswith(prefix + "/")):
            return None
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    return path if path.startswith("/") else "/" + path


def render_results(server: JsonApiServer, plan: AtomicPlan, outcome: Outcome, root: str) -> dict[str, Any] | None:
    """The ``atomic:results`` document, or None for 204 (no operation returns data)."""
    urls = server.writer.urls(root)
    results: list[dict[str, Any]] = []
    for index in plan.results:
        result = outcome.results[index] if index is not None else None
        if isinstance(result, One) and result.item is not None:
            results.append({"data": server.writer.resource(result.item, urls, {})})
        else:
            results.append({})
    if not any(results):
        return None
    return {RESULTS: results}
