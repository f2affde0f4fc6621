"""``relgate serve``, ``relgate check``, ``relgate migrate`` and ``relgate translate`` (:mod:`relgate.translate`)."""

from __future__ import annotations

import argparse
import dataclasses
import socket
import sys

from relgate.config import Config, ConfigError, store_url_problem
from relgate.configfile import NoConfigError, config_path, error_lines, load_checked
from relgate.startup import StartupError, open_store_once
from relgate.store import normalize_url


def _fail(line: str, code: int = 2) -> SystemExit:
    print(line, file=sys.stderr, flush=True)
    return SystemExit(code)


def load_config(path: str | None) -> Config:
    """The checked configuration, or every error one per line and exit 2 (as ``check`` prints them)."""
    try:
        found = config_path(path)
    except NoConfigError as exc:
        raise _fail(f"relgate: {exc}") from None
    try:
        return load_checked(found)
    except ConfigError as exc:
        print("\n".join(error_lines(found, exc)), file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def check(args: argparse.Namespace) -> int:
    """Every check ``serve`` makes before it opens the store (dialect options included)."""
    try:
        found = config_path(args.config)
    except NoConfigError as exc:
        print(f"relgate: {exc}", file=sys.stderr)
        return 1
    try:
        config = load_checked(found)
    except ConfigError as exc:
        print("\n".join(error_lines(found, exc)), file=sys.stderr)
        print(f"relgate: {found}: {len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    backends = f", {len(config.backends)} backends" if config.backends else ""
    print(f"{found}: OK — {len(config.schema.types)} types, {len(config.routes)} front doors{backends}")
    return 0


def serve(args: argparse.Namespace) -> int:
    from relgate.app import Gateway
    from relgate.serving import run as run_server

    config = load_config(args.config)
    if args.store:
        problem = store_url_problem(args.store)
        if problem:
            raise _fail(f"relgate: --store: {problem}")
        config = dataclasses.replace(config, store_url=normalize_url(args.store))
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only on sockets whose proto says TCP,
    # and without it keep-alive responses (headers, then body) stall on delayed ACKs (~40 ms).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"relgate: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    try:  # before anything says "listening": a store that cannot be opened is one line, exit 1
        if any(route.target == "store" for route in config.routes):  # (a store no route uses is never opened)
            open_store_once(config.store_url, config.schema)
    except StartupError as exc:
        sock.close()
        raise _fail(f"relgate: {exc}", 1) from None
    app = Gateway(config)
    shown = f"[{host}]" if ":" in host else host
    serving = ", ".join(f"store {app.store.url}" if n == "store" else f"backend {n} {config.backends[n].url}" for n in app.targets)
    print(f"relgate listening on http://{shown}:{port} (config {config.source}, {serving})", flush=True)
    for route in sorted(config.routes, key=lambda r: r.prefix):
        target = route.target if route.target == "store" else f"{route.target} ({config.backends[route.target].dialect})"
        print(f"  {route.prefix:<16} {route.dialect:<16} -> {target}", flush=True)
    return run_server(
        config, sock, app=app, workers=args.workers, log_level=args.log_level, proxy_headers=args.proxy_headers, store_override=args.store
    )


def migrate(args: argparse.Namespace) -> int:
    """Apply every difference between the store's tables and the configuration (``--dry-run``: show the SQL)."""
    import asyncio

    import sqlalchemy as sa

    from relgate.store import Store, StoreSchemaError

    config = load_config(args.config)
    store = Store.from_url(normalize_url(args.store) if args.store else config.store_url, config.schema)

    async def run() -> tuple[list[str], list[str]]:
        try:
            return await store.migrate(dry_run=args.dry_run)
        finally:
            await store.close()

    try:
        changes, statements = asyncio.run(run())
    except StoreSchemaError as exc:
        print(f"relgate: {exc}", file=sys.stderr)
        return 1
    except sa.exc.DBAPIError as exc:
        print(f"relgate: the migration failed and nothing was changed: {exc.orig}", file=sys.stderr)
        return 1
    if not changes:
        print(f"store {store.url} matches the configuration: nothing to do")
        return 0
    for change in changes:
        print(f"- {change}")
    if args.dry_run:
        print(f"-- dry run on {store.url}: nothing was changed; the SQL `relgate migrate` would run:")
        for statement in statements:
            print(f"{statement};")
    else:
        print(f"store {store.url}: applied {len(changes)} change(s)")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relgate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="relgate", description="A gateway between the relationship dialects of REST APIs.")
    parser.add_argument("--version", action="version", version=f"relgate {_version()}")
    sub = parser.add_subparsers(dest="command")
    p_serve = sub.add_parser("serve", help="serve the configured front doors (the default command)")
    p_serve.add_argument("--config", help="configuration file (default: $RELGATE_CONFIG, ./gateway.toml, else the example)")
    p_serve.add_argument("--host", help="address to bind (default: server.host, 127.0.0.1)")
    p_serve.add_argument("--port", type=int, help="port (default: server.port, 8080; 0 picks a free one)")
    p_serve.add_argument("--store", help="store URL: sqlite:///path or postgresql://… (overrides store.url)")
    p_serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p_serve.add_argument("--workers", type=_positive, default=1, help="worker processes on the one socket (default 1)")
    p_serve.add_argument(
        "--proxy-headers", action="store_true", help="believe X-Forwarded-For/-Proto from server.trusted_proxies (behind nginx …)"
    )
    p_check = sub.add_parser("check", help="check a configuration and report every error with its key path")
    p_check.add_argument("--config", help="configuration file (default: $RELGATE_CONFIG, ./gateway.toml, else the example)")
    p_init = sub.add_parser("init", help="write a starting configuration from a Strapi project or SQLAlchemy models")
    source = p_init.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-strapi", metavar="DIR", help="a Strapi project (reads src/api/*/content-types/*/schema.json)")
    source.add_argument("--from-sqlalchemy", metavar="MODULE:BASE", help="SQLAlchemy models: a declarative base or a MetaData")
    p_init.add_argument("-o", "--output", default="gateway.toml", help="file to write, - for standard output (default: gateway.toml)")
    p_init.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p_migrate = sub.add_parser("migrate", help="bring the store's tables in line with the configuration (also what start-up refuses)")
    p_migrate.add_argument("--config", help="configuration file (default: $RELGATE_CONFIG, ./gateway.toml, else the example)")
    p_migrate.add_argument("--store", help="store URL (overrides store.url)")
    p_migrate.add_argument("--dry-run", action="store_true", help="print the changes and their SQL; change nothing")
    from relgate.translate import add_parser as add_translate

    add_translate(sub)
    args = parser.parse_args(argv)
    if args.command == "translate":
        from relgate.translate import main as translate

        return translate(args)
    if args.command == "init":
        from relgate.init import main as init

        return init(args)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or sys.argv[1:])])
    if args.command == "check":
        return check(args)
    if args.command == "migrate":
        return migrate(args)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
