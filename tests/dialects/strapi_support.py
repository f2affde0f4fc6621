"""Shared helpers for the Strapi tests: a gateway over a fresh store, op descriptions and
documentId placeholders for golden exchanges (subset matching is JSON:API's helper)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from relgate.app import Gateway
from relgate.config import Config
from relgate.dialects.strapi.docids import DocumentIds
from relgate.model import (
    Add,
    After,
    Before,
    Create,
    Delete,
    End,
    Get,
    Ident,
    List,
    Op,
    Remove,
    Replace,
    SetOne,
    Start,
    Update,
)
from tests.dialects.jsonapi_support import subset

__all__ = ["describe", "gateway", "subset", "substitute"]

PLACEHOLDER = re.compile(r"\{\{doc:([a-z_]+):([^}]+)\}\}")


@asynccontextmanager
async def gateway(config: Config, store_url: str) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    async with Gateway(dataclasses.replace(config, store_url=store_url)) as gw:
        transport = httpx.ASGITransport(app=gw)
        async with httpx.AsyncClient(transport=transport, base_url="http://relgate.test") as client:
            yield gw, client


def substitute(value: Any, ids: DocumentIds) -> Any:
    """Replace ``{{doc:<type>:<id>}}`` by that resource's documentId, anywhere in strings."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return ids.encode(whole.group(1), whole.group(2))
        return PLACEHOLDER.sub(lambda m: ids.encode(m.group(1), m.group(2)), value)
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    return value


def ident(i: Ident | None) -> str:
    if i is None:
        return "None"
    return f"{i.type}/{i.id}" if i.id is not None else f"{i.type}/lid:{i.lid}"


def position(p: Any) -> str:
    if isinstance(p, Start):
        return "Start"
    if isinstance(p, End):
        return "End"
    if isinstance(p, (Before, After)):
        name = "Before" if isinstance(p, Before) else "After"
        return f"{name}({ident(p.anchor)}{'' if p.strict else ', strict=False'})"
    return "None"


def describe(op: Op) -> str:
    """A compact, readable form of a canonical op, as golden exchanges list them."""
    if isinstance(op, Create):
        attrs = ", ".join(f"{k}={v!r}" for k, v in op.attributes.items())
        return f"Create({ident(op.ref) if op.ref else op.type}{', ' + attrs if attrs else ''})"
    if isinstance(op, Update):
        attrs = ", ".join(f"{k}={v!r}" for k, v in op.attributes.items())
        return f"Update({ident(op.ref)}{', ' + attrs if attrs else ''})"
    if isinstance(op, Add):
        targets = ", ".join(ident(t) for t in op.targets)
        if op.positions:
            return f"Add({ident(op.ref)}.{op.relationship}, [{targets}], positions=[{', '.join(position(p) for p in op.positions)}])"
        return f"Add({ident(op.ref)}.{op.relationship}, [{targets}], {position(op.position)})"
    if isinstance(op, Remove):
        return f"Remove({ident(op.ref)}.{op.relationship}, [{', '.join(ident(t) for t in op.targets)}])"
    if isinstance(op, Replace):
        return f"Replace({ident(op.ref)}.{op.relationship}, [{', '.join(ident(t) for t in op.targets)}])"
    if isinstance(op, SetOne):
        return f"SetOne({ident(op.ref)}.{op.relationship}, {ident(op.target)})"
    if isinstance(op, Get):
        if op.query.fields.get(op.ref.type) == frozenset() and not op.query.include:
            return f"Exists({ident(op.ref)})"
        return f"Get({ident(op.ref)})"
    if isinstance(op, List):
        return f"List({op.type})"
    if isinstance(op, Delete):
        return f"Delete({ident(op.ref)})"
    return repr(op)
