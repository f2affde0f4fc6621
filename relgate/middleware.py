"""relgate inside an existing ASGI app: other dialects' front doors over the app's own API.

``RelgateMiddleware(app, config=…, backend="NAME")`` serves the configured routes; the named
``[backends.NAME]`` (its ``dialect``, and the path of its ``url`` as the app's API root) is the
wrapped app itself.  A request under one of relgate's prefixes is parsed in the caller's dialect
and sent to the app in the app's own dialect in-process — through :class:`httpx.ASGITransport`
for translated requests, by a direct call (rebased onto the API root) for requests that pass
through — so no socket is opened.  Everything else goes to the app untouched: same scope, same
``receive`` and ``send``, no body read, no header added.  Lifespan events reach the app; relgate's
targets open with the app's start-up (or on the first request, under servers without lifespan)
and close after its shutdown.

Works with Starlette's and FastAPI's ``add_middleware`` (``app.add_middleware(RelgateMiddleware,
config="gateway.toml", backend="api")``).  For WSGI apps see :mod:`relgate.wsgi`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relgate.config import Config, load


class RelgateMiddleware:
    def __init__(self, app: ASGIApp, config: Config | str | Path, backend: str) -> None:
        from relgate.app import Gateway

        self.app = app
        self.config = config if isinstance(config, Config) else load(config)
        if backend not in self.config.backends:
            known = ", ".join(sorted(self.config.backends)) or "none"
            raise ValueError(f"RelgateMiddleware: no [backends.{backend}] in the configuration (backends: {known})")
        self.backend = backend
        self.gateway = Gateway(self.config, apps={backend: app})
        self.prefixes = tuple(sorted((r.prefix for r in self.config.routes), key=len, reverse=True))
        self._opening = asyncio.Lock()

    def serves(self, path: str) -> bool:
        """Whether ``path`` lies under one of relgate's front doors."""
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, self._startup_first(receive), self._shutdown_after(send))
            return
        if kind == "http" and self.serves(_relative(scope)):
            if not self.gateway.started:
                async with self._opening:
                    await self.gateway.startup()
            await self.gateway.app(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _startup_first(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                async with self._opening:
                    await self.gateway.startup()
            return message

        return wrapped

    def _shutdown_after(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.gateway.shutdown()
            await send(message)

        return wrapped

    async def aclose(self) -> None:
        """Close relgate's targets (for servers that never send a shutdown event)."""
        await self.gateway.shutdown()


def _relative(scope: Scope) -> str:
    root, path = scope.get("root_path", ""), scope["path"]
    return path[len(root) :] if root and path.startswith(root) else path
