"""What ``relgate translate`` prints: a :class:`~relgate.translate.run.Translation` as text or JSON.

Both forms say the same things: the caller's request, its canonical ops (notation) and the rule
planning each, the plan's steps — each with its op, the backend requests the client half writes
(method, full URL, headers, body) and how each was answered offline, the result read back, and
the step's undo with the requests the undo would send — then what the caller would get.
Placeholder ids are shown by the step that makes them (``<id of step 2>``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from relgate.model import HttpResponse
from relgate.notation import encode
from relgate.translate.run import BackendRequest, StepView, Translation
from relgate.translate.standin import Placeholders

INDENT = "  "


def notation(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False)


def _body_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return repr(body)


# --- text ------------------------------------------------------------------------------------------


def text(translations: Sequence[Translation], placeholders: Placeholders, source: str = "") -> str:
    out: list[str] = []
    for number, t in enumerate(translations, 1):
        if out:
            out.append("")
        out += _translation_text(number, t, source)
    return placeholders.shown("\n".join(out)) + "\n"


def _translation_text(number: int, t: Translation, source: str) -> list[str]:
    r = t.request
    where = f"{source}:{r.line}" if source else f"line {r.line}"
    lines = [f"### {number}. {r.method} {r.url}  [{where}]" + (f"  {r.title}" if r.title else "")]
    lines.append(f"route {t.serves}")
    if t.ops:
        lines += ["", f"canonical ops (as the {t.route.dialect} door reads the request):"]
        rules = {v.op: v for v in t.rules}
        for index, op in enumerate(t.ops):
            lines.append(f"{INDENT}op {index}  {notation(op)}")
            view = rules.get(index)
            if view is not None:
                emulates = f" (emulates: {view.capability})" if view.capability else ""
                lines.append(f"{INDENT}      rule: {view.rule}{emulates}")
    if t.mode == "store":
        lines += ["", "relgate's store carries these ops out in one transaction (all or nothing): no plan, no backend requests."]
    elif t.mode == "pass-through":
        assert t.streamed is not None
        lines += ["", f"pass-through ({t.streamed_why}): streamed to the backend untouched, and its answer back:"]
        lines += _request_text(t.streamed, INDENT, answered=False)
    elif t.steps or t.mode == "backend":
        lines += ["", _plan_heading(t)]
        for step in t.steps:
            lines += _step_text(step)
    if t.answer is not None:
        refused = " (refused before any backend request)" if t.mode == "refused" else ""
        lines += ["", f"answer to the caller{refused}:"]
        lines += _response_text(t.answer, INDENT)
    elif t.mode == "store":
        lines += ["(the caller's answer depends on the store's data: not shown offline)"]
    if t.notes:
        lines += ["", "notes:"] + [f"{INDENT}- {n}" for n in t.notes]
    return lines


def _plan_heading(t: Translation) -> str:
    writes = sum(1 for s in t.steps if s.write and s.undoes is None)
    steps = len(t.steps)
    head = f"plan: {steps} step{'s' if steps != 1 else ''}, {writes} write{'s' if writes != 1 else ''}; "
    if t.guarded:
        return head + "guarded: every write carries its undo, run newest first if a later step fails"
    return head + "unguarded: the caller asks for at most one write (undos shown are those its rule plans)"


def _step_text(step: StepView) -> list[str]:
    kind = "write" if step.write else "read"
    if step.undoes is not None:
        lines = [f"{INDENT}step {step.number}  op {step.source}  {step.purpose}  (undo of step {step.undoes}, after the failure)"]
    else:
        lines = [f"{INDENT}step {step.number}  op {step.source}  {step.purpose}  ({kind})"]
    pad = INDENT * 2
    lines.append(f"{pad}op      {notation(step.op)}")
    if step.overlay:
        lines.append(f"{pad}in relgate's store (the order overlay): {step.overlay}")
        lines.append(f"{pad}-> {step.overlay_note}")
    for request in step.requests:
        lines += _request_text(request, pad)
    if step.error is not None:
        lines.append(f"{pad}error   {step.error.status}: {step.error}")
    else:
        lines.append(f"{pad}result  {notation(step.result)}")
    if step.write and step.undoes is None and step.error is not None:
        lines.append(f"{pad}undo    none: the step failed (the plan undoes the steps applied before it)")
    elif step.write and step.undoes is None:
        if step.undo is not None:
            lines.append(f"{pad}undo    {notation(step.undo)}" + (f"  [{step.undo_note}]" if step.undo_note else ""))
            if step.undo_overlay:
                lines.append(f"{pad}        would do in relgate's store, if a later step failed: {step.undo_overlay}")
            if step.undo_requests:
                lines.append(f"{pad}        would send, if a later step failed:")
                for request in step.undo_requests:
                    lines += _request_text(request, pad + INDENT * 4, answered=False)
        else:
            lines.append(f"{pad}undo    {step.undo_note or 'none'}")
    return lines


def _request_text(request: BackendRequest, pad: str, *, answered: bool = True) -> list[str]:
    lines = [f"{pad}{request.method} {request.url}"]
    lines += [f"{pad}{INDENT}{k}: {v}" for k, v in request.headers]
    if request.body:
        lines += [f"{pad}{INDENT}{line}" for line in _body_text(request.body).splitlines()]
    if answered:
        lines.append(f"{pad}-> {request.status}  {request.note}")
    return lines


def _response_text(response: HttpResponse, pad: str) -> list[str]:
    lines = [f"{pad}{response.status}"]
    lines += [f"{pad}{k}: {v}" for k, v in response.headers]
    if response.body:
        lines += [f"{pad}{line}" for line in _body_text(response.body).splitlines()]
    return lines


# --- JSON ------------------------------------------------------------------------------------------


def as_json(translations: Sequence[Translation], placeholders: Placeholders, source: str = "") -> dict[str, Any]:
    doc = {
        "source": source,
        "ok": all(t.ok for t in translations),
        "requests": [_translation_json(t) for t in translations],
    }
    return placeholders.shown_value(doc)  # type: ignore[no-any-return]


def _translation_json(t: Translation) -> dict[str, Any]:
    r = t.request
    out: dict[str, Any] = {
        "request": {"method": r.method, "url": r.url, "line": r.line, "title": r.title, "headers": [list(h) for h in r.headers]},
        "route": {"prefix": t.route.prefix, "dialect": t.route.dialect, "target": t.route.target},
        "mode": t.mode,
        "path": t.path,
        "ops": [encode(op) for op in t.ops],
        "rules": [{"op": v.op, "rule": v.rule, "capability": v.capability} for v in t.rules],
    }
    if t.mode in ("backend", "refused") and (t.steps or t.mode == "backend"):
        out["plan"] = {"guarded": t.guarded, "steps": [_step_json(s) for s in t.steps]}
    if t.streamed is not None:
        out["streamed"] = _request_json(t.streamed, answered=False)
    out["answer"] = None if t.answer is None else _response_json(t.answer)
    out["notes"] = list(t.notes)
    return out


def _step_json(step: StepView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "step": step.number,
        "op": step.source,
        "purpose": step.purpose,
        "write": step.write,
        "undoes": step.undoes,
        "canonical": encode(step.op),
        "requests": [_request_json(q) for q in step.requests],
    }
    if step.overlay:
        out["overlay"] = {"action": step.overlay, "note": step.overlay_note}
    if step.error is not None:
        out["error"] = {"status": step.error.status, "problems": [encode(p) for p in step.error.problems]}
    else:
        out["result"] = encode(step.result)
    if step.write and step.undoes is None:
        out["undo"] = {
            "op": encode(step.undo),
            "note": step.undo_note,
            "requests": [_request_json(q, answered=False) for q in step.undo_requests],
            "overlay": step.undo_overlay or None,
        }
    return out


def _request_json(request: BackendRequest, *, answered: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"method": request.method, "url": request.url, "headers": [list(h) for h in request.headers]}
    out["body"] = _body_json(request.body)
    if answered:
        out["answer"] = {"status": request.status, "by": request.answered_by, "note": request.note, "body": _body_json(request.answer)}
    return out


def _response_json(response: HttpResponse) -> dict[str, Any]:
    return {"status": response.status, "headers": [list(h) for h in response.headers], "body": _body_json(response.body)}


def _body_json(body: bytes) -> Any:
    """A JSON body as its value; any other as text; none as null."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return _body_text(body)
