"""documentIds: stable, unique, reversible, letter-first, and unforgeable by accident."""

from __future__ import annotations

import random
import string

import pytest

from relgate.config import Config
from relgate.dialects.strapi.docids import DocumentIds
from relgate.schema import ResourceType


@pytest.fixture(scope="module")
def ids(example_config: Config) -> DocumentIds:
    return DocumentIds(example_config.schema.types)


def test_round_trip_for_every_id_style(ids: DocumentIds) -> None:
    cases = [("categories", "1"), ("people", "0"), ("people", "9223372036854775807")]
    cases += [("dids", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"), ("contactsources", "web"), ("contactsources", "é/ x?")]
    for type_, id_ in cases:
        doc = ids.encode(type_, id_)
        assert ids.decode(doc) == (type_, id_)
        assert doc[0].isalpha() and doc == doc.lower() and doc.isalnum()
    # An integer id beyond the store's 64-bit ids names nothing: its documentId decodes to nothing (a 404, not a driver overflow).
    for too_big in ("9223372036854775808", "9999999999999999999"):
        assert ids.decode(ids.encode("people", too_big)) is None


def test_integer_ids_look_like_cuid2(ids: DocumentIds) -> None:
    docs = [ids.encode("categories", str(i)) for i in range(1, 2001)]
    assert all(len(d) == 24 for d in docs)
    assert len(set(docs)) == 2000
    # consecutive ids share no visible sequence beyond the type tag
    assert len({d[4:10] for d in docs}) > 1990


def test_unique_across_types(ids: DocumentIds, example_config: Config) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for name, rtype in example_config.schema.types.items():
        for i in range(50):
            id_ = str(i) if rtype.id_style == "integer" else f"00000000-0000-0000-0000-{i:012d}" if rtype.id_style == "uuid" else f"s{i}"
            doc = ids.encode(name, id_)
            assert doc not in seen
            seen[doc] = (name, id_)


def test_stable_across_instances(ids: DocumentIds, example_config: Config) -> None:
    again = DocumentIds(example_config.schema.types)
    assert again.encode("restaurants", "42") == ids.encode("restaurants", "42")
    # Pinned: a change of encoding would break every documentId clients have stored.
    assert ids.encode("categories", "1") == "yvph21fed25tcv3m0mrw9gcg"


def test_rejects_what_relgate_did_not_make(ids: DocumentIds) -> None:
    good = ids.encode("categories", "7")
    rng = random.Random(5)
    for _ in range(300):
        i = rng.randrange(len(good))
        c = rng.choice(string.ascii_lowercase + string.digits)
        forged = good[:i] + c + good[i + 1 :]
        if forged != good:
            assert ids.decode(forged) is None
    for junk in ["", "1", "12", "z0y2x4w6v8u1t3s5r7q9onm", good.upper(), good + "0", good[:-1], "a" * 24, None, 5]:
        assert ids.decode(junk) is None  # type: ignore[arg-type]


def test_tag_collisions_are_refused() -> None:
    with pytest.raises(ValueError, match="share the documentId tag"):
        # two names whose tags collide are found by brute force once; the constructor must refuse them
        names = _colliding_names()
        DocumentIds({n: ResourceType(n, "integer", {}, {}) for n in names})


def _colliding_names() -> tuple[str, str]:
    from relgate.dialects.strapi.docids import _digest

    seen: dict[str, str] = {}
    i = 0
    while True:
        name = f"t{i}"
        tag = "".join(chr(ord("a") + b % 26) for b in _digest("relgate-type:" + name)[:4])
        if tag in seen:
            return seen[tag], name
        seen[tag] = name
        i += 1
