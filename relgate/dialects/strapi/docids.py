"""Strapi 5 documentIds for relgate resources: a stable, reversible encoding of (type, id).

Strapi 5 gives every document a ``documentId`` (a 24-character cuid2 such as
``z0y2x4w6v8u1t3s5r7q9onm``) besides its numeric row ``id``.  relgate computes one from the
resource's type and id instead of storing it, so no extra column and no lookup is needed:

    documentId = tag(type) + body(id) + check

- ``tag``: 4 letters from a hash of the canonical type name (a documentId always starts with a
  letter, so Strapi's "numeric means row id" rule never mistakes it for an id);
- ``body``: integer ids are scrambled by an invertible 64-bit mix (salted by the type) and
  written in base 36, 13 characters; uuid ids are the 128-bit value in base 36, 25 characters;
  string ids are their UTF-8 bytes in lowercase base 32;
- ``check``: 7 base-36 characters of a hash of tag + body, so a mistyped or invented
  documentId is recognised without touching the database.

Integer ids give 24 characters, like cuid2.  The encoding is deterministic: the same
resource always has the same documentId, across restarts and gateway instances.  It hides
nothing (anyone can decode it), exactly like Strapi's own ``id`` field beside it.  Renaming a
type changes its documentIds.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping

from relgate.schema import ResourceType, parse_id

_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
_MASK = (1 << 64) - 1
_K1 = 0x9E3779B97F4A7C15
_K2 = 0xBF58476D1CE4E5B9
_K1_INV = pow(_K1, -1, 1 << 64)
_K2_INV = pow(_K2, -1, 1 << 64)
_SHAPE = re.compile(r"^[a-z][a-z0-9]{11,}$")


def _base36(n: int, width: int) -> str:
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(_ALNUM[r])
    s = "".join(reversed(out)) or "0"
    return s.rjust(width, "0")


def _xorshift_inverse(y: int, shift: int) -> int:
    x = y
    for _ in range(64 // shift + 1):
        x = y ^ (x >> shift)
    return x & _MASK


def _mix(x: int) -> int:
    x = (x * _K1) & _MASK
    x ^= x >> 31
    x = (x * _K2) & _MASK
    return x ^ (x >> 29)


def _unmix(x: int) -> int:
    x = _xorshift_inverse(x, 29)
    x = (x * _K2_INV) & _MASK
    x = _xorshift_inverse(x, 31)
    return (x * _K1_INV) & _MASK


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class DocumentIds:
    """Encoder/decoder for one schema's types (tags compiled once, collisions refused)."""

    def __init__(self, types: Mapping[str, ResourceType]) -> None:
        self._types = dict(types)
        self._tag: dict[str, str] = {}
        self._salt: dict[str, int] = {}
        by_tag: dict[str, str] = {}
        for name in types:
            digest = _digest("relgate-type:" + name)
            tag = "".join(chr(ord("a") + b % 26) for b in digest[:4])
            if tag in by_tag:
                raise ValueError(f"types {by_tag[tag]!r} and {name!r} would share the documentId tag {tag!r}; rename one")
            by_tag[tag] = name
            self._tag[name] = tag
            self._salt[name] = int.from_bytes(digest[8:16], "big")
        self._by_tag = by_tag

    def encode(self, type_name: str, id_: str) -> str:
        rtype = self._types[type_name]
        tag = self._tag[type_name]
        if rtype.id_style == "integer":
            body = _base36(_mix(int(id_) ^ self._salt[type_name]), 13)
        elif rtype.id_style == "uuid":
            body = _base36(uuid.UUID(id_).int, 25)
        else:
            body = base64.b32encode(id_.encode()).decode().rstrip("=").lower()
        return tag + body + self._check(tag + body)

    def decode(self, document_id: str, expected: str | None = None) -> tuple[str, str] | None:
        """``(type, id)`` for a documentId relgate made, else None (an unknown document).

        ``expected`` is the type the place it stands in names (callers compare); only
        :class:`OpaqueIds` needs it."""
        if not isinstance(document_id, str) or not _SHAPE.match(document_id):
            return None
        tag, body, check = document_id[:4], document_id[4:-7], document_id[-7:]
        type_name = self._by_tag.get(tag)
        if type_name is None or not body or check != self._check(tag + body):
            return None
        style = self._types[type_name].id_style
        try:
            if style == "integer":
                if len(body) != 13:
                    return None
                raw = str(_unmix(int(body, 36)) ^ self._salt[type_name])
            elif style == "uuid":
                if len(body) != 25 or int(body, 36) >> 128:
                    return None
                raw = str(uuid.UUID(int=int(body, 36)))
            else:
                raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        id_ = parse_id(style, raw)
        if id_ is None or self.encode(type_name, id_) != document_id:
            return None
        return type_name, id_

    @staticmethod
    def _check(text: str) -> str:
        return _base36(int.from_bytes(_digest("relgate-check:" + text)[:5], "big") % 36**7, 7)


class OpaqueIds(DocumentIds):
    """documentIds taken as they are: the ids of a real Strapi, which relgate did not make.

    For the offline stand-in of a Strapi backend (``relgate translate``, see
    :func:`relgate.dialects.strapi.backend_door`): a documentId is the canonical id itself, of the
    type the place it stands in expects (a URL's content type, a relation's target); a numeric one
    stays a row id, as in Strapi.
    """

    def encode(self, type_name: str, id_: str) -> str:
        return id_

    def decode(self, document_id: str, expected: str | None = None) -> tuple[str, str] | None:
        if expected is None or not isinstance(document_id, str) or not document_id or document_id.isdigit():
            return None
        return expected, document_id
