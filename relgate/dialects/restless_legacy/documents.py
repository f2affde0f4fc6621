"""Flask-Restless 0.17 response documents: ``to_dict`` objects, pages, counts, eval results.

A resource is a plain object of its columns (``id``, attributes, foreign-key columns such
as ``owner_id``) plus every relationship one level deep: a to-many is a list of the related
objects' columns, a to-one the related object's columns or ``null`` (0.17 ``helpers.to_dict``
with ``deep = {rel: {} for rel in relations}``).  Integer ids are JSON numbers.  Keys are
sorted, as Flask's ``jsonify`` sorts them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.model import HttpResponse, Ident, Resource
from relgate.schema import render_attribute

JSON = "application/json"
CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")
"""A JSONP callback relgate agrees to echo (a dotted JavaScript name, nothing else)."""


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def respond(
    status: int, doc: Any, headers: Iterable[tuple[str, str]] = (), *, callback: str | None = None, head: bool = False
) -> HttpResponse:
    """A JSON response; with ``callback`` the JSONP form of 0.17's ``jsonpify``.

    JSONP: ``callback({"data": doc, "meta": {"status": ..., headers..., "Link": [{url, rel}]}})``
    served as ``application/javascript``.
    """
    extra = list(headers)
    if status == 204:
        return HttpResponse(204, tuple(extra))
    if callback is not None:
        meta: dict[str, Any] = {}
        for name, value in extra:
            meta[name] = link_to_json(value) if name == "Link" else value
        meta["Content-Type"] = "application/javascript"
        meta["status"] = status
        body = callback.encode() + b"(" + dumps({"data": doc, "meta": meta}) + b")"
        # 0.17 moves Link into the JSONP meta (``_headers_to_json`` pops it); others stay headers too.
        out = [("Content-Type", "application/javascript"), *((k, v) for k, v in extra if k != "Link")]
    else:
        body = dumps(doc)
        out = [("Content-Type", JSON), *extra]
    return HttpResponse(status, tuple(out), b"" if head else body)


def link_to_json(value: str) -> list[dict[str, str]]:
    """``<u1>; rel="next", <u2>; rel="last"`` -> ``[{"url": u1, "rel": "next"}, ...]`` (0.17 ``_link_to_json``)."""
    links = []
    for part in value.split(","):
        url, _, params = part.partition(";")
        link = {"url": url.strip("<> '\"")}
        for param in params.split(";"):
            k, sep, v = param.partition("=")
            if not sep:
                break
            link[k.strip(" '\"")] = v.strip(" '\"")
        links.append(link)
    return links


class Renderer:
    """Turns canonical resources into 0.17 objects."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def id_value(self, fields: Fields, id_: str) -> Any:
        return int(id_) if fields.rtype.id_style == "integer" else id_

    def ident_value(self, ident: Ident | None) -> Any:
        if ident is None or ident.id is None:
            return None
        return self.id_value(self.catalog.of(ident.type), ident.id)

    def columns(self, r: Resource) -> dict[str, Any]:
        """The column values of a resource (0.17 ``to_dict`` with no ``deep``)."""
        fields = self.catalog.of(r.type)
        out: dict[str, Any] = {"id": self.id_value(fields, r.id)}
        for name, attr in fields.attributes.items():
            if name in r.attributes:
                out[name] = render_attribute(attr.kind, r.attributes[name])
        for column, rel in fields.fk_columns.items():
            if rel.name in r.relationships:
                value = r.relationships[rel.name]
                out[column] = self.ident_value(value if isinstance(value, Ident) else None)
        return out

    def resource(self, r: Resource, lookup: Mapping[tuple[str, str], Resource]) -> dict[str, Any]:
        """A resource with its relationships one level deep, the related objects taken from ``lookup``."""
        out = self.columns(r)
        for name, linkage in r.relationships.items():
            if isinstance(linkage, tuple):
                out[name] = [self._related(i, lookup) for i in linkage]
            elif linkage is None:
                out[name] = None
            else:
                out[name] = self._related(linkage, lookup)
        return out

    def _related(self, ident: Ident, lookup: Mapping[tuple[str, str], Resource]) -> dict[str, Any]:
        found = lookup.get((ident.type, ident.id or ""))
        if found is None:  # not read (should not happen: every relationship is included)
            return {"id": self.ident_value(ident)}
        return self.columns(found)


def lookup_of(*groups: Iterable[Resource]) -> dict[tuple[str, str], Resource]:
    out: dict[tuple[str, str], Resource] = {}
    for group in groups:
        for r in group:
            out.setdefault((r.type, r.id), r)
    return out


@dataclass(frozen=True, slots=True)
class Window:
    """Which slice of a search a page shows (0.17 ``_paginated`` after ``limit``/``offset``).

    ``limit``/``offset`` of ``q`` cut the result first; ``num_results`` counts what is left;
    pages of ``per_page`` (0: no pagination) are taken from that.
    """

    page: int
    per_page: int
    offset: int = 0
    limit: int | None = None

    def fetch(self) -> tuple[int, int | None]:
        """(offset, limit) to ask the store for."""
        if self.per_page <= 0:
            return self.offset, self.limit
        start = (self.page - 1) * self.per_page
        size = self.per_page
        if self.limit is not None:
            size = max(0, min(size, self.limit - start))
        return self.offset + start, size

    def num_results(self, total: int) -> int:
        n = max(0, total - self.offset)
        return min(n, self.limit) if self.limit is not None else n

    def envelope(self, total: int, objects: list[dict[str, Any]]) -> dict[str, Any]:
        n = self.num_results(total)
        if self.per_page <= 0:
            return {"num_results": n, "objects": objects, "page": 1, "total_pages": 1}
        return {"num_results": n, "objects": objects, "page": self.page, "total_pages": math.ceil(n / self.per_page)}


def link_header(base_url: str, page: int, total_pages: int, per_page: int) -> str:
    """0.17 ``create_link_string``: ``next`` (when there is one) and ``last``."""
    template = '<{0}?page={1}&results_per_page={2}>; rel="{3}"'
    out = ""
    if page < total_pages:
        out = template.format(base_url, page + 1, per_page, "next") + ", "
    return out + template.format(base_url, total_pages, per_page, "last")


def aggregate_key(function: str, field: str) -> str:
    return f"{function}__{field}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plain(value: Any) -> Any:
    """An aggregate value as 0.17 sends it.

    ``/eval`` results go through Flask's JSON encoder, not ``to_dict``: a date or date-time is
    an HTTP date there (``"Sun, 06 May 1990 00:00:00 GMT"``), naive values taken as UTC.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return http_date(value)
    if isinstance(value, dt.date):
        return http_date(dt.datetime.combine(value, dt.time()))
    return value


def http_date(value: dt.datetime) -> str:
    return f"{_DAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} {value.year:04d} {value:%H:%M:%S} GMT"
