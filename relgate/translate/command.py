"""The ``relgate translate`` command: a ``.http`` file read, each request translated, the report printed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from relgate.config import Config
from relgate.model import Problem
from relgate.translate import report
from relgate.translate.httpfile import CannedAnswer, HttpFileError, parse, parse_answers
from relgate.translate.run import Translator, UnknownRoute
from relgate.translate.standin import Placeholders


class TranslateError(Exception):
    """The command cannot run; ``document`` is the caller's error document when a route is known."""

    def __init__(self, message: str, document: str = "") -> None:
        super().__init__(message)
        self.document = document


def translate(
    config: Config | Translator,
    prefix: str,
    text: str,
    *,
    source: str = "",
    answers: str | None = None,
    answers_source: str = "",
    fmt: str = "text",
) -> tuple[str, bool]:
    """The report for every request of ``text`` (a ``.http`` file) and whether all would succeed.

    Raises :class:`UnknownRoute`, or :class:`TranslateError` for a ``.http`` or answers text that
    cannot be read (with the caller's error document for it).
    """
    translator = config if isinstance(config, Translator) else Translator(config, prefix)
    try:
        http = parse(text, source)
    except HttpFileError as exc:
        raise _unreadable(translator, source, exc) from None
    shared: list[CannedAnswer] = list(http.answers)
    if answers is not None:
        try:
            shared += parse_answers(answers, answers_source)
        except HttpFileError as exc:
            raise _unreadable(translator, answers_source, exc) from None
    placeholders = Placeholders(text + (answers or ""))
    done = [translator.translate(r, shared, placeholders) for r in http.requests]
    ok = all(t.ok for t in done)
    if fmt == "json":
        return json.dumps(report.as_json(done, placeholders, source), indent=2, ensure_ascii=False) + "\n", ok
    return report.text(done, placeholders, source), ok


def _unreadable(translator: Translator, source: str, exc: HttpFileError) -> TranslateError:
    message = f"{source}: {exc}" if source else str(exc)
    response = translator.error_document(Problem(400, "invalid", "Not a request in the .http form", message))
    return TranslateError(message, f"{response.status}\n" + response.body.decode("utf-8", "replace"))


def main(args: argparse.Namespace) -> int:
    from relgate.cli import load_config

    config = load_config(args.config)
    try:
        translator = Translator(config, args.route)
    except UnknownRoute as exc:
        print(f"relgate translate: --route: {exc}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        answers = Path(args.answers).read_text() if args.answers else None
    except OSError as exc:
        print(f"relgate translate: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    source = "-" if args.file == "-" else args.file
    try:
        output, ok = translate(
            translator, args.route, text, source=source, answers=answers, answers_source=args.answers or "", fmt=args.format
        )
    except TranslateError as exc:
        print(f"relgate translate: {exc}", file=sys.stderr)
        if exc.document:
            print(exc.document)
        return 2
    sys.stdout.write(output)
    return 0 if ok else 1
