"""Logging: one JSON object per line (python-json-logger over the stdlib), on standard error.

:func:`logging_config` is a ``dictConfig`` for relgate's loggers, uvicorn's and the root logger,
handed to uvicorn so every worker process applies it.  ``relgate.access`` carries the one line
per request (:func:`access`); ``relgate`` the errors, with the traceback in the ``traceback``
field.  Every record made while a request is served carries its ``request_id``.

Nothing here logs a header, so no ``Authorization``, cookie or API key reaches a line; query
strings can carry secrets too (``?access_token=…``, signed URLs), so the values of parameters
whose name has a word such as ``token``, ``key``, ``secret``, ``password``, ``auth`` or
``signature`` are replaced by ``[redacted]`` (see :data:`SECRET_WORDS`).
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote

from pythonjsonlogger.core import RESERVED_ATTRS

from relgate import context

ACCESS = logging.getLogger("relgate.access")

SECRET_WORDS = frozenset(
    {
        "token",
        "accesstoken",
        "access_token",
        "refresh_token",
        "id_token",
        "jwt",
        "key",
        "apikey",
        "api_key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "signature",
        "sig",
        "session",
        "sessionid",
    }
)
_WORDS = re.compile(r"[a-z0-9]+")
REDACTED = "[redacted]"


def _secret_name(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in SECRET_WORDS or any(word in SECRET_WORDS for word in _WORDS.findall(lowered))


def redact_query(query: str) -> str:
    """``query`` with the values of secret-looking parameters replaced (names and order kept)."""
    if not query:
        return query
    parts = []
    for item in query.split("&"):
        name, eq, _value = item.partition("=")
        parts.append(f"{name}={REDACTED}" if eq and _secret_name(name) else item)
    return "&".join(parts)


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record made while it is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = context.current_request_id()
            if rid is not None:
                record.request_id = rid
        return True


def json_formatter() -> logging.Formatter:
    """``{"level", "logger", "pid", "message", …extra fields, "traceback", "time"}``, one object per line."""
    from pythonjsonlogger.orjson import OrjsonFormatter

    return OrjsonFormatter(
        "%(levelname)s %(name)s %(process)d %(message)s",
        rename_fields={"levelname": "level", "name": "logger", "process": "pid", "exc_info": "traceback"},
        timestamp="time",
        # uvicorn adds a coloured copy of some messages; one copy is enough.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def logging_config(level: str = "info") -> dict[str, Any]:
    """The ``dictConfig`` of ``relgate serve``: JSON lines on stderr at ``level``; uvicorn's access log off."""
    level = level.upper()
    handler = ["json"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "relgate.logs.json_formatter"},
        },
        "filters": {"request_id": {"()": "relgate.logs.RequestIdFilter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "relgate": {"handlers": handler, "level": level, "propagate": False},
            "uvicorn": {"handlers": handler, "level": level, "propagate": False},
            # relgate.access replaces uvicorn's access log.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"handlers": handler, "level": "WARNING"},
    }


def configure_if_unset(level: str = "info") -> None:
    """Under a foreign ASGI server (``uvicorn relgate.asgi:app``): relgate's JSON lines, unless already set up."""
    if not logging.getLogger("relgate").handlers:
        config = logging_config(level)
        config["loggers"] = {"relgate": config["loggers"]["relgate"]}
        config.pop("root")
        logging.config.dictConfig(config)


def access(
    scope: dict[str, Any],
    *,
    status: int,
    seconds: float,
    ctx: context.RequestContext,
    route: str,
    level: int = logging.INFO,
) -> None:
    """The request's line: ``{"message": "request", "method", "path", "query", "route", "status", …}``."""
    if not ACCESS.isEnabledFor(level):
        return
    client = scope.get("client")
    extra: dict[str, Any] = {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "request_id": ctx.request_id,
        "backend_requests": ctx.backend_requests,
        "client": client[0] if client else None,
    }
    query = scope.get("query_string", b"")
    if query:
        extra["query"] = redact_query(query.decode("latin-1"))
    ACCESS.log(level, "request", extra=extra)
