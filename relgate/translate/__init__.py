"""``relgate translate``: what the gateway would do with a request, offline.

    relgate translate --config gateway.toml --route /jsonapi requests.http [--answers FILE] [--format text|json]

For each request of a ``.http`` file (:mod:`.httpfile`) it prints the canonical ops the route's
front door reads, the planner's steps for the route's backend, each backend request the backend
dialect's client half writes (full URL, headers, body) with how it was answered, each write's undo,
and what the caller would get (:mod:`.report`).  The gateway's own pieces do the work
(:mod:`.run`); only the backend is stood in for (:mod:`.standin`): no network, no store.  Answers
the backend would give come from ``### answer`` blocks or ``--answers``, else from assumptions that
are printed beside each request.

Exit status: 0 when every request would succeed, 1 when one would be refused or fail (its error
document is printed, as the caller would get it), 2 when the command cannot run (configuration,
route, file, a ``.http`` text that is not one).
"""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from relgate.translate.command import main as run

    return run(args)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``relgate translate`` in the command line (see :mod:`relgate.cli`)."""
    p = sub.add_parser("translate", help="show, offline, what the gateway does with requests of a .http file (ops, plan, backend requests)")
    p.add_argument("--config", help="configuration file (default: $RELGATE_CONFIG, ./gateway.toml, else the example)")
    p.add_argument("--route", required=True, metavar="PREFIX", help="the route whose front door receives the requests (e.g. /jsonapi)")
    p.add_argument("--answers", metavar="FILE", help="canned backend answers ('### answer METHOD PATH' blocks) for every request")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text for people (default), json for tools")
    p.add_argument("file", metavar="FILE.http", help="requests in the .http form; - reads standard input")
