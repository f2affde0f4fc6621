"""Front-door options of the ``restless-legacy`` dialect, checked once at start-up.

They mirror the keyword arguments of Flask-Restless 0.17's ``APIManager.create_api``::

    [routes.options]
    results_per_page = 10          # server default page size; 0 disables pagination
    max_results_per_page = 100     # cap on the client's results_per_page
    only_listed = false            # true: only collections named below are served
    [routes.options.defaults]      # applies to every collection not listed below
    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    allow_patch_many = true
    allow_delete_many = true
    allow_functions = true
    [routes.options.collections.article]
    methods = ["GET"]

Collection names are the dialect's names of the types (``names.restless-legacy``).  Without
any options a collection gets 0.17's own defaults: ``methods = ["GET"]``, no bulk PATCH or
DELETE, no ``/eval``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relgate.config import RouteOptionsError
from relgate.suggest import did_you_mean

METHODS: frozenset[str] = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
DEFAULT_RESULTS_PER_PAGE = 10
"""Flask-Restless 0.17's default ``results_per_page``."""


@dataclass(frozen=True, slots=True)
class CollectionSettings:
    methods: frozenset[str] = frozenset({"GET"})
    allow_patch_many: bool = False
    allow_delete_many: bool = False
    allow_functions: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    results_per_page: int
    max_results_per_page: int
    only_listed: bool
    defaults: CollectionSettings
    collections: Mapping[str, CollectionSettings]

    def for_collection(self, name: str) -> CollectionSettings | None:
        """The settings of a collection, or None when this front door does not serve it."""
        found = self.collections.get(name)
        if found is not None:
            return found
        return None if self.only_listed else self.defaults


def read_settings(options: Mapping[str, Any], *, prefix: str, collection_names: frozenset[str], max_page_size: int) -> Settings:
    """Check a route's ``options`` table; every problem is reported with its key path (from the route)."""
    errors: list[str] = []
    key = "options"
    allowed = {"results_per_page", "max_results_per_page", "only_listed", "defaults", "collections"}
    for name in options:
        if name not in allowed:
            errors.append(f"{key}.{name}: unknown key{did_you_mean(name, allowed)} (expected one of {', '.join(sorted(allowed))})")
    rpp = _int(options, "results_per_page", DEFAULT_RESULTS_PER_PAGE, key, errors)
    max_rpp = _int(options, "max_results_per_page", max_page_size, key, errors)
    if max_rpp < 1:
        errors.append(f"{key}.max_results_per_page: must be at least 1")
    only_listed = options.get("only_listed", False)
    if not isinstance(only_listed, bool):
        errors.append(f"{key}.only_listed: must be bool")
        only_listed = False
    defaults = _collection(options.get("defaults", {}), f"{key}.defaults", CollectionSettings(), errors)
    collections: dict[str, CollectionSettings] = {}
    raw = options.get("collections", {})
    if not isinstance(raw, Mapping):
        errors.append(f"{key}.collections: must be a table")
        raw = {}
    for name, value in raw.items():
        ckey = f"{key}.collections.{name}"
        if name not in collection_names:
            hint = did_you_mean(name, collection_names)
            errors.append(f"{ckey}: no type is called {name!r} in this dialect{hint} (known: {', '.join(sorted(collection_names))})")
            continue
        collections[name] = _collection(value, ckey, defaults, errors)
    if errors:
        raise RouteOptionsError(errors)
    return Settings(rpp, max_rpp, only_listed, defaults, collections)


def _int(options: Mapping[str, Any], name: str, default: int, key: str, errors: list[str]) -> int:
    value = options.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(f"{key}.{name}: must be a non-negative integer")
        return default
    return value


def _collection(value: Any, key: str, base: CollectionSettings, errors: list[str]) -> CollectionSettings:
    if not isinstance(value, Mapping):
        errors.append(f"{key}: must be a table")
        return base
    flags = {"allow_patch_many", "allow_delete_many", "allow_functions"}
    for name in value:
        if name not in flags | {"methods"}:
            keys = flags | {"methods"}
            errors.append(f"{key}.{name}: unknown key{did_you_mean(name, keys)} (expected one of {', '.join(sorted(keys))})")
    methods = base.methods
    if "methods" in value:
        raw = value["methods"]
        if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
            errors.append(f"{key}.methods: must be an array of method names")
        else:
            upper = frozenset(m.upper() for m in raw)
            bad = sorted(upper - METHODS)
            if bad:
                errors.append(f"{key}.methods: unknown method(s) {', '.join(bad)} (known: {', '.join(sorted(METHODS))})")
            methods = upper & METHODS
    out: dict[str, bool] = {}
    for name in flags:
        flag = value.get(name, getattr(base, name))
        if not isinstance(flag, bool):
            errors.append(f"{key}.{name}: must be bool")
            flag = getattr(base, name)
        out[name] = flag
    return CollectionSettings(methods=methods, **out)
