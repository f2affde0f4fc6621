"""The common ``.http`` text form of requests (VS Code REST Client, JetBrains HTTP Client).

One or more requests, separated by lines starting with ``###`` (the rest of that line is a
title)::

    # comments start with # or //; @name = value defines {{name}}
    POST http://localhost:8080/jsonapi/people HTTP/1.1
    Content-Type: application/vnd.api+json

    {"data": {"type": "people", "attributes": {"name": "Ann"}}}

Each request: its request line (``METHOD URL [HTTP/x.y]``; a bare URL is a GET), header lines up
to the first blank line, then the body (trailing blank lines dropped).  relgate's extension, for
``relgate translate``: a block whose title is ``answer METHOD PATH`` holds what the backend
answers to that request — a canonical result in notation (``{"@": "LinkageResult", …}``, an
``Outcome``, a ``Problem`` for a refusal) or a raw answer (``HTTP/1.1 200 OK``, headers, body).
Answers after a request belong to it; answers before the first request, to every request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from relgate.model import HttpResponse, Outcome, ProblemError, Result
from relgate.notation import NotationError, decode

_SEPARATOR = re.compile(r"^###(.*)$")
_VARIABLE = re.compile(r"^@([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$")
_REFERENCE = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")
_REQUEST_LINE = re.compile(r"^(?:([A-Z]+)\s+)?(\S+)(?:\s+HTTP/\d(?:\.\d)?)?\s*$")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s.*)?$")
_HEADER = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*?)\s*$")


class HttpFileError(ValueError):
    """The text is not a request in the ``.http`` form; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


Answer: TypeAlias = "Result | Outcome | ProblemError | HttpResponse | tuple[str, ...]"
"""What a canned answer says: a result (of the one op the backend request means, or the last op
of its kind), every result of the request (an ``Outcome``), a refusal, or a raw answer; for
``ORDER type/id/relationship``, the member ids in the order relgate's overlay keeps."""


@dataclass
class CannedAnswer:
    """One ``### answer METHOD PATH`` block."""

    method: str
    target: str
    """The path (or URL) it answers, with a query string when only that query matches."""
    answer: Answer
    line: int
    source: str = ""
    used: bool = False

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.source else f"line {self.line}"


@dataclass
class FileRequest:
    """One request of a ``.http`` file."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    line: int
    title: str = ""
    answers: list[CannedAnswer] = field(default_factory=list)


@dataclass
class HttpFile:
    requests: list[FileRequest]
    answers: list[CannedAnswer]
    """Answers before the first request: for every request."""


def parse(text: str, source: str = "") -> HttpFile:
    """The requests and canned answers of a ``.http`` text (:class:`HttpFileError` on bad input)."""
    lines = text.splitlines()
    variables: dict[str, str] = {}
    requests: list[FileRequest] = []
    shared: list[CannedAnswer] = []
    for title, start, block in _blocks(lines):
        if title.split(None, 1)[:1] == ["answer"]:
            answer = _answer(title, start, block, variables, source)
            (requests[-1].answers if requests else shared).append(answer)
            continue
        request = _request(title, start, block, variables)
        if request is not None:
            requests.append(request)
    if not requests:
        raise HttpFileError(max(len(lines), 1), "no request found (a request line is METHOD URL, e.g. GET /jsonapi/people)")
    return HttpFile(requests, shared)


def parse_answers(text: str, source: str = "") -> list[CannedAnswer]:
    """A file of ``### answer`` blocks only (``relgate translate --answers FILE``)."""
    variables: dict[str, str] = {}
    out: list[CannedAnswer] = []
    for title, start, block in _blocks(text.splitlines()):
        if title.split(None, 1)[:1] == ["answer"]:
            out.append(_answer(title, start, block, variables, source))
        elif any(_content(line) for _, line in block):
            number, line = next((n, ln) for n, ln in block if _content(ln))
            if not _VARIABLE.match(line):
                raise HttpFileError(number, "an answers file holds only '### answer METHOD PATH' blocks")
            _define(line, variables)
    return out


# --- blocks --------------------------------------------------------------------------------------


def _blocks(lines: list[str]) -> list[tuple[str, int, list[tuple[int, str]]]]:
    """``(title, line number of the separator, numbered lines)`` per ``###`` block (the first has no title)."""
    blocks: list[tuple[str, int, list[tuple[int, str]]]] = [("", 1, [])]
    for number, line in enumerate(lines, 1):
        m = _SEPARATOR.match(line)
        if m:
            blocks.append((m.group(1).strip(), number, []))
        else:
            blocks[-1][2].append((number, line))
    return blocks


def _content(line: str) -> bool:
    """Not blank and not a comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "//"))


def _define(line: str, variables: dict[str, str]) -> bool:
    m = _VARIABLE.match(line.strip())
    if m is None:
        return False
    variables[m.group(1)] = m.group(2)
    return True


def _expand(text: str, variables: dict[str, str], number: int) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            known = f" (defined: {', '.join(sorted(variables))})" if variables else ""
            raise HttpFileError(number, f"unknown variable {{{{{name}}}}}{known}")
        return variables[name]

    return _REFERENCE.sub(value, text)


def _request(title: str, start: int, block: list[tuple[int, str]], variables: dict[str, str]) -> FileRequest | None:
    rest = iter(block)
    for number, line in rest:
        if not _content(line) or _define(line, variables):
            continue
        m = _REQUEST_LINE.match(_expand(line.strip(), variables, number))
        if m is None:
            raise HttpFileError(number, f"not a request line (METHOD URL [HTTP/1.1]): {line.strip()!r}")
        method, url = (m.group(1) or "GET"), m.group(2)
        headers, body = _head_and_body(rest, variables)
        return FileRequest(method, url, headers, body.encode(), number, title)
    return None


def _head_and_body(rest: Any, variables: dict[str, str]) -> tuple[list[tuple[str, str]], str]:
    headers: list[tuple[str, str]] = []
    body_lines: list[str] = []
    in_body = False
    for number, line in rest:
        if in_body:
            body_lines.append(_expand(line, variables, number))
            continue
        if not line.strip():
            in_body = True
            continue
        if line.strip().startswith(("#", "//")):
            continue
        m = _HEADER.match(_expand(line.strip(), variables, number))
        if m is None:
            raise HttpFileError(number, f"not a header line (Name: value): {line.strip()!r}; a blank line starts the body")
        headers.append((m.group(1), m.group(2)))
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    return headers, "\n".join(body_lines)


def _answer(title: str, start: int, block: list[tuple[int, str]], variables: dict[str, str], source: str) -> CannedAnswer:
    words = _expand(title, variables, start).split()
    if len(words) != 3 or not re.fullmatch(r"[A-Z]+", words[1]):
        raise HttpFileError(start, f"an answer block is titled 'answer METHOD PATH' (e.g. ### answer GET /people/1), not {title!r}")
    content = [(n, line) for n, line in block if line.strip()]
    if not content:
        raise HttpFileError(start, "the answer block is empty: give a canonical result (notation) or a raw answer (HTTP/1.1 200 OK …)")
    first_number, first = content[0]
    if words[1] == "ORDER":
        answer: Answer = _order(block, variables, first_number)
    elif _STATUS_LINE.match(first.strip()):
        answer = _raw_answer(block, variables)
    else:
        text = "\n".join(_expand(line, variables, n) for n, line in block)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            where = first_number + exc.lineno - 1
            raise HttpFileError(where, f"the answer is neither JSON notation nor an HTTP answer: {exc.msg}") from None
        answer = _notation(value, first_number)
    return CannedAnswer(words[1], words[2], answer, start, source)


def _order(block: list[tuple[int, str]], variables: dict[str, str], number: int) -> tuple[str, ...]:
    text = "\n".join(_expand(line, variables, n) for n, line in block)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise HttpFileError(number, 'an ORDER answer is a JSON array of member ids, in the order relgate keeps (e.g. ["3", "1"])')
    return tuple(str(v) for v in value)


def _notation(value: Any, number: int) -> Answer:
    try:
        if isinstance(value, dict) and value.get("@") == "Problem":
            return ProblemError(decode(value, "Problem"))
        if isinstance(value, dict) and value.get("@") == "Outcome":
            return decode(value, "Outcome")  # type: ignore[no-any-return]
        return decode(value, "Result")  # type: ignore[no-any-return]
    except NotationError as exc:
        raise HttpFileError(number, f"the answer is not canonical notation: {exc}") from None


def _raw_answer(block: list[tuple[int, str]], variables: dict[str, str]) -> HttpResponse:
    lines = iter(block)
    status = 0
    for _, line in lines:
        m = _STATUS_LINE.match(line.strip())
        if m is not None:
            status = int(m.group(1))
            break
    headers, body = _head_and_body(lines, variables)
    return HttpResponse(status, tuple((k.lower(), v) for k, v in headers), body.encode())
