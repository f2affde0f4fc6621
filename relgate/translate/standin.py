"""The backend, offline: its dialect's server half answering from canned answers or stated assumptions.

``relgate translate`` drives the same client half the gateway uses, and a client half needs an
answer to each request before it writes the next one (a read before an inline PATCH, a create's
id in the next URL).  :class:`StandIn` gives it one without a network:

1. the backend dialect's server half (:func:`relgate.dialects.backend_door`) parses the request —
   a request relgate's model of that dialect refuses is answered with its error, and said so;
2. each canonical op it means gets a result: the matching ``### answer`` block if there is one,
   otherwise an assumption (:class:`Assumptions`) — what the request did not write reads as
   empty, writes are accepted, creates get a placeholder id (:class:`Placeholders`, printed as
   ``<id of step 2>``);
3. the server half renders those results in the backend's wire format, which the client half
   reads as it would a real answer.

Every answer carries a note saying which of these it was; nothing is presented as the backend's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from relgate.config import Backend, ServerConfig
from relgate.dialects import backend_door
from relgate.model import (
    Add,
    Aggregate,
    Aggregates,
    And,
    Cmp,
    Count,
    Create,
    Delete,
    DeleteWhere,
    Filter,
    Get,
    GetLinkage,
    GetRelated,
    HttpRequest,
    HttpResponse,
    Ident,
    Linkage,
    LinkageResult,
    List,
    One,
    Op,
    Outcome,
    ProblemError,
    Remove,
    Replace,
    Resource,
    ResourceList,
    Result,
    SetOne,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.ops import created_lid, distinct, substitute
from relgate.schema import Schema
from relgate.translate.httpfile import CannedAnswer

# --- placeholder ids ---------------------------------------------------------------------------


class Placeholders:
    """Ids for what an assumed create makes: valid for the type's id style (the backend's door and
    the client half check them) and distinct from every id in the inputs, so that the report can
    name each by the step that made it: ``<id of step 2>`` (``<id 2 of step 2>`` for a second)."""

    def __init__(self, inputs: str = "") -> None:
        self.inputs = inputs
        self.labels: dict[str, str] = {}
        self._count = 0
        self._per_step: dict[int, int] = {}

    def begin(self) -> None:
        """A new request: its steps are numbered from 1 again (tokens stay distinct)."""
        self._per_step = {}

    def new(self, id_style: str, step: int) -> str:
        while True:
            self._count += 1
            token = _token(id_style, self._count)
            if token not in self.inputs:
                break
        n = self._per_step[step] = self._per_step.get(step, 0) + 1
        self.labels[token] = f"<id of step {step}>" if n == 1 else f"<id {n} of step {step}>"
        return token

    def shown(self, text: str) -> str:
        """``text`` with every placeholder id replaced by its label."""
        for token, label in self.labels.items():
            text = text.replace(token, label)
        return text

    def shown_value(self, value: Any) -> Any:
        """A JSON value with placeholders replaced (an integer id that is one becomes its label)."""
        if isinstance(value, str):
            return self.shown(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and str(value) in self.labels:
            return self.labels[str(value)]
        if isinstance(value, list):
            return [self.shown_value(v) for v in value]
        if isinstance(value, dict):
            return {self.shown(str(k)): self.shown_value(v) for k, v in value.items()}
        return value


def _token(id_style: str, n: int) -> str:
    if id_style == "integer":
        return str(9_000_000_000 + n)
    if id_style == "uuid":
        return f"00000000-0000-4000-8000-{9_000_000_000 + n:012d}"
    return f"new-{n:04d}"


# --- assumptions -------------------------------------------------------------------------------


class Assumptions:
    """The results a backend is assumed to give when no answer is canned, for one request.

    Everything this request has not written or been answered reads as empty: a resource exists
    with unknown values (null), a to-many has no members, a search finds nothing (a look-up by id
    finds what it names).  What it wrote, and what canned answers said, is remembered per resource
    (attributes and linkage; not the other side of a relationship), so a later read answers that.
    Creates get a placeholder id.
    """

    def __init__(self, schema: Schema, new_id: Callable[[str], str]) -> None:
        self.schema = schema
        self.new_id = new_id
        self.known: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Linkage]]] = {}

    def result(self, op: Op) -> tuple[Result, str]:
        """``op``'s assumed result, and what is assumed (for the report)."""
        if isinstance(op, Upsert) and op.keys == ("id",) and op.ref is not None and op.ref.id is not None:
            return self.result(Update(op.ref, op.attributes, op.relationships, returning=op.returning))[
                0
            ], f"finds {_name(op.ref)}, updates it"
        if isinstance(op, (Create, Upsert)):
            client_id = op.ref.id if op.ref is not None else None
            id_ = client_id if client_id is not None else self.new_id(self.schema[op.type].id_style)
            self.known[(op.type, id_)] = (dict(op.attributes), dict(op.relationships))
            found = "finds none by " + ", ".join(op.keys) + " and " if isinstance(op, Upsert) else ""
            return One(self._resource(op.type, id_)), f"{found}creates {op.type} {id_}"
        if isinstance(op, Update):
            attributes, linkage = self._known(op.ref)
            attributes.update(op.attributes)
            linkage.update(op.relationships)
            return (One(self._resource(op.ref.type, _id(op.ref))) if op.returning else None), f"updates {_name(op.ref)} as sent"
        if isinstance(op, (SetOne, Replace, Add, Remove)):
            return None, self._linkage_write(op)
        if isinstance(op, Delete):
            self.known.pop((op.ref.type, _id(op.ref)), None)
            return None, f"deletes {_name(op.ref)}"
        if isinstance(op, Get):
            return One(self._resource(op.ref.type, _id(op.ref))), f"{_name(op.ref)} exists, {self._values(op.ref)}"
        if isinstance(op, GetLinkage):
            return LinkageResult(
                self._linkage(op.ref, op.relationship)
            ), f"'{op.relationship}' of {_name(op.ref)} {self._state(op.ref, op.relationship)}"
        if isinstance(op, GetRelated):
            linkage = self._linkage(op.ref, op.relationship)
            state = f"'{op.relationship}' of {_name(op.ref)} {self._state(op.ref, op.relationship)}"
            if isinstance(linkage, tuple):
                return ResourceList(tuple(self._resource(i.type, _id(i)) for i in linkage), len(linkage)), state
            return One(None if linkage is None else self._resource(linkage.type, _id(linkage))), state
        if isinstance(op, List):
            named = _by_id(op.query.where)
            if named is not None:  # a look-up by id: what is named exists, as a Get assumes
                found = tuple(self._resource(op.type, i) for i in named)
                return ResourceList(found, len(found)), f"{op.type} {', '.join(named)} exist (looked up by id), values unknown"
            return ResourceList((), 0), f"no {op.type} match (an empty page: the stand-in does not search)"
        if isinstance(op, (UpdateWhere, DeleteWhere)):
            return Count(0), f"no {op.type} match (count 0)"
        if isinstance(op, Aggregate):
            return Aggregates({(f, name): (0 if f == "count" else None) for f, name in op.functions}), f"no {op.type} match"
        return None, "accepts it"

    def learn(self, op: Op, result: Result) -> None:
        """A canned ``result`` of ``op``: what it says about resources is known from now on."""
        if isinstance(op, GetLinkage) and isinstance(result, LinkageResult):
            self._known(op.ref)[1][op.relationship] = result.linkage
        resources: tuple[Resource, ...] = ()
        if isinstance(result, One):
            resources = ((result.item,) if result.item is not None else ()) + result.included
        elif isinstance(result, (ResourceList, LinkageResult)):
            resources = getattr(result, "items", ()) + result.included
        for r in resources:
            attributes, linkage = self.known.setdefault((r.type, r.id), ({}, {}))
            attributes.update(r.attributes)
            linkage.update(r.relationships)

    def _linkage_write(self, op: SetOne | Replace | Add | Remove) -> str:
        _, linkage = self._known(op.ref)
        rel = self.schema[op.ref.type].relationships[op.relationship]
        current = self._linkage(op.ref, op.relationship)
        if isinstance(op, SetOne):
            linkage[rel.name] = op.target
        elif not rel.many:
            targets = {t.key for t in op.targets}
            if isinstance(op, Remove):
                linkage[rel.name] = None if isinstance(current, Ident) and current.key in targets else current
            else:
                linkage[rel.name] = op.targets[-1] if op.targets else current
        elif isinstance(op, Replace):
            linkage[rel.name] = distinct(op.targets)
        else:
            members = current if isinstance(current, tuple) else ()
            if isinstance(op, Add):
                present = {m.key for m in members}
                linkage[rel.name] = members + tuple(t for t in distinct(op.targets) if t.key not in present)
            else:
                gone = {t.key for t in op.targets}
                linkage[rel.name] = tuple(m for m in members if m.key not in gone)
        return "accepts it"

    def _known(self, ref: Ident) -> tuple[dict[str, Any], dict[str, Linkage]]:
        return self.known.setdefault((ref.type, _id(ref)), ({}, {}))

    def _linkage(self, ref: Ident, relationship: str) -> Linkage:
        known = self.known.get((ref.type, _id(ref)))
        if known is not None and relationship in known[1]:
            return known[1][relationship]
        return () if self.schema[ref.type].relationships[relationship].many else None

    def _state(self, ref: Ident, relationship: str) -> str:
        known = self.known.get((ref.type, _id(ref)))
        return "as known from earlier in this request" if known is not None and relationship in known[1] else "is empty"

    def _values(self, ref: Ident) -> str:
        if (ref.type, _id(ref)) in self.known:
            return "as known from earlier in this request (other values unknown, read as empty)"
        return "its values unknown (read as empty)"

    def _resource(self, type_name: str, id_: str) -> Resource:
        """A resource with every attribute and relationship: as written in this request, else null / empty."""
        rtype = self.schema[type_name]
        attributes, linkage = self.known.get((type_name, id_), ({}, {}))
        attrs = {name: attributes.get(name) for name in rtype.attributes}
        rels = {name: linkage.get(name, () if rel.many else None) for name, rel in rtype.relationships.items()}
        return Resource(type_name, id_, attrs, rels)


def _by_id(where: Filter | None) -> tuple[str, ...] | None:
    """The ids a filter names when it only compares ``id`` (``eq`` / ``in``), else None."""
    if isinstance(where, Cmp) and where.field == "id" and where.op in ("eq", "in"):
        values = where.value if where.op == "in" else (where.value,)
        return tuple(dict.fromkeys(str(v) for v in values))
    if isinstance(where, And) and len(where.items) == 1:
        return _by_id(where.items[0])
    return None


def _id(ident: Ident) -> str:
    assert ident.id is not None, "lids are substituted before a backend request"
    return ident.id


def _name(ident: Ident) -> str:
    return f"{ident.type}/{ident.id}"


# --- the stand-in ------------------------------------------------------------------------------


AnsweredBy = Literal["assumed", "canned", "refused"]
"""How an answer came about: assumptions, a canned answer, relgate's model of the dialect refusing."""


@dataclass(frozen=True, slots=True)
class Answered:
    """A backend request's answer and how it came about (for the report)."""

    response: HttpResponse
    note: str
    ops: tuple[Op, ...] = ()
    """What the backend's door took the request to mean (empty when it refused it)."""
    by: AnsweredBy = "assumed"


class StandIn:
    """Answers one backend's requests offline (see the module docstring)."""

    def __init__(self, schema: Schema, backend: Backend, placeholders: Placeholders, canned: Iterable[CannedAnswer] = ()) -> None:
        self.schema = schema
        self.backend = backend
        self.door = backend_door(schema, backend, ServerConfig())
        parts = urlsplit(backend.url)
        self.root = parts.path.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        self.placeholders = placeholders
        self.canned = list(canned)
        self.step = 0
        """The plan step being carried out (names the placeholder ids it makes)."""
        self.assumptions = Assumptions(schema, lambda style: placeholders.new(style, self.step))
        self.preview = False
        """Answering an undo that is only shown: assumptions only, canned answers are kept for real steps."""

    def answer(self, request: HttpRequest) -> Answered:
        canned = None if self.preview else self._take(request)
        inner = HttpRequest(
            request.method, request.path, request.query, dict(request.headers), request.body, base=self.root, origin=self.origin
        )
        try:
            intent = self.door.parse(inner)
        except ProblemError as error:
            refusal = f"relgate's {self.backend.dialect} door refuses this request: {error}"
            if isinstance(canned, CannedAnswer) and isinstance(canned.answer, HttpResponse):
                return Answered(canned.answer, f"canned answer ({canned.where}); note: {refusal}", by="canned")
            return Answered(self._error(error, inner), refusal + " (the real backend may differ; answered with that error)", by="refused")
        if canned is not None and isinstance(canned.answer, HttpResponse):
            return Answered(canned.answer, f"canned answer ({canned.where})", intent.batch.ops, "canned")
        if canned is not None and isinstance(canned.answer, ProblemError):
            return Answered(self._error(canned.answer, inner), f"canned: the backend refuses ({canned.where})", intent.batch.ops, "canned")
        results, lids, notes = self._results(intent.batch.ops, canned)
        try:
            response = self.door.render(intent, Outcome(tuple(results), lids))
        except ProblemError as error:
            return Answered(self._error(error, inner), f"the answer cannot be rendered: {error}", intent.batch.ops, "refused")
        if canned is None:
            note = "assumed: " + "; ".join(notes)
        elif notes and len(notes) == len(results):
            note = f"canned answer ({canned.where}) fits none of the ops this request means; assumed: " + "; ".join(notes)
        else:
            note = f"canned answer ({canned.where})" + ("; the rest assumed: " + "; ".join(notes) if notes else "")
        return Answered(response, note, intent.batch.ops, "assumed" if canned is None or len(notes) == len(results) else "canned")

    def _results(self, ops: tuple[Op, ...], canned: CannedAnswer | None) -> tuple[list[Result], dict[tuple[str, str], str], list[str]]:
        if canned is not None and isinstance(canned.answer, Outcome):
            for op, result in zip(ops, canned.answer.results, strict=False):
                self.assumptions.learn(op, result)
            return list(canned.answer.results), dict(canned.answer.lids), []
        lids: dict[tuple[str, str], str] = {}
        results: list[Result] = []
        notes: list[str] = []
        given = _place(ops, canned.answer) if canned is not None else None
        for index, raw in enumerate(ops):
            op = substitute(raw, lids)
            if index == given:
                result: Result = canned.answer  # type: ignore[assignment, union-attr]
                self.assumptions.learn(op, result)
            else:
                result, note = self.assumptions.result(op)
                notes.append(note)
            defined = created_lid(raw)
            if defined is not None and isinstance(result, One) and result.item is not None:
                lids[defined] = result.item.id
            results.append(result)
        return results, lids, notes

    def _take(self, request: HttpRequest) -> CannedAnswer | None:
        for canned in self.canned:
            if not canned.used and self._matches(canned, request):
                canned.used = True
                return canned
        return None

    def _matches(self, canned: CannedAnswer, request: HttpRequest) -> bool:
        if canned.method != request.method:
            return False
        parts = urlsplit(canned.target)
        path = parts.path
        if self.root and (path == self.root or path.startswith(self.root + "/")) and not request.path.startswith(self.root + "/"):
            path = path[len(self.root) :] or "/"
        if path != request.path:
            return False
        return not parts.query or parts.query == request.query

    def _error(self, error: ProblemError, request: HttpRequest) -> HttpResponse:
        response = self.door.render_error(error, request)
        if error.headers:
            response = HttpResponse(response.status, (*response.headers, *error.headers.items()), response.body)
        return response

    def unused(self) -> list[CannedAnswer]:
        return [c for c in self.canned if not c.used]


def _place(ops: tuple[Op, ...], answer: Any) -> int | None:
    """Which op a canned result answers: the only one, else the last whose result is of its kind."""
    if len(ops) == 1:
        return 0
    kinds: dict[type, tuple[type, ...]] = {
        One: (Get, Create, Update, Upsert, GetRelated),
        ResourceList: (List, GetRelated),
        LinkageResult: (GetLinkage,),
        Count: (UpdateWhere, DeleteWhere),
        Aggregates: (Aggregate,),
    }
    fitting = kinds.get(type(answer), ())
    for index in range(len(ops) - 1, -1, -1):
        if isinstance(ops[index], fitting):
            return index
    return None
