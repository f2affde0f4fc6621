"""``${VAR}`` references in configuration strings."""

from __future__ import annotations

from typing import Any

from relgate.envsubst import substitute


def run(data: Any, env: dict[str, str]) -> tuple[Any, list[str]]:
    errors: list[str] = []
    out = substitute(data, env, lambda key, message: errors.append(f"{key}: {message}"))
    return out, errors


def test_references_in_nested_strings_are_replaced() -> None:
    data = {"store": {"url": "postgresql://${USER}:${PASS}@db/${DB:-relgate}"}, "routes": [{"prefix": "/${P}"}], "server": {"port": 80}}
    out, errors = run(data, {"USER": "u", "PASS": "p$w}rd", "P": "api"})
    assert errors == []
    assert out == {"store": {"url": "postgresql://u:p$w}rd@db/relgate"}, "routes": [{"prefix": "/api"}], "server": {"port": 80}}


def test_a_default_applies_when_unset_or_empty() -> None:
    assert run("${A:-x}", {}) == ("x", [])
    assert run("${A:-x}", {"A": ""}) == ("x", [])
    assert run("${A:-}", {}) == ("", [])
    assert run("${A:-x}", {"A": "y"}) == ("y", [])


def test_an_unset_variable_is_an_error_with_its_key_path() -> None:
    out, errors = run({"backends": {"crm": {"token": "Bearer ${CRM_TOKEN}"}}, "l": ["${B}"]}, {})
    assert errors == [
        "backends.crm.token: environment variable CRM_TOKEN is not set (write ${CRM_TOKEN:-default} for a default)",
        "l[0]: environment variable B is not set (write ${B:-default} for a default)",
    ]
    assert out["backends"]["crm"]["token"] == "Bearer ${CRM_TOKEN}"


def test_bare_dollars_and_escapes_are_left_alone() -> None:
    assert run("pa$$word $HOME $${LITERAL} ${A}", {"A": "a", "HOME": "/root"}) == ("pa$$word $HOME ${LITERAL} a", [])


def test_a_malformed_reference_is_an_error() -> None:
    for text in ("${}", "${1A}", "${A", "${A B}"):
        _, errors = run({"k": text}, {"A": "a"})
        assert len(errors) == 1 and errors[0].startswith("k: ") and "is not a variable reference" in errors[0], (text, errors)


def test_a_value_from_the_environment_is_not_substituted_again() -> None:
    assert run("${A}", {"A": "${B}", "B": "no"}) == ("${B}", [])
