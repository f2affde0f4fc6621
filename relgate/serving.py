"""Running the gateway on uvicorn: one process or several workers, behind a proxy or not.

- ``workers > 1``: uvicorn's supervisor spawns the workers on the socket the caller bound; each
  builds its gateway from ``relgate.asgi:app`` (``RELGATE_CONFIG``, plus ``RELGATE_SERVE_STORE``
  for a ``--store`` override).  The parent opens the store once first, so the tables are
  created by one process (concurrent ``CREATE TABLE`` races on PostgreSQL) and a store that
  cannot be opened stops the start before any worker exists.  Metrics go to a private
  ``PROMETHEUS_MULTIPROC_DIR`` (removed at exit) so a scrape of any worker counts all of them.
  Several SQLite workers work: WAL lets readers run beside the one writer, and writers queue on
  ``BEGIN IMMEDIATE`` with a busy timeout (see tests/e2e/test_serve_ops.py).
- ``proxy_headers``: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed from
  ``server.trusted_proxies`` only (uvicorn's middleware); off, the peer address is the client.
- SIGTERM/SIGINT: uvicorn stops accepting, lets in-flight requests finish for
  ``server.shutdown_grace`` seconds, cancels what is left, then the lifespan shutdown closes
  the store's pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from relgate.config import Config
from relgate.logs import logging_config
from relgate.slow_clients import uvicorn_settings


def uvicorn_options(config: Config, *, log_level: str, proxy_headers: bool) -> dict[str, Any]:
    return {
        **uvicorn_settings(config.server),  # head deadline, keep-alive, connection cap, head size (slow_clients.py)
        "lifespan": "on",
        "log_config": logging_config(log_level),
        "log_level": log_level,
        "access_log": False,  # relgate.access replaces it
        "proxy_headers": proxy_headers,
        # uvicorn trusts any peer only for a lone "*"
        "forwarded_allow_ips": "*" if "*" in config.server.trusted_proxies else list(config.server.trusted_proxies),
        "timeout_graceful_shutdown": config.server.shutdown_grace,
    }


def run(
    config: Config,
    sock: socket.socket,
    *,
    app: Any = None,
    workers: int = 1,
    log_level: str = "info",
    proxy_headers: bool = False,
    store_override: str | None = None,
) -> int:
    """Serve ``config`` on the bound ``sock`` until a signal stops it; the exit status."""
    import uvicorn

    options = uvicorn_options(config, log_level=log_level, proxy_headers=proxy_headers)
    # Listen now: connections made before the workers are up wait in the backlog instead of being refused.
    sock.listen(2048)
    if workers == 1:
        if app is None:
            from relgate.app import Gateway

            app = Gateway(config)
        server = uvicorn.Server(uvicorn.Config(app, **options))
        _watchdog(server, config.server.shutdown_grace)
        with _stopped_by_signal():
            server.run(sockets=[sock])
        return 0 if server.started else 3
    return _run_workers(config, sock, workers, options, store_override)


def _supervisor_class() -> type:
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, except that a stop waits for a worker no longer than its grace period and LINGER."""

        def join_all(self) -> None:
            grace = self.config.timeout_graceful_shutdown or 0
            deadline = time.monotonic() + grace + LINGER
            for process in self.processes:
                process.process.join(max(0.0, deadline - time.monotonic()))
                if process.process.is_alive():
                    logging.getLogger("relgate").warning("worker %s still stopping after the grace period; ending it", process.pid)
                    process.kill()
                    process.process.join()

    return Supervisor


def _run_workers(config: Config, sock: socket.socket, workers: int, options: dict[str, Any], store_override: str | None) -> int:
    import uvicorn

    if any(route.target == "store" for route in config.routes):
        asyncio.run(_prepare_store(config))
    os.environ["RELGATE_CONFIG"] = str(Path(config.source).resolve())
    if store_override:
        os.environ["RELGATE_SERVE_STORE"] = store_override
    own_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="relgate-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    try:
        uconfig = uvicorn.Config("relgate.asgi:app", workers=workers, **options)
        supervisor = _supervisor_class()(uconfig, sockets=[sock])
        supervisor.run()
        # a worker stopped by the SIGTERM the supervisor sent it re-raised it after its graceful stop
        stopped = (0, None, -signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL)
        return 0 if all(p.exitcode in stopped for p in supervisor.processes) else 3
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


@contextlib.contextmanager
def _stopped_by_signal() -> Iterator[None]:
    """A graceful stop by SIGTERM or SIGINT ends with status 0 and no traceback.

    uvicorn re-raises the signal it caught once it has shut down (to end the process with it);
    with this handler in place that becomes an exception caught here, instead of death by
    SIGTERM (status 143) or a KeyboardInterrupt traceback on Ctrl-C.
    """
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


LINGER = 3.0
"""Seconds past the grace period (and the store's closing) after which a stop no longer waits.

A request cancelled at the end of the grace period may leave a database call that cannot be
cancelled: an aiosqlite thread in SQLite's busy wait (up to its 30 s timeout), which SQLAlchemy
waits for while it discards the connection.  Its transaction never committed, so ending the
process is safe (SQLite discards it) and keeps the stop within the grace period, as an
orchestrator expects before it sends SIGKILL."""


def _watchdog(server: Any, grace: float) -> None:
    """Single process: once a stop began, end the process if it outlives the grace period by LINGER."""

    def watch() -> None:
        while not server.should_exit:
            time.sleep(0.1)
        time.sleep(grace + LINGER + 0.2)  # uvicorn waits 0.1 s before the grace period starts
        logging.getLogger("relgate").warning("still stopping %.0f s after the grace period; exiting now", LINGER)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watch, name="relgate-stop-watchdog", daemon=True).start()


async def _prepare_store(config: Config) -> None:
    from relgate.store import Store

    store = Store.from_url(config.store_url, config.schema)
    try:
        await store.open()
    finally:
        await store.close()
