"""The canonical model: what every dialect's request means, independent of its wire format.

Every value here is a frozen, slotted dataclass.  Dialects map their wire format onto these
values (and back); targets (the store, a remote backend) execute them.  Nothing
dialect-specific belongs here: a new dialect maps onto this model, it does not extend it with
its own flags.

Identifiers are strings inside relgate whatever the schema's id style; each dialect renders
them as the schema says.  ``Path`` values locate a member of the *request* document so that a
problem found late (say, a missing related resource found by the store) can still point at the
offending member; each dialect renders a path in its own way (a JSON Pointer for JSON:API, a
``path`` array for Strapi, a field name for Flask-Restless 0.17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Path: TypeAlias = tuple[str | int, ...]
"""Location of a member in the request document, e.g. ``("data", "relationships", "tags", "data", 1)``."""


@dataclass(frozen=True, slots=True)
class Ident:
    """A resource identifier: ``type`` plus exactly one of a server ``id`` or a local ``lid``.

    ``at`` is where the identifier stood in the request; it takes no part in equality.
    """

    type: str
    id: str | None = None
    lid: str | None = None
    at: Path = field(default=(), compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if (self.id is None) == (self.lid is None):
            raise ValueError("an Ident carries exactly one of id and lid")

    @property
    def key(self) -> tuple[str, str, str]:
        """Hashable identity that ignores ``at``: (type, "id" | "lid", value)."""
        if self.id is not None:
            return (self.type, "id", self.id)
        return (self.type, "lid", self.lid or "")


Linkage: TypeAlias = "Ident | tuple[Ident, ...] | None"
"""A relationship's value: one identifier or None (to-one), or an ordered tuple (to-many)."""


# --- positions (for Add on ordered to-many relationships) -------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """Insert at the beginning of an ordered to-many relationship."""


@dataclass(frozen=True, slots=True)
class End:
    """Insert at the end of an ordered to-many relationship."""


@dataclass(frozen=True, slots=True)
class Before:
    """Insert just before ``anchor``.

    With ``strict`` an anchor that is not a member is an error; without it the member goes to
    the end (Strapi's non-strict behaviour).
    """

    anchor: Ident
    strict: bool = True


@dataclass(frozen=True, slots=True)
class After:
    """Insert just after ``anchor`` (``strict`` as for :class:`Before`)."""

    anchor: Ident
    strict: bool = True


Position: TypeAlias = "Start | End | Before | After"


# --- the read side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cmp:
    """Compare an attribute (or ``"id"``) of the current type with a value.

    ``op`` is one of :data:`COMPARISONS`.  For ``in``/``not_in`` the value is a tuple; for
    ``between`` a pair; for ``is_null``/``is_not_null`` it is ignored.
    """

    field: str
    op: str
    value: Any = None
    at: Path = field(default=(), compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class FieldCmp:
    """Compare two attributes of the same resource (Flask-Restless ``{name, op, field}``)."""

    field: str
    op: str
    other: str
    at: Path = field(default=(), compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class Related:
    """True when some resource related through ``relationship`` matches ``where``.

    ``where=None`` means "has at least one related resource".  This is the quantifier behind
    Flask-Restless ``has``/``any`` and filters through relations in Strapi and JSON:API.
    """

    relationship: str
    where: Filter | None = None
    at: Path = field(default=(), compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


Filter: TypeAlias = "Cmp | FieldCmp | Related | And | Or | Not"

COMPARISONS: frozenset[str] = frozenset(
    {
        "eq", "ne", "lt", "le", "gt", "ge",
        "in", "not_in", "between",
        "is_null", "is_not_null",
        "like", "not_like", "ilike",
        "contains", "not_contains", "icontains", "not_icontains",
        "startswith", "istartswith", "endswith", "iendswith",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SortKey:
    """Sort by ``path``: an attribute, or to-one relationship names ending in an attribute."""

    path: tuple[str, ...]
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """What to read besides the primary resources: filter, order, page, includes, fields.

    ``include`` holds relationship paths (``("author", "computers")``); ``fields`` maps a
    type to the attribute and relationship names to return (absent type: all of them).
    ``count`` asks for the total number of matching resources.
    """

    where: Filter | None = None
    sort: tuple[SortKey, ...] = ()
    page: Page | None = None
    include: tuple[tuple[str, ...], ...] = ()
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    count: bool = False


# --- operations ------------------------------------------------------------------------------
# Every operation carries ``at``: where its resource object (or its data) stood in the request.


@dataclass(frozen=True, slots=True)
class Create:
    """Create a resource.  ``ref`` holds the client id, or a lid, or (neither) ``id=None``.

    ``relationships`` gives initial linkage; to-many tuples are in the client's order.
    """

    ref: Ident | None
    type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    relationships: Mapping[str, Linkage] = field(default_factory=dict)
    at: Path = ()
    returning: bool = True
    """Read the resource back as this op's result; False when a later ``Get`` answers instead."""


@dataclass(frozen=True, slots=True)
class Update:
    """Change attributes; linkage given here replaces each named relationship wholesale."""

    ref: Ident
    attributes: Mapping[str, Any] = field(default_factory=dict)
    relationships: Mapping[str, Linkage] = field(default_factory=dict)
    at: Path = ()
    returning: bool = True
    """Read the resource back as this op's result; False when a later ``Get`` answers instead."""


@dataclass(frozen=True, slots=True)
class Upsert:
    """Update the resource matched by ``keys`` (``"id"`` or attribute names), or create it."""

    ref: Ident | None
    type: str
    keys: tuple[str, ...]
    attributes: Mapping[str, Any] = field(default_factory=dict)
    relationships: Mapping[str, Linkage] = field(default_factory=dict)
    at: Path = ()
    returning: bool = True
    """Read the resource back as this op's result; False when a later ``Get`` answers instead."""


@dataclass(frozen=True, slots=True)
class Delete:
    ref: Ident
    at: Path = ()


@dataclass(frozen=True, slots=True)
class SetOne:
    """Set (or, with ``target=None``, clear) a to-one relationship."""

    ref: Ident
    relationship: str
    target: Ident | None
    at: Path = ()


@dataclass(frozen=True, slots=True)
class Replace:
    """Make a to-many relationship exactly ``targets``, in that order."""

    ref: Ident
    relationship: str
    targets: tuple[Ident, ...]
    at: Path = ()


@dataclass(frozen=True, slots=True)
class Add:
    """Add members not yet present (idempotent).

    With a ``position`` on an ordered relationship the members are placed there, in order; a
    member already present is moved.  Without one, new members go to the end and present
    members stay where they are.
    """

    ref: Ident
    relationship: str
    targets: tuple[Ident, ...]
    position: Position | None = None
    at: Path = ()
    positions: tuple[Position, ...] = ()
    """Optional: one position per target (``position`` is then None); targets carry these out
    with :func:`relgate.ordering.placements`, which needs the current members."""


@dataclass(frozen=True, slots=True)
class Remove:
    """Remove members if present (idempotent); with ``delete_targets`` also delete them.

    With ``require_present`` every target must currently be a member (Flask-Restless 0.17
    ``remove``): a target that is not, or does not exist, is a 400 ``invalid`` problem at
    that target's ``at`` and nothing is removed.

    On a to-one relationship, Remove clears it when it currently names one of ``targets``
    (Strapi's ``disconnect``), and leaves it alone otherwise.
    """

    ref: Ident
    relationship: str
    targets: tuple[Ident, ...]
    delete_targets: bool = False
    at: Path = ()
    require_present: bool = False


@dataclass(frozen=True, slots=True)
class UpdateWhere:
    """Bulk update every resource of ``type`` matching ``where``; result is a count."""

    type: str
    where: Filter | None
    attributes: Mapping[str, Any]
    at: Path = ()


@dataclass(frozen=True, slots=True)
class DeleteWhere:
    type: str
    where: Filter | None
    at: Path = ()


@dataclass(frozen=True, slots=True)
class Get:
    """Read one resource (404 when missing), with the query's includes and fields."""

    ref: Ident
    query: Query = field(default_factory=Query)
    at: Path = ()


@dataclass(frozen=True, slots=True)
class List:
    type: str
    query: Query = field(default_factory=Query)
    at: Path = ()


@dataclass(frozen=True, slots=True)
class GetRelated:
    """Read the resources related to ``ref`` through ``relationship`` (one, or a page)."""

    ref: Ident
    relationship: str
    query: Query = field(default_factory=Query)
    at: Path = ()


@dataclass(frozen=True, slots=True)
class GetLinkage:
    """Read a relationship's linkage (identifiers only); ``query`` may ask for includes."""

    ref: Ident
    relationship: str
    query: Query = field(default_factory=Query)
    at: Path = ()


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Compute ``(function, field)`` pairs (sum, avg, min, max, count) over matching resources."""

    type: str
    functions: tuple[tuple[str, str], ...]
    where: Filter | None = None
    at: Path = ()


Write: TypeAlias = "Create | Update | Upsert | Delete | SetOne | Replace | Add | Remove | UpdateWhere | DeleteWhere"
Read: TypeAlias = "Get | List | GetRelated | GetLinkage | Aggregate"
Op: TypeAlias = "Write | Read"

WRITE_OPS: tuple[type, ...] = (Create, Update, Upsert, Delete, SetOne, Replace, Add, Remove, UpdateWhere, DeleteWhere)
READ_OPS: tuple[type, ...] = (Get, List, GetRelated, GetLinkage, Aggregate)


@dataclass(frozen=True, slots=True)
class Batch:
    """An ordered list of operations carried out together.

    A later operation may name a ``lid`` an earlier one creates.  With ``atomic`` (the
    default, and what every dialect's single request means) either all take effect or none.
    """

    ops: tuple[Op, ...]
    atomic: bool = True


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource as read from a target: string id, attribute values, linkage per relationship.

    ``relationships`` holds the linkage of every relationship the read asked for (all of them
    unless sparse fields said otherwise).  ``lid`` is set when the resource was created from a
    lid in this batch, so renderers can echo it.
    """

    type: str
    id: str
    attributes: Mapping[str, Any]
    relationships: Mapping[str, Linkage]
    lid: str | None = None

    @property
    def ident(self) -> Ident:
        return Ident(self.type, self.id)


@dataclass(frozen=True, slots=True)
class ResourceList:
    """A page of resources; ``total`` is the number matching before paging (when counted)."""

    items: tuple[Resource, ...]
    total: int | None = None
    included: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class One:
    """A single resource (or ``None`` for an empty to-one), with included resources."""

    item: Resource | None
    included: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkageResult:
    """A relationship's linkage as read, with included resources when asked for."""

    linkage: Linkage
    included: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class Count:
    """How many resources a bulk operation touched."""

    n: int


@dataclass(frozen=True, slots=True)
class Aggregates:
    """Values keyed by ``(function, field)``."""

    values: Mapping[tuple[str, str], Any]


Result: TypeAlias = "One | ResourceList | LinkageResult | Count | Aggregates | None"


OpStatus: TypeAlias = 'Literal["done", "skipped", "failed", "compensated"]'
"""What became of one op: carried out, not needed (an idempotent add of present members), the
one that failed, or carried out and then undone after a later failure."""


@dataclass(frozen=True, slots=True)
class Step:
    """One op of a batch as a target that is not transactional carried it out.

    ``action`` says what was sent for it (``"POST /people"``); a target that runs a batch in one
    transaction reports no steps.
    """

    op: int
    status: OpStatus
    action: str = ""

    def as_meta(self) -> dict[str, Any]:
        """The plain form problems carry in ``meta.steps``."""
        return {"op": self.op, "status": self.status, "action": self.action}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a target did with a Batch: one result per op, and the ``lid -> id`` map.

    ``steps`` is empty when the target ran the batch in one transaction (every op done);
    otherwise it says, per op, what happened and what was sent.
    """

    results: tuple[Result, ...]
    lids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()

    def status(self, index: int) -> OpStatus:
        """What became of op ``index`` (``done`` for a transactional target)."""
        for step in self.steps:
            if step.op == index:
                return step.status
        return "done"


# --- problems --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request, in dialect-neutral terms.

    ``at`` points into the request body; ``parameter`` names a query parameter and ``header``
    a request header.  When ``member`` is set, the problem concerns that attribute or
    relationship of the resource object at ``at`` (the store knows the name but not where the
    dialect keeps attributes), and the renderer appends the member's own path.

    ``code`` is a stable machine-readable name that dialects may map to their own error names:
    ``malformed-json``, ``too-deep``, ``invalid`` (a bad value or shape), ``unknown-field``,
    ``not-found``, ``type-mismatch``, ``conflict`` (unique value, existing id), ``forbidden``
    (a policy refused it), ``invalid-position`` (bad anchor), ``unknown-lid``,
    ``method-not-allowed``, ``unsupported-media-type``, ``not-acceptable``, ``too-large``,
    ``bad-parameter``.
    """

    status: int
    code: str
    title: str
    detail: str = ""
    at: Path | None = None
    member: str | None = None
    parameter: str | None = None
    header: str | None = None
    meta: Mapping[str, Any] | None = None


class ProblemError(Exception):
    """Raised by codecs and targets to reject a request; carries one or more problems."""

    def __init__(self, *problems: Problem, headers: Mapping[str, str] | None = None) -> None:
        super().__init__("; ".join(p.detail or p.title for p in problems))
        self.problems: tuple[Problem, ...] = problems
        self.headers: Mapping[str, str] = dict(headers or {})

    @property
    def status(self) -> int:
        """The most generally applicable status (JSON:API §errors-processing)."""
        statuses = {p.status for p in self.problems}
        if len(statuses) == 1:
            return statuses.pop()
        return 500 if any(s >= 500 for s in statuses) else 400


# --- plain HTTP values (the sans-IO seam) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as a codec sees it: ``path`` is relative to the route prefix (starts with ``/``)."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base: str = ""
    origin: str = ""
    """``scheme://host[:port]`` for absolute URLs, decided by the front door (relgate/edge.py) from
    the configured public URL or trusted forwarders, never from the raw ``Host``; ``""`` when unknown."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
