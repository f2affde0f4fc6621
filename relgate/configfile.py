"""Which configuration file a command uses, and how its errors are printed.

``--config FILE``, else ``$RELGATE_CONFIG``, else ``./gateway.toml``, else ``./gateway.example.toml``,
else the example shipped inside the package (so ``relgate serve`` answers from any directory
after ``pip install relgate``).  ``serve`` and ``check`` print a configuration's errors the same
way, one line each, so what ``check`` reports is exactly what ``serve`` refuses.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from relgate.config import Config, ConfigError, load

EXAMPLE_NAME = "gateway.example.toml"
ENV_VAR = "RELGATE_CONFIG"


class NoConfigError(Exception):
    """No configuration file could be found (the message says where relgate looked)."""


def packaged_example() -> Path | None:
    """The example configuration of the installed package (a source checkout: the repository's)."""
    shipped = files("relgate").joinpath(EXAMPLE_NAME)
    if shipped.is_file():
        return Path(str(shipped))
    checkout = Path(__file__).resolve().parent.parent / EXAMPLE_NAME
    return checkout if checkout.is_file() else None


def config_path(explicit: str | None) -> Path:
    """The file a command reads: ``explicit``, ``$RELGATE_CONFIG``, the working directory's, the example."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    for candidate in (Path("gateway.toml"), Path(EXAMPLE_NAME)):
        if candidate.is_file():
            return candidate
    example = packaged_example()
    if example is None:
        raise NoConfigError(f"no configuration found (looked for ./gateway.toml and ./{EXAMPLE_NAME}); pass --config FILE or set {ENV_VAR}")
    return example


def load_checked(path: Path) -> Config:
    """:func:`relgate.config.load`, then the backends' client halves built (they check their options)."""
    from relgate.targets.registry import backend_targets

    config = load(path)
    backend_targets(config)  # no I/O: a client half checks its backend's options
    return config


def error_lines(path: Path, error: ConfigError) -> list[str]:
    """One line per error: ``relgate: FILE: key.path: message``."""
    return [f"relgate: {path}: {e}" for e in error.errors]
