"""``${VAR}`` references in configuration values, replaced from the environment.

Only string values are substituted, after TOML parsing, so a value can never change the
structure of the file (no TOML injection through an environment variable).  The syntax is the
shell's braced form and nothing else: ``${NAME}`` (an unset variable is an error naming the
key), ``${NAME:-default}`` (the default when unset or empty) and ``$${`` for a literal ``${``.
A bare ``$NAME`` is left as it is, so passwords and patterns containing ``$`` need no escaping.
(The general-purpose expanders on PyPI also expand bare ``$NAME``, which would rewrite them.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?")


def substitute(data: Any, environ: Mapping[str, str], error: Callable[[str, str], None], key: str = "") -> Any:
    """``data`` with every ``${…}`` in its strings replaced; each problem goes to ``error(key, message)``."""
    if isinstance(data, str):
        return _string(data, environ, error, key)
    if isinstance(data, Mapping):
        return {k: substitute(v, environ, error, f"{key}.{k}" if key else k) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, environ, error, f"{key}[{i}]") for i, v in enumerate(data)]
    return data


def _string(text: str, environ: Mapping[str, str], error: Callable[[str, str], None], key: str) -> str:
    if "$" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "$${":
            return "${"
        name, default = m.group(1), m.group(2)
        if name is None:
            error(key, f"{whole!r} is not a variable reference: write ${{NAME}} or ${{NAME:-default}} ($${{ for a literal ${{)")
            return whole
        value = environ.get(name)
        if default is not None and not value:
            return default
        if value is None:
            error(key, f"environment variable {name} is not set (write ${{{name}:-default}} for a default)")
            return whole
        return value

    return _REFERENCE.sub(replace, text)
