"""Configuration: storage derived from relationships and inverses, names, policies."""

from __future__ import annotations

from typing import Any

import pytest

from relgate.config import Config, ConfigError, from_dict


def test_storage_follows_the_inverse_pairs(example_config: Config) -> None:
    s = example_config.schema
    people, articles = s["people"], s["articles"]
    assert articles.relationships["author"].storage.kind == "fk_here"
    assert people.relationships["articles"].storage.kind == "fk_there"
    assert people.relationships["articles"].storage.column == articles.relationships["author"].storage.column
    cats = s["restaurants"].relationships["categories"].storage
    back = s["categories"].relationships["restaurants"].storage
    assert cats.kind == back.kind == "join" and cats.table == back.table
    assert (cats.near, cats.far) == (back.far, back.near)
    assert cats.rank is not None and back.rank is None
    assert s["trunk_groups"].relationships["trunks"].storage.kind == "join"


def test_names_and_aliases(example_config: Config) -> None:
    s = example_config.schema
    assert s.names_for("restless-legacy")["person"].name == "people"
    assert s.accepted_for("jsonapi")["person"].name == "people"
    assert "person" not in s.names_for("jsonapi")


def test_route_policy_overrides_the_schema() -> None:
    config = from_dict(
        {
            "routes": [
                {"prefix": "/a", "dialect": "jsonapi"},
                {"prefix": "/b", "dialect": "jsonapi", "policies": {"people.pets": {"allow_replace": False}}},
            ],
            "types": {
                "people": {"relationships": {"pets": {"type": "pets", "many": True, "policies": {"allow_remove": False}}}},
                "pets": {},
            },
        }
    )
    rel = config.schema["people"].relationships["pets"]
    a, b = sorted(config.routes, key=lambda r: r.prefix)
    assert (a.policy(rel, "allow_replace"), b.policy(rel, "allow_replace")) == (True, False)
    assert (a.policy(rel, "allow_remove"), b.policy(rel, "allow_remove")) == (False, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"routes": [{"prefix": "/a", "dialect": "jsonapi"}]}, "types: at least one type is required"),
        ({"types": {"a": {}}}, "routes: at least one route is required"),
        (
            {"routes": [{"prefix": "/a", "dialect": "jsonapi"}, {"prefix": "/a", "dialect": "jsonapi"}], "types": {"a": {}}},
            "routes[1].prefix: duplicate prefix '/a'",
        ),
        (
            {"routes": [{"prefix": "/a", "dialect": "jsonapi", "policies": {"a.nope": {}}}], "types": {"a": {}}},
            "routes[0].policies.a.nope: must name a relationship",
        ),
        (
            {
                "routes": [{"prefix": "/a", "dialect": "jsonapi"}],
                "types": {"a": {"relationships": {"b": {"type": "b", "inverse": "a"}}}, "b": {"relationships": {"a": {"type": "b"}}}},
            },
            "types.a.relationships.b.inverse: b.a does not point back at a.b",
        ),
        ({"routes": [{"prefix": "/a", "dialect": "jsonapi"}], "types": {"a": {"colour": 1}}}, "types.a.colour: unknown key"),
        (
            {
                "routes": [{"prefix": "/a", "dialect": "jsonapi"}],
                "types": {"a": {"attributes": {"x": "string"}, "relationships": {"x": {"type": "a"}}}},
            },
            "types.a.relationships.x: a relationship cannot share its name",
        ),
    ],
)
def test_errors_carry_key_paths(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(data)
    assert any(e.startswith(message) for e in err.value.errors), err.value.errors


_TYPES = {"people": {"attributes": {"name": "string"}, "relationships": {"pets": {"type": "pets", "many": True}}}, "pets": {}}


def test_backends_and_routes_that_target_them() -> None:
    config = from_dict(
        {
            "backends": {
                "legacy": {
                    "dialect": "restless-legacy",
                    "url": "http://127.0.0.1:5017/api/",
                    "timeout": 3,
                    "headers": {"Authorization": "Bearer t"},
                    "policies": {"people.pets": {"allow_replace": False}},
                }
            },
            "routes": [{"prefix": "/jsonapi", "dialect": "jsonapi", "target": "legacy"}],
            "types": _TYPES,
        }
    )
    backend = config.backends["legacy"]
    assert (backend.dialect, backend.url, backend.timeout) == ("restless-legacy", "http://127.0.0.1:5017/api", 3.0)
    assert backend.headers == {"Authorization": "Bearer t"}
    assert backend.policy(config.schema["people"].relationships["pets"], "allow_replace") is False
    assert config.routes[0].target == "legacy"


@pytest.mark.parametrize(
    ("backend", "route_target", "key"),
    [
        ({"dialect": "graphql", "url": "http://x/api"}, "b", "backends.b.dialect: unknown dialect 'graphql'"),
        ({"dialect": "jsonapi", "url": "ftp://x/api"}, "b", "backends.b.url: must be an http:// or https:// URL"),
        ({"dialect": "jsonapi", "url": "http:///api"}, "b", "backends.b.url: must be an http:// or https:// URL"),
        ({"dialect": "jsonapi", "url": "http://x/api?a=1"}, "b", "backends.b.url: must not have a query"),
        ({"dialect": "jsonapi", "url": "http://x:99999/api"}, "b", "backends.b.url: has an invalid port"),
        ({"dialect": "jsonapi", "url": "http://x/api", "timeout": 0}, "b", "backends.b.timeout: must be a positive number"),
        ({"dialect": "jsonapi", "url": "http://x/api", "headers": {"X-A": "a\nb"}}, "b", "backends.b.headers.X-A:"),
        ({"dialect": "jsonapi", "url": "http://x/api", "policies": {"people.cats": {}}}, "b", "backends.b.policies.people.cats: must name"),
        ({"dialect": "jsonapi", "url": "http://x/api", "retries": 3}, "b", "backends.b.retries: unknown key"),
        ({"dialect": "jsonapi", "url": "http://x/api"}, "missing", "routes[0].target: unknown target 'missing' (known: store, b;"),
        ({"dialect": "jsonapi", "url": "http://x/api", "order": "relgate"}, "b", "backends.b.order: must be one of 'backend', 'overlay'"),
        ({"dialect": "jsonapi", "url": "http://x/api", "order": True}, "b", "backends.b.order: must be str"),
        ({"dialect": "jsonapi", "url": "http://x/api", "max_emulated_rows": 0}, "b", "backends.b.max_emulated_rows: must be a positive"),
        ({"dialect": "jsonapi", "url": "http://x/api", "max_emulated_rows": True}, "b", "backends.b.max_emulated_rows: must be int"),
    ],
)
def test_backend_errors_have_key_paths(backend: dict[str, Any], route_target: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict({"backends": {"b": backend}, "routes": [{"prefix": "/j", "dialect": "jsonapi", "target": route_target}], "types": _TYPES})
    assert any(e.startswith(key) for e in info.value.errors), info.value.errors


def test_a_backend_cannot_be_called_store() -> None:
    with pytest.raises(ConfigError) as info:
        backends = {"store": {"dialect": "jsonapi", "url": "http://x"}}
        from_dict({"backends": backends, "routes": [{"prefix": "/j", "dialect": "jsonapi"}], "types": _TYPES})
    assert info.value.errors[0].startswith("backends.store:")


def test_order_and_max_emulated_rows_of_a_backend(tmp_path) -> None:
    from relgate.configfile import load_checked

    data = {"backends": {"b": {"dialect": "jsonapi", "url": "http://x/api", "order": "overlay", "max_emulated_rows": 50}},
            "routes": [{"prefix": "/j", "dialect": "jsonapi", "target": "b"}], "types": _TYPES}  # fmt: skip
    backend = from_dict(data).backends["b"]
    assert (backend.order, backend.max_emulated_rows) == ("overlay", 50)
    assert (from_dict({**data, "backends": {"b": {"dialect": "jsonapi", "url": "http://x/api"}}}).backends["b"].order) == "backend"
    strapi = tmp_path / "strapi.toml"
    strapi.write_text(
        '[backends.s]\ndialect = "strapi"\nurl = "http://x/api"\norder = "overlay"\n'
        '[[routes]]\nprefix = "/j"\ndialect = "jsonapi"\ntarget = "s"\n[types.people]\nid = "string"\nattributes = { name = "string" }\n'
    )
    with pytest.raises(ConfigError) as info:  # Strapi keeps positions itself: the overlay would be a second truth
        load_checked(strapi)
    assert info.value.errors == ["backends.s.order: the backend keeps positions itself; 'overlay' is for backends without them"]
