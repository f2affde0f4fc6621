"""The canonical notation: canonical values (ops, queries, results, problems) as compact JSON.

What ``relgate translate`` prints, what its canned answers are written in, and what the golden
exchange files (``dialects/*/exchanges``) record as a request's ops::

    {"@": "Add", "ref": "people/1", "relationship": "computers", "targets": ["computers/2"]}

- an :class:`~relgate.model.Ident` is ``"type/id"``, or ``"type/lid:x"`` for a local id;
- any other dataclass of :mod:`relgate.model` is an object naming its class in ``"@"``, with its
  fields except ``at`` (where a value stood in the request is not part of its meaning) and
  except fields left at their default;
- tuples and lists are arrays, sets are sorted arrays, mappings objects (a non-string key as its
  ``str()``), dates ISO 8601 strings.

:func:`decode` reads it back, directed by the dataclasses' field types: a string is an
identifier exactly where the model holds an ``Ident``, an array a tuple where it holds a tuple.
Values the model types as ``Any`` (attribute values, a comparison's value, ``meta``) come back
as plain JSON values, except that a comparison's array value is a tuple (``in``, ``between``: the
model says so).  So ``decode(encode(x)) == x`` for every canonical value whose attribute values
are JSON values; a date attribute comes back as its ISO string.  An id that itself starts with
``lid:`` cannot be told from a local id.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping
from typing import Any

from relgate import model
from relgate.model import Cmp, Ident


class NotationError(ValueError):
    """A value that is not canonical notation; the message says where (``$.ops[0].ref``) and why."""


# --- encoding ----------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """Canonical values as compact JSON: Idents as ``"type/id"`` or ``"type/lid:x"``, dataclasses
    as ``{"@": ClassName, field: value}`` without ``at`` and without fields left at their default."""
    if isinstance(value, Ident):
        return f"{value.type}/{value.id}" if value.id is not None else f"{value.type}/lid:{value.lid}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"@": type(value).__name__}
        for f in dataclasses.fields(value):
            if f.name == "at":
                continue
            v = getattr(value, f.name)
            if f.default is not dataclasses.MISSING and v == f.default:
                continue
            if f.default_factory is not dataclasses.MISSING and v == f.default_factory():
                continue
            out[f.name] = encode(v)
        return out
    if isinstance(value, (frozenset, set)):
        return sorted(encode(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# --- decoding ----------------------------------------------------------------------------------


def _classes() -> dict[str, type]:
    return {name: obj for name, obj in vars(model).items() if isinstance(obj, type) and dataclasses.is_dataclass(obj)}


def _aliases() -> dict[str, Any]:
    """The model's string type aliases (``Linkage``, ``Filter``, ``Result`` …) as real types."""
    namespace: dict[str, Any] = dict(vars(model))
    pending = {k: v for k, v in namespace.items() if isinstance(v, str) and k[:1].isupper()}
    while pending:
        done = {}
        for name, text in pending.items():
            try:
                done[name] = eval(text, namespace)  # the model's own annotations, never input
            except (NameError, TypeError):  # it names an alias not resolved yet
                continue
        if not done:
            raise RuntimeError(f"unresolvable type aliases in relgate.model: {sorted(pending)}")
        namespace.update(done)
        pending = {k: v for k, v in pending.items() if k not in done}
    return {k: namespace[k] for k, v in vars(model).items() if isinstance(v, str) and k[:1].isupper()}


CLASSES: dict[str, type] = _classes()
"""Every class the notation names in ``"@"``."""
_ALIASES = _aliases()
_HINTS: dict[type, dict[str, Any]] = {cls: typing.get_type_hints(cls, globalns=vars(model), localns=_ALIASES) for cls in CLASSES.values()}


def decode(value: Any, kind: Any = Any) -> Any:
    """The canonical value ``value`` (notation, as :func:`encode` writes it) stands for.

    ``kind`` is what is expected there: a model class, or the name of one of the model's type
    aliases (``"Result"``, ``"Op"``, ``"Linkage"``); ``Any``: whatever its ``"@"`` names.  Raises
    :class:`NotationError` naming the offending place.
    """
    if isinstance(kind, str):
        kind = _ALIASES.get(kind) or CLASSES[kind]
    return _decode(value, kind, "$")


def _decode(value: Any, kind: Any, where: str) -> Any:
    if kind is Any or kind is object:
        if isinstance(value, dict) and "@" in value:
            return _dataclass(value, None, where)
        return value
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _union(value, typing.get_args(kind), where)
    if origin is typing.Literal:
        if value not in typing.get_args(kind):
            raise NotationError(f"{where}: {value!r} is not one of {', '.join(map(repr, typing.get_args(kind)))}")
        return value
    if kind is Ident:
        return _ident(value, where)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass(value, kind, where)
    if origin is tuple:
        return _tuple(value, typing.get_args(kind), where)
    if origin in (frozenset, set):
        (item,) = typing.get_args(kind)
        return frozenset(_decode(v, item, f"{where}[{i}]") for i, v in enumerate(_array(value, where)))
    if origin in (Mapping, dict) or kind in (Mapping, dict):
        key, item = typing.get_args(kind) or (str, Any)
        if not isinstance(value, dict):
            raise NotationError(f"{where}: expected an object, got {_shown(value)}")
        return {_key(k, key, where): _decode(v, item, f"{where}.{k}") for k, v in value.items()}
    if kind in (str, int, float, bool):
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise NotationError(f"{where}: expected {kind.__name__}, got {_shown(value)}")
        return value
    if kind is type(None):
        if value is not None:
            raise NotationError(f"{where}: expected null, got {_shown(value)}")
        return None
    raise NotationError(f"{where}: cannot decode a value of type {kind!r}")


def _union(value: Any, options: tuple[Any, ...], where: str) -> Any:
    if value is None:
        if type(None) in options:
            return None
        raise NotationError(f"{where}: null is not allowed here")
    if isinstance(value, dict) and "@" in value:
        allowed = [o for o in options if _is_record(o)]
        return _dataclass(value, tuple(allowed), where)
    for option in options:  # the first that takes the value's JSON shape (Linkage: a string is an Ident, an array a tuple)
        if option is type(None) or _is_record(option):
            continue
        if _shape_fits(value, option):
            return _decode(value, option, where)
    raise NotationError(f"{where}: {_shown(value)} fits none of {' | '.join(_name(o) for o in options)}")


def _is_record(kind: Any) -> bool:
    """A model class written as an object with ``"@"`` (every dataclass but ``Ident``, written as a string)."""
    return isinstance(kind, type) and dataclasses.is_dataclass(kind) and kind is not Ident


def _shape_fits(value: Any, kind: Any) -> bool:
    origin = typing.get_origin(kind)
    if kind is Ident or kind is str:
        return isinstance(value, str)
    if origin in (tuple, frozenset, set):
        return isinstance(value, list)
    if origin in (Mapping, dict):
        return isinstance(value, dict)
    if kind in (int, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is bool:
        return isinstance(value, bool)
    return kind is Any


def _dataclass(value: Any, kind: type | tuple[type, ...] | None, where: str) -> Any:
    if not isinstance(value, dict) or "@" not in value:
        raise NotationError(f'{where}: expected an object naming its class in "@", got {_shown(value)}')
    name = value["@"]
    cls = CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise NotationError(f"{where}.@: unknown class {name!r}")
    if kind is not None and not issubclass(cls, kind):
        wanted = " | ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise NotationError(f"{where}: a {name} is not allowed here (expected {wanted})")
    hints = _HINTS[cls]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(k for k in value if k != "@" and (k not in fields or k == "at"))
    if unknown:
        raise NotationError(f"{where}: {name} has no field {', '.join(map(repr, unknown))}")
    args: dict[str, Any] = {}
    for fname, f in fields.items():
        if fname not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and fname != "at":
                raise NotationError(f"{where}: {name} needs {fname!r}")
            continue
        decoded = _decode(value[fname], hints[fname], f"{where}.{fname}")
        if cls is Cmp and fname == "value" and isinstance(decoded, list):
            decoded = tuple(decoded)  # in / not_in / between hold tuples
        args[fname] = decoded
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise NotationError(f"{where}: not a valid {name}: {exc}") from None


def _ident(value: Any, where: str) -> Ident:
    if not isinstance(value, str) or "/" not in value:
        raise NotationError(f'{where}: expected an identifier "type/id" or "type/lid:x", got {_shown(value)}')
    type_name, _, rest = value.partition("/")
    if not type_name or not rest:
        raise NotationError(f'{where}: expected an identifier "type/id" or "type/lid:x", got {_shown(value)}')
    if rest.startswith("lid:") and len(rest) > 4:
        return Ident(type_name, lid=rest[4:])
    return Ident(type_name, rest)


def _tuple(value: Any, args: tuple[Any, ...], where: str) -> tuple[Any, ...]:
    items = _array(value, where)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(v, args[0], f"{where}[{i}]") for i, v in enumerate(items))
    if len(items) != len(args):
        raise NotationError(f"{where}: expected {len(args)} items, got {len(items)}")
    return tuple(_decode(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(items, args, strict=True)))


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise NotationError(f"{where}: expected an array, got {_shown(value)}")
    return value


def _key(text: str, kind: Any, where: str) -> Any:
    """A mapping key: the string itself, or (a tuple key such as an aggregate's) the ``str()`` encode wrote."""
    if kind is str or kind is Any:
        return text
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise NotationError(f"{where}: the key {text!r} is not a {_name(kind)}") from None
    return _decode(list(parsed) if isinstance(parsed, tuple) else parsed, kind, f"{where}[{text!r}]")


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
