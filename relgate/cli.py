"""``relgate serve`` and ``relgate check``."""

from __future__ import annotations

import argparse
import dataclasses
import socket
import sys
from pathlib import Path

from relgate.config import Config, ConfigError, load
from relgate.store import normalize_url

EXAMPLE_NAME = "gateway.example.toml"


def default_config_path() -> Path:
    """``./gateway.toml``, else ``./gateway.example.toml``, else the example beside the package."""
    for candidate in (Path("gateway.toml"), Path(EXAMPLE_NAME), Path(__file__).resolve().parent.parent / EXAMPLE_NAME):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"relgate: no configuration found (looked for ./gateway.toml and ./{EXAMPLE_NAME}); pass --config FILE")


def _load(path: str | None) -> Config:
    config_path = Path(path) if path else default_config_path()
    try:
        return load(config_path)
    except ConfigError as exc:
        print(f"relgate: {config_path} has {len(exc.errors)} error(s):", file=sys.stderr)
        for e in exc.errors:
            print(f"  {e}", file=sys.stderr)
        raise SystemExit(2) from None


def check(args: argparse.Namespace) -> int:
    config_path = Path(args.config) if args.config else default_config_path()
    try:
        config = load(config_path)
        from relgate.targets.registry import backend_targets

        backend_targets(config)  # the client halves check their backend's options (no I/O)
    except ConfigError as exc:
        for e in exc.errors:
            print(f"{config_path}: {e}", file=sys.stderr)
        print(f"{len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    backends = f", {len(config.backends)} backends" if config.backends else ""
    print(f"{config_path}: OK — {len(config.schema.types)} types, {len(config.routes)} front doors{backends}")
    return 0


def serve(args: argparse.Namespace) -> int:
    from relgate.app import Gateway
    from relgate.serving import run as run_server

    config = _load(args.config)
    if args.store:
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
    p_serve.add_argument("--config", help="configuration file (default: ./gateway.toml, else the example)")
    p_serve.add_argument("--host", help="address to bind (default: server.host, 127.0.0.1)")
    p_serve.add_argument("--port", type=int, help="port (default: server.port, 8080; 0 picks a free one)")
    p_serve.add_argument("--store", help="store URL: sqlite:///path or postgresql://… (overrides store.url)")
    p_serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p_serve.add_argument("--workers", type=_positive, default=1, help="worker processes on the one socket (default 1)")
    p_serve.add_argument(
        "--proxy-headers", action="store_true", help="believe X-Forwarded-For/-Proto from server.trusted_proxies (behind nginx …)"
    )
    p_check = sub.add_parser("check", help="check a configuration and report every error with its key path")
    p_check.add_argument("--config", help="configuration file (default: ./gateway.toml, else the example)")
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or sys.argv[1:])])
    if args.command == "check":
        return check(args)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
