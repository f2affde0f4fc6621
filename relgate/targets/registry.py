"""Targets built from a configuration, by name: ``store`` and every ``[backends.NAME]``."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from starlette.types import ASGIApp

from relgate.config import Config, ConfigError
from relgate.dialects import client_factory
from relgate.targets import Target
from relgate.targets.remote import RemoteTarget


def backend_targets(
    config: Config, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None, apps: Mapping[str, ASGIApp] | None = None
) -> dict[str, RemoteTarget]:
    """One :class:`RemoteTarget` per configured backend.

    ``transports`` replaces a backend's connection pool (a mock in fault tests); ``apps`` says that a
    backend is an ASGI app in this very process (middleware mode: no socket at all).
    """
    transports = transports or {}
    apps = apps or {}
    out: dict[str, RemoteTarget] = {}
    for name, backend in config.backends.items():
        try:
            client = client_factory(backend.dialect)(config.schema, backend)
        except ConfigError as exc:  # errors keyed from the table (options.page: …)
            raise ConfigError([f"backends.{name}.{e}" for e in exc.errors]) from None
        except ValueError as exc:  # a dialect that cannot be a backend, or an option it does not take
            raise ConfigError([f"backends.{name}: {exc}"]) from None
        overlay = None
        if backend.order == "overlay":
            if client.capabilities.positions:
                raise ConfigError([f"backends.{name}.order: the backend keeps positions itself; 'overlay' is for backends without them"])
            from relgate.store.engine import make_engine  # the store only for a backend that keeps an overlay
            from relgate.store.overlay import OrderOverlay

            overlay = OrderOverlay(make_engine(config.store_url), name)
        target = RemoteTarget(config.schema, backend, client, transport=transports.get(name), app=apps.get(name), overlay=overlay)
        out[name] = target
    return out


def used(config: Config, targets: Mapping[str, Target]) -> dict[str, Target]:
    """The targets some route serves from (only those are opened)."""
    names = {r.target for r in config.routes}
    return {name: t for name, t in targets.items() if name in names}
