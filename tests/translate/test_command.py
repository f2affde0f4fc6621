"""``relgate translate`` as a command: arguments, exit status, errors in the caller's format, no I/O."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

import pytest

from relgate.cli import main

GOLDENS = Path(__file__).resolve().parents[1] / "planner" / "translate"
CONFIG = str(GOLDENS / "gateway.toml")
ADD = (
    "POST /jsonapi/people/1/relationships/articles\nContent-Type: application/vnd.api+json\n\n"
    + '{"data": [{"type": "articles", "id": "2"}]}\n'
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["translate", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_json_output_is_json_with_placeholders_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = tmp_path / "create.http"
    http.write_text(
        "POST /jsonapi/people\nContent-Type: application/vnd.api+json\n\n" + '{"data": {"type": "people", "attributes": {"name": "A"}}}'
    )
    status, out, _ = run(capsys, "--config", CONFIG, "--route", "/jsonapi", "--format", "json", str(http))
    assert status == 0
    doc = json.loads(out)
    assert doc["ok"] is True
    (request,) = doc["requests"]
    (step,) = request["plan"]["steps"]
    assert step["requests"][0]["url"] == "http://ng.test/api/person"
    assert step["requests"][0]["answer"]["status"] == 201 and step["requests"][0]["answer"]["by"] == "assumed"
    assert step["result"]["item"]["id"] == "<id of step 1>"
    assert not re.search(r"9000000\d{3}", out)  # every placeholder id shown by its label


def test_answers_from_a_file_apply_to_every_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = tmp_path / "didww.http"
    http.write_text(
        "POST /to-didww/people/1/relationships/computers\nContent-Type: application/vnd.api+json\n\n"
        + '{"data": [{"type": "computers", "id": "3"}]}'
    )
    answers = tmp_path / "answers.txt"
    linked = {
        "@": "One",
        "item": {"@": "Resource", "type": "people", "id": "1", "attributes": {}, "relationships": {"computers": ["computers/7"]}},
    }
    answers.write_text("### answer GET /people/1\n" + json.dumps(linked) + "\n### answer GET /nowhere\nHTTP/1.1 204 No Content\n")
    status, out, _ = run(capsys, "--config", CONFIG, "--route", "/to-didww", "--answers", str(answers), str(http))
    assert status == 0
    assert f"-> 200  canned answer ({answers}:1)" in out
    assert '"data":[{"type":"computers","id":"7"},{"type":"computers","id":"3"}]' in out  # the PATCH keeps what the answer said
    assert f"unused canned answer: GET /nowhere ({answers}:3)" in out


def test_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ADD))
    status, out, _ = run(capsys, "--config", CONFIG, "--route", "/jsonapi", "-")
    assert status == 0 and "POST http://ng.test/api/person/1/relationships/articles" in out and "[-:1]" in out


def test_a_refused_request_exits_1_with_the_callers_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = tmp_path / "bad.http"
    http.write_text('POST /legacy/person\nContent-Type: application/json\n\n{"name": 5}')
    status, out, _ = run(capsys, "--config", CONFIG, "--route", "/legacy", str(http))
    assert status == 1
    assert "answer to the caller (refused before any backend request):\n  400\n" in out
    assert '{"message":' in out  # 0.17's own error format, not JSON:API's


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--route", "/nowhere", "X"], "relgate translate: --route: no route has the prefix '/nowhere' (routes: /jsonapi, /legacy,"),
        (["--route", "/jsonapi", "/no/such.http"], "relgate translate: cannot read /no/such.http: No such file or directory"),
    ],
)
def test_what_cannot_run_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, out, err = run(capsys, "--config", CONFIG, *argv)
    assert status == 2 and message in err and out == ""


def test_a_text_that_is_not_a_request_gets_the_callers_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = tmp_path / "broken.http"
    http.write_text("POST /jsonapi/people\nContent-Type application/vnd.api+json\n\n{}")
    status, out, err = run(capsys, "--config", CONFIG, "--route", "/jsonapi", str(http))
    assert status == 2
    assert f"{http}: line 2: not a header line" in err
    status_line, document = out.split("\n", 1)
    assert status_line == "400"
    (error,) = json.loads(document)["errors"]  # JSON:API's error format: the route's caller's
    assert error["title"] == "Not a request in the .http form" and "line 2" in error["detail"]


def test_a_route_with_auth_refuses_as_the_gateway_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSLATE_TOKEN", "t0ken-for-translate-tests")
    config = tmp_path / "auth.toml"
    text = (GOLDENS / "gateway.toml").read_text()
    config.write_text(
        '[auth.api]\ntokens = [{ env = "TRANSLATE_TOKEN", access = "read-write" }]\n'
        + text.replace('target = "ng"\n', 'target = "ng"\nauth = "api"\n', 1)
    )
    http = tmp_path / "add.http"
    http.write_text(ADD)
    status, out, _ = run(capsys, "--config", str(config), "--route", "/jsonapi", str(http))
    assert status == 1 and "answer to the caller (refused before any backend request):\n  401" in out
    http.write_text(ADD.replace("Content-Type:", "Authorization: Bearer t0ken-for-translate-tests\nContent-Type:"))
    status, out, _ = run(capsys, "--config", str(config), "--route", "/jsonapi", str(http))
    assert status == 0 and "authorization: Bearer t0ken-for-translate-tests" in out  # the caller's credentials reach the backend


def test_no_network_and_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline: no socket connects, and the configured store is never created (the goldens' batch, every step)."""
    store = tmp_path / "never.db"
    config = tmp_path / "g.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{store}"\n' + (GOLDENS / "gateway.toml").read_text())

    def refuse(*args: object) -> None:
        raise AssertionError(f"translate opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    runs = [
        ("/jsonapi", "native-atomic-batch.http"),
        ("/oro", "oro-included.http"),
        ("/store", "store-and-pass-through.http"),
        ("/strapi", "overlay.http"),
    ]
    for route, name in runs:
        status, out, err = run(capsys, "--config", str(config), "--route", route, str(GOLDENS / name))
        assert status == 0, err
        assert "### 1." in out
    assert not store.exists()
